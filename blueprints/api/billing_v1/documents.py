"""GET /api/v1/billing/<storeId>/bills/<billId>/pdf: a bill's A4 tax invoice for Billing v1 clients.

Registered on the Billing v1 blueprint when this module is imported (the package's __init__ imports it), so the
route lives beside the contract's other bill routes.
"""
from __future__ import annotations

from flask import g

from blueprints.api.billing_v1.views import bp
from blueprints.api.common import V1, ApiError, authenticate
from blueprints.documents import pdf_response
from extensions import db
from models import Store
from services.accounts.access import membership_for
from services.documents.invoices import bill_in_store
from services.errors import NotFound

NO_ACCESS = "You do not have access to this store"
NOT_FOUND = "Bill not found"


def _member_store(store_uid: str) -> Store:
    """The store named by a Billing v1 storeId the caller belongs to; 403 otherwise (unknown ids too)."""
    store = db.session.execute(db.select(Store).filter_by(uid=store_uid)).scalar_one_or_none()
    if store is None or membership_for(g.api_user, store) is None:
        raise ApiError(403, NO_ACCESS)
    return store


@bp.get("/billing/<store_id>/bills/<bill_id>/pdf")
def bill_pdf_document(store_id: str, bill_id: str):
    """The bill's PDF (application/pdf): 401 without a token, 403 for a store the caller is not in, 404 unknown bill."""
    authenticate(V1)
    store = _member_store(store_id)
    try:
        bill = bill_in_store(store, uid=bill_id)
    except NotFound as exc:
        raise ApiError(404, NOT_FOUND) from exc
    return pdf_response(bill)
