"""Barcode labels (owners and managers): choose items and how many labels (or one per unit in stock), print an A4
sheet PDF; give an item without a barcode an in-house EAN-13. The rules and the drawing are
services.catalog.labels'."""
from __future__ import annotations

from flask import Blueprint, g, make_response, request, url_for
from flask_login import current_user
from sqlalchemy import select

from blueprints.decorators import role_required
from blueprints.htmx import render_page_or_fragment, wants_fragment
from blueprints.paging import page_arg
from extensions import db
from models import Product
from services.catalog import labels
from services.catalog.search import search_catalog
from services.errors import DomainError, ValidationError
from services.scoping import get_in_store

bp = Blueprint("labels", __name__, url_prefix="/inventory/labels")

PAGE_SIZE = 30
MAX_COPIES_TYPED = 5


def _page(status: int = 200, errors: dict | None = None, typed: dict | None = None):
    q = (request.values.get("q") or "").strip()[:100]
    found = search_catalog(g.store, q or None, type="product", page=page_arg(), limit=PAGE_SIZE)
    return render_page_or_fragment("labels/index.html", "labels/_results.html", status=status, found=found, q=q,
                                   errors=errors or {}, typed=typed or {}, prefix=labels.in_house_prefix(g.store))


@bp.get("")
@role_required("manager")
def index():
    """Items to label, searched by name, SKU or barcode (live with HTMX), paged; how many labels each."""
    return _page()


@bp.post("/sheet.pdf")
@role_required("manager")
def sheet():
    """The A4 label sheet (3 x 8) of the items and counts posted; 422 back to the form on a bad count."""
    typed = {key[7:]: (value or "").strip() for key, value in request.form.items() if key.startswith("copies-")}
    per_stock = request.form.get("per_stock") == "1"
    wanted = [int(k) for k in typed if k.isascii() and k.isdigit() and len(k) <= 10]
    products = {p.id: p for p in db.session.execute(
        select(Product).where(Product.store_id == g.store.id, Product.id.in_(wanted))).scalars()}
    requests, errors = [], {}
    for key, raw in typed.items():
        product = products.get(int(key)) if key.isascii() and key.isdigit() and len(key) <= 10 else None
        if product is None:
            continue
        if per_stock and request.form.get(f"pick-{product.id}") == "1":
            copies = max(int(product.quantity), 0) if product.unit == "pcs" else 1
        elif not raw:
            copies = 0
        elif raw.isascii() and raw.isdigit() and len(raw) <= MAX_COPIES_TYPED:
            copies = int(raw)
        else:
            errors[f"copies-{product.id}"] = ["A whole number of labels, 0 or more"]
            continue
        requests.append(labels.LabelRequest(product, copies))
    try:
        if errors:
            raise ValidationError("Some label counts are not whole numbers", errors)
        pdf = labels.label_sheet(g.store, [r for r in requests if r.copies])
    except ValidationError as exc:
        return _page(422, exc.errors, typed)
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = 'inline; filename="labels.pdf"'
    return response


@bp.post("/<int:product_id>/barcode")
@role_required("manager")
def assign(product_id: int):
    """Give an item without a barcode an in-house EAN-13; answers the list (the row now shows its code)."""
    product = get_in_store(Product, g.store, id=product_id, live=True, message="Item not found")
    try:
        code = labels.assign_barcode(g.store, current_user, product)
    except DomainError as exc:
        db.session.rollback()
        return _page(422 if exc.status == 400 else exc.status, {f"barcode-{product_id}": [exc.message]})
    db.session.commit()
    response = _page()
    if not wants_fragment():
        response = make_response("", 303)
        response.headers["Location"] = url_for(".index", q=code)
    return response
