"""The jewellery API (docs/contracts/001_bc50bf4c3035272a.txt) at the contract's root paths, in its envelope:
{"success": true, "data"/"message": ...} or {"success": false, "message": ...}.

Bearer JWT from the same accounts; the store is the caller's current store (api_login_required, as NamastePMS), so
no path carries a store id and another shop's data is never reachable. Views parse (parse.py), call a service, and
commit once. The contract's seven paths, and the metal-rates extension (GET|POST /metal-rates).

Each contract path answers its failures with the contract's message followed by what is wrong:
{"success": false, "message": "Failed to update product: gross_weight: At most 3 decimal places"}; a missing id and
another shop's id are the same 404. No or a bad Bearer token is 401 before that, as on the other surfaces.
"""
from __future__ import annotations

import functools
from typing import Callable

from flask import Blueprint, g, request

from blueprints.api.common import (
    JEWELLERY,
    ApiError,
    api_login_required,
    idempotent_response,
    json_response,
    read_json,
)
from blueprints.api.jewellery import parse
from blueprints.api.jewellery.serialize import (
    board_row_json,
    history_json,
    invoice_json,
    piece_json,
    rate_json,
)
from extensions import db
from models import Product
from services.catalog.products import get_product
from services.documents.invoices import bill_in_store, share_url
from services.errors import DomainError, ValidationError
from services.jewellery import invoices, logs, pieces, rates

bp = Blueprint("jewellery", __name__)


def _detail(exc: DomainError) -> str:
    parts = [f"{field}: {message}" for field, messages in (exc.errors or {}).items() for message in messages]
    return "; ".join(parts) or exc.message


@bp.errorhandler(ValidationError)
def validation_error(exc: ValidationError):
    """Bad input: 400 {"success": false, "message": "<field>: <what is wrong>; ..."}; nothing was written."""
    db.session.rollback()
    return json_response({"success": False, "message": _detail(exc)}, exc.status)


def failing_as(message: str) -> Callable:
    """The contract's failure message for this path, then what is wrong ("<message>: <detail>"); rolled back."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except ApiError as exc:
                detail, status = exc.message, exc.status
            except DomainError as exc:
                detail, status = _detail(exc), exc.status
            db.session.rollback()
            return json_response({"success": False, "message": f"{message}: {detail}"}, status)

        return wrapped

    return decorator


def _piece(raw) -> Product:
    """The store's piece by id; a missing id and another shop's are the same 404."""
    found = get_product(g.store, parse.record_id(raw, "id"))
    if found is None:
        raise ApiError(404, "Product not found")
    return found


def _rates_data(store, day, start, end, metal=None, purity=None) -> dict:
    return {
        "date": day.isoformat(),
        "rates": [board_row_json(row) for row in rates.board(store, day)],
        "history": [rate_json(r) for r in rates.history(store, start, end, metal, purity)],
    }


@bp.route("/metal-rates", methods=["GET", "POST"])
@api_login_required(JEWELLERY)
def metal_rates():
    """GET: the rates in force on ?date= (default today) and the history (?from=&to=&metal=&purity=). POST: set
    today's rates (owners and managers)."""
    store = g.store
    today = store.local_today()
    if request.method == "POST":
        saved = rates.set_rates(store, g.api_user, parse.rate_entries(read_json(JEWELLERY)))
        db.session.commit()
        data = _rates_data(store, today, today, today)
        data["saved"] = [rate_json(r) for r in saved]
        return json_response({"success": True, "message": "Metal rates saved successfully", "data": data}, 201)
    day, start, end = parse.history_window(request.args, today)
    metal, purity = parse.history_filters(request.args)
    return json_response({"success": True, "data": _rates_data(store, day, start, end, metal, purity)})


@bp.route("/product-detail-by-id", methods=["POST"])
@api_login_required(JEWELLERY)
@failing_as("Failed to get product detail by id")
def product_detail_by_id():
    """A piece with the interest and payment history of the bill that sold (or bought) it."""
    body = read_json(JEWELLERY)
    if body.get("id") in (None, ""):
        raise ApiError(400, "id is required")
    piece = _piece(body["id"])
    data = piece_json(piece, pieces.piece_bill(piece), g.store.local_today())
    return json_response({"success": True, "data": data})


@bp.route("/update-product", methods=["POST"])
@api_login_required(JEWELLERY)
@failing_as("Failed to update product")
def update_product():
    """Create (no or an empty id) or update a piece from the multipart form; derived values are the server's."""
    form = request.form
    raw_id = (form.get("id") or "").strip()
    piece = _piece(raw_id) if raw_id else None
    given = parse.piece_fields(form)
    images = parse.images(request.files)
    saved = pieces.save_piece(g.store, g.api_user, piece, given, images)
    data = piece_json(saved, pieces.piece_bill(saved) if piece is not None else None, g.store.local_today())
    db.session.commit()
    message = "Product updated successfully" if piece is not None else "Product created successfully"
    return json_response({"success": True, "message": message, "data": data}, 200 if piece is not None else 201)


@bp.route("/add-invoice", methods=["POST"])
@api_login_required(JEWELLERY)
@failing_as("Failed to add invoice")
def add_invoice():
    """A sale ("1") or purchase ("2") invoice priced by the server; honours Idempotency-Key."""
    store, user = g.store, g.api_user
    payload = request.form.to_dict()

    def run():
        bill = invoices.add_invoice(store, user, parse.invoice_request(request.form))
        return 201, {"success": True, "message": "Invoice added successfully", "data": invoice_json(bill)}, bill.id

    return idempotent_response(store, payload, run)


@bp.route("/get-invoice-home", methods=["GET"])
@api_login_required(JEWELLERY)
@failing_as("Failed to get invoices")
def get_invoice_home():
    """The store's invoices, newest first: ?limit= (default 50, at most 200), ?offset=, ?from=, ?to= (extensions)."""
    limit, offset, start, end = parse.list_window(request.args)
    found = invoices.invoice_home(g.store, limit, offset, start, end)
    return json_response({"success": True, "data": [invoice_json(bill) for bill in found]})


@bp.route("/user-contact-invoice-history", methods=["GET"])
@api_login_required(JEWELLERY)
@failing_as("Failed to get contact invoice history")
def user_contact_invoice_history():
    """A contact's invoices, newest first."""
    raw = request.args.get("user_contact_id")
    if raw is None or not raw.strip():
        raise ApiError(400, "user_contact_id is required")
    found = invoices.contact_invoices(g.store, parse.record_id(raw.strip(), "user_contact_id"))
    return json_response({"success": True, "data": [history_json(bill) for bill in found]})


@bp.route("/invoice/<invoice_id>/pdf", methods=["GET"])
@api_login_required(JEWELLERY)
@failing_as("Failed to save invoice as PDF")
def invoice_pdf(invoice_id: str):
    """A signed link to the invoice's PDF that opens without a Bearer header and expires (SHARE_LINK_DAYS)."""
    bill = bill_in_store(g.store, bill_id=parse.record_id(invoice_id, "invoiceId"))
    return json_response({"success": True, "data": {"pdf_url": share_url(bill)}})


@bp.route("/api/logs/create", methods=["POST"])
@api_login_required(JEWELLERY)
@failing_as("Failed to create log")
def create_log():
    """The app's log entry for a product or invoice action, kept in the audit log."""
    logs.record_client_log(g.store, g.api_user, parse.client_log(read_json(JEWELLERY)))
    db.session.commit()
    return json_response({"success": True, "message": "Log created successfully"}, 201)
