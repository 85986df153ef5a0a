"""GET /api/v1/billing/<storeId>/bills/<billId>/pdf: a bill's A4 tax invoice for Billing v1 clients.

Registered on the Billing v1 blueprint when this module is imported (the package's __init__ imports it), so the
route lives beside the contract's other bill routes.
"""
from __future__ import annotations

from blueprints.api.billing_v1.views import bp, member_store
from blueprints.api.common import ApiError
from blueprints.documents import pdf_response
from services.documents.invoices import bill_in_store
from services.errors import NotFound

NOT_FOUND = "Bill not found"


@bp.get("/billing/<store_id>/bills/<bill_id>/pdf")
def bill_pdf_document(store_id: str, bill_id: str):
    """The bill's PDF (application/pdf): 401 without a token, 403 for a store the caller is not in, 404 unknown bill."""
    store = member_store(store_id)
    try:
        bill = bill_in_store(store, uid=bill_id)
    except NotFound as exc:
        raise ApiError(404, NOT_FOUND) from exc
    return pdf_response(bill)
