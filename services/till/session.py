"""The till's working bill: kept on the server per cashier and store (models.TillSession), re-priced by the engine
on every change, then held, resumed or saved through services.billing.bills, so the page and the API share every rule.

The till session's state (TillSession.payload; amounts kept as strings, so no float ever enters):
    key           the Idempotency-Key the page sends with Save; a new one after every save, hold or clear
    lines         [{"product_id", "qty", "discount_type", "discount_value", "cgst", "sgst", "staff_id"}]
    customer_id   a customer Party of the store, or None
    new_customer  {"name", "contact_no", "gender", "email", "address", "gstin", "legal_name"} typed inline;
                  save_bill reuses the customer with that phone or creates it, in the bill's own transaction
    discount, coupon
    payment_mode  cash | card | upi | wallet | split | none (on credit)
    place_of_supply  the GST state code chosen on the bill ("" = the store's state; a buyer's GSTIN wins over it)
    tendered      cash handed over (change due = tendered - total); reference for card, UPI and wallet
    split         [{"mode", "amount", "reference"}] rows that must add up to the total
    old_gold      jewellery till: {"description", "gross_weight", "tounch", "rate", "deduction"} bought on an OG
                  purchase voucher at Save and set against the bill as an "exchange" payment (services.jewellery.
                  exchange); the payment fields then settle what is left
    estimate_id   the Estimate this bill was turned from (marked converted when the bill is saved)
    appointment_id  the salon Appointment this bill is for ("Bill this appointment"; marked done, with the bill,
                  when the bill is saved: services.salon.appointments.mark_billed)

A jewellery piece's line (store.business_kind "jewellery", a piece with a metal) also keeps "jewellery": True,
"making_type", "making_charge" and "rate" ("" = the rate in force today; another rate is for owners only); its qty is
always 1 and its amounts are the engine's (pricing.price_jewellery_line through save_bill's JewelleryTerms).

Functions take plain dicts from the view (never `request`) and raise services.errors.ValidationError keyed by the
same paths as Billing v1 ("items[0].qty", "customer.contact_no", "payments") so errors sit beside their fields.
"""
from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Bill, Estimate, HeldBill, Party, Product, Staff, Store, TillSession, User, utcnow
from services import bounds, vocabulary
from services.accounts.access import has_role, require_role
from services.accounts.billing_options import billing_options
from services.accounts.gstin import STATE_CODES
from services.billing import bills as billing
from services.billing import coupons as coupon_rules
from services.billing import numbering
from services.billing.fields import new_customer, parse_decimal
from services.billing.pricing import ZERO, Totals, money
from services.catalog.units import qty_out
from services.documents.invoices import qr_png_data_uri, upi_uri
from services.errors import FieldErrors, PermissionDenied, ValidationError
from services.formatting import inr
from services.jewellery import exchange
from services.paging import paginate
from services.parties import credit, loyalty, wallet
from services.parties.parties import find_customer_by_phone
from services.salon import memberships
from services.salon import staff as staff_rules
from services.scoping import find_in_store, get_in_store
from services.vocabulary import CASH, EXCHANGE, FINE_PURITY, FLAT, MAKING_PER_GRAM, MAKING_TYPES, PERCENT, UPI

MODES = vocabulary.BILL_PAYMENT_MODES
SPLIT_MODES = vocabulary.PAYMENT_MODES
NEW_CUSTOMER_FIELDS = ("name", "contact_no", "gender", "email", "address", "gstin", "legal_name")
WALK_IN_REFUSED = "Choose a customer or add a new one: this store does not allow walk-in bills"
DUES_NEED_CUSTOMER = "Choose the customer who owes the {dues} left due, or take the whole amount"
RATES_LOCKED = "Only a manager or the owner can change tax rates"
METAL_RATE_LOCKED = "Only the owner may change the metal rate on a bill"
OLD_GOLD_TOO_MUCH = ("The old gold ({worth}) is worth more than the bill ({total}): add a piece or take less old "
                     "gold in exchange")
ESTIMATE_DONE = "This estimate was already turned into invoice {number}"


def new_state() -> dict[str, Any]:
    return {
        "key": uuid.uuid4().hex, "lines": [], "customer_id": None, "new_customer": None, "discount": "0",
        "coupon": "", "payment_mode": CASH, "tendered": "", "reference": "", "place_of_supply": "",
        "split": [{"mode": CASH, "amount": "", "reference": ""}, {"mode": UPI, "amount": "", "reference": ""}],
        "old_gold": None, "estimate_id": None, "loyalty_points": "0",
        "appointment_id": None,
    }


# --------------------------------------------------------------------------- storage


def load(store: Store, user: User, *, for_update: bool = False) -> TillSession:
    """The cashier's till session in this store, created empty on first use (locked for the transaction if asked)."""
    query = select(TillSession).where(TillSession.store_id == store.id, TillSession.user_id == user.id)
    if for_update:
        # A write first: it takes SQLite's write lock (and the row lock on PostgreSQL) before the read, so two
        # quick changes from the same till are applied one after the other and neither is lost.
        db.session.execute(update(TillSession)
                           .where(TillSession.store_id == store.id, TillSession.user_id == user.id)
                           .values(updated_at=utcnow()))
    till_session = db.session.execute(query).scalar_one_or_none()
    if till_session is not None:
        return till_session
    try:
        with db.session.begin_nested():
            till_session = TillSession(store_id=store.id, user_id=user.id, payload=new_state())
            db.session.add(till_session)
    except IntegrityError:  # a second tab created it at the same moment
        till_session = db.session.execute(query).scalar_one()
    return till_session


def state_of(till_session: TillSession) -> dict[str, Any]:
    state = new_state()
    state.update(copy.deepcopy(till_session.payload or {}))
    return state


def keep(till_session: TillSession, state: dict[str, Any]) -> None:
    """Write the state back (a new dict, so the JSON column sees the change); flushes."""
    till_session.payload = copy.deepcopy(state)
    db.session.flush()


def reset(state: dict[str, Any]) -> dict[str, Any]:
    """A fresh bill (and a fresh Idempotency-Key)."""
    state.clear()
    state.update(new_state())
    return state


# --------------------------------------------------------------------------- parsing helpers


def _qty(raw: Any, key: str, errors: FieldErrors) -> Decimal | None:
    """A typed quantity (up to 3 decimals; whether the unit allows a fraction is save_bill's rule)."""
    raw = raw.strip() if isinstance(raw, str) else raw
    return parse_decimal(raw if raw not in ("", None) else None, key, errors, places=3)


def line_qty(line: dict[str, Any]) -> Decimal:
    """A till line's quantity (kept as a string, or an int in a session saved before decimal quantities)."""
    return Decimal(str(line["qty"]))


def _amount(raw: Any, key: str, errors: FieldErrors, *, default: str = "0") -> Decimal | None:
    raw = (raw or "").strip() if isinstance(raw, str) else raw
    value = parse_decimal(raw if raw not in ("", None) else default, key, errors)
    if problem := bounds.money_problem(value):  # every amount typed at the till fits Numeric(12,2)
        errors.add(key, problem)
        return None
    return value


def _text(value: Any, limit: int = 100) -> str:
    return (value or "").strip()[:limit] if isinstance(value, str) else ""


def _plain(value: Decimal) -> str:
    return f"{value:f}"


# --------------------------------------------------------------------------- catalogue and lines


def product_in_store(store: Store, product_id: Any) -> Product:
    product = find_in_store(Product, store, id=bounds.row_id(product_id), live=True)
    if product is None:
        raise ValidationError.field("product_id", "Catalog item not found in this store")
    return product


def is_piece(store: Store, product: Product) -> bool:
    """A jewellery piece (priced by weight, purity and rate) rather than a fixed-price item."""
    return store.business_kind == "jewellery" and bool((product.attributes or {}).get("metal"))


def piece_problem(store: Store, product: Product, *, stock: bool = True) -> str | None:
    """Why a piece cannot go on a bill now: sold already (unless not `stock`: save_bill's stock rule says so at
    Save), or gold without a HUID where hallmarking is mandatory."""
    from services.jewellery.pieces import hallmark_problem

    if stock and product.quantity is not None and product.quantity < 1:
        return f"{product.product_name} is not in stock (sold already?)"
    return hallmark_problem(store, product)


def _piece_terms(product: Product, given: Any = None) -> dict[str, Any]:
    """A piece line's own terms: the piece's making, today's rate; `given` (a held bill's) when they check out."""
    terms = {"jewellery": True, "making_type": product.making_type or MAKING_PER_GRAM,
             "making_charge": _plain(product.making_charge if product.making_charge is not None else ZERO), "rate": ""}
    if isinstance(given, dict):
        errors = FieldErrors()
        gst = _amount(given.get("gst") or None, "gst", errors) if given.get("gst") else None
        hsn = _text(given.get("hsn") or "", 8)
        if not errors and (gst is None or 0 <= gst <= 100) and (not hsn or hsn.isdigit()):
            terms.update(gst=_plain(gst) if gst is not None else "", hsn=hsn)
        making = _amount(given.get("making_charge"), "making_charge", errors, default=terms["making_charge"])
        rate = _text(given.get("rate"), 20)
        rate_value = _amount(rate, "rate", errors) if rate else None
        if not errors and given.get("making_type") in MAKING_TYPES and making >= 0 and (
                rate_value is None or rate_value > 0):
            terms.update(making_type=given["making_type"], making_charge=_plain(making),
                         rate=_plain(rate_value) if rate_value is not None else "")
    return terms


def add_piece(store: Store, state: dict[str, Any], product: Product) -> int:
    """Add a jewellery piece (qty 1, the piece's making, today's rate); ValidationError on "q" when it may not."""
    if any(line["product_id"] == product.id for line in state["lines"]):
        raise ValidationError.field("q", f"{product.product_name} is already on the bill (a piece is sold once)")
    if problem := piece_problem(store, product):
        raise ValidationError.field("q", problem)
    state["lines"].append({
        "product_id": product.id, "qty": "1", "discount_type": FLAT, "discount_value": "0",
        "cgst": _plain(product.cgst_rate), "sgst": _plain(product.sgst_rate), "staff_id": None,
        **_piece_terms(product),
    })
    return len(state["lines"]) - 1


def add_product(store: Store, state: dict[str, Any], product: Product, qty: Decimal | int = 1) -> int:
    """Add an item; the same item again adds to its line's quantity. Returns the line's index."""
    if is_piece(store, product):
        return add_piece(store, state, product)
    for index, line in enumerate(state["lines"]):
        if line["product_id"] == product.id:
            line["qty"] = _plain(line_qty(line) + Decimal(qty))
            return index
    state["lines"].append({
        "product_id": product.id, "qty": _plain(Decimal(qty)), "discount_type": PERCENT, "discount_value": "0",
        "cgst": _plain(product.cgst_rate), "sgst": _plain(product.sgst_rate), "staff_id": None,
    })
    return len(state["lines"]) - 1


def _line_index(state: dict[str, Any], index: int) -> int:
    if not 0 <= index < len(state["lines"]):
        raise ValidationError.field("items", "This line is no longer on the bill")
    return index


def _piece_defaults(product: Product) -> tuple[Decimal, str]:
    """A piece's own GST rate (its cgst + sgst, else 3 %) and HSN (its own, else 7113): what a line has unless
    changed (job work, repairs)."""
    own = (product.cgst_rate or ZERO) + (product.sgst_rate or ZERO)
    return (own if own > 0 else Decimal(vocabulary.JEWELLERY_GST_RATE)), (product.hsn_code or vocabulary.JEWELLERY_HSN)


def parse_piece_line(store: Store, state: dict[str, Any], index: int, form: Mapping[str, Any], *,
                     may_change_metal_rate: bool = False, may_change_rates: bool = False) -> dict[str, Any]:
    """A jewellery line as edited: making type and charge, discount, GST rate and HSN (for job work and repairs;
    the GST rate, like any tax rate, managers and owners only), and (owners only) the metal rate."""
    where = f"items[{index}]"
    errors = FieldErrors()
    current = state["lines"][index]
    making_type = form.get("making_type", current["making_type"])
    if making_type not in MAKING_TYPES:
        errors.add(f"{where}.making_type", "Must be one of: " + ", ".join(MAKING_TYPES))
    making = _amount(form.get("making_charge", current["making_charge"]), f"{where}.making_charge", errors)
    if making is not None and making < 0:
        errors.add(f"{where}.making_charge", "Must be at least 0")
    discount_type = form.get("discount_type", current["discount_type"])
    if discount_type not in vocabulary.DISCOUNT_TYPES:
        errors.add(f"{where}.discount_type", "Must be one of: percent, flat")
    value = _amount(form.get("discount_value", current["discount_value"]), f"{where}.discount_value", errors)
    raw_rate = _text(form.get("rate", current.get("rate") or ""), 20)
    rate = None
    if raw_rate:
        rate = _amount(raw_rate, f"{where}.rate", errors)
        if rate is not None and rate <= 0:
            errors.add(f"{where}.rate", "Must be greater than 0")
    raw_gst = _text(form.get("gst", current.get("gst") or ""), 10)
    gst = _amount(raw_gst, f"{where}.gst_rate", errors) if raw_gst else None
    hsn = _text(form.get("hsn", current.get("hsn") or ""), 20)
    errors.raise_if()
    product = db.session.get(Product, current["product_id"])
    own_gst, own_hsn = _piece_defaults(product)
    if gst is not None and gst == own_gst:
        gst = None  # the piece's own rate typed back
    if hsn == own_hsn:
        hsn = ""
    before = Decimal(current["gst"]) if current.get("gst") else None
    if gst != before and not may_change_rates:
        raise ValidationError.field(f"{where}.gst_rate", RATES_LOCKED)
    today = today_rate(store, product)
    if rate is not None and rate == today:
        rate = None  # today's rate typed back: the line follows the rate in force
    previous = Decimal(current["rate"]) if current.get("rate") else None
    if rate != previous and not may_change_metal_rate:
        raise ValidationError.field(f"{where}.rate", METAL_RATE_LOCKED)
    line = dict(current, making_type=making_type, making_charge=_plain(making), discount_type=discount_type,
                discount_value=_plain(value), rate=_plain(rate) if rate is not None else "",
                gst=_plain(gst) if gst is not None else "", hsn=hsn)
    candidate = _piece_draft(product, line, None, where)
    billing.validate_draft(store, billing.BillDraft(lines=[candidate]), datetime.now(UTC))
    return line


def parse_line(store: Store, state: dict[str, Any], index: int, form: Mapping[str, Any], *,
               may_change_rates: bool = False, may_change_metal_rate: bool = False) -> dict[str, Any]:
    """The line as edited, checked by the same rules save_bill applies (errors keyed items[i].*).

    Tax rates are the catalogue's: only a manager or owner (`may_change_rates`) may change them on a line; a
    jewellery line's metal rate only an owner (`may_change_metal_rate`)."""
    _line_index(state, index)
    if state["lines"][index].get("jewellery"):
        return parse_piece_line(store, state, index, form, may_change_metal_rate=may_change_metal_rate,
                                may_change_rates=may_change_rates)
    where = f"items[{index}]"
    errors = FieldErrors()
    current = state["lines"][index]
    qty = _qty(form.get("qty", str(current["qty"])), f"{where}.qty", errors)
    discount_type = form.get("discount_type", current["discount_type"])
    if discount_type not in vocabulary.DISCOUNT_TYPES:
        errors.add(f"{where}.discount_type", "Must be one of: percent, flat")
    value = _amount(form.get("discount_value", current["discount_value"]), f"{where}.discount_value", errors)
    cgst = _amount(form.get("cgst", current["cgst"]), f"{where}.cgst", errors)
    sgst = _amount(form.get("sgst", current["sgst"]), f"{where}.sgst", errors)
    staff = None
    staff_raw = form.get("staff_id", current.get("staff_id"))
    if staff_raw not in (None, ""):
        staff = find_in_store(Staff, store, id=bounds.row_id(staff_raw))
        if staff is None:
            errors.add(f"{where}.staff_id", "Staff member not found in this store")
        elif problem := staff_rules.line_staff_problem(store, staff):
            errors.add(f"{where}.staff_id", problem)
            staff = None
    errors.raise_if()
    product = db.session.get(Product, current["product_id"])
    candidate = billing.DraftLine(product=product, qty=qty, discount_type=discount_type, discount_value=value,
                                  cgst_rate=cgst, sgst_rate=sgst, staff=staff, field=where)
    billing.validate_draft(store, billing.BillDraft(lines=[candidate]), datetime.now(UTC))
    if not may_change_rates:
        for name, rate in (("cgst", cgst), ("sgst", sgst)):
            if rate != Decimal(str(current[name])):
                errors.add(f"{where}.{name}", RATES_LOCKED)
        errors.raise_if()
    return {"product_id": current["product_id"], "qty": _plain(qty), "discount_type": discount_type,
            "discount_value": _plain(value), "cgst": _plain(cgst), "sgst": _plain(sgst),
            "staff_id": staff.id if staff else None}


def remove_line(state: dict[str, Any], index: int) -> None:
    del state["lines"][_line_index(state, index)]


# --------------------------------------------------------------------------- customer


def customer_party(store: Store, party_id: Any) -> Party:
    party = find_in_store(Party, store, id=bounds.row_id(party_id))
    if party is None or party.Category_type != "Customer" or party.customer is None:
        raise ValidationError.field("customer_id", "Customer not found in this store")
    return party


def choose_customer(store: Store, state: dict[str, Any], party_id: Any) -> Party:
    party = customer_party(store, party_id)
    state["customer_id"], state["new_customer"] = party.id, None
    return party


def set_new_customer(store: Store, state: dict[str, Any], form: Mapping[str, Any]) -> Party | None:
    """A customer typed at the till (checked as Billing v1 checks `customer`, but a phone may be typed as people
    do: "98765 43210" is +919876543210); an existing phone picks that customer instead. Nothing is written until
    the bill is saved. Returns the existing party when one matched."""
    data = {name: (form.get(name) or "").strip() or None for name in NEW_CUSTOMER_FIELDS}
    errors = FieldErrors()
    new = new_customer(data, errors, strict_phone=False)
    errors.raise_if()
    existing = find_customer_by_phone(store, new.phone_no)
    if existing is not None:
        state["customer_id"], state["new_customer"] = existing.id, None
        return existing
    state["customer_id"] = None
    state["new_customer"] = {"name": new.name, "contact_no": new.phone_no, "gender": new.gender,
                             "email": new.email, "address": new.address, "gstin": new.gstin,
                             "legal_name": new.legal_name}
    return None


def clear_customer(state: dict[str, Any]) -> None:
    state["customer_id"], state["new_customer"] = None, None


# --------------------------------------------------------------------------- payment


def set_payment(state: dict[str, Any], form: Mapping[str, Any], split_rows: list[Mapping[str, Any]]) -> None:
    """Payment mode, cash tendered, reference, split rows, bill discount and coupon, as typed (checked)."""
    errors = FieldErrors()
    mode = form.get("payment_mode", state["payment_mode"])
    if mode not in MODES:
        errors.add("payment_mode", "Must be one of: " + ", ".join(MODES))
    tendered = _text(form.get("tendered", state["tendered"]), 20)
    if tendered:
        value = _amount(tendered, "tendered", errors)
        if value is not None and value < 0:
            errors.add("tendered", "Must be at least 0")
    discount = _amount(form.get("discount", state["discount"]), "discount", errors)
    if discount is not None and discount < 0:
        errors.add("discount", "Must be at least 0")
    points = _text(form.get("loyalty_points", state.get("loyalty_points", "0")), 9) or "0"
    if not points.isdigit():
        errors.add("loyalty_points", "Enter whole points, 0 or more.")
    supply = _text(form.get("place_of_supply", state.get("place_of_supply", "")), 2)
    if supply and supply not in STATE_CODES:
        errors.add("place_of_supply", "Choose a state from the list")
    rows = []
    for index, row in enumerate(split_rows):
        row_mode = row.get("mode") or CASH
        if row_mode not in SPLIT_MODES:
            errors.add(f"payments[{index}].mode", "Must be one of: " + ", ".join(SPLIT_MODES))
        amount = _text(row.get("amount"), 20)
        if amount:
            value = _amount(amount, f"payments[{index}].amount", errors)
            if value is not None and value <= 0:
                errors.add(f"payments[{index}].amount", "Must be greater than 0")
        rows.append({"mode": row_mode, "amount": amount, "reference": _text(row.get("reference"))})
    errors.raise_if()
    state["payment_mode"] = mode
    state["tendered"] = tendered
    state["reference"] = _text(form.get("reference", state["reference"]))
    state["discount"] = _plain(discount)
    state["place_of_supply"] = supply
    state["coupon"] = _text(form.get("coupon", state["coupon"]), 50).upper()
    state["loyalty_points"] = str(int(points))
    if split_rows:
        state["split"] = rows


def fill_split(state: dict[str, Any], total: Decimal, previous: list[dict[str, Any]]) -> int | None:
    """Split payment: the next empty row after a filled one takes what is left of the total (marked "auto").

    A row filled this way and not changed since (its amount as `previous` left it) is refilled as the other rows
    change, or emptied when nothing is left. Returns the index of the row filled or emptied, else None."""
    if state["payment_mode"] != "split":
        return None
    rows = state["split"]
    for index, row in enumerate(rows):
        before = previous[index] if index < len(previous) else {}
        row.pop("auto", None)
        if before.get("auto") and row.get("amount") and row.get("amount") == before.get("amount"):
            row["auto"] = True
    typed = sum((money(r["amount"]) for r in rows if r.get("amount") and not r.get("auto")), ZERO)
    left = total - typed
    target = next((i for i, r in enumerate(rows) if r.get("auto")), None)
    if target is None:
        target = next((i for i, r in enumerate(rows) if i and not r.get("amount") and rows[i - 1].get("amount")), None)
    if target is None:
        return None
    amount = _plain(left) if left > 0 else ""
    changed = rows[target].get("amount") != amount
    rows[target].pop("auto", None)
    rows[target].update(amount=amount, **({"auto": True} if amount else {}))
    return target if changed else None


def payments_for(state: dict[str, Any], total: Decimal) -> tuple[str, Decimal, list[billing.DraftPayment]]:
    """What the payment fields mean for a bill of this total: (payment_mode, payment_amount, payments)."""
    mode = state["payment_mode"]
    if total <= 0 or mode == "none":
        return "none", ZERO, []
    if mode == "split":
        payments = [billing.DraftPayment(mode=row["mode"], amount=money(row["amount"]),
                                         reference=row["reference"] or None)
                    for row in state["split"] if row.get("amount")]
        return "split", total, payments
    amount = total
    if mode == CASH and state["tendered"]:
        amount = min(money(state["tendered"]), total)
        if amount <= 0:
            return CASH, amount, [billing.DraftPayment(mode=CASH, amount=amount)]
    return mode, amount, [billing.DraftPayment(mode=mode, amount=amount, reference=state["reference"] or None)]


# --------------------------------------------------------------------------- pricing and the page's view


@dataclass
class LineView:
    index: int
    line: dict[str, Any]
    product: Product | None
    amounts: Any  # services.billing.pricing.LineAmounts, or None when the item left the catalogue
    problem: str | None = None  # why the line cannot be priced now (a piece with no rate in force)
    note: str | None = None  # a piece priced at an earlier day's rate (today's is not set)
    perk: Any = None  # the customer's membership benefit on the line (memberships.LinePerk), None when none

    @property
    def session_label(self) -> str:
        """"Membership session (Gold)" when the line redeems sessions of the customer's plan."""
        return self.perk.label if self.perk is not None else ""

    @property
    def membership_percent_off(self) -> Decimal:
        """The plan's percent off the line's units not redeemed (its membership discount less the sessions)."""
        if self.amounts is None:
            return ZERO
        return self.amounts.membership_discount - self.amounts.session_value

    @property
    def is_piece(self) -> bool:
        return bool(self.line.get("jewellery"))

    @property
    def qty(self):
        """The quantity as the page shows it (3 for pieces, 0.75 for kg)."""
        return qty_out(line_qty(self.line))

    @property
    def unit(self) -> str:
        return self.product.unit if self.product is not None else "pcs"


@dataclass
class TillView:
    state: dict[str, Any]
    lines: list[LineView]
    totals: Totals
    customer: Party | None
    coupon_error: str | None
    paid: Decimal
    change_due: Decimal
    split_total: Decimal
    split_remaining: Decimal
    can_save: bool
    upi_qr: str | None
    upi_link: str | None
    staff: list[Staff]  # the active staff a line may be given
    allow_walk_in: bool
    show_staff: bool = False  # the staff column: a salon, or a line already has a staff member
    # "27 Maharashtra (this store's state)": the default place of supply, the customer's state when they have one
    # (None: the store set no state)
    store_state: str | None = None
    states: dict[str, str] | None = None
    jewellery: bool = False  # a jewellery store's till: old-gold exchange and estimates
    old_gold: Any = None  # services.jewellery.exchange.OldGold on the bill, or None
    old_gold_value: Any = None  # its OldGoldValue
    to_pay: Decimal = ZERO  # the total less the old gold taken in exchange
    fine_gold_rate: Decimal | None = None  # today's gold 24K rate: the old-gold rate's suggestion
    loyalty_on: bool = False  # the store takes points as payment (a point is worth something)
    loyalty_balance: int | None = None  # the chosen customer's points (None: no stored customer)
    loyalty_error: str | None = None  # why the points typed cannot be redeemed
    wallet_balance: Decimal | None = None  # the chosen customer's wallet (None: no stored customer)
    wallet_note: str | None = None  # why the wallet cannot pay what the wallet mode asks of it (Save refuses)
    plans: list = field(default_factory=list)  # the chosen customer's memberships in force (memberships.plans_held)
    appointment: Any = None  # services.salon.appointments.OnTill: the appointment this bill is for, or None


def _products(store: Store, ids) -> dict[int, Product]:
    ids = set(ids)
    if not ids:
        return {}
    return {p.id: p for p in db.session.execute(
        select(Product).where(Product.store_id == store.id, Product.id.in_(ids), Product.archived.is_(False))
    ).scalars()}


def _staff(store: Store, ids) -> dict[int, Staff]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {s.id: s for s in db.session.execute(
        select(Staff).where(Staff.store_id == store.id, Staff.id.in_(ids))).scalars()}


def _quote(store: Store, product: Product | None):
    from services.jewellery import rates

    if product is None:
        return None
    attrs = product.attributes or {}
    metal, purity = attrs.get("metal"), attrs.get("purity")
    if rates.metal_problem(metal) or rates.purity_problem(metal, purity):
        return None
    if product.cutting_enabled:
        purity = FINE_PURITY[metal]
    return rates.rate_on(store, metal, purity, store.local_today(datetime.now(UTC)))


def today_rate(store: Store, product: Product | None) -> Decimal | None:
    """The rate in force today for the piece's metal and purity (the fine metal's when cutting_enabled), or None."""
    quote = _quote(store, product)
    return quote.price_per_gram if quote else None


def _fine_gold_rate(store: Store) -> Decimal | None:
    from services.jewellery import rates

    if store.business_kind != "jewellery":
        return None
    quote = rates.rate_on(store, "gold", FINE_PURITY["gold"], store.local_today(datetime.now(UTC)))
    return quote.price_per_gram if quote else None


def rate_missing(store: Store, product: Product | None) -> tuple[str | None, str | None]:
    """The till's word on a piece's rate: (problem, note). A problem when no rate is in force at all (the piece
    cannot be priced or saved); a note when the rate in force is an earlier day's (today's is not set yet)."""
    if product is None:
        return None, None
    attrs = product.attributes or {}
    label = f"{attrs.get('metal')} {attrs.get('purity')}"
    quote = _quote(store, product)
    if quote is None:
        return f"Today's {label} rate is not set: set today's rate (Metal rates) before billing this piece", None
    if quote.date < store.local_today(datetime.now(UTC)):
        return None, f"Today's {label} rate is not set: priced at the rate of {quote.date.isoformat()}"
    return None, None


def _piece_draft(product: Product | None, line: dict[str, Any], staff: Staff | None, where: str) -> billing.DraftLine:
    return billing.DraftLine(
        product=product, qty=1, discount_type=line["discount_type"], discount_value=Decimal(line["discount_value"]),
        staff=staff, field=where, jewellery=billing.JewelleryTerms(
            making_type=line["making_type"], making_charge=Decimal(line["making_charge"]),
            rate=Decimal(line["rate"]) if line.get("rate") else None,
            gst_rate=Decimal(line["gst"]) if line.get("gst") else None, hsn=line.get("hsn") or None))


def draft_lines(store: Store, state: dict[str, Any]) -> list[tuple[int, billing.DraftLine]]:
    products = _products(store, (line["product_id"] for line in state["lines"]))
    staff = _staff(store, (line.get("staff_id") for line in state["lines"]))
    result = []
    for index, line in enumerate(state["lines"]):
        product = products.get(line["product_id"])
        if line.get("jewellery"):
            result.append((index, _piece_draft(product, line, staff.get(line.get("staff_id")), f"items[{index}]")))
            continue
        result.append((index, billing.DraftLine(
            product=product, qty=line_qty(line), discount_type=line["discount_type"],
            discount_value=Decimal(line["discount_value"]), cgst_rate=Decimal(line["cgst"]),
            sgst_rate=Decimal(line["sgst"]), staff=staff.get(line.get("staff_id")), field=f"items[{index}]",
        )))
    return result


def redeemed_points(state: dict[str, Any]) -> int:
    """The loyalty points typed to redeem on this bill (checked whole by set_payment)."""
    raw = str(state.get("loyalty_points") or "0")
    return int(raw) if raw.isdigit() else 0


def _customer(store: Store, state: dict[str, Any]):
    if state.get("customer_id"):
        party = db.session.get(Party, state["customer_id"])
        if party is not None and party.store_id == store.id:
            return party
    if state.get("new_customer"):
        c = state["new_customer"]
        return billing.NewCustomer(name=c["name"], phone_no=c["contact_no"], gender=c.get("gender"),
                                   address=c.get("address"), email=c.get("email"), gstin=c.get("gstin"),
                                   legal_name=c.get("legal_name"))
    return None


def view(store: Store, state: dict[str, Any]) -> TillView:
    """Everything the page shows, priced by the engine (billing.price_draft); nothing is written."""
    pairs = draft_lines(store, state)
    words = {i: rate_missing(store, line.product) for i, line in pairs
             if line.jewellery is not None and line.jewellery.rate is None}
    problems = {i: p for i, (p, _) in words.items() if p}
    notes = {i: n for i, (_, n) in words.items() if n}
    priced_pairs = [(i, line) for i, line in pairs if line.product is not None and i not in problems]
    coupon_error, coupons = None, []
    if state.get("coupon"):
        errors = FieldErrors()
        coupons = billing.load_coupons(store, [state["coupon"]], datetime.now(UTC), errors)
        coupon_error = next(iter(errors.values()))[0] if errors else None
    customer = _customer(store, state)
    stored = customer.customer if isinstance(customer, Party) else None
    points = redeemed_points(state)
    loyalty_error = loyalty.redeem_problem(store, stored, points)
    draft = billing.BillDraft(lines=[line for _, line in priced_pairs], discount=Decimal(state["discount"]),
                              customer=customer, place_of_supply=state.get("place_of_supply") or None,
                              loyalty_points=0 if loyalty_error else points)
    line_perks = memberships.perks(store, draft, billing.bill_day(store, draft))  # the labels and the amounts
    priced = billing.price_draft(store, draft, coupons, line_perks=line_perks)
    if coupons and priced_pairs:  # the coupon's minimum bill value, said at the till before Save refuses it
        errors = FieldErrors()
        coupon_rules.minimum_problems(coupons, priced.totals.sub_total, [state["coupon"]], errors)
        if errors:
            coupon_error, coupons = next(iter(errors.values()))[0], []
            priced = billing.price_draft(store, draft, coupons, line_perks=line_perks)
    amounts = {i: a for (i, _), a in zip(priced_pairs, priced.lines)}
    perks = {i: p for (i, _), p in zip(priced_pairs, line_perks)}
    lines = [LineView(i, state["lines"][i], line.product, amounts.get(i), problems.get(i), notes.get(i),
                      perks.get(i)) for i, line in pairs]
    old = exchange.from_state(state.get("old_gold"))
    worth = exchange.value_of(old) if old else None
    grand_total = priced.totals.grand_total
    total = grand_total - worth.value if worth else grand_total
    mode, _, payments = payments_for(state, max(total, ZERO))
    paid = sum((p.amount for p in payments), worth.value if worth else ZERO)
    tendered = money(state["tendered"]) if state["payment_mode"] == CASH and state["tendered"] else None
    change_due = max(tendered - total, ZERO) if tendered is not None else ZERO
    split_total = sum((money(r["amount"]) for r in state["split"] if r.get("amount")), ZERO)
    upi_qr = upi_link = None
    if state["payment_mode"] == UPI and store.upi_id and total > 0:
        # The documents service writes the UPI link; an unsaved bill stands in with the number it will likely get.
        upi_link = upi_uri(Bill(kind="sale", store=store, due_amount=total, invoice_number=numbering.peek_next(store)))
        upi_qr = qr_png_data_uri(upi_link, scale=4) if upi_link else None
    staff = []
    show_staff = store.business_kind == "salon" or any(line.get("staff_id") for line in state["lines"])
    if show_staff:
        staff = staff_rules.list_staff(store, active_only=True)
    has_customer = bool(state.get("customer_id") or state.get("new_customer"))
    can_save = bool(pairs) and len(priced_pairs) == len(pairs) and coupon_error is None and not loyalty_error and (
        mode != "split" or split_total == total) and (has_customer or store.allow_walk_in) and total >= 0
    home = billing.store_state(store)
    default = billing.place_of_supply(store, billing.buyer_of(store, customer))  # with nothing chosen on the bill
    if default and default != home:
        default_label = f"{default} {STATE_CODES.get(default, '')} (the customer's state)"
    else:
        default_label = f"{home} {STATE_CODES.get(home, '')} (this store's state)" if home else None
    return TillView(state=state, lines=lines, totals=priced.totals, customer=_customer(store, state),
                    coupon_error=coupon_error, paid=paid, change_due=change_due, split_total=split_total,
                    split_remaining=total - split_total, can_save=can_save, upi_qr=upi_qr, upi_link=upi_link,
                    staff=staff, show_staff=show_staff, allow_walk_in=store.allow_walk_in,
                    store_state=default_label if home else None,
                    states=STATE_CODES, jewellery=store.business_kind == "jewellery", old_gold=old,
                    old_gold_value=worth, to_pay=total, fine_gold_rate=_fine_gold_rate(store),
                    loyalty_on=bool(billing_options(store).loyalty_point_value),
                    loyalty_balance=stored.loyalty_points if stored is not None else None,
                    loyalty_error=loyalty_error,
                    wallet_balance=stored.wallet_balance if stored is not None else None,
                    wallet_note=_wallet_note(stored, payments),
                    plans=memberships.plans_held(store, customer) if isinstance(customer, Party) else [],
                    appointment=_appointment(store, state))


def _appointment(store: Store, state: dict[str, Any]):
    """The appointment the bill is for, as the till shows it (None: not an appointment's bill)."""
    if not state.get("appointment_id"):
        return None
    from services.salon.appointments import on_till  # the appointment book imports the till

    return on_till(store, state["appointment_id"])


def _wallet_note(stored, payments) -> str | None:
    """Said beside the payment mode before Save: the wallet mode with no customer, or more than the balance."""
    wanted = sum((p.amount for p in payments if p.mode == vocabulary.WALLET and p.amount), ZERO)
    if not wanted:
        return None
    if stored is None:
        return "A wallet payment needs the bill's customer: choose the customer first."
    if wanted > stored.wallet_balance:
        return wallet.balance_message(stored.wallet_balance)
    return None


def bill_draft(store: Store, state: dict[str, Any], *, with_payments: bool = True) -> billing.BillDraft:
    """The BillDraft save_bill (or hold_bill) receives for this state."""
    pairs = draft_lines(store, state)
    customer = _customer(store, state)
    if customer is None and with_payments and not store.allow_walk_in:
        raise ValidationError.field("customer", WALK_IN_REFUSED)
    draft = billing.BillDraft(
        lines=[line for _, line in pairs], customer=customer, discount=Decimal(state["discount"]),
        coupon_codes=[state["coupon"]] if state.get("coupon") else [], source="pos",
        billing_timestamp=datetime.now(UTC), place_of_supply=state.get("place_of_supply") or None,
        loyalty_points=redeemed_points(state),
    )
    if with_payments:
        coupons: list = []
        if draft.coupon_codes:
            errors = FieldErrors()
            coupons = billing.load_coupons(store, draft.coupon_codes, datetime.now(UTC), errors)
            errors.raise_if()
        # With the customer: a buyer from another state pays IGST, which can round a paisa away from CGST + SGST.
        total = billing.price_draft(store, billing.BillDraft(
            lines=[line for line in draft.lines if line.product is not None], discount=draft.discount,
            customer=customer, place_of_supply=draft.place_of_supply, loyalty_points=draft.loyalty_points), coupons
        ).totals.grand_total
        old = exchange.from_state(state.get("old_gold"))
        if old is not None:
            worth = exchange.value_of(old).value
            if worth > total:
                raise ValidationError.field("old_gold", OLD_GOLD_TOO_MUCH.format(worth=inr(worth), total=inr(total)))
            total -= worth
        draft.payment_mode, draft.payment_amount, draft.payments = payments_for(state, total)
        if old is not None:
            # The old gold's value is the first payment (its reference, the voucher's number, is set at Save).
            draft.payments.insert(0, billing.DraftPayment(mode=EXCHANGE, amount=worth))
            draft.payment_amount += worth
            draft.payment_mode = "split" if len(draft.payments) > 1 else None
            draft.extra_payment_modes = (EXCHANGE,)
        if customer is None and draft.payment_amount < total + (worth if old is not None else ZERO):
            # A till rule (Billing v1 still takes an unpaid walk-in bill): somebody must owe the dues.
            raise ValidationError.field("customer", DUES_NEED_CUSTOMER.format(dues=inr(total - draft.payment_amount)))
        if draft.payments:
            draft.payment_timestamp = draft.billing_timestamp
    return draft


def save(store: Store, user: User, state: dict[str, Any], *, allow_over_limit: bool = False) -> Bill:
    """Save the bill on screen through billing.save_bill (flushes; the caller commits). Old gold on the bill is
    bought first on its OG voucher, in the same transaction: if the sale is refused, the caller's rollback takes
    the voucher back too. Dues past the customer's credit limit refuse it (services.parties.credit), unless a
    manager or the owner allows it (`allow_over_limit`)."""
    require_role(user, store, "cashier")
    draft = bill_draft(store, state)
    errors = FieldErrors()
    for index, line in enumerate(draft.lines):
        # The hallmark rule again at Save: the store may have turned it on since the piece was scanned.
        if line.jewellery is None or line.product is None:
            continue
        if problem := piece_problem(store, line.product, stock=False):
            errors.add(f"items[{index}].huid", problem)
    errors.raise_if()
    old = exchange.from_state(state.get("old_gold"))
    voucher = None
    if old is not None:
        now = draft.billing_timestamp or datetime.now(UTC)
        voucher = exchange.write_voucher(store, user, old, None, now)
        draft.payments[0].reference = voucher.invoice_number
    bill = billing.save_bill(store, user, draft)
    credit.check_limit(store, user, bill, allow=allow_over_limit)
    if voucher is not None:
        voucher.party_id, voucher.customer_name, voucher.phone = bill.party_id, bill.customer_name, bill.phone
        exchange.settle_voucher(voucher, bill, user, bill.created_at)
    if state.get("estimate_id"):
        _mark_converted(store, state["estimate_id"], bill)
    if state.get("appointment_id"):
        from services.salon.appointments import mark_billed

        mark_billed(store, state["appointment_id"], bill)
    return bill


# --------------------------------------------------------------------------- old gold and estimates


def set_old_gold(state: dict[str, Any], form: Mapping[str, Any]) -> None:
    """The customer's old gold, as typed (checked); the till re-prices what is left to pay."""
    state["old_gold"] = exchange.as_state(exchange.parse(form))


def clear_old_gold(state: dict[str, Any]) -> None:
    state["old_gold"] = None


def save_estimate(store: Store, user: User, state: dict[str, Any]) -> Estimate:
    """Keep the bill on screen as an estimate (quotation): the lines with each piece's rate locked, the customer and
    the engine's total; no invoice number, no stock, no payment. The till starts a fresh bill."""
    require_role(user, store, "cashier")
    if not store.business_kind == "jewellery":
        raise ValidationError.field("__all__", "Estimates are for jewellery stores")
    draft = bill_draft(store, state, with_payments=False)
    priced, _ = billing.validate_draft(store, draft, datetime.now(UTC))
    lines = []
    for line, amounts in zip(state["lines"], priced.lines):
        line = dict(line)
        if line.get("jewellery"):
            line["estimate_rate"] = _plain(amounts.jewellery.piece.rate)
        lines.append(line)
    payload = {k: copy.deepcopy(state[k]) for k in ("customer_id", "new_customer", "discount", "place_of_supply")}
    payload["lines"] = lines
    estimate = Estimate(store_id=store.id, user_id=user.id, payload=payload,
                        customer_summary=billing.customer_summary(draft.customer),
                        total_amount=priced.totals.grand_total)
    db.session.add(estimate)
    db.session.flush()
    reset(state)
    return estimate


def list_estimates(store: Store, page: int = 1, limit: int = 50):
    """The store's estimates, newest first."""
    query = select(Estimate).where(Estimate.store_id == store.id)
    return paginate(query.order_by(Estimate.created_at.desc(), Estimate.id.desc()), page, limit)


def estimate_in_store(store: Store, estimate_uid: str) -> Estimate:
    return get_in_store(Estimate, store, uid=estimate_uid, message="Estimate not found")


def estimate_state(estimate: Estimate, *, at_estimate_rate: bool) -> dict[str, Any]:
    """Till state for an estimate: each piece at the estimate's rate, or ("" ) at the rate in force."""
    state = new_state()
    payload = estimate.payload or {}
    state.update({k: payload.get(k, state[k]) for k in ("customer_id", "new_customer", "discount", "place_of_supply")})
    for line in payload.get("lines") or []:
        line = dict(line)
        locked = line.pop("estimate_rate", None)
        if line.get("jewellery"):
            line["rate"] = locked if at_estimate_rate and locked else ""
        state["lines"].append(line)
    return state


def open_estimate(store: Store, estimate: Estimate) -> TillView:
    """The estimate as it was priced (each piece at the estimate's rate)."""
    return view(store, estimate_state(estimate, at_estimate_rate=True))


def turn_into_invoice(store: Store, user: User, till_session: TillSession, estimate: Estimate, at: str) -> None:
    """Bring an estimate into the till to be saved as an invoice: at today's rate, or (owners only) at the
    estimate's. The bill on screen, if any, is held first. Saving goes through save_bill as any till bill."""
    membership = require_role(user, store, "cashier")
    if estimate.converted_bill_id is not None:
        raise ValidationError.field("__all__", ESTIMATE_DONE.format(number=estimate.converted_bill.invoice_number))
    at_estimate = at == "estimate" and has_role(membership.role, "owner")
    state = state_of(till_session)
    if state["lines"]:
        hold(store, user, state)
    converted = estimate_state(estimate, at_estimate_rate=at_estimate)
    for line in converted["lines"]:
        if line.get("rate") and Decimal(line["rate"]) == today_rate(store, db.session.get(Product, line["product_id"])):
            line["rate"] = ""  # the same as today's: the line follows the rate in force
    converted["estimate_id"] = estimate.id
    keep(till_session, converted)


def _mark_converted(store: Store, estimate_id: int, bill: Bill) -> None:
    # Conditional: two tills saving the same estimate at once make one invoice from it; the other is refused.
    done = db.session.execute(update(Estimate).where(
        Estimate.id == estimate_id, Estimate.store_id == store.id, Estimate.converted_bill_id.is_(None),
    ).values(converted_bill_id=bill.id))
    if done.rowcount != 1:
        raise ValidationError.field("__all__", "This estimate has already been turned into an invoice")


# --------------------------------------------------------------------------- held bills


def v1_payload(store: Store, state: dict[str, Any]) -> dict[str, Any]:
    """The state as a Billing v1 bill body (what a held bill keeps), so the API can resume what the till held."""
    products = _products(store, (line["product_id"] for line in state["lines"]))
    staff = _staff(store, (line.get("staff_id") for line in state["lines"]))
    items = []
    for index, line in enumerate(state["lines"]):
        product = products.get(line["product_id"])
        if product is None:
            continue
        member = staff.get(line.get("staff_id"))
        items.append({"line_no": index + 1, "type": product.type, "id": product.uid, "qty": qty_out(line_qty(line)),
                      "discount_type": line["discount_type"], "discount_value": Decimal(line["discount_value"]),
                      "cgst": Decimal(line["cgst"]), "sgst": Decimal(line["sgst"]),
                      "staff_id": member.uid if member else None})
        if line.get("jewellery"):  # the till's own terms, so a held piece resumes as a piece
            items[-1]["pos"] = {k: line.get(k) for k in ("making_type", "making_charge", "rate")}
    payload: dict[str, Any] = {"items": items, "discount": Decimal(state["discount"])}
    customer = _customer(store, state)
    if isinstance(customer, Party):
        payload["customer_id"] = customer.uid
    elif customer is not None:
        payload["customer"] = {k: v for k, v in state["new_customer"].items() if v}
    if state.get("coupon"):
        payload["coupon_code"] = state["coupon"]
    if state.get("place_of_supply"):
        payload["place_of_supply"] = state["place_of_supply"]
    payload["pos"] = {k: state[k] for k in ("payment_mode", "tendered", "reference", "split", "old_gold")}
    if state.get("appointment_id"):  # a held appointment's bill still marks it done when it is saved
        payload["pos"]["appointment_id"] = state["appointment_id"]
    return payload


def from_v1_payload(store: Store, payload: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A held body (from the till or Billing v1) back into till state; returns it and how many items were skipped."""
    state = new_state()
    items = [i for i in payload.get("items") or [] if isinstance(i, dict)]
    uids = [i.get("id") for i in items if isinstance(i.get("id"), str)]
    products = {p.uid: p for p in db.session.execute(select(Product).where(
        Product.store_id == store.id, Product.uid.in_(uids), Product.archived.is_(False))).scalars()} if uids else {}
    staff_uids = [i.get("staff_id") for i in items if isinstance(i.get("staff_id"), str)]
    staff = {s.uid: s for s in db.session.execute(select(Staff).where(
        Staff.store_id == store.id, Staff.uid.in_(staff_uids))).scalars()} if staff_uids else {}
    skipped = 0
    for item in items:
        product = products.get(item.get("id"))
        try:
            qty = Decimal(str(item.get("qty") or 1))
            values = {k: _plain(Decimal(str(item.get(k) if item.get(k) is not None else d)))
                      for k, d in (("discount_value", 0), ("cgst", product.cgst_rate if product else 0),
                                   ("sgst", product.sgst_rate if product else 0))}
        except (ArithmeticError, ValueError, TypeError):
            product = None
        if product is None or not qty.is_finite() or qty <= 0:
            skipped += 1
            continue
        member = staff.get(item.get("staff_id"))
        discount_type = item.get("discount_type") if item.get("discount_type") in vocabulary.DISCOUNT_TYPES else FLAT
        state["lines"].append({"product_id": product.id, "qty": _plain(qty), "discount_type": discount_type, **values,
                               "staff_id": member.id if member else None})
        if is_piece(store, product):
            state["lines"][-1].update(_piece_terms(product, item.get("pos")), qty="1")
    if isinstance(payload.get("customer_id"), str):
        party = db.session.execute(select(Party).where(
            Party.uid == payload["customer_id"], Party.store_id == store.id)).scalar_one_or_none()
        state["customer_id"] = party.id if party else None
    elif isinstance(payload.get("customer"), dict):
        c = payload["customer"]
        state["new_customer"] = {k: c.get(k) for k in NEW_CUSTOMER_FIELDS}
    try:
        state["discount"] = _plain(Decimal(str(payload.get("discount") or 0)))
    except ArithmeticError:
        pass
    codes = payload.get("coupon_codes") or ([payload["coupon_code"]] if payload.get("coupon_code") else [])
    state["coupon"] = codes[0] if codes and isinstance(codes[0], str) else ""
    supply = payload.get("place_of_supply")
    state["place_of_supply"] = supply if isinstance(supply, str) and supply in STATE_CODES else ""
    extra = payload.get("pos") if isinstance(payload.get("pos"), dict) else {}
    state.update({k: v for k, v in extra.items() if k in ("tendered", "reference", "split")})
    if isinstance(extra.get("old_gold"), dict):
        try:
            state["old_gold"] = exchange.as_state(exchange.parse(extra["old_gold"]))
        except ValidationError:
            state["old_gold"] = None
    if isinstance(extra.get("appointment_id"), int):
        state["appointment_id"] = extra["appointment_id"]
    mode = extra.get("payment_mode") or payload.get("payment_mode")
    state["payment_mode"] = mode if mode in MODES else CASH
    return state, skipped


def hold(store: Store, user: User, state: dict[str, Any]) -> HeldBill:
    """Park the bill on screen (billing.hold_bill checks it as the API's hold does) and start a fresh one."""
    require_role(user, store, "cashier")
    held = billing.hold_bill(store, user, v1_payload(store, state), bill_draft(store, state, with_payments=False))
    reset(state)
    return held


def held_in_store(store: Store, held_uid: str) -> HeldBill:
    return get_in_store(HeldBill, store, uid=held_uid, message="Held bill not found")


def resume(store: Store, user: User, till_session: TillSession, held: HeldBill) -> int:
    """Bring a held bill into the till (the bill on screen, if any, is held first); returns items skipped."""
    require_role(user, store, "cashier")
    state = state_of(till_session)
    if state["lines"]:
        hold(store, user, state)
    resumed, skipped = from_v1_payload(store, bounds.scrub(held.payload or {}))  # held before the text guard
    keep(till_session, resumed)
    db.session.delete(held)
    db.session.flush()
    return skipped


def delete_held(store: Store, user: User, held: HeldBill) -> None:
    """Delete a held bill: a cashier only their own, managers and owners any."""
    membership = require_role(user, store, "cashier")
    if held.user_id != user.id and not has_role(membership.role, "manager"):
        raise PermissionDenied("Only a manager can delete another cashier's held bill.")
    db.session.delete(held)
    db.session.flush()

