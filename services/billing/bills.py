"""Bills: the one place a bill is saved, held, cancelled or paid, whichever surface asks.

    save_bill(store: Store, user: User | None, draft: BillDraft, *, now: datetime | None = None) -> Bill

is what Billing v1, NamastePMS billing and the POS page call (the jewellery add-invoice will too). It validates the
draft, prices it with services.billing.pricing.price_bill, takes the store's invoice-counter lock as the FIRST write of
the transaction (services.billing.numbering), resolves or creates the customer, inserts the bill with its items and
payments, moves stock (services.catalog.stock), counts coupon uses and writes the audit row. It flushes and never
commits: the caller commits once, or rolls back on any DomainError (then nothing at all was written).

The draft (dataclasses below):
- lines: DraftLine(product, qty, ...). `product` is a Product the caller loaded (save_bill re-checks it belongs to
  the store and is not archived). unit_price / cgst_rate / sgst_rate default to the product's own; `type`, when
  given, must match the product's type. `field` names the request path to blame in errors ("items[2]").
  `columns` sets extra BillItem columns (jewellery weights, huid, ...). `client_amounts` (NamastePMS) stores the
  line's amounts as sent instead of the engine's. `jewellery` (JewelleryTerms) makes the line a jewellery piece
  (qty 1) priced by weight, purity, making, stones, charges and the metal rate (pricing.price_jewellery_line; the
  rate, unless given, is the store's rate in force on the bill's day); the rate and the breakdown are kept on the
  BillItem, so a later rate change never changes the saved bill.
- customer: a Party (existing customer of the store), a NewCustomer (reused when a customer of the store has that
  phone, else created through services.parties.parties.create_customer), or None (walk-in).
- payments: DraftPayment(mode, amount, reference, timestamp); payment_mode: cash|card|upi|wallet|split|none or
  None (not checked). The payment-mode rules of Billing v1 are checked when payment_mode is given.
- additional_charges (bill level, >= 0, untaxed, added to the grand total: the jewellery add-invoice's).
- discount (bill level, >= 0), coupon_codes (Coupon rows of the store, active, in their window, uses left),
  referral_code (recorded).
- invoice_number: None takes the next number of the store's series (INV + FY + 5 digits); a client-supplied number
  (NamastePMS, jewellery) is stored as given and must be unique in the store (400 on "invoice_number" otherwise).
- client_totals (NamastePMS): ClientTotals stored AS SENT instead of the computed totals; items still move stock.
- kind: sale (takes stock) | purchase (adds stock; numbered in its own series, PUR...);
  source: pos|v1|namaste|jewellery (recorded on the bill).
- columns: other Bill columns as sent (invoice_date, due_date, notes, phone, address, VAt_number,
  payment_method_id, invoice_status, place_of_supply, interest_terms).

Errors are services.errors.ValidationError (400) with field-keyed messages; InsufficientStock names the product.
"""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Optional, Union

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Bill, BillItem, Coupon, HeldBill, Party, Payment, Product, Staff, Store, User
from services import audit
from services.accounts.access import has_role, membership_for, require_role
from services.accounts.billing_options import billing_options
from services.accounts.gstin import STATE_CODES
from services.billing import coupons as coupon_rules
from services.billing import numbering
from services.billing.pricing import (
    ZERO,
    Charge,
    CouponInput,
    JewelleryLine,
    LineInput,
    PricedBill,
    Stone,
    bill_status,
    jewellery_problems,
    money,
    price_bill,
)
from services.bounds import MAX_MONEY, money_problem
from services.catalog import stock, units
from services.errors import FieldErrors, PermissionDenied, ValidationError
from services.jewellery import interest
from services.paging import Page, paginate, paginate_capped, paginate_matches
from services.parties import loyalty, wallet
from services.parties.parties import (
    CustomerInput,
    create_customer,
    find_customer_by_phone,
    register_gstin,
)
from services.purchases import costs, purchases
from services.salon import commissions, memberships
from services.salon import staff as staff_rules
from services.salon.memberships import NO_PERK, LinePerk
from services.vocabulary import (
    BILL_PAYMENT_MODES,
    BILL_SORTS,
    CANCELLED,
    DEFAULT_BILL_SORT,
    DISCOUNT_TYPES,
    FINE_PURITY,
    FLAT,
    JEWELLERY_GST_RATE,
    JEWELLERY_HSN,
    PAID,
    PARTIAL,
    PAYMENT_MODES,
    PURITIES,
    UNPAID,
    WALLET,
)

PURCHASE_SERIES = "PUR"
UNSET = object()  # "not worked out yet" (None is a real place of supply: the store set no state)
ITEM_COLUMNS = frozenset({
    "hsn_code", "unit", "huid", "size", "show_size_in_bill", "gross_weight", "less_weight", "net_weight",
    "fine_weight", "tounch", "wastage", "making_type", "making_charge", "metal_rate", "extra",
})
BILL_COLUMNS = frozenset({
    "invoice_date", "due_date", "notes", "phone", "address", "VAt_number", "payment_method_id",
    "invoice_status", "interest_terms", "customer_name", "series",
    "supplier_invoice_no", "supplier_invoice_date",  # a purchase's (services.purchases)
})
LINE_AMOUNT_FIELDS = ("base_amount", "discount_amount", "taxable_amount", "cgst_amount", "sgst_amount", "line_total")
ENGINE_LINE_FIELDS = LINE_AMOUNT_FIELDS + ("igst_amount", "cgst_rate", "sgst_rate", "igst_rate",
                                           "bill_discount_amount", "membership_discount")


@dataclass
class JewelleryTerms:
    """How a jewellery piece is priced on a bill line. None takes the piece's own value (Product columns; metal,
    purity, stones and hallmark_fee from Product.attributes), else the default: GST the piece's cgst + sgst when set,
    else 3 %; HSN the piece's, else 7113; rate the store's rate in force on the bill's day (services.jewellery.rates;
    the fine metal's rate when cutting_enabled); a rate other than that one is for owners only (save_bill).
    What the line's amounts are: services.billing.pricing.price_jewellery_line."""

    metal: Optional[str] = None
    purity: Optional[str] = None
    gross_weight: Optional[Decimal] = None
    less_weight: Optional[Decimal] = None
    tounch: Optional[Decimal] = None
    wastage: Optional[Decimal] = None
    rate: Optional[Decimal] = None
    making_type: Optional[str] = None
    making_charge: Optional[Decimal] = None
    stones: Optional[list[Stone]] = None
    hallmark_fee: Optional[Decimal] = None
    charges: Optional[list[Charge]] = None
    gst_rate: Optional[Decimal] = None
    hsn: Optional[str] = None
    cutting_enabled: Optional[bool] = None
    net_price: Optional[Decimal] = None  # the agreed taxable price of the piece


@dataclass
class DraftLine:
    product: Product
    qty: Union[int, Decimal]  # whole for pcs; up to 3 decimals for kg, g, l, ml, m (services.catalog.units)
    line_no: Optional[int] = None
    discount_type: str = FLAT
    discount_value: Decimal = ZERO
    cgst_rate: Optional[Decimal] = None
    sgst_rate: Optional[Decimal] = None
    unit_price: Optional[Decimal] = None
    staff: Optional[Staff] = None
    name: Optional[str] = None
    type: Optional[str] = None
    field: Optional[str] = None
    columns: dict[str, Any] = dc_field(default_factory=dict)
    client_amounts: Optional[dict[str, Decimal]] = None
    price_includes_tax: Optional[bool] = None  # None: the product's own setting
    jewellery: Optional[JewelleryTerms] = None  # a jewellery piece (qty 1), priced by weight, purity and rate


@dataclass
class DraftPayment:
    mode: str
    amount: Decimal
    reference: Optional[str] = None
    timestamp: Optional[datetime] = None


@dataclass
class NewCustomer:
    name: str
    phone_no: str
    gender: Optional[str] = None
    address: Optional[str] = None
    email: Optional[str] = None
    gstin: Optional[str] = None  # a B2B buyer's GSTIN (checked when the customer is created)
    legal_name: Optional[str] = None


@dataclass
class ClientTotals:
    sub_total: Decimal = ZERO
    discount: Decimal = ZERO
    tax: Decimal = ZERO
    total_amount: Decimal = ZERO
    paid_amount: Decimal = ZERO
    due_amount: Decimal = ZERO
    cgst_amount: Decimal = ZERO
    sgst_amount: Decimal = ZERO


@dataclass
class BillDraft:
    lines: list[DraftLine]
    customer: Union[Party, NewCustomer, None] = None
    payments: list[DraftPayment] = dc_field(default_factory=list)
    payment_mode: Optional[str] = None
    payment_amount: Optional[Decimal] = None
    discount: Decimal = ZERO
    coupon_codes: list[str] = dc_field(default_factory=list)
    referral_code: Optional[str] = None
    billing_timestamp: Optional[datetime] = None
    payment_timestamp: Optional[datetime] = None
    kind: str = "sale"
    source: str = "pos"
    invoice_number: Optional[str] = None
    client_totals: Optional[ClientTotals] = None
    columns: dict[str, Any] = dc_field(default_factory=dict)
    # The state chosen on the bill (two-digit GST state code); the buyer's GSTIN, when it has one, wins over it.
    place_of_supply: Optional[str] = None
    additional_charges: Decimal = ZERO  # bill-level, untaxed, added to the grand total (jewellery add-invoice)
    # Payment modes taken beyond PAYMENT_MODES: the jewellery till's old-gold "exchange" (its voucher as reference).
    extra_payment_modes: tuple[str, ...] = ()
    loyalty_points: int = 0  # the customer's points redeemed on this bill: a discount (services.parties.loyalty)


# --------------------------------------------------------------------------- validation and pricing


def _line_field(line: DraftLine, index: int) -> str:
    return line.field or f"items[{index}]"


def _first(*values):
    return next((v for v in values if v is not None), None)


def bill_day(store: Store, draft: BillDraft):
    """The store's calendar day of the bill: the day whose metal rates price its jewellery lines."""
    return store.local_today(draft.billing_timestamp)


def _metal_terms(line: DraftLine) -> tuple[Any, Any, bool]:
    """A jewellery line's metal, purity and cutting_enabled: the terms', else the piece's."""
    terms, piece = line.jewellery, line.product
    attrs = piece.attributes or {}
    return (_first(terms.metal, attrs.get("metal")), _first(terms.purity, attrs.get("purity")),
            bool(_first(terms.cutting_enabled, piece.cutting_enabled, False)))


def _check_rate_changes(store: Store, user: Optional[User], draft: BillDraft) -> None:
    """Pricing a jewellery line at another rate than the store's rate in force is for owners only."""
    from services.jewellery import rates

    if user is None:
        return
    for line in draft.lines:
        if line.jewellery is None or line.jewellery.rate is None or line.product is None:
            continue
        metal, purity, cutting = _metal_terms(line)
        if rates.metal_problem(metal) or rates.purity_problem(metal, purity):
            continue  # validate_draft names the field
        quote = rates.rate_on(store, metal, FINE_PURITY[metal] if cutting else purity, bill_day(store, draft))
        if quote is None or quote.price_per_gram != line.jewellery.rate:
            if not has_role(getattr(membership_for(user, store), "role", None), "owner"):
                raise PermissionDenied("Only the owner may change the metal rate on a bill.")


def jewellery_line(store: Store, line: DraftLine, day) -> JewelleryLine:
    """The engine's input for a jewellery line: the terms given, else the piece's own, else the defaults; the rate
    in force on `day` when none is given. ValidationError (fields metal, purity, rate) when it cannot be built."""
    from services.jewellery import rates

    terms, piece = line.jewellery, line.product
    attrs = piece.attributes or {}
    metal, purity, cutting = _metal_terms(line)
    errors = FieldErrors()
    if not rates.check_metal_purity(metal, purity, errors):
        errors.raise_if()
    rate = terms.rate
    if rate is None:
        rate = rates.require_rate(store, metal, FINE_PURITY[metal] if cutting else purity, day).price_per_gram
    stones = terms.stones if terms.stones is not None else [
        Stone(Decimal(str(s.get("weight", 0))), s.get("unit", "carat"), Decimal(str(s.get("value", 0))))
        for s in attrs.get("stones") or []]
    charges = terms.charges if terms.charges is not None else [
        Charge(c.get("name", ""), Decimal(str(c.get("amount", 0)))) for c in piece.charges_json or []]
    own_gst = (piece.cgst_rate or ZERO) + (piece.sgst_rate or ZERO)
    return JewelleryLine(
        gross_weight=_first(terms.gross_weight, piece.gross_weight, ZERO),
        less_weight=_first(terms.less_weight, piece.less_weight, Decimal("0.000")),
        tounch=_first(terms.tounch, piece.tounch),
        wastage=_first(terms.wastage, piece.wastage, ZERO),
        metal=metal, purity=purity, rate=rate,
        making_type=_first(terms.making_type, piece.making_type, "PG"),
        making_charge=_first(terms.making_charge, piece.making_charge, ZERO),
        stones=tuple(stones), charges=tuple(charges),
        hallmark_fee=_first(terms.hallmark_fee, Decimal(str(attrs.get("hallmark_fee", 0)))),
        discount_type=line.discount_type, discount_value=line.discount_value,
        gst_rate=_first(terms.gst_rate, own_gst if own_gst > 0 else None, Decimal(JEWELLERY_GST_RATE)),
        hsn=_first(terms.hsn, piece.hsn_code, JEWELLERY_HSN),
        cutting_enabled=cutting, net_price=terms.net_price,
    )


def _check_jewellery(store: Store, line: DraftLine, where: str, day, errors: FieldErrors) -> None:
    if line.qty != 1:
        errors.add(f"{where}.qty", "A jewellery piece is sold one at a time (qty 1)")
    try:
        piece = jewellery_line(store, line, day)
    except ValidationError as exc:
        for key, messages in exc.errors.items():
            for message in messages:
                errors.add(f"{where}.{key}", message)
        return
    for key, message in jewellery_problems(piece).items():
        errors.add(f"{where}.{key}", message)


def _effective(line: DraftLine, store: Optional[Store] = None, day=None,
               perk: LinePerk = NO_PERK) -> Union[LineInput, JewelleryLine]:
    """The engine's input for a line; `perk` is the customer's membership benefit (units redeemed as sessions come
    off as a membership discount, the plan's percent off the rest)."""
    product = line.product
    if line.jewellery is not None:
        return jewellery_line(store, line, day)
    return LineInput(
        unit_price=line.unit_price if line.unit_price is not None else product.unit_price,
        membership_percent=perk.percent,
        membership_sessions=perk.sessions,
        qty=line.qty,
        discount_type=line.discount_type,
        discount_value=line.discount_value,
        cgst_rate=line.cgst_rate if line.cgst_rate is not None else product.cgst_rate,
        sgst_rate=line.sgst_rate if line.sgst_rate is not None else product.sgst_rate,
        price_includes_tax=bool(line.price_includes_tax if line.price_includes_tax is not None
                                else product.price_includes_tax),
    )


def _check_lines(store: Store, draft: BillDraft, errors: FieldErrors) -> None:
    if not draft.lines:
        errors.add("items", "At least one item is required")
        return
    seen_line_nos: set[int] = set()
    for index, line in enumerate(draft.lines):
        where = _line_field(line, index)
        product = line.product
        if product is None or product.store_id != store.id or product.archived:
            errors.add(f"{where}.id", "Catalog item not found in this store")
            continue
        if line.type is not None and line.type != product.type:
            errors.add(f"{where}.type", f"Type does not match the catalog item ({product.type})")
        if line.line_no is not None:
            if line.line_no in seen_line_nos:
                errors.add(f"{where}.line_no", f"Duplicate line_no {line.line_no}")
            seen_line_nos.add(line.line_no)
        if problem := units.qty_problem(line.qty, product.unit):
            errors.add(f"{where}.qty", problem)
        if line.discount_type not in DISCOUNT_TYPES:
            errors.add(f"{where}.discount_type", "Must be one of: percent, flat")
        elif line.discount_value < 0:
            errors.add(f"{where}.discount_value", "Must be at least 0")
        elif line.discount_type == "percent" and line.discount_value > 100:
            errors.add(f"{where}.discount_value", "A percent discount must be at most 100")
        for name, rate in (("cgst", line.cgst_rate), ("sgst", line.sgst_rate)):
            if rate is not None and not (0 <= rate <= 100):
                errors.add(f"{where}.{name}", "Tax rate must be from 0 to 100")
        if line.unit_price is not None and line.unit_price < 0:
            errors.add(f"{where}.rate", "Must be at least 0")
        if line.staff is not None and (problem := staff_rules.line_staff_problem(store, line.staff)):
            errors.add(f"{where}.staff_id", problem)
        if line.jewellery is not None:
            _check_jewellery(store, line, where, bill_day(store, draft), errors)
            if draft.kind == "sale" and product is not None:
                from services.jewellery.pieces import hallmark_problem

                if problem := hallmark_problem(store, product):
                    errors.add(f"{where}.product_id", problem)


def _check_payments(draft: BillDraft, errors: FieldErrors) -> None:
    modes = PAYMENT_MODES + tuple(draft.extra_payment_modes)
    for index, payment in enumerate(draft.payments):
        if payment.mode not in modes:
            errors.add(f"payments[{index}].mode", "Must be one of: " + ", ".join(modes))
        if payment.amount is None or payment.amount <= 0:
            errors.add(f"payments[{index}].amount", "Must be greater than 0")
    mode = draft.payment_mode
    if mode is None:
        return
    if mode not in BILL_PAYMENT_MODES:
        errors.add("payment_mode", "Must be one of: " + ", ".join(BILL_PAYMENT_MODES))
        return
    amount = draft.payment_amount if draft.payment_amount is not None else sum((p.amount for p in draft.payments), ZERO)
    if amount < 0:
        errors.add("payment_amount", "Must be at least 0")
        return
    if mode == "none":
        if amount != 0:
            errors.add("payment_amount", 'Must be 0 when payment_mode is "none"')
        if draft.payments:
            errors.add("payments", 'Must be empty when payment_mode is "none"')
    elif mode == "split":
        if len(draft.payments) < 2:
            errors.add("payments", 'A "split" payment needs at least two payments')
        elif sum((p.amount for p in draft.payments), ZERO) != amount:
            errors.add("payments", "Payment amounts must add up to payment_amount")
    else:
        if len(draft.payments) != 1:
            errors.add("payments", f'Payment mode "{mode}" needs exactly one payment')
        else:
            payment = draft.payments[0]
            if payment.mode != mode:
                errors.add("payments[0].mode", f'Must be "{mode}" to match payment_mode')
            if payment.amount != amount:
                errors.add("payments[0].amount", "Must equal payment_amount")


def _check_bounds(draft: BillDraft, errors: FieldErrors) -> None:
    """Every number fits its column (services.bounds) before pricing or writing: no overflow, no 1.18e+16."""
    for index, line in enumerate(draft.lines):
        where = _line_field(line, index)
        checks = [("rate", money_problem(line.unit_price))]
        if line.discount_type == "flat":
            checks.append(("discount_value", money_problem(line.discount_value)))
        for name, problem in checks:
            if problem:
                errors.add(f"{where}.{name}", problem)
    for index, payment in enumerate(draft.payments):
        if problem := money_problem(payment.amount):
            errors.add(f"payments[{index}].amount", problem)
    for name in ("payment_amount", "discount", "additional_charges"):
        if problem := money_problem(getattr(draft, name)):
            errors.add(name, problem)


def _check_priced_bounds(priced: PricedBill, errors: FieldErrors) -> None:
    """The engine's amounts fit Numeric(12,2) too (qty x rate can outgrow the column even when each fits)."""
    totals = priced.totals
    if any(money_problem(v) for v in (totals.sub_total, totals.grand_total, totals.paid, totals.dues)) or any(
        money_problem(line.base_amount) or money_problem(line.line_total) for line in priced.lines
    ):
        errors.add("items", f"The bill's amounts must be at most {MAX_MONEY}")


def load_coupons(store: Store, codes: list[str], now: datetime, errors: FieldErrors) -> list[Coupon]:
    """The store's coupons for these codes (whatever their case), each active, inside its window and with uses left.
    The other terms: minimum bill value in validate_draft, uses per customer in save_bill (services.billing.coupons)."""
    if not codes:
        return []
    wanted = [coupon_rules.normal_code(code) for code in codes]  # a code matches whatever its case
    found = {
        c.code.upper(): c
        for c in db.session.execute(
            select(Coupon).where(Coupon.store_id == store.id, func.upper(Coupon.code).in_(wanted))).scalars()
    }
    coupons = []
    for index, code in enumerate(codes):
        coupon = found.get(wanted[index])
        key = f"coupon_codes[{index}]"
        if coupon is None:
            errors.add(key, f"Coupon {code} does not exist")
        elif wanted.index(wanted[index]) != index:
            errors.add(key, f"Coupon {coupon.code} is given twice")
        elif not coupon.active or (coupon.valid_from and coupon.valid_from > now) or (
            coupon.valid_to and coupon.valid_to < now
        ):
            errors.add(key, f"Coupon {code} is not valid now")
        elif coupon.max_uses is not None and coupon.uses >= coupon.max_uses:
            errors.add(key, f"Coupon {code} has been used up")
        else:
            coupons.append(coupon)
    return coupons


@dataclass(frozen=True)
class Buyer:
    """A sale's buyer for GST: their GSTIN (registered: B2B) and state, as the bill snapshots them when saved."""

    gstin: Optional[str] = None
    state: Optional[str] = None


def buyer_of(store: Store, customer: Union[Party, NewCustomer, None], known: Optional[Party] | object = UNSET) -> Buyer:
    """The GSTIN and state of the customer a bill is for (a supplier of a purchase is not a buyer: empty).
    `known`: the stored customer a NewCustomer's phone finds, when the caller has looked it up already."""
    if isinstance(customer, Party):
        record = customer.customer
        return Buyer(record.gstin or None, record.state_code or None) if record is not None else Buyer()
    if isinstance(customer, NewCustomer):
        # The customer this bill will be for (see _resolve_customer): a stored GSTIN wins over the one sent.
        if known is UNSET:
            known = find_customer_by_phone(store, customer.phone_no)
        stored = known.customer if known is not None else None
        gstin = (stored.gstin if stored is not None else None) or customer.gstin or None
        state = (stored.state_code if stored is not None else None) or (gstin[:2] if gstin else None)
        return Buyer(gstin, state)
    return Buyer()


def store_state(store: Store) -> Optional[str]:
    """The store's GST state: its GSTIN's first two digits (the state it is registered in), else its state code;
    None when it has neither."""
    gstin = (store.gstin or "").strip()
    if gstin[:2] in STATE_CODES:
        return gstin[:2]
    return store.state_code or None


def place_of_supply(store: Store, buyer: Buyer, chosen: Optional[str] = None) -> Optional[str]:
    """THE place-of-supply rule (GST state code), for every surface: the buyer's GSTIN state when the buyer is
    registered; else the state chosen on the bill; else the buyer's own state (a customer with a state); else the
    store's state (None when the store has none)."""
    if buyer.gstin:
        return buyer.gstin[:2]
    return chosen or buyer.state or store_state(store)


def supply_state(store: Store, draft: BillDraft, known: Optional[Party] | object = UNSET) -> Optional[str]:
    """A draft's place of supply (`place_of_supply` over its customer and its chosen state); `known` as in
    buyer_of."""
    return place_of_supply(store, buyer_of(store, draft.customer, known), draft.place_of_supply)


def is_inter_state(store: Store, place: Optional[str]) -> bool:
    """IGST applies when the place of supply is another state than the store's (CGST/SGST otherwise)."""
    home = store_state(store)
    return bool(place and home and place != home)


def price_draft(store: Store, draft: BillDraft, coupons: list[Coupon] = (), *,
                supply: Optional[str] | object = UNSET, line_perks: Optional[list[LinePerk]] = None) -> PricedBill:
    """The engine's amounts for a draft (also the held-bill estimate and the POS page's running total), with the
    store's billing options (round-off, discount before tax), the bill's place of supply (`supply`, when the
    caller has worked it out already) and the customer's membership benefits (`line_perks`, worked out here when
    not given: services.salon.memberships.perks)."""
    options = billing_options(store)
    if supply is UNSET:
        supply = supply_state(store, draft)
    day = bill_day(store, draft)
    if line_perks is None:
        line_perks = memberships.perks(store, draft, day)
    return price_bill(
        [_effective(line, store, day, perk) for line, perk in zip(draft.lines, line_perks)],
        discount=draft.discount + loyalty.value_of(store, draft.loyalty_points),
        payments=[p.amount for p in draft.payments],
        coupons=[CouponInput(c.code, c.kind, c.value) for c in coupons],
        inter_state=is_inter_state(store, supply),
        round_off=options.round_off,
        discount_before_tax=options.bill_discount_before_tax,
        additional_charges=draft.additional_charges,
    )


def _wallet_draws(draft: BillDraft) -> list[wallet.Draw]:
    """What the draft's payments take from the customer's wallet (services.parties.wallet)."""
    client = draft.client_totals
    return wallet.draws(draft.payments, client_paid=client.paid_amount if client else None,
                        payment_method_id=draft.columns.get("payment_method_id"))


def validate_draft(store: Store, draft: BillDraft, now: datetime, *, supply: Optional[str] | object = UNSET,
                   line_perks: Optional[list[LinePerk]] = None) -> tuple[PricedBill, list[Coupon]]:
    """Every rule a bill must meet before anything is written; returns the priced bill and its coupons."""
    errors = FieldErrors()
    _check_lines(store, draft, errors)
    memberships.draft_problems(store, draft, errors, _line_field)
    _check_payments(draft, errors)
    _check_bounds(draft, errors)
    if draft.discount is None or draft.discount < 0:
        errors.add("discount", "Must be at least 0")
    if draft.loyalty_points:
        customer = draft.customer.customer if isinstance(draft.customer, Party) else None
        if draft.kind != "sale":
            errors.add("loyalty_points", "Points are redeemed on sales only.")
        elif problem := loyalty.redeem_problem(store, customer, draft.loyalty_points):
            errors.add("loyalty_points", problem)
    if draft.kind == "sale" and draft.customer is None and (
            problem := wallet.customer_problem(None, _wallet_draws(draft))):
        errors.add(*problem)
    if draft.kind == "purchase" and (draws := _wallet_draws(draft)):
        errors.add(draws[0].field, wallet.NOT_FOR_SUPPLIERS)
    if draft.additional_charges is None or draft.additional_charges < 0:
        errors.add("additional_charges", "Must be at least 0")
    if draft.kind not in ("sale", "purchase"):
        errors.add("kind", "Must be sale or purchase")
    if draft.place_of_supply is not None and draft.place_of_supply not in STATE_CODES:
        errors.add("place_of_supply", "Must be a two-digit GST state code, e.g. 27")
    coupons = load_coupons(store, draft.coupon_codes, now, errors)
    errors.raise_if()
    priced = price_draft(store, draft, coupons, supply=supply, line_perks=line_perks)
    _check_priced_bounds(priced, errors)
    coupon_rules.minimum_problems(coupons, priced.totals.sub_total, draft.coupon_codes, errors)
    errors.raise_if()
    total = draft.client_totals.total_amount if draft.client_totals else priced.totals.grand_total
    if draft.client_totals is None and priced.totals.paid > total:
        field_name = "payment_amount" if draft.payment_mode else "payments"
        errors.add(field_name, f"Amount paid ({priced.totals.paid}) exceeds the grand total ({total})")
    errors.raise_if()
    return priced, coupons


# --------------------------------------------------------------------------- writing


def _resolve_customer(store: Store, customer: Union[Party, NewCustomer, None],
                      known: Optional[Party] = None) -> Optional[Party]:
    """The bill's party: `known` (the stored customer found before the counter lock) when there was one; else
    looked up again under the lock, so that two bills for the same new phone make one customer."""
    if customer is None:
        return None
    if isinstance(customer, Party):
        if customer.store_id != store.id or customer.Category_type != "Customer":
            raise ValidationError.field("customer_id", "Customer not found in this store")
        return customer
    existing = known if known is not None else find_customer_by_phone(store, customer.phone_no)
    if existing is not None:
        if customer.gstin and existing.customer is not None and not existing.customer.gstin:
            register_gstin(existing, customer.gstin, customer.legal_name)  # the invoice and its tax agree
        return existing
    pairs = (("gender", customer.gender), ("address", customer.address), ("email", customer.email),
             ("gstin", customer.gstin), ("legal_name", customer.legal_name))
    fields = {k: v for k, v in pairs if v}
    try:
        return create_customer(store, None, CustomerInput.of(name=customer.name, phone_no=customer.phone_no, **fields))
    except ValidationError as exc:  # a duplicate email, or another rule of the customer record
        errors = {"customer." + ("contact_no" if key == "phone_no" else key): messages
                  for key, messages in exc.errors.items()}
        raise ValidationError(exc.message, errors) from exc


def _check_client_number(store: Store, number: str) -> None:
    if not number or not str(number).strip():
        raise ValidationError.field("invoice_number", "This field may not be blank.")
    taken = db.session.execute(
        select(Bill.id).where(Bill.store_id == store.id, Bill.invoice_number == number)
    ).first()
    if taken:
        raise ValidationError.field("invoice_number", "A bill with this invoice number already exists.")


def _use_coupons(coupons: list[Coupon]) -> None:
    table = Coupon.__table__
    for coupon in coupons:
        result = db.session.execute(
            update(table)
            .where(table.c.id == coupon.id, or_(table.c.max_uses.is_(None), table.c.uses < table.c.max_uses))
            .values(uses=table.c.uses + 1)
        )
        if result.rowcount != 1:
            raise ValidationError.field("coupon_codes", f"Coupon {coupon.code} has been used up")
        db.session.expire(coupon, ["uses"])


def _jewellery_columns(line: DraftLine, piece: JewelleryLine, amounts) -> dict[str, Any]:
    """What a jewellery line keeps: the weights, the rate it was priced at (locked: a later rate change never
    changes a saved bill), and the breakdown the invoice shows."""
    j = amounts.jewellery
    return {
        "huid": line.product.huid, "size": line.product.size, "hsn_code": piece.hsn,
        "gross_weight": piece.gross_weight, "less_weight": piece.less_weight, "net_weight": j.net_weight,
        "fine_weight": j.fine_weight, "tounch": j.tounch, "wastage": piece.wastage,
        "making_type": piece.making_type, "making_charge": money(piece.making_charge), "metal_rate": piece.rate,
        "extra": {
            "metal": piece.metal, "purity": piece.purity, "fineness": PURITIES[piece.metal][piece.purity],
            "cutting_enabled": piece.cutting_enabled, "metal_value": str(j.metal_value),
            "making_amount": str(j.making_amount),
            "stones": [{"weight": str(s.weight), "unit": s.unit, "value": str(money(s.value))} for s in piece.stones],
            "stones_value": str(j.stones_value), "hallmark_fee": str(j.hallmark_fee),
            "charges": [{"name": c.name, "amount": str(money(c.amount))} for c in piece.charges],
            "charges_total": str(j.charges_total), "value": str(j.value), "gst_rate": str(money(piece.gst_rate)),
            "net_price": str(money(piece.net_price)) if piece.net_price is not None else None,
        },
    }


def _bill_item(line: DraftLine, index: int, amounts, perk: LinePerk = NO_PERK) -> BillItem:
    if amounts.jewellery is not None:  # priced from amounts.jewellery.piece: the rate looked up once, and kept
        return _jewellery_item(line, index, amounts, amounts.jewellery.piece)
    effective = _effective(line, perk=perk)
    product = line.product
    values = {name: getattr(amounts, name) for name in ENGINE_LINE_FIELDS}
    if line.client_amounts:
        values.update({k: v for k, v in line.client_amounts.items() if k in LINE_AMOUNT_FIELDS})
    item = BillItem(
        line_no=line.line_no if line.line_no is not None else index + 1,
        product_id=product.id,
        type=product.type,
        name=line.name or product.product_name,
        hsn_code=product.hsn_code,
        unit=product.unit,
        staff_id=line.staff.id if line.staff is not None else None,
        qty=line.qty,
        rate=money(effective.unit_price),
        discount_type=line.discount_type,
        discount_value=effective.discount_value,
        price_includes_tax=effective.price_includes_tax,
        **values,
    )
    for name, value in line.columns.items():
        if name not in ITEM_COLUMNS:
            raise ValueError(f"BillItem has no settable column {name!r}")
        setattr(item, name, value)
    return item


def _jewellery_item(line: DraftLine, index: int, amounts, piece: JewelleryLine) -> BillItem:
    item = BillItem(
        line_no=line.line_no if line.line_no is not None else index + 1, product_id=line.product.id,
        type=line.product.type, name=line.name or line.product.product_name, unit=line.product.unit,
        staff_id=line.staff.id if line.staff is not None else None, qty=line.qty, rate=amounts.base_amount,
        discount_type=line.discount_type, discount_value=line.discount_value, price_includes_tax=False,
        **{name: getattr(amounts, name) for name in ENGINE_LINE_FIELDS},
        **_jewellery_columns(line, piece, amounts),
    )
    for name, value in line.columns.items():
        if name not in ITEM_COLUMNS:
            raise ValueError(f"BillItem has no settable column {name!r}")
        if name != "extra":
            setattr(item, name, value)
    return item


def save_bill(store: Store, user: Optional[User], draft: BillDraft, *, now: Optional[datetime] = None) -> Bill:
    """Validate, price, number, stock and record one bill (flushes; the caller commits). See the module docstring."""
    now = now or datetime.now(timezone.utc)
    _check_rate_changes(store, user, draft)
    # The stored customer a typed phone finds, looked up once for the place of supply, the membership perks and
    # the bill's party (a Party sent by id is itself).
    known = memberships.customer_party(store, draft.customer) if draft.customer is not None else None
    supply = supply_state(store, draft, known)
    line_perks = memberships.perks(store, draft, bill_day(store, draft), party=known)  # sessions: guard below
    priced, coupons = validate_draft(store, draft, now, supply=supply, line_perks=line_perks)

    # First write of the transaction: the counter lock (see services.billing.numbering).
    if draft.invoice_number is None:
        # Purchases get their own series so the sales series (GST rule 46) stays consecutive.
        series_name = draft.columns.get("series") or (PURCHASE_SERIES if draft.kind == "purchase" else None)
        taken = numbering.take_next(store, series=series_name, now=now)
        number, series, fy, seq = taken.number, taken.series, taken.fy, taken.seq
    else:
        numbering.lock_counter(store, now=now)
        number, series, fy, seq = str(draft.invoice_number).strip(), None, None, None
        _check_client_number(store, number)

    if draft.kind == "purchase" and isinstance(draft.customer, Party) and draft.customer.Category_type == "Supplier":
        # A purchase from a supplier: one standing purchase per supplier invoice number, checked under the lock.
        party = purchases.resolve_supplier(store, draft.customer)
        purchases.check_supplier_invoice(store, party, draft.columns.get("supplier_invoice_no"))
        customer = party.supplier
    else:
        party = _resolve_customer(store, draft.customer, known if isinstance(draft.customer, NewCustomer) else None)
        customer = party.customer if party is not None else None
    coupon_rules.check_customer_limits(coupons, party, draft.coupon_codes)  # under the counter lock
    # The buyer as of now (GSTR-1 reads the bill's copy): the stored customer, after any GSTIN this bill registered.
    buyer = buyer_of(store, party) if customer is not None and draft.kind == "sale" else Buyer()
    totals = priced.totals
    client = draft.client_totals
    bill = Bill(
        store_id=store.id,
        user_id=user.id if user is not None else None,
        kind=draft.kind,
        source=draft.source,
        invoice_number=number,
        series=series,
        fy=fy,
        seq=seq,
        invoice_date=store.local_today(now),
        party_id=party.id if party is not None else None,
        party=party,  # the relationship too, so that the response does not load the party again
        customer_name=customer.name if customer else None,
        phone=customer.phone_no if customer else None,
        address=customer.address if customer else None,
        payment_mode=draft.payment_mode,
        sub_total=client.sub_total if client else totals.sub_total,
        discount=client.discount if client else totals.discount,
        tax=client.tax if client else totals.tax_amount,
        cgst_amount=client.cgst_amount if client else totals.cgst_amount,
        sgst_amount=client.sgst_amount if client else totals.sgst_amount,
        igst_amount=ZERO if client else totals.igst_amount,
        round_off=ZERO if client else totals.round_off,
        additional_charges=ZERO if client else money(draft.additional_charges),
        place_of_supply=supply,
        buyer_gstin=buyer.gstin,
        buyer_state=buyer.state,
        total_amount=client.total_amount if client else totals.grand_total,
        paid_amount=client.paid_amount if client else totals.paid,
        due_amount=client.due_amount if client else totals.dues,
        status=bill_status(client.total_amount, client.paid_amount) if client else totals.status,
        coupon_codes=[c.code for c in coupons] or None,
        referral_code=draft.referral_code,
        billing_timestamp=draft.billing_timestamp or now,
        payment_timestamp=draft.payment_timestamp,
        created_at=now,
    )
    for name, value in draft.columns.items():
        if name not in BILL_COLUMNS:
            raise ValueError(f"Bill has no settable column {name!r}")
        if name != "series":
            setattr(bill, name, value)
    bill.items = [_bill_item(line, i, amounts, perk)
                  for i, (line, amounts, perk) in enumerate(zip(draft.lines, priced.lines, line_perks))]
    if bill.kind == "sale":  # what each unit cost the shop, as carried now (services.purchases.costs), for profit
        for item, line in zip(bill.items, draft.lines):
            if line.product is not None and line.product.average_cost is not None:
                item.unit_cost = line.product.average_cost
        commissions.stamp(store, bill, [line.product for line in draft.lines])  # the rules in force now
    bill.payments = [
        Payment(mode=p.mode, amount=money(p.amount), reference=p.reference, timestamp=p.timestamp or now,
                user_id=user.id if user is not None else None)
        for p in draft.payments
    ]
    db.session.add(bill)
    try:
        db.session.flush()
    except IntegrityError as exc:
        # Backstop for a client-supplied number saved concurrently through another path.
        raise ValidationError.field("invoice_number", "A bill with this invoice number already exists.") from exc

    wanted = stock.quantities((line.product, line.qty) for line in draft.lines)
    if draft.kind == "sale":
        blame = {}
        for index, line in enumerate(draft.lines):
            blame.setdefault(line.product.id, f"{_line_field(line, index)}.qty")
        stock.take_for_sale(wanted, bill=bill, user_id=bill.user_id, fields=blame)
    else:
        stock.add(wanted, reason="purchase", bill=bill, user_id=bill.user_id)
        # Last and weighted average cost (services.purchases.costs), from the stock on hand the add left.
        costs.record_purchase((line.product, line.qty, amounts.taxable_amount)
                              for line, amounts in zip(draft.lines, priced.lines))
    _use_coupons(coupons)
    coupon_rules.record_uses(store, bill, coupons, party, totals.coupon_discount, totals.sub_total)
    loyalty.after_sale(store, user, bill, draft.loyalty_points)
    if bill.kind == "sale":  # the wallet's conditional UPDATE: a balance that no longer holds it refuses the bill
        wallet.take(store, user, bill, _wallet_draws(draft))
    memberships.after_save(store, user, bill, draft, line_perks, party)  # plans sold start, sessions are taken
    audit.record(
        "create", "bill", bill.uid, store_id=store.id, user_id=bill.user_id,
        after=audit.snapshot(bill, ("invoice_number", "kind", "source", "total_amount", "paid_amount", "status")),
        meta={"coupons": [c.code for c in coupons]} if coupons else None,  # a use is a change of the coupon
    )
    db.session.flush()
    return bill


def hold_bill(store: Store, user: Optional[User], payload: dict[str, Any], draft: BillDraft) -> HeldBill:
    """Park a bill: the payload exactly as sent, a customer summary and the engine's estimate; no number."""
    priced, _ = validate_draft(store, draft, datetime.now(timezone.utc))
    held = HeldBill(
        store_id=store.id,
        user_id=user.id if user is not None else None,
        payload=json_plain(payload),
        customer_summary=customer_summary(draft.customer),
        amount_estimate=priced.totals.grand_total,
    )
    db.session.add(held)
    db.session.flush()
    return held


def json_plain(value: Any) -> Any:
    """A parsed payload made storable in a JSON column: Decimals become the int or float with the same digits.

    (The JSON column's encoder knows no Decimal; float() of a Decimal with at most 15 significant digits prints
    back the same digits, so the held payload reads back as the same numbers.)
    """
    if isinstance(value, dict):
        return {k: json_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_plain(v) for v in value]
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and value.as_tuple().exponent >= 0:
            return int(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    return value


def customer_summary(customer: Union[Party, NewCustomer, None]) -> Optional[str]:
    if customer is None:
        return None
    if isinstance(customer, Party):
        record = customer.customer
        name, phone = (record.name, record.phone_no) if record else (customer.display_name, None)
    else:
        name, phone = customer.name, customer.phone_no
    return f"{name} ({phone})" if phone else name


def lock_bill(bill: Bill) -> Bill:
    """The bill row locked, then re-read: what changes a saved bill's money (payments, returns, cancelling) takes it
    before reading the amounts it checks. The lock is a write (`UPDATE bill SET updated_at`), so it is the row lock
    on PostgreSQL and the database write lock on SQLite (whose driver opens the transaction at the first write),
    and two payments in two worker processes read the dues one after the other."""
    db.session.execute(update(Bill).where(Bill.id == bill.id).values(updated_at=datetime.now(timezone.utc)))
    return db.session.execute(
        select(Bill).where(Bill.id == bill.id).execution_options(populate_existing=True)
    ).scalar_one()


def cancel_reason(raw: Optional[str], bill: Bill) -> str:
    """The reason a page gives for cancelling `bill` (the web pages ask for one): required, at most 255 characters."""
    reason = (raw or "").strip()
    if not reason:
        what = "purchase" if bill.kind == "purchase" else "bill"
        raise ValidationError.field("reason", f"Give a reason for cancelling this {what}.")
    if len(reason) > 255:
        raise ValidationError.field("reason", "At most 255 characters")
    return reason


def cancel_bill(store: Store, user: User, bill: Bill, reason: Optional[str] = None) -> Bill:
    """Cancel a bill (managers and owners): it keeps its number, and its stock moves are reversed."""
    require_role(user, store, "manager")
    if bill.store_id != store.id:
        raise ValidationError.field("bill", "Bill not found in this store")
    # Lock the bill row before reading its stock moves, as a return does (services.billing.returns): a return in
    # flight finishes first and its moves are then seen, and the two never deadlock over product rows.
    bill = lock_bill(bill)
    if bill.cancelled_at is not None:
        raise ValidationError.field("bill", "This bill is already cancelled")
    before = audit.snapshot(bill, ("status", "cancelled_at", "due_amount"))
    stock.reverse_bill(bill, user.id)
    if bill.kind == "purchase":
        costs.after_cancel(bill)  # last_cost back to the newest purchase standing; the average is kept
    bill.cancelled_at = datetime.now(timezone.utc)
    bill.cancelled_by_id = user.id
    bill.cancel_reason = reason
    settle(bill)
    loyalty.after_cancel(store, user, bill)
    wallet.after_cancel(store, user, bill)
    memberships.after_cancel(store, user, bill)  # a plan it sold ends (if unused); sessions it took go back
    audit.record("cancel", "bill", bill.uid, store_id=store.id, user_id=user.id, before=before,
                 after=audit.snapshot(bill, ("status", "cancelled_at", "due_amount")), meta={"reason": reason})
    db.session.flush()
    return bill


def settle(bill: Bill) -> None:
    """A bill's dues and status from what it is worth and what was paid, net of credit notes and refunds:
        dues   = (total - credited) - (paid - refunded);  a cancelled bill has no dues and status `cancelled`
        status = paid (no dues) | partial (something paid) | unpaid
    The one place dues and status change after a bill is saved (payments, returns, cancellation)."""
    if bill.cancelled_at is not None:
        bill.due_amount = ZERO
        bill.status = CANCELLED
        return
    worth = bill.total_amount - bill.credited_amount
    paid = bill.paid_amount - bill.refunded_amount
    owing = interest.owed(bill)
    if owing is not None:  # interest on credit: payments pay the interest first, so the dues are the principal left
        bill.due_amount = owing.principal_left
        bill.status = PAID if owing.principal_left == 0 else PARTIAL if paid > 0 else UNPAID
        return
    bill.due_amount = max(worth - paid, ZERO)
    bill.status = bill_status(worth, paid)


def record_payment(store: Store, user: Optional[User], bill: Bill, payment: DraftPayment) -> Payment:
    """Take a later payment against a bill's dues; paid may not exceed the bill's total (with interest on credit:
    the balance of principal and interest due, interest paid first). Paying a supplier (a purchase) is for
    managers and owners."""
    if bill.kind == "purchase" and user is not None:
        require_role(user, store, "manager")
    errors = FieldErrors()
    if bill.store_id != store.id:
        errors.add("bill", "Bill not found in this store")
    else:  # locked and re-read, so a return or cancel in flight finishes first and the dues checked are current
        bill = lock_bill(bill)
        if bill.cancelled_at is not None:
            errors.add("bill", "This bill is cancelled")
    if payment.mode not in PAYMENT_MODES:
        errors.add("mode", "Must be one of: " + ", ".join(PAYMENT_MODES))
    if bill.kind == "purchase" and payment.mode == WALLET:
        errors.add("mode", wallet.NOT_FOR_SUPPLIERS)
    if payment.amount is None or payment.amount <= 0:
        errors.add("amount", "Must be greater than 0")
    elif problem := money_problem(payment.amount):
        errors.add("amount", problem)
    elif (owing := interest.owed(bill) if bill.cancelled_at is None else None) is not None:
        if money(payment.amount) > owing.balance:  # interest first, then the principal: the whole balance
            errors.add("amount", f"Amount exceeds what is owed ({owing.balance}: {owing.principal_left} dues and "
                                 f"{owing.interest_due} interest)")
    elif money(payment.amount) > bill.due_amount:
        errors.add("amount", f"Amount exceeds the dues ({bill.due_amount})")
    errors.raise_if()
    before = audit.snapshot(bill, ("paid_amount", "due_amount", "status"))
    row = Payment(bill_id=bill.id, mode=payment.mode, amount=money(payment.amount), reference=payment.reference,
                  timestamp=payment.timestamp or datetime.now(timezone.utc), user_id=user.id if user else None)
    db.session.add(row)
    bill.paid_amount = bill.paid_amount + row.amount
    db.session.flush()
    if bill.kind == "sale" and row.mode == WALLET:  # from the bill customer's wallet, refused beyond its balance
        wallet.take(store, user, bill, [wallet.Draw(row.amount, "amount")])
    db.session.expire(bill, ["payments"])  # the statement settle reads includes this payment
    settle(bill)
    audit.record("payment", "bill", bill.uid, store_id=store.id, user_id=row.user_id, before=before,
                 after=audit.snapshot(bill, ("paid_amount", "due_amount", "status")))
    db.session.flush()
    return row


# --------------------------------------------------------------------------- listing


_SORT_COLUMNS = {"date": Bill.created_at, "amount": Bill.total_amount}


def _order_by(key: str) -> tuple:
    """A sort key of the vocabulary ("amount_desc") as ORDER BY clauses; the id breaks ties."""
    column, direction = key.rsplit("_", 1)
    return (getattr(_SORT_COLUMNS[column], direction)(), getattr(Bill.id, direction)())


LIST_SORTS = {key: _order_by(key) for key in BILL_SORTS}


def list_bills(store: Store, *, q: Optional[str] = None, start: Optional[datetime] = None,
               end: Optional[datetime] = None, status: Optional[str] = None, sort: str = DEFAULT_BILL_SORT,
               page: int = 1, limit: int = 20, kind: str = "sale") -> Page:
    """The store's bills, filtered (q over customer name, phone and invoice number), sorted, and counted up to a cap
    (services.paging.paginate_capped): never every bill of a store to show one page.

    Each filter and sort has its index (models.Bill; services.billing.search_index for the text search on
    PostgreSQL): the store and kind, then the status, then the sort's column and the id."""
    query = select(Bill).where(Bill.store_id == store.id, Bill.kind == kind)
    if start is not None:
        query = query.where(Bill.created_at >= start)
    if end is not None:
        query = query.where(Bill.created_at <= end)
    if status:
        query = query.where(Bill.status == status)
    if q and q.strip():
        term = q.strip()
        query = query.where(or_(*(column.icontains(term, autoescape=True)
                                  for column in (Bill.customer_name, Bill.phone, Bill.invoice_number))))
        # The trigram indexes name the matches out of order: read them once, counted and sorted together.
        found = paginate_matches(query, Bill, list(LIST_SORTS[sort]), page, limit)
        if found is not None:
            return found
    return paginate_capped(query.order_by(*LIST_SORTS[sort]), page, limit)


def list_held(store: Store, page: int = 1, limit: int = 50) -> Page:
    """The store's held bills, newest first."""
    query = select(HeldBill).where(HeldBill.store_id == store.id)
    return paginate(query.order_by(HeldBill.created_at.desc(), HeldBill.id.desc()), page, limit)
