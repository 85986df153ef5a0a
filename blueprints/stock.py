"""Stock pages: adjust one item's stock with a reason, its stock history, and the stock count (stocktake) sheet.

The rules are services.catalog.stock's (adjust_with_reason, history, post_count); these views parse the forms,
call them, show field errors beside the fields (422, nothing written) and commit once. Owners and managers adjust
and count; cashiers may read an item's history.

The count sheet lives in the form itself (hidden product ids and the stock each line was added at, the counts
typed), so nothing is lost on a bad input and no server state is left behind by an abandoned count.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Optional

from flask import Blueprint, flash, g, make_response, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from blueprints.decorators import role_required
from blueprints.htmx import render_page_or_fragment, wants_fragment
from blueprints.paging import page_arg
from extensions import db
from models import Product
from services.accounts.access import has_role
from services.billing.fields import to_decimal
from services.catalog import stock
from services.catalog.search import find_by_code, search_catalog
from services.errors import ValidationError
from services.scoping import get_in_store

bp = Blueprint("stock", __name__, url_prefix="/inventory")

HISTORY_PAGE = 25
PICK_LIMIT = 8


def _product(product_id: int) -> Product:
    return get_in_store(Product, g.store, id=product_id, message="Item not found")


def _done(message: str, url: str):
    """After a successful POST: 303 for a form; for htmx, HX-Redirect (a full load: the page answers fragments to
    htmx requests, so HX-Location would swap a fragment into the body)."""
    flash(message, "success")
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


# --------------------------------------------------------------------------- history and adjust


@bp.get("/<int:product_id>/history")
@role_required("cashier")
def history(product_id: int):
    """Every stock move of an item, newest first: reason, change, stock after, bill, who and when; paged."""
    product = _product(product_id)
    found = stock.history(product, page_arg(), HISTORY_PAGE)
    return render_page_or_fragment("stock/history.html", "stock/_history.html", product=product, found=found,
                                   can_adjust=has_role(g.membership.role, "manager"))


@bp.route("/<int:product_id>/adjust", methods=["GET", "POST"])
@role_required("manager")
def adjust(product_id: int):
    """Add, remove or set an item's stock with a reason and a note (owners and managers)."""
    product = _product(product_id)
    typed = {"reason": "count", "mode": "add", "amount": "", "note": ""}
    if request.method == "GET":
        return _adjust_form(product, typed, {})
    typed = {key: (request.form.get(key) or "").strip() for key in typed}
    amount = to_decimal(typed["amount"]) if typed["amount"] else None
    try:
        stock.adjust_with_reason(g.store, current_user, product, stock.Adjustment(
            typed["mode"], amount if amount is not None else typed["amount"], typed["reason"], typed["note"]))
    except ValidationError as exc:
        db.session.rollback()
        return _adjust_form(db.session.get(Product, product.id), typed,
                            exc.errors or {"amount": [exc.message]}, 422)
    db.session.commit()
    db.session.refresh(product)
    return _done(f"Stock of {product.product_name} is now {stock.qty_out(product.quantity)}.",
                 url_for(".history", product_id=product.id))


def _adjust_form(product: Product, typed: dict, errors: dict, status: int = 200):
    return render_page_or_fragment("stock/adjust.html", "stock/_adjust_form.html", status=status, product=product,
                                   typed=typed, errors=errors, reasons=stock.ADJUST_REASONS)


# --------------------------------------------------------------------------- stocktake


class Sheet:
    """The count sheet as posted: lines in the order added, what was typed, and their problems."""

    def __init__(self, lines: list[stock.CountLine], typed: dict[int, str]):
        self.lines, self.typed = lines, typed
        self.errors: dict[str, list[str]] = {}
        self.changed: set[int] = set()
        self.picks: list[Product] = []

    @classmethod
    def from_form(cls) -> "Sheet":
        ids = request.form.getlist("product_id")
        seens = request.form.getlist("seen")
        counts = request.form.getlist("counted")
        wanted = [int(i) for i in ids if i.isascii() and i.isdigit() and len(i) <= 10]
        products = {p.id: p for p in db.session.execute(
            select(Product).where(Product.store_id == g.store.id, Product.id.in_(wanted))).scalars()}
        lines, typed, seen_ids = [], {}, set()
        for index, raw_id in enumerate(ids):
            product = products.get(int(raw_id)) if raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 10 \
                else None
            if product is None or product.id in seen_ids:
                continue  # another store's id, a deleted item or a repeat: dropped, never shown
            seen_ids.add(product.id)
            seen = to_decimal(seens[index]) if index < len(seens) else None
            raw = (counts[index] if index < len(counts) else "").strip()[:20]
            counted = to_decimal(raw) if raw else None
            lines.append(stock.CountLine(product, seen if seen is not None else Decimal(-1),
                                         counted if counted is not None else raw))
            typed[product.id] = raw
        return cls(lines, typed)

    def add(self, product: Product) -> None:
        if any(line.product.id == product.id for line in self.lines):
            self.errors["code"] = [f"{product.product_name} is already on the sheet"]
            return
        if not product.tracks_stock:
            self.errors["code"] = [f"{product.product_name} is a {product.type}: it keeps no stock"]
            return
        self.lines.append(stock.CountLine(product, product.quantity, ""))
        self.typed[product.id] = ""

    def difference(self, line: stock.CountLine) -> Optional[Decimal]:
        if isinstance(line.counted, Decimal) and line.seen >= 0:
            return line.counted - line.seen
        return None


def _sheet(sheet: Sheet, status: int = 200, code: str = "", note: str = ""):
    return render_page_or_fragment("stock/stocktake.html", "stock/_sheet.html", status=status, sheet=sheet,
                                   code=code, note=note)


@bp.get("/stocktake")
@role_required("manager")
def stocktake():
    """An empty count sheet: scan or type items onto it, type what was counted, post it as one adjustment."""
    return _sheet(Sheet([], {}))


@bp.post("/stocktake/sheet")
@role_required("manager")
def stocktake_sheet():
    """Add an item to the sheet (exact barcode or SKU, else the name search: one match is added, several are
    offered), pick one of the offered items, or take a line off. Answers the sheet."""
    sheet = Sheet.from_form()
    code = (request.form.get("code") or "").strip()[:100]
    note = (request.form.get("note") or "").strip()[:255]
    action = request.form.get("action", "add")
    if action.startswith("remove-"):
        sheet.lines = [line for line in sheet.lines if str(line.product.id) != action[7:]]
        return _sheet(sheet, note=note)
    if action.startswith("pick-"):
        picked = action[5:]
        product = get_in_store(Product, g.store, id=int(picked), live=True) if picked.isdigit() and \
            len(picked) <= 10 else None
        if product is not None:
            sheet.add(product)
        return _sheet(sheet, 422 if sheet.errors else 200, note=note)
    if not code:
        if sheet.lines:  # Enter in a count box: the sheet again, the cursor back in the scan box
            return _sheet(sheet, note=note)
        sheet.errors["code"] = ["Scan a barcode or type a SKU or name"]
        return _sheet(sheet, 422, note=note)
    product = find_by_code(g.store, code)
    if product is None:
        found = search_catalog(g.store, code, type="product", page=1, limit=PICK_LIMIT)
        if len(found.items) == 1:
            product = found.items[0]
        elif found.items:
            sheet.picks = found.items
            return _sheet(sheet, code=code, note=note)
        else:
            sheet.errors["code"] = [f"No item matches “{code}”"]
            return _sheet(sheet, 422, code=code, note=note)
    sheet.add(product)
    return _sheet(sheet, 422 if sheet.errors else 200, code=code if sheet.errors else "", note=note)


@bp.post("/stocktake/line/<int:product_id>")
@role_required("manager")
def stocktake_line(product_id: int):
    """The difference cell of one line (counted − on hand), worked out as the count is typed; 422 on a bad one."""
    sheet = Sheet.from_form()
    line = next((line for line in sheet.lines if line.product.id == product_id), None)
    if line is None:
        return make_response("", 404)
    problems = stock.count_problems([line])
    message = next(iter(problems.get(f"counted-{product_id}", [])), None)
    return render_page_or_fragment("stock/_diff.html", "stock/_diff.html", status=422 if message else 200,
                                   line=line, diff=sheet.difference(line), message=message)


@bp.post("/stocktake")
@role_required("manager")
def post_stocktake():
    """Post the whole sheet as one adjustment (reason count); refused whole if any count is bad or any item's stock
    moved since it was added (the sheet then shows the stock now)."""
    sheet = Sheet.from_form()
    note = (request.form.get("note") or "").strip()[:255]
    try:
        moves = stock.post_count(g.store, current_user, sheet.lines, note)
    except stock.StockChanged as exc:
        db.session.rollback()
        sheet.changed = set(exc.changed)
        sheet.lines = [stock.CountLine(line.product, exc.changed.get(line.product.id, line.seen), line.counted)
                       for line in sheet.lines]
        sheet.errors = dict(exc.errors)
        return _sheet(sheet, 422, note=note)
    except ValidationError as exc:
        db.session.rollback()
        sheet.errors = dict(exc.errors)
        return _sheet(sheet, 422, note=note)
    db.session.commit()
    return _done(f"Stock count posted: {len(sheet.lines)} items counted, {len(moves)} changed.",
                 url_for(".stocktake"))
