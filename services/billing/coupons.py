"""Coupons: the store's discount codes (percent or flat), their terms and every bill that used one.

Terms a coupon can have, and where the engine enforces each (services.billing.bills.save_bill, the one path a bill
is saved through):
- active (not paused), valid_from .. valid_to, total uses (`max_uses`): load_coupons, before pricing;
- minimum bill value: the bill's sub-total as the engine prices it (services.billing.pricing: the lines' totals,
  before the bill discount and the coupon) must be at least `min_bill_value` (minimum_problems, in validate_draft);
- uses per customer (`max_uses_per_customer`): the bill's customer has used it fewer times (coupon_use rows, counted
  under the store's invoice-counter lock, so two tills cannot both take the last use); a walk-in bill cannot use such
  a coupon, since there is no customer to count for (check_customer_limits);
- each saved use is a CouponUse row: the bill, its customer and the part of the bill's discount the coupon gave
  (record_uses); the total counter `uses` is raised by the same save.
A cancelled bill keeps its use (the counters, like the invoice number, are not given back); the discount a coupon
gave (coupon_summary) leaves cancelled bills out.

Codes are kept upper-case and are unique in a store whatever their case; a code is matched whatever its case.
The pages (blueprints/coupons.py) are for owners and managers; every write here is audited.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Optional

from sqlalchemy import func, select

from extensions import db
from models import Bill, Coupon, CouponUse, Party, Store, User
from services import audit
from services.accounts.access import require_role
from services.billing.pricing import ZERO, money, shares
from services.bounds import money_problem
from services.errors import FieldErrors, ValidationError
from services.inputs import Given
from services.paging import Page, paginate
from services.vocabulary import COUPON_KINDS, PERCENT

MINIMUM_ROLE = "manager"
CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,49}$")
MAX_LIMIT = 1_000_000_000
COUPON_FIELDS = ("code", "kind", "value", "valid_from", "valid_to", "max_uses", "max_uses_per_customer",
                 "min_bill_value", "active", "uses")


def normal_code(code: str) -> str:
    return (code or "").strip().upper()


# --------------------------------------------------------------------------- the engine's rules


def minimum_problems(coupons: list[Coupon], sub_total: Decimal, codes: list[str], errors: FieldErrors) -> None:
    """Each coupon's minimum bill value against the bill's sub-total (blamed on the coupon's place in `codes`)."""
    for coupon in coupons:
        if coupon.min_bill_value is not None and sub_total < coupon.min_bill_value:
            index = _index(coupon, codes)
            errors.add(f"coupon_codes[{index}]",
                       f"Coupon {coupon.code} needs a bill of at least {money(coupon.min_bill_value)}")


def _index(coupon: Coupon, codes: list[str]) -> int:
    wanted = [normal_code(c) for c in codes]
    return wanted.index(coupon.code) if coupon.code in wanted else 0


def check_customer_limits(coupons: list[Coupon], party: Optional[Party], codes: list[str]) -> None:
    """Uses per customer: the bill's customer has uses left of each coupon (ValidationError otherwise). The caller
    holds the store's invoice-counter lock, so the count cannot change before this bill's use is recorded."""
    errors = FieldErrors()
    for coupon in coupons:
        limit = coupon.max_uses_per_customer
        if limit is None:
            continue
        key = f"coupon_codes[{_index(coupon, codes)}]"
        if party is None:
            errors.add(key, f"Coupon {coupon.code} can be used {limit} time{'s' if limit != 1 else ''} per customer: "
                            "choose the customer on the bill")
            continue
        used = db.session.execute(select(func.count()).select_from(CouponUse).where(
            CouponUse.coupon_id == coupon.id, CouponUse.party_id == party.id)).scalar_one()
        if used >= limit:
            errors.add(key, f"Coupon {coupon.code} has been used {used} time{'s' if used != 1 else ''} by this "
                            "customer already (its limit)")
    errors.raise_if()


def _nominal(coupon: Coupon, sub_total: Decimal) -> Decimal:
    return money(sub_total * coupon.value / 100) if coupon.kind == PERCENT else money(coupon.value)


def record_uses(store: Store, bill: Bill, coupons: list[Coupon], party: Optional[Party], coupon_discount: Decimal,
                sub_total: Decimal) -> None:
    """One CouponUse per coupon on the saved bill; the engine's coupon discount is split between the coupons in
    proportion to what each alone would give (exactly, to the paisa)."""
    if not coupons:
        return
    parts = shares(coupon_discount, [_nominal(c, sub_total) for c in coupons]) if len(coupons) > 1 \
        else [coupon_discount]
    for coupon, part in zip(coupons, parts):
        db.session.add(CouponUse(store_id=store.id, coupon_id=coupon.id, bill_id=bill.id,
                                 party_id=party.id if party is not None else None, discount=money(part)))


# --------------------------------------------------------------------------- the pages' service


@dataclass
class CouponTerms(Given):
    """A coupon as the pages give it: the validity window as the store's calendar days (both ends included)."""

    code: Optional[str] = None
    kind: Optional[str] = None
    value: Optional[Decimal] = None
    valid_from: Optional[date] = None
    valid_to: Optional[date] = None
    max_uses: Optional[int] = None
    max_uses_per_customer: Optional[int] = None
    min_bill_value: Optional[Decimal] = None
    active: bool = True
    fields_set: frozenset[str] = frozenset()


def _money_problem(value: Decimal) -> Optional[str]:
    return money_problem(value) or ("At most 2 decimals." if value.as_tuple().exponent < -2 else None)


def coupon_problems(store: Store, terms: CouponTerms, coupon: Optional[Coupon] = None) -> FieldErrors:
    """A code of letters, digits, - or _ (up to 50), not taken in the store whatever its case; percent
    0 < p <= 100 or flat > 0; the window's end not before its start; limits whole numbers above 0 (total uses not
    below the uses already made); a minimum bill value of 0 or more."""
    errors = FieldErrors()
    code = normal_code(terms.code or "")
    if not code:
        errors.add("code", "This field is required.")
    elif not CODE.match(code):
        errors.add("code", "Use letters, digits, - and _ only (at most 50).")
    else:
        taken = select(Coupon.id).where(Coupon.store_id == store.id, func.upper(Coupon.code) == code)
        if coupon is not None:
            taken = taken.where(Coupon.id != coupon.id)
        if db.session.execute(taken).first():
            errors.add("code", f"A coupon {code} already exists in this store.")
    if terms.kind not in COUPON_KINDS:
        errors.add("kind", "Choose percent or flat.")
    if terms.value is None:
        errors.add("value", "This field is required.")
    elif terms.kind == PERCENT and not (0 < terms.value <= 100):
        errors.add("value", "A percent coupon is more than 0 and at most 100.")
    elif terms.value <= 0:
        errors.add("value", "A flat coupon is more than 0.")
    elif problem := _money_problem(terms.value):
        errors.add("value", problem)
    if terms.valid_from and terms.valid_to and terms.valid_to < terms.valid_from:
        errors.add("valid_to", "The end date is before the start date.")
    for name in ("max_uses", "max_uses_per_customer"):
        limit = getattr(terms, name)
        if limit is not None and not (0 < limit <= MAX_LIMIT):
            errors.add(name, "Must be a whole number above 0." if limit <= 0 else f"Must be at most {MAX_LIMIT}.")
    if coupon is not None and terms.max_uses is not None and 0 < terms.max_uses < coupon.uses:
        errors.add("max_uses", f"It has been used {coupon.uses} times already.")
    if terms.min_bill_value is not None:
        if terms.min_bill_value < 0:
            errors.add("min_bill_value", "Must be 0 or more.")
        elif problem := _money_problem(terms.min_bill_value):
            errors.add("min_bill_value", problem)
    return errors


def _window(store: Store, terms: CouponTerms) -> tuple[Optional[datetime], Optional[datetime]]:
    """The store's calendar days as moments: from the start of the first day to the end of the last."""
    zone = store.zone
    start = datetime.combine(terms.valid_from, time.min, zone).astimezone(timezone.utc) if terms.valid_from else None
    end = (datetime.combine(terms.valid_to + timedelta(days=1), time.min, zone) - timedelta(microseconds=1)
           ).astimezone(timezone.utc) if terms.valid_to else None
    return start, end


def window_days(store: Store, coupon: Coupon) -> tuple[Optional[date], Optional[date]]:
    """A coupon's validity window as the store's calendar days (what the pages show and edit)."""
    zone = store.zone
    return (coupon.valid_from.astimezone(zone).date() if coupon.valid_from else None,
            coupon.valid_to.astimezone(zone).date() if coupon.valid_to else None)


def _apply(store: Store, coupon: Coupon, terms: CouponTerms) -> None:
    coupon.code = normal_code(terms.code)
    coupon.kind = terms.kind
    coupon.value = money(terms.value)
    coupon.valid_from, coupon.valid_to = _window(store, terms)
    coupon.max_uses = terms.max_uses
    coupon.max_uses_per_customer = terms.max_uses_per_customer
    coupon.min_bill_value = money(terms.min_bill_value) if terms.min_bill_value is not None else None
    coupon.active = bool(terms.active)


def create_coupon(store: Store, user: User, terms: CouponTerms) -> Coupon:
    """A new coupon of the store (audited); ValidationError naming every field that is wrong."""
    require_role(user, store, MINIMUM_ROLE)
    coupon_problems(store, terms).raise_if()
    coupon = Coupon(store_id=store.id, uses=0)
    _apply(store, coupon, terms)
    db.session.add(coupon)
    db.session.flush()
    audit.record("create", "coupon", coupon.id, store_id=store.id, user_id=user.id,
                 after=audit.snapshot(coupon, COUPON_FIELDS))
    return coupon


def update_coupon(store: Store, user: User, coupon: Coupon, terms: CouponTerms) -> Coupon:
    """Change a coupon's terms (audited before and after); the uses already made stay."""
    require_role(user, store, MINIMUM_ROLE)
    coupon_problems(store, terms, coupon).raise_if()
    before = audit.snapshot(coupon, COUPON_FIELDS)
    _apply(store, coupon, terms)
    db.session.flush()
    audit.record("update", "coupon", coupon.id, store_id=store.id, user_id=user.id, before=before,
                 after=audit.snapshot(coupon, COUPON_FIELDS))
    return coupon


def set_active(store: Store, user: User, coupon: Coupon, active: bool) -> Coupon:
    """Pause (active False) or resume a coupon (audited)."""
    require_role(user, store, MINIMUM_ROLE)
    before = audit.snapshot(coupon, ("active",))
    coupon.active = active
    db.session.flush()
    audit.record("resume" if active else "pause", "coupon", coupon.id, store_id=store.id, user_id=user.id,
                 before=before, after={"active": active})
    return coupon


COUPON_STATUSES = ("active", "paused")


def list_coupons(store: Store, user: User, q: Optional[str] = None, status: Optional[str] = None, page: int = 1,
                 limit: int = 20) -> Page:
    """The store's coupons, newest first, by part of the code and active or paused."""
    require_role(user, store, MINIMUM_ROLE)
    if status is not None and status not in COUPON_STATUSES:
        raise ValidationError.field("status", "Choose active or paused.")
    query = select(Coupon).where(Coupon.store_id == store.id)
    if q:
        escaped = normal_code(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.upper(Coupon.code).like(f"%{escaped}%", escape="\\"))
    if status is not None:
        query = query.where(Coupon.active.is_(status == "active"))
    return paginate(query.order_by(Coupon.id.desc()), page, limit)


def coupon_uses(store: Store, user: User, coupon: Coupon, page: int = 1, limit: int = 20) -> Page:
    """One page of the bills that used the coupon, newest first (CouponUse rows, with their bill loaded)."""
    require_role(user, store, MINIMUM_ROLE)
    query = (select(CouponUse).join(Bill, Bill.id == CouponUse.bill_id)
             .where(CouponUse.store_id == store.id, CouponUse.coupon_id == coupon.id)
             .order_by(CouponUse.id.desc()))
    return paginate(query, page, limit)


@dataclass(frozen=True)
class CouponSummary:
    uses: int  # bills that used it (cancelled ones too: their use is not given back)
    discount: Decimal  # the discount it gave on bills that stand (cancelled bills left out)
    customers: int  # distinct customers that used it


def coupon_summary(store: Store, coupon: Coupon) -> CouponSummary:
    """How often a coupon was used, by how many customers, and the discount it gave (bills that stand)."""
    uses, customers = db.session.execute(
        select(func.count(CouponUse.id), func.count(func.distinct(CouponUse.party_id)))
        .where(CouponUse.store_id == store.id, CouponUse.coupon_id == coupon.id)).one()
    amounts = db.session.execute(
        select(CouponUse.discount).join(Bill, Bill.id == CouponUse.bill_id)
        .where(CouponUse.store_id == store.id, CouponUse.coupon_id == coupon.id, Bill.cancelled_at.is_(None))).scalars()
    # Summed as Decimals: SQLite keeps NUMERIC as binary floats.
    return CouponSummary(uses, sum((Decimal(str(a)) for a in amounts), ZERO), customers)
