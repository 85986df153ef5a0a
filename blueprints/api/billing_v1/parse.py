"""The bill payload of Billing v1 (also what a held bill keeps) into a BillDraft.

Every field error is collected and raised at once as ValidationError keyed by the request path
("items[0].qty", "payments[1].timestamp", "customer.contact_no"). Domain rules that every surface shares
(payment-mode rules, discount limits, stock, coupons) live in services.billing.bills; this module checks the shape.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import bindparam, select

from extensions import db
from models import PRODUCT_TYPES, Party, Product, Staff, Store
from services.billing.bills import BILL_PAYMENT_MODES, DISCOUNT_TYPES, PAYMENT_MODES, BillDraft, DraftLine, DraftPayment
from services.billing.fields import MISSING, new_customer, parse_decimal, parse_int, parse_string, parse_timestamp
from services.errors import FieldErrors
from services.vocabulary import EXCHANGE_TILL_ONLY, is_exchange

QTY_PLACES = 3  # a measured unit (kg, g, l, ml, m) takes three decimals; services.catalog.units decides per unit


def _customer(store: Store, payload: dict, errors: FieldErrors):
    has_id = payload.get("customer_id") not in (None, "")
    has_new = payload.get("customer") is not None
    if has_id and has_new:
        errors.add("customer", "Provide either customer_id or customer, not both")
        return None
    if not has_id and not has_new:
        errors.add("customer_id", "Either customer_id or customer is required")
        return None
    if has_id:
        uid = payload["customer_id"]
        party = None
        if isinstance(uid, str):
            party = db.session.execute(
                select(Party).where(Party.uid == uid, Party.store_id == store.id, Party.Category_type == "Customer")
            ).scalar_one_or_none()
        if party is None:
            errors.add("customer_id", "Customer not found in this store")
        return party
    return new_customer(payload["customer"], errors, strict_phone=True)


def _qty(value, key: str, errors: FieldErrors):
    """A line quantity: a number with at most three decimals (an int when whole). Whether the catalogue item's unit
    takes a fraction (kg yes, pcs no) and the lower bound are services.catalog.units.qty_problem's rule, checked
    by save_bill, so every surface words it the same."""
    if isinstance(value, str):
        errors.add(key, "Must be a number")
        return None
    qty = parse_decimal(value, key, errors, places=QTY_PLACES)
    if qty is None:
        return None
    return int(qty) if qty == qty.to_integral_value() else qty


# Built once (every save looks its lines up; building the statement cost more than running it).
_PRODUCTS = select(Product).where(Product.store_id == bindparam("store_id"),
                                  Product.uid.in_(bindparam("uids", expanding=True)), Product.archived.is_(False))


def _items(store: Store, payload: dict, errors: FieldErrors) -> list[DraftLine]:
    raw = payload.get("items", MISSING)
    if raw is MISSING or raw is None:
        errors.add("items", "This field is required")
        return []
    if not isinstance(raw, list) or not raw:
        errors.add("items", "Must be a non-empty list of items")
        return []
    uids = {entry.get("id") for entry in raw if isinstance(entry, dict) and isinstance(entry.get("id"), str)}
    products = {
        p.uid: p for p in db.session.execute(_PRODUCTS, {"store_id": store.id, "uids": sorted(uids)}).scalars()
    } if uids else {}
    staff_uids = {e.get("staff_id") for e in raw if isinstance(e, dict) and isinstance(e.get("staff_id"), str)}
    staff = {
        s.uid: s for s in db.session.execute(
            select(Staff).where(Staff.store_id == store.id, Staff.uid.in_(staff_uids))
        ).scalars()
    } if staff_uids else {}
    lines = []
    for index, entry in enumerate(raw):
        where = f"items[{index}]"
        if not isinstance(entry, dict):
            errors.add(where, "Must be an object")
            continue
        before = len(errors)
        line_no = parse_int(entry.get("line_no", MISSING), f"{where}.line_no", errors)
        if line_no is not None and line_no < 1:
            errors.add(f"{where}.line_no", "Must be at least 1")
        item_type = entry.get("type")
        if item_type not in PRODUCT_TYPES:
            errors.add(f"{where}.type", "Must be one of: " + ", ".join(PRODUCT_TYPES))
        product = products.get(entry.get("id")) if isinstance(entry.get("id"), str) else None
        if entry.get("id") in (None, ""):
            errors.add(f"{where}.id", "This field is required")
        elif product is None:
            errors.add(f"{where}.id", "Catalog item not found in this store")
        staff_member = None
        if entry.get("staff_id") not in (None, ""):
            staff_member = staff.get(entry.get("staff_id")) if isinstance(entry.get("staff_id"), str) else None
            if staff_member is None:
                errors.add(f"{where}.staff_id", "Staff member not found in this store")
        qty = _qty(entry.get("qty", MISSING), f"{where}.qty", errors)
        discount_type = entry.get("discount_type", MISSING)
        if discount_type is MISSING or discount_type is None:
            errors.add(f"{where}.discount_type", "This field is required")
        elif discount_type not in DISCOUNT_TYPES:
            errors.add(f"{where}.discount_type", "Must be one of: percent, flat")
        discount_value = parse_decimal(entry.get("discount_value", MISSING), f"{where}.discount_value", errors)
        cgst = parse_decimal(entry.get("cgst", MISSING), f"{where}.cgst", errors)
        sgst = parse_decimal(entry.get("sgst", MISSING), f"{where}.sgst", errors)
        if len(errors) > before or product is None:
            continue
        lines.append(DraftLine(
            product=product, qty=qty, line_no=line_no, discount_type=discount_type, discount_value=discount_value,
            cgst_rate=cgst, sgst_rate=sgst, staff=staff_member, type=item_type, field=where,
        ))
    return lines


def _mode_problem(mode, allowed) -> str:
    """A payment mode this contract does not take; old-gold exchange (the till's) says so first."""
    choices = "Must be one of: " + ", ".join(allowed)
    return f"{EXCHANGE_TILL_ONLY}. {choices}" if is_exchange(mode) else choices


def _payments(payload: dict, errors: FieldErrors, *, hold: bool) -> list[DraftPayment]:
    raw = payload.get("payments", MISSING)
    if raw is MISSING or raw is None:
        if not hold and payload.get("payment_mode") not in (None, "none"):
            errors.add("payments", "This field is required")
        return []
    if not isinstance(raw, list):
        errors.add("payments", "Must be a list")
        return []
    payments = []
    for index, entry in enumerate(raw):
        where = f"payments[{index}]"
        if not isinstance(entry, dict):
            errors.add(where, "Must be an object")
            continue
        before = len(errors)
        mode = entry.get("mode")
        if mode not in PAYMENT_MODES:
            errors.add(f"{where}.mode", _mode_problem(mode, PAYMENT_MODES))
        amount = parse_decimal(entry.get("amount", MISSING), f"{where}.amount", errors)
        if amount is not None and amount <= 0:
            errors.add(f"{where}.amount", "Must be greater than 0")
        reference = parse_string(entry.get("reference"), f"{where}.reference", errors, max_length=100)
        timestamp = parse_timestamp(entry.get("timestamp", MISSING), f"{where}.timestamp", errors, required=not hold)
        if len(errors) == before:
            payments.append(DraftPayment(mode=mode, amount=amount, reference=reference, timestamp=timestamp))
    return payments


def _codes(payload: dict, errors: FieldErrors) -> list[str]:
    codes: list[str] = []
    primary = payload.get("coupon_code")
    if primary is not None:
        if isinstance(primary, str) and primary.strip():
            codes.append(primary.strip())
        elif not isinstance(primary, str):
            errors.add("coupon_code", "Must be a string")
    more = payload.get("coupon_codes")
    if more is not None:
        if not isinstance(more, list) or not all(isinstance(c, str) for c in more):
            errors.add("coupon_codes", "Must be a list of strings")
        else:
            codes.extend(c.strip() for c in more if c.strip())
    return list(dict.fromkeys(codes))


def parse_bill_payload(store: Store, payload: dict, *, hold: bool = False, source: str = "v1") -> BillDraft:
    """A BillDraft from the JSON body, or ValidationError naming every bad field.

    hold=True applies the hold defaults: payments optional, payment_mode "none", payment_amount 0,
    payment and billing timestamps optional.
    """
    errors = FieldErrors()
    customer = _customer(store, payload, errors)
    lines = _items(store, payload, errors)
    payments = _payments(payload, errors, hold=hold)
    mode = payload.get("payment_mode", MISSING)
    if mode is MISSING or mode is None:
        if hold:
            mode = None if payments else "none"
        else:
            errors.add("payment_mode", "This field is required")
            mode = None
    elif mode not in BILL_PAYMENT_MODES:
        errors.add("payment_mode", _mode_problem(mode, BILL_PAYMENT_MODES))
        mode = None
    amount_raw = payload.get("payment_amount", MISSING)
    if hold and amount_raw in (MISSING, None):
        amount = sum((p.amount for p in payments), Decimal("0"))
    else:
        amount = parse_decimal(amount_raw, "payment_amount", errors)
        if amount is not None and amount < 0:
            errors.add("payment_amount", "Must be at least 0")
    discount = parse_decimal(payload.get("discount", MISSING), "discount", errors, required=False, default=Decimal("0"))
    if discount is not None and discount < 0:
        errors.add("discount", "Must be at least 0")
    billing_ts = parse_timestamp(payload.get("billing_timestamp", MISSING), "billing_timestamp", errors,
                                 required=not hold)
    payment_ts = parse_timestamp(payload.get("payment_timestamp", MISSING), "payment_timestamp", errors, required=False)
    referral = parse_string(payload.get("referral_code"), "referral_code", errors, max_length=50)
    codes = _codes(payload, errors)
    place = payload.get("place_of_supply")  # taken as sent; save_bill checks it is a GST state code
    if place is not None and not isinstance(place, str):
        errors.add("place_of_supply", "Must be a two-digit GST state code, e.g. 27")
        place = None
    errors.raise_if()
    return BillDraft(
        lines=lines, customer=customer, payments=payments, payment_mode=mode, payment_amount=amount,
        discount=discount, coupon_codes=codes, referral_code=referral, billing_timestamp=billing_ts,
        payment_timestamp=payment_ts, source=source, place_of_supply=place,
    )
