"""GET and PATCH /api/v1/stores/<storeId>: a store's settings and billing options, for its owner (extension).

Registered on the Billing v1 blueprint when this module is imported (the package's __init__ imports it). The body
is checked here in Billing v1's words (types, unknown and read-only fields); the rules are
services.accounts.store_settings.update_store_settings, which the web settings page calls too.
"""
from __future__ import annotations

from typing import Any

from flask import g

from blueprints.api.billing_v1.serialize import store_v1
from blueprints.api.billing_v1.views import bp, member_store
from blueprints.api.common import V1, ApiError, json_response, read_json
from extensions import db
from models import Store
from services.accounts.billing_options import FLAGS
from services.accounts.store_settings import update_store_settings
from services.errors import FieldErrors, ValidationError

OWNER_ONLY = "Only the store's owner can view or change its settings"
TEXT_FIELDS = ("name", "address", "phone", "gstin", "state_code", "upi_id", "invoice_prefix")
NOT_NULL = ("name", "invoice_prefix")  # the others may be cleared with null


def _owner_store(store_uid: str) -> Store:
    """The store if the caller owns it: 403 like every Billing v1 storeId otherwise (not a member, or missing),
    and 403 for a manager or cashier of it."""
    store = member_store(store_uid)
    if g.role != "owner":
        raise ApiError(403, OWNER_ONLY)
    return store


def parse_store_patch(store: Store, payload: dict[str, Any]) -> dict[str, Any]:
    """The PATCH body as update_store_settings takes it (only the fields given); 400 naming each bad field."""
    errors = FieldErrors()
    data: dict[str, Any] = {}
    read_only = {"id": store.uid, "business_kind": store.business_kind}
    for key, value in payload.items():
        if key in read_only:
            if value != read_only[key]:  # sending back what GET answered is fine
                errors.add(key, "This field is read-only")
        elif key in TEXT_FIELDS:
            if value is None and key in NOT_NULL:
                errors.add(key, "This field may not be null")
            elif value is not None and not isinstance(value, str):
                errors.add(key, "Must be a string")
            else:
                data[key] = value or ""
        elif key in FLAGS:
            if not isinstance(value, bool):
                errors.add(key, "Must be true or false")
            else:
                data[key] = value
        elif key == "scale_barcode":
            if value is not None and not isinstance(value, dict):
                errors.add(key, "Must be an object with prefix, item_digits and value, or null (off)")
            elif isinstance(value, dict) and value.get("item_digits") is not None and (
                    isinstance(value["item_digits"], bool) or not isinstance(value["item_digits"], int)):
                errors.add("scale_barcode.item_digits", "Must be a whole number")
            else:
                data[key] = value
        else:
            errors.add(key, "Unknown field")
    errors.raise_if()
    return data


@bp.get("/stores/<store_id>")
def store_settings(store_id: str):
    """The store's details and billing options (owner only)."""
    store = _owner_store(store_id)
    return json_response({"success": True, "data": store_v1(store)})


@bp.patch("/stores/<store_id>")
def update_store(store_id: str):
    """Change some of the store's details and billing options; fields not sent keep their value (owner only)."""
    store = _owner_store(store_id)
    data = parse_store_patch(store, read_json(V1))
    try:
        update_store_settings(g.api_user, store, data)
    except ValidationError as exc:
        FieldErrors(exc.errors).raise_if()  # Billing v1's headline: the first problem
        raise
    db.session.commit()
    return json_response({"success": True, "message": "Store settings saved", "data": store_v1(store)})
