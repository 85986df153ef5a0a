"""Invoice numbers (GST rule 46): consecutive and unique per store, series and financial year.

Format: series (the store's invoice prefix, `INV` by default) + the financial year's starting year + a 5-digit
sequence: INV202500001. The financial year runs April to March in the store's time zone.

A number is taken only when a bill is saved, from the InvoiceCounter row, in the bill's own transaction:
`UPDATE invoice_counter SET next_value = next_value + 1 ... RETURNING next_value` is the first statement of the
bill transaction, so on PostgreSQL it row-locks the counter until commit, and on SQLite (legacy transaction mode,
where the driver opens the transaction at the first write) it takes the database write lock before anything
else is read. A rolled-back bill rolls its number back too, so numbers have no gaps; the unique constraint on
(store, invoice_number) is the backstop. Credit notes (services.billing.returns) take theirs the same way, first in
their transaction, from the series "CN" (CN202500001; unique per store on credit_note.number).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update

from extensions import db
from models import DEFAULT_TIMEZONE, InvoiceCounter, Store
from services.database import insert_ignoring_conflict

COUNTER = InvoiceCounter.__table__


@dataclass(frozen=True)
class InvoiceNumber:
    number: str
    series: str
    fy: int
    seq: int


def financial_year(moment: datetime, tz_name: Optional[str] = None) -> int:
    """The starting year of the April-March financial year that `moment` falls in, in the given zone."""
    local = moment.astimezone(ZoneInfo(tz_name or DEFAULT_TIMEZONE))
    return local.year if local.month >= 4 else local.year - 1


def format_number(series: str, fy: int, seq: int) -> str:
    return f"{series}{fy}{seq:05d}"


def _series_and_fy(store: Store, series: Optional[str], now: Optional[datetime]) -> tuple[str, int]:
    moment = now or datetime.now(timezone.utc)
    return (series or store.invoice_prefix or "INV"), financial_year(moment, store.zone.key)


def _insert_counter_if_missing(store_id: int, series: str, fy: int) -> None:
    insert_ignoring_conflict(db.session, COUNTER, {"store_id": store_id, "series": series, "fy": fy, "next_value": 1})


# Built once (every save runs it, and building it cost more than running it). An UPDATE's bind names may not be
# its column names.
_BUMP = (update(COUNTER)
         .where(COUNTER.c.store_id == bindparam("counter_store"), COUNTER.c.series == bindparam("counter_series"),
                COUNTER.c.fy == bindparam("counter_fy"))
         .values(next_value=COUNTER.c.next_value + bindparam("step", type_=COUNTER.c.next_value.type))
         .returning(COUNTER.c.next_value))


def _bump(store_id: int, series: str, fy: int, step: int) -> Optional[int]:
    params = {"counter_store": store_id, "counter_series": series, "counter_fy": fy, "step": step}
    return db.session.execute(_BUMP, params).scalar_one_or_none()


def lock_counter(store: Store, *, series: Optional[str] = None, now: Optional[datetime] = None,
                 step: int = 0) -> tuple[str, int, int]:
    """Lock (and advance by `step`) the store's counter row; returns (series, fy, next_value after the step).

    This is a write, so call it FIRST in a bill transaction (see the module docstring).
    """
    series, fy = _series_and_fy(store, series, now)
    value = _bump(store.id, series, fy, step)
    if value is None:
        _insert_counter_if_missing(store.id, series, fy)
        value = _bump(store.id, series, fy, step)
    return series, fy, value


def take_next(store: Store, *, series: Optional[str] = None, now: Optional[datetime] = None) -> InvoiceNumber:
    """Take the next invoice number in the caller's transaction (locks the counter until commit)."""
    series, fy, after = lock_counter(store, series=series, now=now, step=1)
    seq = after - 1
    return InvoiceNumber(format_number(series, fy, seq), series, fy, seq)


def peek_next(store: Store, *, series: Optional[str] = None, now: Optional[datetime] = None) -> str:
    """The number the next save would get if nothing else saves first (no lock; for held-bill suggestions)."""
    series, fy = _series_and_fy(store, series, now)
    value = db.session.execute(
        select(COUNTER.c.next_value).where(
            COUNTER.c.store_id == store.id, COUNTER.c.series == series, COUNTER.c.fy == fy
        )
    ).scalar_one_or_none()
    return format_number(series, fy, value or 1)
