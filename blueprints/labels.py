"""Barcode labels (owners and managers): choose items and how many labels (or one per unit in stock), print an A4
sheet PDF; give an item without a barcode an in-house EAN-13. The rules and the drawing are
services.catalog.labels'."""
from __future__ import annotations

from flask import Blueprint, g, make_response, request, url_for
from flask_login import current_user
from sqlalchemy import select

from blueprints.decorators import role_required
from blueprints.htmx import push_clean_url, render_page_or_fragment, wants_fragment
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


def _id(key: str) -> int | None:
    return int(key) if key.isascii() and key.isdigit() and len(key) <= 10 else None


def _choices() -> tuple[dict[str, str], dict[str, bool]]:
    """What the form holds (the counts typed and the "one per unit" ticks), carried by every search and page so
    items chosen under one search are still chosen under the next."""
    typed = {key[7:]: (value or "").strip()[:20] for key, value in request.values.items()
             if key.startswith("copies-") and _id(key[7:]) is not None}
    picked = {key[5:]: True for key, value in request.values.items()
              if key.startswith("pick-") and value == "1" and _id(key[5:]) is not None}
    return typed, picked


def _page(status: int = 200, errors: dict | None = None):
    q = (request.values.get("q") or "").strip()[:100]
    page = page_arg()
    found = search_catalog(g.store, q or None, type="product", page=page, limit=PAGE_SIZE)
    typed, picked = _choices()
    shown = {str(product.id) for product in found.items}
    kept_ids = [_id(key) for key in ({k for k, v in typed.items() if v} | set(picked)) - shown]
    kept = list(db.session.execute(select(Product).where(
        Product.store_id == g.store.id, Product.id.in_(kept_ids)).order_by(Product.product_name)).scalars())
    response = render_page_or_fragment("labels/index.html", "labels/_results.html", status=status, found=found, q=q,
                                       errors=errors or {}, typed=typed, picked=picked, kept=kept,
                                       prefix=labels.in_house_prefix(g.store))
    return push_clean_url(response, "labels.index", page, q=q)  # the search and page, not the counts


@bp.get("")
@role_required("manager")
def index():
    """Items to label, searched by name, SKU or barcode (live with HTMX), paged; how many labels each."""
    return _page()


@bp.post("/sheet.pdf")
@role_required("manager")
def sheet():
    """The A4 label sheet (3 x 8) of the items and counts posted; 422 back to the form on a bad count."""
    typed, picked = _choices()
    per_stock = request.form.get("per_stock") == "1"
    wanted = list(dict.fromkeys([*typed, *picked]))  # in the form's order
    products = {str(p.id): p for p in db.session.execute(select(Product).where(
        Product.store_id == g.store.id, Product.id.in_([_id(k) for k in wanted]))).scalars()}
    requests, errors = [], {}
    for key in wanted:
        product = products.get(key)
        if product is None:
            continue
        raw = typed.get(key, "")
        if per_stock and key in picked:
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
        return _page(422, exc.errors)
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
