"""Bills pages: the list (dates, status, search, sort, pages; HTMX with pushed URLs, and plain GET without
JavaScript), a bill's page (payments against dues, cancel) and held bills (resume, delete).

The rules are services.billing.bills's (record_payment, cancel_bill, list_bills, list_held) and
services.till.session's (resume, delete a held bill); printing, PDF and email are the documents blueprint's,
linked from here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import simplejson
from flask import Blueprint, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.decorators import role_required
from blueprints.documents import cached_pdf_response
from blueprints.htmx import render_page_or_fragment, wants_fragment
from blueprints.paging import page_arg
from extensions import db
from models import CreditNote
from services.accounts.access import has_role
from services.billing import bills as billing
from services.billing import returns as returning
from services.billing.fields import parse_decimal, to_date, to_decimal
from services.documents.credit_notes import credit_note_filename
from services.documents.invoices import (
    bill_for_role,
    default_recipient,
    is_stock_purchase,
    jewellery_details,
    payment_rows,
    share_url,
    state_label,
)
from services.documents.pdf_cache import credit_note_doc
from services.errors import FieldErrors, ValidationError
from services.formatting import inr
from services.jewellery.interest import bill_interest
from services.salon import appointments, memberships
from services.scoping import get_in_store
from services.till import session as till_service
from services.vocabulary import BILL_SORTS, BILL_STATUSES, DEFAULT_BILL_SORT, REFUND_MODES

bp = Blueprint("bills", __name__, url_prefix="/bills")

PAGE_SIZE = 20
SORTS = BILL_SORTS


@dataclass
class BillFilters:
    q: str = ""
    start: str = ""
    end: str = ""
    status: str = ""
    sort: str = DEFAULT_BILL_SORT
    page: int = 1

    def args(self, **changes) -> dict:
        values = {"q": self.q, "from": self.start, "to": self.end, "status": self.status, "sort": self.sort,
                  "page": self.page}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)
                and not (k == "sort" and v == DEFAULT_BILL_SORT)}


def _parse_day(raw: str, name: str, errors: dict) -> date | None:
    if not raw:
        return None
    day = to_date(raw)
    if day is None:
        errors[name] = ["Enter a date as YYYY-MM-DD."]
    return day


def _filters() -> tuple[BillFilters, dict, dict]:
    """The list's query string, checked: (filters, list_bills arguments, errors beside the fields)."""
    args = request.args
    errors: dict = {}
    filters = BillFilters(q=args.get("q", "").strip()[:100], start=args.get("from", "").strip(),
                          end=args.get("to", "").strip(), status=args.get("status", ""),
                          sort=args.get("sort", DEFAULT_BILL_SORT), page=page_arg())
    if filters.status and filters.status not in BILL_STATUSES:
        errors["status"] = ["Choose paid, partial, unpaid or cancelled."]
        filters.status = ""
    if filters.sort not in SORTS:
        errors["sort"] = ["Choose an order from the list."]
        filters.sort = DEFAULT_BILL_SORT
    zone = g.store.zone
    first, last = _parse_day(filters.start, "from", errors), _parse_day(filters.end, "to", errors)
    if first and last and first > last:
        errors["to"] = ["Must not be before the start date."]
        last = None
    # Days are the store's days: from its midnight to the next.
    query = {
        "q": filters.q or None, "status": filters.status or None, "sort": filters.sort, "page": filters.page,
        "limit": PAGE_SIZE,
        "start": datetime.combine(first, time.min, zone) if first else None,
        "end": datetime.combine(last + timedelta(days=1), time.min, zone) - timedelta(microseconds=1) if last else None,
    }
    return filters, query, errors


@bp.get("")
@role_required("cashier")
def index():
    """The store's bills: filter by dates, status and text (invoice number, customer, phone), sorted, paged."""
    filters, query, errors = _filters()
    found = billing.list_bills(g.store, **query)
    return render_page_or_fragment("bills/index.html", "bills/_results.html", found=found, bills=found.items,
                                   filters=filters, errors=errors, sorts=SORTS, statuses=BILL_STATUSES)


# --------------------------------------------------------------------------- one bill


def _bill(bill_id: int):
    return bill_for_role(g.store, g.membership.role, bill_id)


def _detail_context(bill, **extra) -> dict:
    context = {
        "bill": bill,
        "can_cancel": has_role(g.membership.role, "manager"),
        "email_page": {"email_url": url_for("documents.email", bill_id=bill.id),
                       "email_to": default_recipient(bill)},
        "share_link": share_url(bill),
        "place_of_supply": state_label(bill.place_of_supply),
        "payments": payment_rows(bill),
        "interest": bill_interest(bill),
        "line_memberships": memberships.line_memberships(bill),  # "Membership session (Gold)", the discount
        "appointment": appointments.billed_by(g.store, bill),  # the booking "Bill this appointment" saved it for
        **dict(zip(("jewellery_columns", "jewellery_lines"), jewellery_details(bill))),
        "errors": {},
        "typed": {},
        **_returns_context(bill),
    }
    context.update(extra)
    return context


@bp.get("/<int:bill_id>")
@role_required("cashier")
def detail(bill_id: int):
    """A saved bill: number, lines, totals, payments, status; print, PDF, email, take a payment, cancel."""
    bill = _bill(bill_id)
    if is_stock_purchase(bill):  # a purchase of stock has its own page (managers and owners)
        return redirect(url_for("purchases.detail", bill_id=bill.id), 303)
    return render_template("bills/detail.html", **_detail_context(bill))


def _done(bill, message: str):
    flash(message, "success")
    url = url_for("bills.detail", bill_id=bill.id)
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Location"] = simplejson.dumps({"path": url, "target": "body"})
        return response
    return redirect(url, 303)


def _form_refused(bill, fragment: str, exc: ValidationError):
    db.session.rollback()
    context = _detail_context(db.session.get(type(bill), bill.id), errors=exc.errors or {"__all__": [exc.message]},
                              typed=request.form)
    return render_page_or_fragment("bills/detail.html", fragment, status=422, **context)


@bp.post("/<int:bill_id>/payments")
@role_required("cashier")
def record_payment(bill_id: int):
    """Take a payment against the bill's dues."""
    bill = _bill(bill_id)
    errors = FieldErrors()
    amount = parse_decimal((request.form.get("amount") or "").strip() or None, "amount", errors)
    try:
        errors.raise_if()
        billing.record_payment(g.store, current_user, bill, billing.DraftPayment(
            mode=request.form.get("mode", ""), amount=amount,
            reference=(request.form.get("reference") or "").strip()[:100] or None))
    except ValidationError as exc:
        return _form_refused(bill, "bills/_record_payment.html", exc)
    db.session.commit()
    return _done(bill, f"Payment recorded. Dues now {bill.due_amount}.")


@bp.post("/<int:bill_id>/cancel")
@role_required("manager")
def cancel(bill_id: int):
    """Cancel the bill (managers and owners; the number is kept and the stock comes back)."""
    bill = _bill(bill_id)
    try:
        billing.cancel_bill(g.store, current_user, bill, billing.cancel_reason(request.form.get("reason"), bill))
    except ValidationError as exc:
        return _form_refused(bill, "bills/_cancel.html", exc)
    db.session.commit()
    return _done(bill, f"Bill {bill.invoice_number} cancelled; its stock is back on the shelf.")


# --------------------------------------------------------------------------- returns and credit notes


def _returns_context(bill) -> dict:
    """The bill page's "Return items" form (managers and owners, a sale not cancelled) and its credit notes."""
    lines = [(item, returning.left_to_return(item)) for item in bill.items]
    can_return = (has_role(g.membership.role, "manager") and bill.kind == "sale" and bill.cancelled_at is None
                  and any(left > 0 for _, left in lines))
    return {"can_return": can_return, "return_lines": lines, "credit_notes": returning.credit_notes_of(bill),
            "refund_modes": REFUND_MODES}


def _return_draft(bill) -> returning.ReturnDraft:
    """The "Return items" form as a ReturnDraft: a quantity per line (blank or 0: not returned), refund mode, reason."""
    errors = FieldErrors()
    lines = []
    for item in bill.items:
        key = f"line{item.line_no}"
        raw = (request.form.get(f"qty-{item.line_no}") or "").strip()
        if not raw:
            continue
        qty = to_decimal(raw)
        if qty is None:
            errors.add(f"{key}.qty", "Enter a number")
        elif qty < 0:
            errors.add(f"{key}.qty", "Must be 0 or more")
        elif qty > 0:
            lines.append(returning.ReturnLine(line_no=item.line_no, field=key,
                                              qty=int(qty) if qty == qty.to_integral_value() else qty))
    if not lines and not errors:
        errors.add("items", "Enter a quantity to return for at least one line.")
    reason = (request.form.get("reason") or "").strip() or None
    errors.raise_if()
    return returning.ReturnDraft(lines=lines, refund_mode=request.form.get("refund_mode") or None, reason=reason)


@bp.post("/<int:bill_id>/returns")
@role_required("manager")
def create_return(bill_id: int):
    """Return lines of the bill (managers and owners): a credit note, stock back, dues first, then a refund."""
    bill = _bill(bill_id)
    try:
        note = returning.create_return(g.store, current_user, bill, _return_draft(bill))
    except ValidationError as exc:
        return _form_refused(bill, "bills/_return.html", exc)
    db.session.commit()
    flash(f"Credit note {note.number} made for {inr(note.total_amount)}.", "success")
    url = url_for("bills.credit_note", note_id=note.id)
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Location"] = simplejson.dumps({"path": url, "target": "body"})
        return response
    return redirect(url, 303)


@bp.get("/credit-notes/<int:note_id>")
@role_required("cashier")
def credit_note(note_id: int):
    """A credit note: its number, the invoice it credits, the returned lines, and how it was settled."""
    note = get_in_store(CreditNote, g.store, id=note_id, message="Credit note not found")
    return render_template("bills/credit_note.html", note=note, bill=note.bill)


@bp.get("/credit-notes/<int:note_id>/credit-note.pdf")
@role_required("cashier")
def credit_note_pdf(note_id: int):
    """The credit note as an A4 PDF (GST rule 53)."""
    note = get_in_store(CreditNote, g.store, id=note_id, message="Credit note not found")
    return cached_pdf_response(credit_note_doc(note), credit_note_filename(note))


# --------------------------------------------------------------------------- held bills


@bp.get("/held")
@role_required("cashier")
def held():
    """Bills parked at the till (by the page or the API), newest first."""
    found = billing.list_held(g.store, page=page_arg(), limit=PAGE_SIZE)
    return render_page_or_fragment("bills/held.html", "bills/_held_rows.html", found=found, held=found.items,
                                   total=found.total, is_manager=has_role(g.membership.role, "manager"))


@bp.post("/held/<held_id>/resume")
@role_required("cashier")
def resume(held_id: str):
    """Bring a held bill back into the till (the bill on screen, if any, is held in its place)."""
    held_bill = till_service.held_in_store(g.store, held_id)
    till_session = till_service.load(g.store, current_user, for_update=True)
    skipped = till_service.resume(g.store, current_user, till_session, held_bill)
    db.session.commit()
    if skipped:
        flash(f"{skipped} item(s) of the held bill are no longer in the catalogue and were left out.", "error")
    if wants_fragment():
        # A full load, not HX-Location: the till's page brings its own script (the keyboard shortcuts).
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url_for("pos.index")
        return response
    return redirect(url_for("pos.index"), 303)


@bp.post("/held/<held_id>/delete")
@role_required("cashier")
def delete_held(held_id: str):
    """Delete a held bill (a cashier their own; managers any)."""
    held_bill = till_service.held_in_store(g.store, held_id)
    till_service.delete_held(g.store, current_user, held_bill)
    db.session.commit()
    if wants_fragment():
        return render_template("pos/_flash.html", oob=True, message="Held bill deleted.", category="success")
    flash("Held bill deleted.", "success")
    return redirect(url_for("bills.held"), 303)
