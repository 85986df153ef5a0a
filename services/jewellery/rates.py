"""Metal rates: the price per gram a store sets each day for each metal and purity, and which rate is in force.

    set_rates(store, user, entries, now=None) -> list[MetalRate]     owners and managers; today's rates (upsert)
    rate_on(store, metal, purity, day) -> RateQuote | None           the rate in force on `day`
    require_rate(store, metal, purity, day, field) -> RateQuote      the same, or a 400 naming what is missing
    board(store, day) -> list[RateBoardRow]                          every metal and purity on `day`
    history(store, start, end, metal=None, purity=None)              the rates set in a date range, newest first
    history_by_day(store, page, limit) -> Page of DayRates            one page of days with their rates (web page)

Which rate is in force on a day: the latest rate set for that metal and purity on or before the day. When that
purity has never been set (on or before the day), its rate is derived from the fine metal's (gold 24K, silver 999)
latest rate by fineness: fine rate x fineness / fine fineness, rounded half-up to the paisa (22K from 24K:
x 916 / 999, not x 0.916, since the 24K rate is itself for 999 gold). A set rate always wins over a derived one, even
when older; each quote carries the date it was set and whether it was derived, so the till can show both.
A bill line takes its rate when the bill is saved and keeps it (BillItem.metal_rate): changing a rate later never
changes a saved bill.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

from sqlalchemy import select, update

from extensions import db
from models import MetalRate, Store, User
from services import audit
from services.accounts.access import require_role
from services.billing.pricing import PAISA, decimal_problem
from services.database import insert_ignoring_conflict
from services.errors import FieldErrors, ValidationError
from services.paging import Page, paginate
from services.vocabulary import FINE_PURITY, PURITIES


@dataclass(frozen=True)
class RateEntry:
    metal: Any
    purity: Any
    price_per_gram: Any


@dataclass(frozen=True)
class RateQuote:
    metal: str
    purity: str
    fineness: int
    price_per_gram: Decimal
    date: date  # the day the rate (or the fine rate it was derived from) was set
    derived_from: Optional[str] = None  # the fine purity ("24K") when derived, else None


@dataclass(frozen=True)
class DayRates:
    date: date
    prices: dict[tuple[str, str], Decimal]  # (metal, purity) -> price per gram set that day


@dataclass(frozen=True)
class RateBoardRow:
    metal: str
    purity: str
    fineness: int
    quote: Optional[RateQuote]


def metal_problem(metal: Any) -> Optional[str]:
    if metal not in PURITIES:
        return f"Unknown metal {metal!r}: must be one of " + ", ".join(PURITIES)
    return None


def purity_problem(metal: str, purity: Any) -> Optional[str]:
    if purity not in PURITIES.get(metal, {}):
        return f"Unknown purity {purity!r} for {metal}: must be one of " + ", ".join(PURITIES[metal])
    return None


def check_metal_purity(metal: Any, purity: Any, errors: FieldErrors, prefix: str = "") -> bool:
    """Add the problems of a metal and purity to `errors`; True when both are known."""
    if problem := metal_problem(metal):
        errors.add(prefix + "metal", problem)
        return False
    if problem := purity_problem(metal, purity):
        errors.add(prefix + "purity", problem)
        return False
    return True


def set_rates(store: Store, user: User, entries: list[RateEntry], *, now: Optional[datetime] = None
              ) -> list[MetalRate]:
    """Set today's rate (store's calendar day) for each entry; all or nothing. Setting a rate again the same day
    replaces it. Owners and managers only."""
    require_role(user, store, "manager")
    errors = FieldErrors()
    if not entries:
        errors.add("rates", "At least one rate is required")
    seen: set[tuple[str, str]] = set()
    for index, entry in enumerate(entries):
        prefix = f"rates[{index}]." if len(entries) > 1 else ""
        if check_metal_purity(entry.metal, entry.purity, errors, prefix):
            if (entry.metal, entry.purity) in seen:
                errors.add(prefix + "purity", f"{entry.metal} {entry.purity} is given twice")
            seen.add((entry.metal, entry.purity))
        if problem := decimal_problem(entry.price_per_gram, 2, positive=True):
            errors.add(prefix + "price_per_gram", problem)
    errors.raise_if()
    today = store.local_today(now)
    return [_upsert(store, user, today, e.metal, e.purity, Decimal(e.price_per_gram)) for e in entries]


def _upsert(store: Store, user: User, day: date, metal: str, purity: str, price: Decimal) -> MetalRate:
    """One statement each way, so two owners setting the same rate at once never collide on the unique key."""
    table = MetalRate.__table__
    key = dict(store_id=store.id, metal=metal, purity_label=purity, date=day)
    before = db.session.execute(select(table.c.price_per_gram).filter_by(**key)).scalar_one_or_none()
    created = insert_ignoring_conflict(db.session, table, {**key, "price_per_gram": price,
                                                           "created_at": datetime.now(timezone.utc)},
                                       returning=table.c.id)
    if created is None:
        db.session.execute(update(table).filter_by(**key).values(price_per_gram=price))
    row = db.session.execute(select(MetalRate).filter_by(**key).execution_options(populate_existing=True)).scalar_one()
    audit.record("set", "metal_rate", row.id, store_id=store.id, user_id=user.id,
                 before={"price_per_gram": f"{before:f}"} if before is not None else None,
                 after={"metal": metal, "purity": purity, "date": day.isoformat(), "price_per_gram": f"{price:f}"})
    return row


def _latest(store: Store, metal: str, purity: str, day: date) -> Optional[MetalRate]:
    return db.session.execute(
        select(MetalRate).where(MetalRate.store_id == store.id, MetalRate.metal == metal,
                                MetalRate.purity_label == purity, MetalRate.date <= day)
        .order_by(MetalRate.date.desc()).limit(1)
    ).scalar_one_or_none()


def rate_on(store: Store, metal: str, purity: str, day: date) -> Optional[RateQuote]:
    """The rate in force on `day` (see the module docstring), or None when neither it nor the fine rate is set."""
    fineness = PURITIES[metal][purity]
    row = _latest(store, metal, purity, day)
    if row is not None:
        return RateQuote(metal, purity, fineness, row.price_per_gram, row.date)
    fine = FINE_PURITY[metal]
    base = _latest(store, metal, fine, day) if purity != fine else None
    if base is None:
        return None
    price = (base.price_per_gram * fineness / PURITIES[metal][fine]).quantize(PAISA, rounding=ROUND_HALF_UP)
    return RateQuote(metal, purity, fineness, price, base.date, derived_from=fine)


def require_rate(store: Store, metal: str, purity: str, day: date, field: str = "rate") -> RateQuote:
    """rate_on, or a ValidationError saying which rate to set."""
    quote = rate_on(store, metal, purity, day)
    if quote is None:
        raise ValidationError.field(field, f"No {metal} {purity} rate is set on or before {day.isoformat()}: "
                                           "set today's rate first")
    return quote


def board(store: Store, day: date) -> list[RateBoardRow]:
    """Every metal and purity with the rate in force on `day` (None where none is)."""
    return [RateBoardRow(metal, purity, fineness, rate_on(store, metal, purity, day))
            for metal, purities in PURITIES.items() for purity, fineness in purities.items()]


def history(store: Store, start: date, end: date, metal: Optional[str] = None,
            purity: Optional[str] = None) -> list[MetalRate]:
    """The rates set from `start` to `end` (inclusive), newest day first, then by metal and purity."""
    query = select(MetalRate).where(MetalRate.store_id == store.id, MetalRate.date >= start, MetalRate.date <= end)
    if metal is not None:
        query = query.where(MetalRate.metal == metal)
    if purity is not None:
        query = query.where(MetalRate.purity_label == purity)
    rows = db.session.execute(query.order_by(MetalRate.date.desc(), MetalRate.metal, MetalRate.id)).scalars().all()
    order = {(m, p): i for i, (m, p) in enumerate((m, p) for m, ps in PURITIES.items() for p in ps)}
    return sorted(rows, key=lambda r: (-r.date.toordinal(), order.get((r.metal, r.purity_label), 99)))


def history_by_day(store: Store, page: int = 1, limit: int = 10) -> Page:
    """The days on which rates were set, newest first, one page of them, each with the prices set that day."""
    days = paginate(select(MetalRate.date).where(MetalRate.store_id == store.id).distinct()
                    .order_by(MetalRate.date.desc()), page, limit)
    prices: dict[date, dict[tuple[str, str], Decimal]] = {day: {} for day in days.items}
    if days.items:
        for row in history(store, min(days.items), max(days.items)):
            prices[row.date][(row.metal, row.purity_label)] = row.price_per_gram
    return Page([DayRates(day, prices[day]) for day in days.items], days.page, days.limit, days.total,
                days.has_more)
