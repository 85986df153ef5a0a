"""Parties pages (issue 15): customers and suppliers with their balances, adding and editing them, a party's page
with its ledger over a date range, recording a payment received (or made) applied to the oldest dues first, a
statement PDF, a WhatsApp reminder link, and the outstanding receivables and payables by age.

Roles: cashiers may look customers up (the list and a customer's page, as at the till, where they also add
customers); adding and editing parties and recording a payment over several bills are for managers and owners, and
suppliers (like purchases) are for managers and owners only. Another store's party is a 404.
The rules are services.parties.parties's (a party's fields) and services.parties.ledger's (ledger, payments).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from blueprints.decorators import role_required
from blueprints.htmx import push_clean_url, render_page_or_fragment, wants_fragment
from blueprints.paging import page_arg
from extensions import db
from models import GENDERS, Customer, OpeningPayment, Party, PaymentMethod, Supplier
from services.accounts.access import has_role
from services.accounts.gstin import STATE_CODES
from services.billing.fields import to_decimal
from services.documents.invoices import document_filename, render_pdf
from services.errors import FieldErrors, ValidationError
from services.paging import paginate_capped
from services.parties import ledger, loyalty, wallet
from services.parties.parties import (
    CustomerInput,
    SupplierInput,
    create_customer,
    create_supplier,
    e164_phone,
    update_party,
)
from services.salon import memberships
from services.scoping import find_in_store
from services.vocabulary import PAYMENT_MODES, SUPPLIER_PAYMENT_MODES

bp = Blueprint("parties", __name__, url_prefix="/parties")

PAGE_SIZE = 20
KINDS = {"customers": "Customer", "suppliers": "Supplier"}
CUSTOMER_TEXT = {"name": 255, "email": 254, "phone_no": 30, "Customer_code": 50, "gstin": 15, "legal_name": 255,
                 "referred_by": 255, "address": 2000, "notes": 2000}
SUPPLIER_TEXT = {"name": 255, "code": 50, "phone_no": 30, "email": 254, "gstin": 15, "address": 2000}


# --------------------------------------------------------------------------- who may do what


def _open(kind: str) -> str:
    """The party type of a URL's kind, after the role check: suppliers are for managers and owners."""
    if kind not in KINDS:
        abort(404)
    if kind == "suppliers" and not has_role(g.membership.role, "manager"):
        abort(403, description="Your role in this store does not allow this page.")
    return KINDS[kind]


def _may_manage() -> bool:
    return has_role(g.membership.role, "manager")


def _party(kind: str, party_id: int) -> Party:
    """The store's customer or supplier; another store's or a missing id is the same 404."""
    party = find_in_store(Party, g.store, id=party_id)
    if party is None or party.Category_type != KINDS[kind]:
        abort(404, description="Not found in this store.")
    return party


# --------------------------------------------------------------------------- lists


def _search(category: str, q: str):
    """Customers (or suppliers) of the store by name, phone, code or GSTIN, by name."""
    record = Customer if category == "Customer" else Supplier
    code = Customer.Customer_code if category == "Customer" else Supplier.code
    query = (select(Party).join(record, record.party_id == Party.id)
             .where(Party.store_id == g.store.id, Party.Category_type == category)
             .options(contains_eager(Party.customer if category == "Customer" else Party.supplier)))
    if q:
        terms = [column.icontains(q, autoescape=True) for column in (record.name, record.phone_no, code, record.gstin)]
        phone = e164_phone(q)
        if phone:
            terms.append(record.phone_no == phone)
        query = query.where(or_(*terms))
    return query.order_by(record.name, Party.id)


@bp.get("")
@role_required("cashier")
def index():
    return redirect(url_for("parties.parties_list", kind="customers"))


@bp.get("/<kind>")
@role_required("cashier")
def parties_list(kind: str):
    """Customers (or suppliers), searched, paged, each with its balance and last bill (one aggregate query)."""
    category = _open(kind)
    q = request.args.get("q", "").strip()[:100]
    found = paginate_capped(_search(category, q), page_arg(), PAGE_SIZE)
    standing = ledger.balances(g.store, found.items)
    args = {"kind": kind, **({"q": q} if q else {})}
    response = render_page_or_fragment("parties/index.html", "parties/_results.html", found=found,
                                       parties=found.items, standing=standing, q=q, kind=kind, args=args,
                                       can_manage=_may_manage())
    return push_clean_url(response, "parties.parties_list", found.page, kind=kind, q=q)


# --------------------------------------------------------------------------- adding and editing


def _text(name: str, limit: int, errors: FieldErrors) -> Optional[str]:
    value = (request.form.get(name) or "").strip()
    if len(value) > limit:
        errors.add(name, f"At most {limit} characters")
    return value or None


def _amount(name: str, errors: FieldErrors) -> Decimal:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return Decimal("0.00")
    value = to_decimal(raw)
    if value is None:
        errors.add(name, "Enter an amount")
    elif value != value.quantize(Decimal("0.01")):
        errors.add(name, "At most 2 decimal places")
    elif value > Decimal("9999999999.99"):
        errors.add(name, "Too large")
    else:
        return value
    return Decimal("0.00")


def _customer_input() -> CustomerInput:
    """The customer form as a CustomerInput (every field given), or ValidationError naming each bad field."""
    errors = FieldErrors()
    values: dict[str, Any] = {name: _text(name, limit, errors) for name, limit in CUSTOMER_TEXT.items()}
    values["name"] = values["name"] or ""
    values["notes"] = values["notes"] or ""
    for name in ("open_balance", "credit_limmit"):
        values[name] = _amount(name, errors)
    state = (request.form.get("state_code") or "").strip()
    values["state_code"] = state or None
    gender = (request.form.get("gender") or "").strip()
    if gender and gender not in GENDERS:
        errors.add("gender", "Must be one of: " + ", ".join(GENDERS))
    values["gender"] = gender or None
    method = (request.form.get("payment_method_id") or "").strip()
    values["payment_method_id"] = int(method) if method.isdigit() and len(method) < 9 else None
    if method and values["payment_method_id"] is None:
        errors.add("payment_method_id", "Payment method not found.")
    points = (request.form.get("loyalty_points") or "0").strip()
    if not points.isdigit() or len(points) > 9:
        errors.add("loyalty_points", "Enter a whole number of 0 or more")
    values["loyalty_points"] = int(points) if points.isdigit() and len(points) <= 9 else 0
    values["is_active"] = request.form.get("is_active") == "on"
    errors.raise_if()
    return CustomerInput.of(**values)


def _supplier_input() -> SupplierInput:
    errors = FieldErrors()
    values: dict[str, Any] = {name: _text(name, limit, errors) for name, limit in SUPPLIER_TEXT.items()}
    values["name"], values["code"] = values["name"] or "", values["code"] or ""
    values["open_balance"] = _amount("open_balance", errors)
    values["is_active"] = request.form.get("is_active") == "on"
    errors.raise_if()
    return SupplierInput.of(**values)


def _form_values(party: Optional[Party]) -> dict[str, Any]:
    record = (party.customer or party.supplier) if party is not None else None
    if record is None:
        return {"is_active": True}
    names = CUSTOMER_TEXT if party.customer is not None else SUPPLIER_TEXT
    values = {name: getattr(record, name) or "" for name in names}
    values["open_balance"] = str(record.open_balance)
    if party.customer is not None:
        for name in ("open_balance", "credit_limmit", "loyalty_points", "state_code", "gender", "payment_method_id"):
            value = getattr(record, name)
            values[name] = "" if value is None else str(value)
    values["is_active"] = party.is_active
    return values


def _form(kind: str, party: Optional[Party], typed=None, errors=None, status: int = 200):
    methods = db.session.execute(select(PaymentMethod).order_by(PaymentMethod.id)).scalars().all()
    values = typed if typed is not None else _form_values(party)
    return make_response(render_template(
        "parties/form.html", kind=kind, party=party, values=values, errors=errors or {}, genders=GENDERS,
        states=STATE_CODES, methods=methods), status)


@bp.route("/<kind>/new", methods=["GET", "POST"])
@role_required("manager")
def new(kind: str):
    """Add a customer (every contract field, GSTIN, state, gender) or a supplier."""
    _open(kind)
    if request.method == "GET":
        return _form(kind, None)
    try:
        if kind == "customers":
            party = create_customer(g.store, current_user, _customer_input())
        else:
            party = create_supplier(g.store, current_user, _supplier_input())
    except ValidationError as exc:
        db.session.rollback()
        return _form(kind, None, _typed(), exc.errors or {"__all__": [exc.message]}, 422)
    db.session.commit()
    flash(f"{party.display_name} added.", "success")
    return redirect(url_for("parties.detail", kind=kind, party_id=party.id), 303)


def _typed() -> dict[str, Any]:
    typed = {key: value for key, value in request.form.items() if key != "csrf_token"}
    typed["is_active"] = request.form.get("is_active") == "on"
    return typed


@bp.route("/<kind>/<int:party_id>/edit", methods=["GET", "POST"])
@role_required("manager")
def edit(kind: str, party_id: int):
    _open(kind)
    party = _party(kind, party_id)
    if request.method == "GET":
        return _form(kind, party)
    try:
        data = _customer_input() if kind == "customers" else _supplier_input()
        update_party(g.store, current_user, party, data)
    except ValidationError as exc:
        db.session.rollback()
        return _form(kind, _party(kind, party_id), _typed(), exc.errors or {"__all__": [exc.message]}, 422)
    db.session.commit()
    flash(f"{party.display_name} saved.", "success")
    return redirect(url_for("parties.detail", kind=kind, party_id=party.id), 303)


# --------------------------------------------------------------------------- a party's page


def _span() -> tuple[ledger.DateRange, dict]:
    """The range asked for, and field errors (an inverted or unreadable range: no ledger is shown)."""
    try:
        return ledger.parse_range(request.args.get("from"), request.args.get("to")), {}
    except ValidationError as exc:
        return ledger.DateRange(), exc.errors or {"from": [exc.message]}


def _detail(kind: str, party: Party, status: int = 200, pay_errors=None, typed=None, fragment: str = "",
            wallet_errors=None, wallet_typed=None, adjust_errors=None, adjust_typed=None):
    span, range_errors = _span()
    book = None if range_errors else ledger.ledger(g.store, party, span)
    balance = ledger.balance_of(g.store, party)
    dues = ledger.total_dues(g.store, party)
    reminder = ledger.whatsapp_link(g.store, party, balance) if kind == "customers" else None
    context = dict(kind=kind, party=party, record=party.customer or party.supplier, book=book, span=span,
                   range_errors=range_errors, balance=balance, dues=dues, reminder=reminder,
                   open_bills=ledger.open_bills(g.store, party), opening_due=ledger.opening_due(party),
                   can_manage=_may_manage(),
                   payment_modes=PAYMENT_MODES if kind == "customers" else SUPPLIER_PAYMENT_MODES,
                   errors=pay_errors or {}, typed=typed or {},
                   labels=ledger.LABELS, raw_from=request.args.get("from", "")[:10],
                   raw_to=request.args.get("to", "")[:10],
                   range_args={key: str(day) for key, day in (("from", span.start), ("to", span.end)) if day},
                   points=loyalty.entries(g.store, party.id) if party.customer is not None else None,
                   wallet_entries=wallet.entries(g.store, party.id) if party.customer else None,
                   wallet_labels=wallet.KIND_LABELS, top_up_modes=wallet.TOP_UP_MODES,
                   wallet_errors=wallet_errors or {}, wallet_typed=wallet_typed or {},
                   adjust_reasons=wallet.ADJUST_REASONS, adjust_errors=adjust_errors or {},
                   adjust_typed=adjust_typed or {},
                   held_plans=memberships.plans_held(g.store, party) if party.customer is not None else [])
    if fragment:
        return render_page_or_fragment("parties/detail.html", fragment, status, **context)
    return make_response(render_template("parties/detail.html", **context), 422 if range_errors else status)


@bp.get("/<kind>/<int:party_id>")
@role_required("cashier")
def detail(kind: str, party_id: int):
    """The party's page: details, balance, dues per bill, the ledger over a date range (an inverted range is an
    error, and no ledger is shown as if it were filtered), the payment form, statement and reminder links."""
    _open(kind)
    return _detail(kind, _party(kind, party_id))


@bp.post("/<kind>/<int:party_id>/payments")
@role_required("manager")
def record_payment(kind: str, party_id: int):
    """A payment received from the customer (or made to the supplier), applied to the oldest dues first."""
    _open(kind)
    party = _party(kind, party_id)
    raw = (request.form.get("amount") or "").strip()[:30]
    amount = to_decimal(raw) if raw else None
    try:
        if raw and amount is None:
            raise ValidationError.field("amount", "Enter the amount as a number")
        rows = ledger.receive_payment(g.store, current_user, party, amount, request.form.get("mode"),
                                      (request.form.get("reference") or "").strip()[:100] or None)
    except ValidationError as exc:
        db.session.rollback()
        party = _party(kind, party_id)
        return _detail(kind, party, 422, exc.errors or {"amount": [exc.message]}, request.form,
                       fragment="parties/_payment.html")
    db.session.commit()
    flash(_paid_message(rows), "success")
    url = url_for("parties.detail", kind=kind, party_id=party.id)
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


@bp.post("/customers/<int:party_id>/wallet")
@role_required("cashier")
def top_up(party_id: int):
    """Money received from the customer into their wallet (cash, card or UPI): that day's money in."""
    party = _party("customers", party_id)
    raw = (request.form.get("amount") or "").strip()[:30]
    try:
        entry = wallet.top_up(g.store, current_user, party, to_decimal(raw) if raw else None,
                              request.form.get("pay_mode"), (request.form.get("reference") or "").strip()[:100])
    except ValidationError as exc:
        db.session.rollback()
        return _detail("customers", _party("customers", party_id), 422, wallet_errors=exc.errors or
                       {"amount": [exc.message]}, wallet_typed=request.form, fragment="parties/_wallet_form.html")
    db.session.commit()
    flash(f"{entry.amount:.2f} added to the wallet; balance {entry.balance:.2f}.", "success")
    return _back_to_customer(party)


def _back_to_customer(party: Party):
    """After a wallet change: the customer's page again (an HTMX form is sent there whole)."""
    url = url_for("parties.detail", kind="customers", party_id=party.id)
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


@bp.post("/customers/<int:party_id>/wallet/adjust")
@role_required("manager")
def adjust_wallet(party_id: int):
    """An owner's or manager's adjustment of the wallet (+ puts in, - takes out, never below zero), with a reason
    and a note; audited. No money received: not in the day close."""
    party = _party("customers", party_id)
    raw = (request.form.get("amount") or "").strip()[:30]
    try:
        entry = wallet.adjust(g.store, current_user, party, to_decimal(raw) if raw else None,
                              request.form.get("reason"), (request.form.get("note") or "")[:1000])
    except ValidationError as exc:
        db.session.rollback()
        return _detail("customers", _party("customers", party_id), 422, adjust_errors=exc.errors or
                       {"amount": [exc.message]}, adjust_typed=request.form, fragment="parties/_wallet_adjust.html")
    db.session.commit()
    flash(f"Wallet adjusted by {entry.amount:+.2f}; balance {entry.balance:.2f}.", "success")
    return _back_to_customer(party)


def _paid_message(rows: list) -> str:
    """"Payment of 250.00 recorded: 100.00 to the opening balance, 150.00 over 2 bills." """
    opening = sum((row.amount for row in rows if isinstance(row, OpeningPayment)), Decimal(0))
    bills = [row for row in rows if not isinstance(row, OpeningPayment)]
    parts = [f"{opening:.2f} to the opening balance"] if opening else []
    if bills:
        parts.append(f"{sum(row.amount for row in bills):.2f} over {len(bills)} bill{'' if len(bills) == 1 else 's'}")
    return f"Payment of {sum(row.amount for row in rows):.2f} recorded: {', '.join(parts)}."


@bp.get("/<kind>/<int:party_id>/statement.pdf")
@role_required("cashier")
def statement(kind: str, party_id: int):
    """The ledger over the date range as an A4 PDF (xhtml2pdf, as invoices)."""
    _open(kind)
    party = _party(kind, party_id)
    span, range_errors = _span()
    if range_errors:
        return _detail(kind, party)
    book = ledger.ledger(g.store, party, span)
    html = render_template("parties/statement.html", store=g.store, party=party, book=book, labels=ledger.LABELS,
                           record=party.customer or party.supplier, kind=kind)
    pdf = render_pdf(html, g.store, "statement", party.display_name)
    response = make_response(pdf.data)
    response.mimetype = "application/pdf"
    # ASCII only (a header): the party's code or id, and the range
    code = (party.customer.Customer_code if party.customer is not None else party.supplier.code) or str(party.id)
    days = "-".join(str(day) for day in (span.start, span.end) if day)
    name = document_filename("statement-" + "".join(ch for ch in f"{code}-{days}".strip("-") if ch.isascii()),
                             "statement")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --------------------------------------------------------------------------- outstanding


@bp.get("/outstanding")
@role_required("manager")
def outstanding():
    """Receivables and payables: dues per party in ageing buckets by bill date, the total row apart."""
    return render_template("parties/outstanding.html", receivables=ledger.ageing(g.store, "sale"),
                           payables=ledger.ageing(g.store, "purchase"), buckets=ledger.BUCKETS)
