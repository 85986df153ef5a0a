"""The bill builder at the till (/pos): HTMX partials over the till session kept on the server (services.till.session).

Every change re-prices through the engine and swaps the changed part plus the totals out of band; the rules are
services.billing.bills's (through services.till.session), so the page and the API agree. Without JavaScript every
form still posts and redirects back (303). Save sends an Idempotency-Key (blueprints.idempotency.run_once, which
waits for a Save still in flight): a double click makes one bill.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable
from urllib.parse import quote

import simplejson
from flask import Blueprint, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from blueprints.decorators import role_required
from blueprints.htmx import wants_fragment
from blueprints.idempotency import run_once
from blueprints.paging import page_arg
from extensions import db
from models import Bill
from services.accounts.access import has_role
from services.accounts.billing_options import billing_options
from services.billing import idempotency
from services.catalog.scale import scale_item
from services.catalog.search import find_by_code, quick_search, search_customers
from services.documents.invoices import default_recipient, share_url
from services.errors import Conflict, PermissionDenied, ValidationError
from services.formatting import inr
from services.till import session as till_service
from services.vocabulary import CASH

bp = Blueprint("pos", __name__, url_prefix="/pos")

SEARCH_LIMIT = 8
IDEMPOTENCY_HEADER = "Idempotency-Key"
IN_FLIGHT_WAIT_SECONDS = 10.0


# --------------------------------------------------------------------------- helpers


def _user():
    return current_user._get_current_object()


STALE_BILL = ("That change was for a bill already saved, held or cleared (here or in another window): it was not "
              "applied. The till shows the bill on screen now.")


class StaleBill(Exception):
    """A change posted from a bill that is no longer the till's (its `bill_key` is not the session's key)."""


def _till_session(lock: bool = True, *, check_key: bool = True):
    """The cashier's till session; with `lock`, a change to it: refused (StaleBill) when the page that posted it
    showed another bill (the builder sends its bill's key with every request), so a late request from a saved
    bill never lands on the next customer's. Save checks its own Idempotency-Key (the same key) instead."""
    till_session = till_service.load(g.store, _user(), for_update=lock)
    posted = request.form.get("bill_key") if lock and check_key and request.method == "POST" else None
    if posted and posted != (till_session.payload or {}).get("key"):
        raise StaleBill()
    return till_session


@bp.errorhandler(StaleBill)
def stale_bill(_exc):
    """409: nothing applied; the bill the till holds now replaces the one on screen (out of band, wherever the
    request came from), with the message."""
    db.session.rollback()
    if not wants_fragment():
        return _back(STALE_BILL, "warning")
    state = till_service.state_of(_till_session(lock=False))
    response = _parts([("pos/_builder.html", True), ("pos/_flash.html", True)], status=409,
                      till=till_service.view(g.store, state), message=STALE_BILL, category="warning")
    response.headers["HX-Reswap"] = "none"
    return response


def _search(q: str, page: int = 1):
    return quick_search(g.store, q, page=page, limit=SEARCH_LIMIT) if q.strip() else None


def _parts(parts: list[tuple[str, bool]], status: int = 200, trigger: str | None = None, **context) -> Any:
    """One HTMX response: the main partial, then out-of-band partials (totals, flash)."""
    context.setdefault("errors", {})
    context.setdefault("typed", {})
    # Each out-of-band part inside a <template>: after a table row (the line swapped), the HTML parser would
    # otherwise drop the totals' <form> tags and leave Save, Hold and Clear outside their forms (dead to a click).
    html = "".join(f"<template>{render_template(name, oob=oob, **context)}</template>" if oob
                   else render_template(name, oob=oob, **context) for name, oob in parts)
    response = make_response(html, status)
    if trigger:
        # After the swap, not before: htmx fires HX-Trigger on the element that asked, and when an earlier answer
        # has replaced it (the payment form's totals swap the Save button's form) the event reaches nobody;
        # HX-Trigger-After-Swap goes to <body> then.
        response.headers["HX-Trigger-After-Swap"] = trigger
    return response


def _page(status: int = 200, **context):
    """The whole till page (also the no-JavaScript answer to a refused form)."""
    state = context.pop("state", None)
    if state is None:
        state = till_service.state_of(_till_session(lock=False))
    q = request.values.get("q", "") if request.method == "GET" else context.pop("q", "")
    context.setdefault("errors", {})
    context.setdefault("typed", {})
    return make_response(render_template(
        "pos/index.html", till=till_service.view(g.store, state), q=q, results=_search(q, page_arg()),
        rate_strip=_rate_strip(), **context), status)


TILL_RATES = (("gold", "24K"), ("gold", "22K"), ("gold", "18K"), ("silver", "999"))


def _rate_strip() -> dict | None:
    """A jewellery store's till shows the rates per gram in force today (gold 24K/22K/18K, silver), each one's day."""
    if g.store.business_kind != "jewellery":
        return None
    from services.jewellery import rates

    today = g.store.local_today()
    rows = [row for row in rates.board(g.store, today) if (row.metal, row.purity) in TILL_RATES]
    return {"today": today, "rows": rows}


def _back(message: str | None = None, category: str = "success"):
    if message:
        flash(message, category)
    return redirect(url_for("pos.index"), 303)


def _changed(state: dict, *, main: str, extra: tuple[str, ...] = (), trigger: str | None = None,
             flash_message: str | None = None, **context):
    """After a successful change: the changed partial plus totals out of band (or a redirect without HTMX)."""
    db.session.commit()
    if not wants_fragment():
        return _back(flash_message)
    till = till_service.view(g.store, state)
    parts = [(main, False), ("pos/_totals.html", True)] + [(name, True) for name in extra]
    if flash_message:
        parts.append(("pos/_flash.html", True))
    return _parts(parts, trigger=trigger, till=till, message=flash_message, **context)


def _refused(state: dict, exc: ValidationError, main: str, **context):
    """A change the rules refused: the partial again with the messages beside the fields and what was typed (422)."""
    db.session.rollback()
    errors = exc.errors or {"__all__": [exc.message]}
    if not wants_fragment():
        return _page(422, state=state, errors=errors, typed=request.form)
    till = till_service.view(g.store, state)
    return _parts([(main, False)], status=422, till=till, errors=errors, typed=request.form, **context)


def _edit(change: Callable[[dict], Any], main: str, refused_context: dict | None = None, extra: tuple[str, ...] = ()):
    """One change to the till session (its row locked): `main` and the totals re-priced, or `main` refused (422).

    `change(state)` edits the state in place and may return a message to flash.
    """
    till_session = _till_session()
    state = till_service.state_of(till_session)
    try:
        message = change(state)
    except ValidationError as exc:
        return _refused(state, exc, main, **(refused_context or {}))
    till_service.keep(till_session, state)
    return _changed(state, main=main, extra=extra, flash_message=message if isinstance(message, str) else None)


def _may_change_rates() -> bool:
    """Cashiers may not change prices or tax rates on a line; managers and owners may."""
    return has_role(g.membership.role, "manager")


def _is_owner() -> bool:
    """Only owners may bill a jewellery piece at another metal rate than the one in force."""
    return has_role(g.membership.role, "owner")


@bp.context_processor
def _till_context() -> dict[str, Any]:
    membership = getattr(g, "membership", None)
    return {"rates_locked": membership is None or not has_role(membership.role, "manager"),
            "metal_rate_locked": membership is None or not has_role(membership.role, "owner")}


# --------------------------------------------------------------------------- the page and look-ups


@bp.get("")
@role_required("cashier")
def index():
    """The bill builder: search box focused, lines, customer, payment and totals."""
    return _page()


@bp.get("/search")
@role_required("cashier")
def search():
    """Catalogue items matching name, SKU or barcode, a page at a time."""
    q = request.args.get("q", "")
    if not wants_fragment():
        return _page()
    return _parts([("pos/_search_results.html", False)], results=_search(q, page_arg()), q=q)


@bp.get("/customers")
@role_required("cashier")
def customers():
    """Customers of the store by name, phone or email (for the customer panel)."""
    q = request.args.get("customer_q", "")
    result = search_customers(g.store, q=q, limit=SEARCH_LIMIT) if q.strip() else None
    if not wants_fragment():
        return _page(customer_results=result, customer_q=q)
    return _parts([("pos/_customer_results.html", False)], customer_results=result, customer_q=q)


# --------------------------------------------------------------------------- lines


@bp.post("/scan")
@role_required("cashier")
def scan():
    """Enter in the search box: an exact barcode or SKU adds its item; any other term adds the search's first result."""
    q = request.form.get("q", "").strip()
    till_session = _till_session()
    state = till_service.state_of(till_session)
    # A weighing-scale label (the store's scale_barcode option) adds its item with the label's weight or price.
    try:
        weighed = scale_item(g.store, q)
    except ValidationError as exc:  # a wrong check digit, an unknown item code: said, not silently missed
        return _scan_refused(state, q, exc.errors["code"][0], None)
    qty = 1
    if weighed is not None:
        product, qty = weighed
    else:
        product = find_by_code(g.store, q)
    if product is None:
        # Not an exact code: the first result of the search (what the list shows first) is added. A scanned code
        # (8 or more digits) nobody has is refused, never matched to another item whose code merely contains it.
        first = quick_search(g.store, q, limit=1) if q else None
        if first is not None and first.items and not _looks_scanned(q):
            product = first.items[0]
        else:
            results = _search(q) if first is not None and first.items else first
            message = "Type a name, SKU or barcode." if not q else f"No item has the barcode or SKU “{q}”."
            return _scan_refused(state, q, message, results)
    try:
        index = till_service.add_product(g.store, state, product, qty)
    except ValidationError as exc:  # a piece sold already, on the bill already, or gold without a HUID
        return _scan_refused(state, q, exc.errors["q"][0], None)
    till_service.keep(till_session, state)
    return _changed(state, main="pos/_lines.html", extra=("pos/_search_results.html",), trigger="posLineAdded",
                    results=None, q="", added=index)


def _looks_scanned(q: str) -> bool:
    """A barcode from a scanner (EAN-8, UPC-A, EAN-13 ...): digits only, at least 8 of them."""
    return q.isdigit() and len(q) >= 8


def _scan_refused(state: dict, q: str, message: str, results):
    """A scan that adds nothing: the message under the search box (422), the search results retargeted."""
    db.session.rollback()
    if not wants_fragment():
        return _page(422, state=state, q=q, errors={"q": [message]})
    response = _parts([("pos/_search_results.html", False)], status=422, results=results, q=q,
                      errors={"q": [message]})
    response.headers["HX-Retarget"] = "#search-results"
    return response


@bp.post("/lines")
@role_required("cashier")
def add_line():
    """Add a catalogue item picked from the results (the same item again adds to its quantity)."""
    till_session = _till_session()
    state = till_service.state_of(till_session)
    product = till_service.product_in_store(g.store, request.form.get("product_id"))
    try:
        index = till_service.add_product(g.store, state, product)
    except ValidationError as exc:
        return _scan_refused(state, "", exc.errors["q"][0], None)
    till_service.keep(till_session, state)
    return _changed(state, main="pos/_lines.html", extra=("pos/_search_results.html",), trigger="posLineAdded",
                    results=None, q="", added=index)


@bp.post("/lines/<int:index>")
@role_required("cashier")
def update_line(index: int):
    """Change a line's quantity, discount, tax rates or staff member; re-priced on the server."""
    till_session = _till_session()
    state = till_service.state_of(till_session)
    try:
        state["lines"][index] = till_service.parse_line(g.store, state, index, request.form,
                                                        may_change_rates=_may_change_rates(),
                                                        may_change_metal_rate=_is_owner())
    except ValidationError as exc:
        if index >= len(state["lines"]):
            return _refused(state, exc, "pos/_lines.html")
        return _refused(state, exc, "pos/_line.html", index=index)
    till_service.keep(till_session, state)
    return _changed(state, main="pos/_line.html", index=index)


@bp.post("/lines/<int:index>/delete")
@role_required("cashier")
def remove_line(index: int):
    """Take a line off the bill."""
    return _edit(lambda state: till_service.remove_line(state, index), "pos/_lines.html")


# --------------------------------------------------------------------------- customer

# The payment form depends on the customer (the wallet balance, loyalty points to redeem, the default place of
# supply): swapped with it.
CUSTOMER_EXTRA = ("pos/_payment.html",)


@bp.post("/customer")
@role_required("cashier")
def choose_customer():
    """Put an existing customer on the bill (the payment form again: their points to redeem, their state)."""
    return _edit(lambda state: till_service.choose_customer(g.store, state, request.form.get("party_id")),
                 "pos/_customer.html", extra=CUSTOMER_EXTRA)


@bp.post("/customer/new")
@role_required("cashier")
def new_customer():
    """A new customer typed inline (created with the bill; a known phone picks that customer)."""

    def change(state: dict) -> str | None:
        existing = till_service.set_new_customer(g.store, state, request.form)
        return f"{existing.customer.name} already shops here: picked them." if existing else None

    return _edit(change, "pos/_customer.html", refused_context={"show_new": True}, extra=CUSTOMER_EXTRA)


@bp.post("/customer/clear")
@role_required("cashier")
def clear_customer():
    """Take the customer off the bill (walk-in)."""
    return _edit(till_service.clear_customer, "pos/_customer.html", extra=CUSTOMER_EXTRA)


# --------------------------------------------------------------------------- payment


def _split_rows() -> list[dict]:
    modes = request.form.getlist("split_mode")
    amounts = request.form.getlist("split_amount")
    references = request.form.getlist("split_reference")
    rows = [{"mode": m, "amount": a, "reference": r} for m, a, r in zip(modes, amounts, references)]
    action = request.form.get("split_action", "")
    if action == "add":
        rows.append({"mode": CASH, "amount": "", "reference": ""})
    elif action.startswith("remove-") and action[7:].isdigit() and len(rows) > 2:
        del rows[int(action[7:])]
    return rows


def _apply_payment(state: dict) -> int | None:
    """The payment form as posted, into `state` (ValidationError leaves it as it was); returns the split row the
    rest of the total was filled into, if any."""
    previous_split = [dict(row) for row in state["split"]]
    till_service.set_payment(state, request.form, _split_rows())
    return till_service.fill_split(state, till_service.view(g.store, state).to_pay, previous_split)


def _payment_on_screen(*, key: str | None = None):
    """Save and Hold send the payment form on screen with them (hx-include): what was typed last (a UPI reference,
    then Save at once) counts even when the payment form's own post of it was still queued or got lost. Applied
    and committed first, as that post would have been, and only to the bill the page showed (Save's `key`; Hold's
    bill_key). Returns a 422 builder for a refused value, else None."""
    if "payment_mode" not in request.form:  # without JavaScript the payment form posts by itself
        return None
    till_session = _till_session(check_key=key is None)
    state = till_service.state_of(till_session)
    if key is not None and state["key"] != key:
        db.session.rollback()
        return None
    try:
        _apply_payment(state)
    except ValidationError as exc:
        db.session.rollback()
        return _builder(state, 422, errors=exc.errors or {"__all__": [exc.message]}, typed=request.form)
    till_service.keep(till_session, state)
    db.session.commit()
    return None


@bp.post("/payment")
@role_required("cashier")
def payment():
    """Payment mode, cash tendered, split rows, bill discount and coupon."""
    till_session = _till_session()
    state = till_service.state_of(till_session)
    # The form is swapped when its shape changes or it shows messages (a value fixed must lose its message).
    reshaped = (request.form.get("payment_mode") != state["payment_mode"] or bool(request.form.get("split_action"))
                or bool(request.form.get("shown_errors")))
    try:
        filled = _apply_payment(state)
    except ValidationError as exc:
        return _refused(state, exc, "pos/_payment.html")
    till_service.keep(till_session, state)
    # A split row filled with what is left: the page puts it in the row (posSplitFilled) without swapping the form.
    trigger = None if filled is None else simplejson.dumps(
        {"posSplitFilled": {"index": filled, "amount": state["split"][filled]["amount"]}})
    response = _changed(state, main="pos/_payment.html",
                        extra=() if reshaped else ("pos/_coupon_note.html", "pos/_loyalty_note.html"),
                        trigger=trigger)
    if wants_fragment() and not reshaped:
        # Only the totals change: leave the form (and whatever is being typed in it) alone.
        response.headers["HX-Reswap"] = "none"
    return response


# --------------------------------------------------------------------------- hold, clear, save


def _builder(state: dict, status: int = 200, errors: dict | None = None, message: str | None = None,
             category: str = "success", typed: Any = None):
    """The whole builder again (after hold, clear or a refused save), with a flash out of band."""
    if not wants_fragment():
        if status >= 400:
            return _page(status, state=state, errors=errors or {}, typed=typed or {})
        return _back(message, category)
    till = till_service.view(g.store, state)
    parts = [("pos/_builder.html", False)] + ([("pos/_flash.html", True)] if message else [])
    return _parts(parts, status=status, till=till, errors=errors or {}, message=message, category=category,
                  trigger="posReset" if status < 400 else None, typed=typed or {})


@bp.post("/hold")
@role_required("cashier")
def hold():
    """Park the bill (no invoice number, no stock) and start a new one."""
    return _set_aside(till_service.hold, lambda held: f"Bill held ({held.customer_summary or 'Walk-in'}). "
                                                      "Resume it from Held bills.")


def _set_aside(keep_bill: Callable, message: Callable):
    """Keep the bill on screen elsewhere (`keep_bill`: held, or an estimate) and start a new one; a refusal keeps
    the bill on screen with its messages."""
    refused = _payment_on_screen()
    if refused is not None:
        return refused
    till_session = _till_session()
    state = till_service.state_of(till_session)
    try:
        kept = keep_bill(g.store, _user(), state)
    except ValidationError as exc:
        db.session.rollback()
        return _builder(state, 422, errors=exc.errors or {"__all__": [exc.message]})
    till_service.keep(till_session, state)
    db.session.commit()
    return _builder(state, message=message(kept))


@bp.post("/clear")
@role_required("cashier")
def clear():
    """Start over with an empty bill."""
    till_session = _till_session()
    state = till_service.reset(till_service.state_of(till_session))
    till_service.keep(till_session, state)
    db.session.commit()
    return _builder(state, message="Started a new bill.")


def _to_bill(bill_id: int):
    url = url_for("bills.detail", bill_id=bill_id)
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Location"] = simplejson.dumps({"path": url, "target": "body"})
    else:
        response = redirect(url, 303)
    return response


@bp.post("/save")
@role_required("cashier")
def save():
    """Save the bill (an invoice number, stock taken) once per Idempotency-Key, then show it."""
    key = (request.headers.get(IDEMPOTENCY_HEADER) or request.form.get("idempotency_key") or "").strip()
    if not key or len(key) > idempotency.MAX_KEY_LENGTH:
        state = till_service.state_of(_till_session(lock=False))
        return _builder(state, 422, errors={"__all__": ["This page is out of date: it has been reloaded."]})
    refused = _payment_on_screen(key=key)
    if refused is not None:
        return refused

    def run() -> tuple[int, dict, int]:
        till_session = _till_session(check_key=False)
        state = till_service.state_of(till_session)
        if state["key"] != key:
            raise ValidationError.field("__all__", "This bill changed in another window: check it and save again.")
        tendered = state.get("tendered") if state.get("payment_mode") == CASH else None
        bill = till_service.save(g.store, _user(), state, allow_over_limit=request.form.get("allow_over_limit") == "1")
        till_service.keep(till_session, till_service.reset(state))
        # The cash tendered is kept with the outcome, so a replayed Save shows the same change due.
        return 303, {"bill_id": bill.id, "tendered": tendered or None}, bill.id

    try:
        outcome = run_once(g.store.id, key, {"pos_key": key}, run, method="POST", path=url_for("pos.save"),
                           wait_seconds=IN_FLIGHT_WAIT_SECONDS)
    except Conflict as exc:
        state = till_service.state_of(_till_session(lock=False))
        return _builder(state, 409, errors={"__all__": [exc.message]})
    except ValidationError as exc:
        state = till_service.state_of(_till_session(lock=False))
        return _builder(state, 422, errors=exc.errors or {"__all__": [exc.message]})
    except PermissionDenied as exc:  # a cashier asking to go over a credit limit
        state = till_service.state_of(_till_session(lock=False))
        return _builder(state, 403, errors={"__all__": [exc.message]})
    body = simplejson.loads(outcome.body)
    bill = db.session.get(Bill, body["bill_id"])
    if not wants_fragment():  # without JavaScript: to the bill page, as before
        if not outcome.replayed:  # the same Save already made its bill (and said so)
            flash(f"Bill {bill.invoice_number} saved.", "success")
        return _to_bill(bill.id)
    return _after_save(bill, body.get("tendered"), printed=outcome.replayed)


# --------------------------------------------------------------------------- after save (issue 12)


def _saved_panel(bill: Bill, tendered: str | None, printed: bool) -> dict[str, Any]:
    """What the "last bill" panel shows: number, total, change due, its receipt, PDF and WhatsApp links, the email
    form, and the receipt to print by itself (store option print_receipt_after_save; not again when `printed`)."""
    change = None
    if tendered:
        change = Decimal(str(tendered)) - bill.total_amount
        change = change if change > 0 else None
    shared = share_url(bill)  # a signed link to the PDF: nothing is sent from here, WhatsApp opens on the device
    message = f"{g.store.name}: invoice {bill.invoice_number}, total {inr(bill.total_amount)}. PDF: {shared}"
    return {"number": bill.invoice_number, "total": bill.total_amount, "change": change,
            "bill_url": url_for("bills.detail", bill_id=bill.id),
            "receipt_url": url_for("documents.receipt", bill_id=bill.id),
            "pdf_url": url_for("documents.pdf", bill_id=bill.id),
            "email_url": url_for("documents.email", bill_id=bill.id), "email_to": default_recipient(bill),
            "print_url": None if printed or not billing_options(g.store).print_receipt_after_save
            else url_for("documents.receipt", bill_id=bill.id),
            "share_url": shared, "whatsapp_url": "https://wa.me/?text=" + quote(message, safe="")}


def _after_save(bill: Bill, tendered: str | None, printed: bool):
    """The till stays on the till: the fresh empty builder, the last bill's panel out of band, search focused.
    `printed`: a replayed Save, whose receipt the first answer already printed."""
    state = till_service.state_of(_till_session(lock=False))
    till = till_service.view(g.store, state)
    return _parts([("pos/_builder.html", False), ("pos/_saved.html", True)], till=till,
                  saved=_saved_panel(bill, tendered, printed), trigger="posSaved")


# --------------------------------------------------------------------------- jewellery: old gold and estimates


@bp.post("/old-gold")
@role_required("cashier")
def old_gold():
    """The customer's old gold taken in exchange (bought on an OG voucher at Save, set against the bill)."""
    # The payment form too (out of band): its cash placeholder and split rows follow what is left to pay.
    return _edit(lambda state: till_service.set_old_gold(state, request.form), "pos/_old_gold.html",
                 extra=("pos/_payment.html",))


@bp.post("/old-gold/clear")
@role_required("cashier")
def clear_old_gold():
    """No old gold on this bill."""
    return _edit(till_service.clear_old_gold, "pos/_old_gold.html", extra=("pos/_payment.html",))


@bp.post("/estimate")
@role_required("cashier")
def save_estimate():
    """Keep the bill on screen as an estimate (no invoice number, no stock) and start a new bill."""
    return _set_aside(till_service.save_estimate, lambda estimate: Markup(
        'Estimate saved: <a href="{}">open it</a>.').format(url_for("pos.estimate", estimate_uid=estimate.uid)))


@bp.get("/estimates")
@role_required("cashier")
def estimates():
    """The store's estimates, newest first, each openable."""
    page = till_service.list_estimates(g.store, page=page_arg())
    return render_template("pos/estimates.html", page=page)


@bp.get("/estimates/<estimate_uid>")
@role_required("cashier")
def estimate(estimate_uid: str):
    """One estimate as it was priced, with "Turn into invoice" (at today's rate or, for owners, the estimate's)."""
    found = till_service.estimate_in_store(g.store, estimate_uid)
    return render_template("pos/estimate.html", estimate=found, till=till_service.open_estimate(g.store, found),
                           is_owner=_is_owner())


@bp.post("/estimates/<estimate_uid>/invoice")
@role_required("cashier")
def estimate_to_invoice(estimate_uid: str):
    """Load the estimate into the till (the bill on screen is held first); Save there makes the invoice."""
    found = till_service.estimate_in_store(g.store, estimate_uid)
    till_session = _till_session()
    try:
        till_service.turn_into_invoice(g.store, _user(), till_session, found, request.form.get("at", "today"))
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.errors.get("__all__", [exc.message])[0] if exc.errors else exc.message, "error")
        return redirect(url_for("pos.estimate", estimate_uid=estimate_uid), 303)
    db.session.commit()
    return _back("Estimate loaded: check it and Save to make the invoice.")
