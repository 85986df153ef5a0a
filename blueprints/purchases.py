"""Purchases pages (issue 14): the list with the stock value, entering a supplier's bill line by line (HTMX line
builder: scan or search, quantity, cost price, GST; pick or quickly add the supplier), a purchase's page with the
payments made to the supplier and the balance owed, recording a payment and cancelling.

Owners and managers only (cashiers: 403). The purchase being entered lives in the form itself (one row of fields
per line) and every change re-prices it through the engine (services.billing.bills.price_draft); Save goes through
save_bill (kind "purchase") once per Idempotency-Key (blueprints.idempotency.run_once), the view committing once.
The rules are services.purchases's (supplier invoice numbers, costs) and services.billing.bills's (record_payment,
cancel_bill).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Optional

import simplejson
from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.decorators import role_required
from blueprints.htmx import render_page_or_fragment, wants_fragment
from blueprints.idempotency import run_once
from blueprints.paging import page_arg
from extensions import db
from models import Bill, Party, Product
from services.accounts.gstin import STATE_CODES, gstin_error
from services.accounts.gstin import normalise as normalise_gstin
from services.billing import bills as billing
from services.billing import idempotency
from services.billing.fields import to_date, to_decimal
from services.bounds import MAX_QTY, money_problem
from services.catalog import search
from services.documents.invoices import payment_rows, state_label
from services.errors import Conflict, FieldErrors, ValidationError
from services.parties.parties import SupplierInput, create_supplier
from services.purchases import costs
from services.purchases import purchases as purchasing
from services.scoping import find_in_store, get_in_store
from services.vocabulary import PAYMENT_MODES, SUPPLIER_PAYMENT_MODES

bp = Blueprint("purchases", __name__, url_prefix="/purchases")

PAGE_SIZE = 20
MAX_LINES = 200
GST_RATES = ("0", "0.25", "3", "5", "12", "18", "28", "40")  # a line's GST, split half CGST and half SGST
IN_FLIGHT_WAIT_SECONDS = 5.0


# --------------------------------------------------------------------------- the form as typed


@dataclass
class Row:
    """One line of the purchase as typed (strings, re-rendered as they were) and its product."""

    product: Product
    qty: str = "1"
    cost: str = ""
    gst: str = "0"
    amounts: Any = None


@dataclass
class PurchaseForm:
    rows: list[Row] = field(default_factory=list)
    supplier_id: str = ""
    supplier_invoice_no: str = ""
    supplier_invoice_date: str = ""
    paid: str = ""
    mode: str = "cash"
    key: str = ""
    totals: Any = None


def _gst_of(product: Product) -> str:
    rate = (product.cgst_rate or Decimal(0)) + (product.sgst_rate or Decimal(0))
    text = format(rate.normalize(), "f") if rate else "0"
    return text if text in GST_RATES else "0"


def _new_row(product: Product) -> Row:
    """A line for a product just added: qty 1 at its last cost (else empty) and its own GST rate."""
    cost = format(product.last_cost.quantize(Decimal("0.01")), "f") if product.last_cost is not None else ""
    return Row(product=product, cost=cost, gst=_gst_of(product))


def _money_problem(value: Decimal) -> Optional[str]:
    """Why a typed amount is not money: below 0, beyond the column (checked before any rounding), over 2 decimals."""
    if value < 0:
        return "Must be at least 0"
    if problem := money_problem(value):
        return problem
    return "At most 2 decimals" if value.as_tuple().exponent < -2 else None


def _nth(values: list[str], index: int, default: str) -> str:
    return values[index].strip()[:20] if index < len(values) else default


def _read_form() -> PurchaseForm:
    """The form's fields as typed; lines whose product is not a live product of the store are dropped."""
    data = request.form
    ids, qtys, cost_values, gsts = (data.getlist(name) for name in ("product_id", "qty", "cost", "gst"))
    wanted = [int(raw) for raw in ids[:MAX_LINES] if raw.isdigit()]
    loaded = {p.id: p for p in db.session.execute(
        db.select(Product).where(Product.store_id == g.store.id, Product.archived.is_(False),
                                 Product.id.in_(wanted))).scalars()} if wanted else {}
    rows = []
    for index, raw in enumerate(ids[:MAX_LINES]):
        product = loaded.get(int(raw)) if raw.isdigit() else None
        if product is None:
            continue
        rows.append(Row(product=product, qty=_nth(qtys, index, "1"), cost=_nth(cost_values, index, ""),
                        gst=_nth(gsts, index, "0")))
    return PurchaseForm(
        rows=rows, supplier_id=(data.get("supplier_id") or "").strip(),
        supplier_invoice_no=(data.get("supplier_invoice_no") or "").strip()[:50],
        supplier_invoice_date=(data.get("supplier_invoice_date") or "").strip()[:10],
        paid=(data.get("paid") or "").strip()[:20], mode=(data.get("mode") or "cash").strip(),
        key=(data.get("idempotency_key") or "").strip()[:idempotency.MAX_KEY_LENGTH + 1],
    )


def _draft_lines(form: PurchaseForm, errors: FieldErrors) -> list[billing.DraftLine]:
    """The typed lines as DraftLines (cost price before GST); each unreadable field adds an error beside it."""
    lines = []
    for index, row in enumerate(form.rows):
        where = f"items[{index}]"
        qty, cost = to_decimal(row.qty), to_decimal(row.cost)
        if qty is None:
            errors.add(f"{where}.qty", "Enter a quantity")
        elif qty <= 0:
            errors.add(f"{where}.qty", "Must be more than 0")
        elif qty > MAX_QTY:
            errors.add(f"{where}.qty", f"Must be at most {MAX_QTY}")
            qty = None
        if cost is None:
            errors.add(f"{where}.rate", "Enter the cost price" if not row.cost else "Enter the cost price as a number")
        elif problem := _money_problem(cost):
            errors.add(f"{where}.rate", problem)
            cost = None
        if row.gst not in GST_RATES:
            errors.add(f"{where}.gst", "Choose a GST rate from the list")
        if qty is None or qty <= 0 or cost is None or cost < 0 or row.gst not in GST_RATES:
            continue
        half = Decimal(row.gst) / 2
        lines.append(billing.DraftLine(
            product=row.product, qty=int(qty) if qty == qty.to_integral_value() else qty, unit_price=cost,
            cgst_rate=half, sgst_rate=half, price_includes_tax=False, field=where))
    return lines


def _supplier(form: PurchaseForm, errors: FieldErrors) -> Optional[Party]:
    party = find_in_store(Party, g.store, id=int(form.supplier_id)) if form.supplier_id.isdigit() else None
    if party is None or party.Category_type != "Supplier":
        errors.add("supplier", "Choose the supplier (or add a new one)")
        return None
    return party


def _place_of_supply(party: Optional[Party]) -> Optional[str]:
    """A supplier in another state (its GSTIN's state) makes the purchase inter-state: IGST instead of CGST+SGST."""
    gstin = party.supplier.gstin if party is not None and party.supplier is not None else None
    return gstin[:2] if gstin and gstin[:2] in STATE_CODES else None


def _draft(form: PurchaseForm) -> billing.BillDraft:
    """The whole form as a purchase BillDraft, or ValidationError naming every field that is wrong."""
    errors = FieldErrors()
    party = _supplier(form, errors)
    lines = _draft_lines(form, errors)
    if not form.rows:
        errors.add("items", "Add at least one product")
    day = None
    if form.supplier_invoice_date:
        day = to_date(form.supplier_invoice_date)
        if day is None:
            errors.add("supplier_invoice_date", "Enter a date as YYYY-MM-DD")
        elif day > g.store.local_today():
            errors.add("supplier_invoice_date", "Must not be after today")
    payments = []
    if form.paid:
        amount = to_decimal(form.paid)
        if amount is None or amount < 0:
            errors.add("paid", "Enter an amount of 0 or more")
        elif problem := _money_problem(amount):
            errors.add("paid", problem)
        elif amount > 0:
            if form.mode not in PAYMENT_MODES:
                errors.add("mode", "Must be one of: " + ", ".join(PAYMENT_MODES))
            payments.append(billing.DraftPayment(mode=form.mode, amount=amount))
    errors.raise_if()
    columns: dict[str, Any] = {"supplier_invoice_no": form.supplier_invoice_no or None}
    if day is not None:
        columns["supplier_invoice_date"] = day
    return billing.BillDraft(lines=lines, customer=party, payments=payments, kind="purchase", source="pos",
                             place_of_supply=_place_of_supply(party), columns=columns)


def _price(form: PurchaseForm) -> None:
    """Fill each row's amounts and the form's totals from the engine, when every line can be read."""
    problems = FieldErrors()
    lines = _draft_lines(form, problems)
    if problems or not lines:
        return
    party = None
    if form.supplier_id.isdigit():
        party = find_in_store(Party, g.store, id=int(form.supplier_id))
    draft = billing.BillDraft(lines=lines, kind="purchase", place_of_supply=_place_of_supply(party))
    try:
        priced = billing.price_draft(g.store, draft)
    except (ValidationError, ArithmeticError):
        return
    for row, amounts in zip(form.rows, priced.lines):
        row.amounts = amounts
    form.totals = priced.totals


def _context(form: PurchaseForm, errors: Optional[dict] = None, **extra) -> dict:
    errors = errors or {}
    _price(form)
    if not form.key:
        form.key = secrets.token_hex(16)
    suppliers = purchasing.suppliers(g.store)
    return {"form": form, "errors": errors, "suppliers": suppliers, "gst_rates": GST_RATES,
            "payment_modes": SUPPLIER_PAYMENT_MODES, "results": None, "q": "", "new_supplier": {}, **extra}


def _form_page(form: PurchaseForm, status: int = 200, errors: Optional[dict] = None, fragment: str = "", **extra):
    """The purchase form: the whole page, or (HTMX) one of its parts."""
    context = _context(form, errors, **extra)
    return render_page_or_fragment("purchases/new.html", fragment or "purchases/_form.html", status, **context)


# --------------------------------------------------------------------------- the list


@bp.get("")
@role_required("manager")
def index():
    """The store's purchases, newest first (search: supplier, our number, the supplier's invoice number), paged;
    the stock value at average cost above them."""
    q = request.args.get("q", "").strip()[:100]
    page = page_arg()
    found = purchasing.list_purchases(g.store, q=q or None, page=page, limit=PAGE_SIZE)
    args = {"q": q} if q else {}
    return render_page_or_fragment("purchases/index.html", "purchases/_results.html", found=found,
                                   purchases=found.items, q=q, args=args,
                                   # the figure is on the page above the results, not in their fragment
                                   stock_value=None if wants_fragment() else costs.stock_value(g.store))


# --------------------------------------------------------------------------- entering a purchase


@bp.get("/new")
@role_required("manager")
def new():
    """An empty purchase: the supplier, their invoice number and date, and the lines."""
    return _form_page(PurchaseForm(), fragment="purchases/_form.html")


@bp.get("/products")
@role_required("manager")
def products():
    """Search the catalogue (name, SKU, barcode) for a product to add; the till's one search rule."""
    q = (request.args.get("q") or request.args.get("code") or "").strip()[:100]  # the scan box is named "code"
    results = search.quick_search(g.store, q, page=page_arg(), limit=8) if q else None
    if not wants_fragment():
        return _form_page(PurchaseForm(), results=results, q=q)
    return render_template("purchases/_search_results.html", results=results, q=q)


@bp.post("/new/lines")
@role_required("manager")
def lines():
    """Change the lines: add a product (a result's button, or a scanned code), remove one, or re-price them."""
    form = _read_form()
    errors: dict = {}
    status = 200
    add, code, remove = request.form.get("add", ""), (request.form.get("code") or "").strip(), request.form.get(
        "remove", "")
    if add.isdigit() or code:
        product = (find_in_store(Product, g.store, id=int(add)) if add.isdigit()
                   else search.find_by_code(g.store, code))
        if product is None or product.archived:
            errors["code"] = [f"No product has the code {code}." if code else "Product not found in this store."]
            status = 422
        elif len(form.rows) >= MAX_LINES:
            errors["items"] = [f"A purchase holds at most {MAX_LINES} lines."]
            status = 422
        else:
            existing = next((row for row in form.rows if row.product.id == product.id), None)
            if existing is not None and code:  # a second scan of the same code: one more unit
                number = to_decimal(existing.qty)
                existing.qty = format(number + 1, "f") if number is not None else existing.qty
            else:
                form.rows.append(_new_row(product))
    elif remove.isdigit() and int(remove) < len(form.rows):
        form.rows.pop(int(remove))
    problems = FieldErrors()
    _draft_lines(form, problems)
    # A cost not typed yet is no mistake while the lines are being built (Save asks for it); anything typed wrong is.
    typed_wrong = {key: messages for key, messages in problems.items() if messages != ["Enter the cost price"]}
    if typed_wrong:
        errors.update(typed_wrong)
        status = 422
    return _form_page(form, status, errors, fragment="purchases/_lines.html")


@bp.post("/suppliers")
@role_required("manager")
def add_supplier():
    """Quickly add a supplier (name, phone, GSTIN) and choose it for this purchase."""
    form = _read_form()
    typed = {name: (request.form.get(f"new_supplier_{name}") or "").strip() for name in ("name", "phone", "gstin")}
    try:
        if len(typed["name"]) > 255:
            raise ValidationError.field("name", "At most 255 characters")
        gstin = normalise_gstin(typed["gstin"]) or None
        if gstin and (problem := gstin_error(gstin)):  # its state decides CGST+SGST or IGST on the purchase
            raise ValidationError.field("gstin", problem)
        code = "".join(ch for ch in typed["name"].upper() if ch.isalnum())[:8] + "-" + secrets.token_hex(2).upper()
        party = create_supplier(g.store, current_user, SupplierInput.of(
            name=typed["name"], code=code, phone_no=typed["phone"] or None, gstin=gstin))
    except ValidationError as exc:
        db.session.rollback()
        errors = {f"new_supplier_{key}": messages for key, messages in (exc.errors or {"name": [exc.message]}).items()}
        return _form_page(form, 422, errors, fragment="purchases/_supplier.html", new_supplier=typed)
    db.session.commit()
    form.supplier_id = str(party.id)
    return _form_page(form, fragment="purchases/_supplier.html",
                      message=f"Supplier {party.supplier.name} added.")


@bp.post("/new")
@role_required("manager")
def save():
    """Save the purchase (numbered PUR..., stock up, costs kept) once per Idempotency-Key, then show it."""
    form = _read_form()
    key = form.key
    if not key or len(key) > idempotency.MAX_KEY_LENGTH:
        form.key = ""
        return _form_page(form, 422, {"__all__": ["This page is out of date: check the purchase and save again."]})

    def run() -> tuple[int, dict, int]:
        bill = billing.save_bill(g.store, current_user, _draft(form))
        return 303, {"bill_id": bill.id}, bill.id

    try:
        outcome = run_once(g.store.id, key, {"purchase_key": key}, run, method="POST", path=url_for("purchases.save"),
                           wait_seconds=IN_FLIGHT_WAIT_SECONDS)
    except Conflict as exc:
        return _form_page(form, 409, {"__all__": [exc.message]})
    except ValidationError as exc:
        return _form_page(form, 422, exc.errors or {"__all__": [exc.message]})
    bill = db.session.get(Bill, simplejson.loads(outcome.body)["bill_id"])
    if not outcome.replayed:
        flash(f"Purchase {bill.invoice_number} saved; stock added.", "success")
    return _to_purchase(bill)


def _to_purchase(bill: Bill):
    url = url_for("purchases.detail", bill_id=bill.id)
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Location"] = simplejson.dumps({"path": url, "target": "body"})
        return response
    return redirect(url, 303)


# --------------------------------------------------------------------------- one purchase


def _purchase(bill_id: int) -> Bill:
    bill = get_in_store(Bill, g.store, id=bill_id, message="Purchase not found")
    if bill.kind != "purchase":
        abort(404, description="Purchase not found")
    return bill


def _detail_context(bill: Bill, **extra) -> dict:
    return {"bill": bill, "payments": payment_rows(bill), "payment_modes": SUPPLIER_PAYMENT_MODES,
            "place_of_supply": state_label(bill.place_of_supply), "errors": {}, "typed": {}, **extra}


@bp.get("/<int:bill_id>")
@role_required("manager")
def detail(bill_id: int):
    """A purchase: supplier, their invoice number and date, lines, taxes, totals, payments made and balance owed."""
    return render_template("purchases/detail.html", **_detail_context(_purchase(bill_id)))


def _refused(bill: Bill, fragment: str, exc: ValidationError):
    db.session.rollback()
    context = _detail_context(db.session.get(Bill, bill.id), errors=exc.errors or {"__all__": [exc.message]},
                              typed=request.form)
    return render_page_or_fragment("purchases/detail.html", fragment, status=422, **context)


@bp.post("/<int:bill_id>/payments")
@role_required("manager")
def record_payment(bill_id: int):
    """Record a payment made to the supplier against what the purchase still owes (bills.record_payment)."""
    bill = _purchase(bill_id)
    raw = (request.form.get("amount") or "").strip()
    amount = to_decimal(raw) if raw else None
    try:
        if amount is None:
            raise ValidationError.field("amount", "Enter an amount")
        if problem := _money_problem(amount):
            raise ValidationError.field("amount", problem)
        billing.record_payment(g.store, current_user, bill, billing.DraftPayment(
            mode=request.form.get("mode", ""), amount=amount,
            reference=(request.form.get("reference") or "").strip()[:100] or None))
    except ValidationError as exc:
        return _refused(bill, "purchases/_payment.html", exc)
    db.session.commit()
    flash(f"Payment to the supplier recorded. Still owed: {bill.due_amount}.", "success")
    return _to_purchase(bill)


@bp.post("/<int:bill_id>/cancel")
@role_required("manager")
def cancel(bill_id: int):
    """Cancel the purchase (its stock goes back out; the PUR number stays used)."""
    bill = _purchase(bill_id)
    try:
        billing.cancel_bill(g.store, current_user, bill, billing.cancel_reason(request.form.get("reason"), bill))
    except ValidationError as exc:
        return _refused(bill, "purchases/_cancel.html", exc)
    db.session.commit()
    flash(f"Purchase {bill.invoice_number} cancelled; its stock is taken back out.", "success")
    return _to_purchase(bill)
