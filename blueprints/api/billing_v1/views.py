"""Billing v1 API (docs/contracts/002_af1ec0be52e1f232.txt), mounted at /api/v1.

Views parse and authorise; services.billing.bills does the work; each view commits once.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from flask import Blueprint, g, request
from sqlalchemy import and_, bindparam, join, select

from blueprints.api.billing_v1.parse import parse_bill_payload
from blueprints.api.billing_v1.returns import credit_note_v1, parse_return_payload
from blueprints.api.billing_v1.serialize import (
    bill_summary_v1,
    bill_v1,
    catalog_item_v1,
    customer_v1,
    held_summary_v1,
    page_v1,
)
from blueprints.api.common import (
    V1,
    ApiError,
    accept_user,
    access_claims,
    authenticate,
    idempotent_response,
    json_response,
    read_json,
)
from blueprints.paging import page_args
from extensions import db
from models import PRODUCT_TYPES, Bill, HeldBill, Membership, Store, User
from services.billing import bills as billing
from services.billing import numbering
from services.billing import returns as returning
from services.billing.fields import parse_timestamp, to_timestamp
from services.catalog.search import search_catalog, search_customers
from services.errors import FieldErrors
from services.formatting import iso_z
from services.scoping import find_in_store
from services.vocabulary import BILL_SORTS, BILL_STATUSES, DEFAULT_BILL_SORT

bp = Blueprint("billing_v1", __name__, url_prefix="/api/v1")
SEARCH_LENGTH = 200  # a list's q (the OpenAPI document's maxLength)


# --------------------------------------------------------------------------- helpers


# The token's user and, joined, the store asked for with the caller's role in it (NULL when not a member): one
# statement where authenticate's user and the store were two. Built once: every Billing v1 request runs it.
_MEMBER_STORE = (
    select(User, Store, Membership.role).select_from(User)
    .outerjoin(join(Membership, Store, and_(Store.id == Membership.store_id, Store.uid == bindparam("store_uid"))),
               Membership.user_id == User.id)
    .where(User.id == bindparam("user_id"))
)


def member_store(store_uid: str) -> Store:
    """Authenticate, then the store the caller belongs to (any role may bill); 403 otherwise, missing or not."""
    claims = access_claims(V1)
    row = db.session.execute(_MEMBER_STORE, {"user_id": claims.user_id, "store_uid": store_uid}).first()
    accept_user(V1, claims, row.User if row is not None else None)
    if row.Store is None:
        raise ApiError(403, "You do not have access to this store")
    g.store, g.role = row.Store, row.role
    return g.store


def _time_arg(name: str, errors: FieldErrors) -> Optional[datetime]:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    # An unescaped "+05:30" in a query string arrives as " 05:30".
    unescaped = raw.strip()[:19] + raw.strip()[19:].replace(" ", "+")
    candidate = raw if to_timestamp(raw) is not None else unescaped
    return parse_timestamp(candidate, name, errors, required=False)


def _choice_arg(name: str, choices, errors: FieldErrors, default: Optional[str] = None) -> Optional[str]:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        errors.add(name, "Must be one of: " + ", ".join(choices))
    return raw


def _search_arg(errors: FieldErrors) -> Optional[str]:
    """The `q` of a list: at most SEARCH_LENGTH characters, as the OpenAPI document says."""
    raw = request.args.get("q")
    if raw is not None and len(raw) > SEARCH_LENGTH:
        errors.add("q", f"At most {SEARCH_LENGTH} characters")
    return raw


def _raise_query_errors(errors: FieldErrors) -> None:
    if errors:
        raise ApiError(400, "Invalid query parameters", errors=errors)


# --------------------------------------------------------------------------- stores


@bp.get("/stores")
def stores():
    """The stores the caller belongs to, with their role."""
    authenticate(V1)
    rows = db.session.execute(
        select(Store, Membership.role).join(Membership, Membership.store_id == Store.id)
        .where(Membership.user_id == g.api_user.id).order_by(Store.name, Store.id)
    ).all()
    return json_response({"success": True, "data": {
        "stores": [{"id": store.uid, "name": store.name, "role": role} for store, role in rows]
    }})


# --------------------------------------------------------------------------- bills


@bp.post("/billing/<store_id>/bills")
def save_bill(store_id: str):
    """Save (finalise) a bill: computed totals, an invoice number, stock taken."""
    store = member_store(store_id)
    payload = read_json(V1)

    def run():
        draft = parse_bill_payload(store, payload, source="v1")
        bill = billing.save_bill(store, g.api_user, draft)
        return 201, {"success": True, "message": "Bill saved successfully", "data": bill_v1(bill)}, bill.id

    return idempotent_response(store, payload, run)


@bp.get("/billing/<store_id>/bills")
def list_bills(store_id: str):
    """Bills of the store, paged, filtered and sorted."""
    store = member_store(store_id)
    errors = FieldErrors()
    page, limit = page_args(20, errors)
    start, end = _time_arg("from", errors), _time_arg("to", errors)
    sort = _choice_arg("sort", tuple(BILL_SORTS), errors, default=DEFAULT_BILL_SORT)
    status = _choice_arg("status", BILL_STATUSES, errors)
    q = _search_arg(errors)
    if start and end and start > end:
        errors.add("to", "Must not be before from")
    _raise_query_errors(errors)
    found = billing.list_bills(store, q=q, start=start, end=end, status=status,
                               sort=sort, page=page, limit=limit)
    return json_response({"success": True, "data": page_v1(found, bill_summary_v1, capped=True)})


@bp.get("/billing/<store_id>/bills/<bill_id>")
def bill_detail(store_id: str, bill_id: str):
    """One saved bill, as the save response returned it."""
    store = member_store(store_id)
    bill = find_in_store(Bill, store, uid=bill_id)
    if bill is None:
        raise ApiError(404, "Bill not found")
    return json_response({"success": True, "data": bill_v1(bill)})


@bp.post("/billing/<store_id>/bills/<bill_id>/returns")
def create_return(store_id: str, bill_id: str):
    """Extension: return lines of a sale (managers and owners); one credit note, stock back, dues then refund."""
    store = member_store(store_id)
    bill = find_in_store(Bill, store, uid=bill_id)
    if bill is None:
        raise ApiError(404, "Bill not found")
    payload = read_json(V1)

    def run():
        note = returning.create_return(store, g.api_user, bill, parse_return_payload(payload))
        return 201, {"success": True, "message": "Credit note created", "data": credit_note_v1(note)}, bill.id

    return idempotent_response(store, payload, run)


# --------------------------------------------------------------------------- held bills


@bp.post("/billing/<store_id>/bills/hold")
def hold_bill(store_id: str):
    """Park a bill as a draft: no invoice number, no stock taken."""
    store = member_store(store_id)
    payload = read_json(V1)

    def run():
        draft = parse_bill_payload(store, payload, hold=True, source="v1")
        held = billing.hold_bill(store, g.api_user, payload, draft)
        data = {"held_id": held.uid, "created_at": iso_z(held.created_at)}
        return 201, {"success": True, "message": "Bill held successfully", "data": data}, None

    return idempotent_response(store, payload, run)


@bp.get("/billing/<store_id>/bills/held")
def list_held(store_id: str):
    """Held bills of the store, newest first."""
    store = member_store(store_id)
    errors = FieldErrors()
    page, limit = page_args(50, errors)
    _raise_query_errors(errors)
    found = billing.list_held(store, page=page, limit=limit)
    return json_response({"success": True, "data": page_v1(found, held_summary_v1, key="held")})


@bp.get("/billing/<store_id>/bills/held/<held_id>")
def held_detail(store_id: str, held_id: str):
    """A held bill's payload exactly as held, and the number the next save would get."""
    store = member_store(store_id)
    held = find_in_store(HeldBill, store, uid=held_id)
    if held is None:
        raise ApiError(404, "Held bill not found")
    return json_response({"success": True, "data": {"held": {
        "held_id": held.uid,
        "created_at": iso_z(held.created_at),
        "payload": held.payload,
        "suggested_number": numbering.peek_next(store),
    }}})


# --------------------------------------------------------------------------- look-ups for the till


@bp.get("/billing/<store_id>/catalog")
def catalog(store_id: str):
    """Catalogue items; q matches name, SKU and barcode."""
    store = member_store(store_id)
    errors = FieldErrors()
    page, limit = page_args(20, errors)
    item_type = _choice_arg("type", PRODUCT_TYPES, errors)
    q = _search_arg(errors)
    _raise_query_errors(errors)
    found = search_catalog(store, q=q, type=item_type, page=page, limit=limit)
    return json_response({"success": True, "data": page_v1(found, catalog_item_v1)})


@bp.get("/billing/<store_id>/customers")
def customers(store_id: str):
    """Customers of the store; q matches name, phone and email."""
    store = member_store(store_id)
    errors = FieldErrors()
    page, limit = page_args(20, errors)
    q = _search_arg(errors)
    _raise_query_errors(errors)
    found = search_customers(store, q=q, page=page, limit=limit)
    return json_response({"success": True, "data": page_v1(found, customer_v1, capped=True)})
