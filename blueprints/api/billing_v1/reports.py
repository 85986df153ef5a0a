"""GET /api/v1/billing/<storeId>/reports/gstr1?period=MMYYYY (extension, issue 15): the GST portal's GSTR-1 JSON for
the month (services.reports.gst.portal_json) in the Billing v1 envelope's `data`. Owners and managers; a cashier,
a non-member and a missing store get the contract's 403; a period that is not a month is a 400 naming `period`.

Registered on the Billing v1 blueprint when this module is imported (the package's __init__ imports it).
"""
from __future__ import annotations

from flask import g, request

from blueprints.api.billing_v1.views import bp, member_store
from blueprints.api.common import ApiError, json_response
from services.accounts.access import has_role
from services.errors import ValidationError
from services.reports import gst

MANAGERS_ONLY = "Only the store's owner or a manager can view its GST returns"


@bp.get("/billing/<store_id>/reports/gstr1")
def gstr1(store_id: str):
    """The month's GSTR-1 as the portal's offline tool takes it."""
    store = member_store(store_id)
    if not has_role(g.role, "manager"):
        raise ApiError(403, MANAGERS_ONLY)
    try:
        month, year = gst.parse_period(request.args.get("period"))
    except ValidationError as exc:
        raise ApiError(400, "Invalid query parameters", errors=exc.errors) from exc
    return json_response({"success": True, "data": gst.portal_json(gst.gstr1(store, month, year))})
