"""Closing the day (the Z report): what each payment mode should hold at the end of a store's day, the cash the
cashier counted and the difference, saved once per day.

Expected per mode = money received that day on sale bills that stand (payments by their time, whatever the bill's
day), less money paid that day to suppliers on purchases that stand, less refunds paid out on that day's credit
notes (by their refund mode), plus wallet top-ups received that day (by how the money came: cash, card, UPI;
services.parties.wallet); payments that settled a party's opening balance count the same way (in from a
customer, out to a supplier). The cash drawer is then expected to hold the cash figure; counted - expected is the
difference (below zero: short). Expenses carry no payment mode, so they are not in the drawer's figure (an expense
paid from the drawer shows as a shortfall; the note says so).

Anyone at the till (cashier and up) may close the day with the cash counted: a cashier counts blind (their page
shows no expected figures, DESIGN.md: no money for cashiers); managers and owners see the expected figures and the
difference. A day is closed once (a second close is refused, also when two arrive at once: the unique constraint on
store and day), never in the future; the close is audited.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Bill, CreditNote, DayClose, OpeningPayment, Party, Payment, Store, User
from services import audit
from services.accounts.access import require_role
from services.bounds import money_problem
from services.errors import FieldErrors, ValidationError
from services.formatting import local_time
from services.parties import wallet
from services.reports.registers import bounds, money
from services.vocabulary import CASH

NOTE_MAX = 255


def expected(store: Store, day: date) -> dict[str, Decimal]:
    """Each payment mode's net money of the day (in less out), cash first, then by name; modes with nothing out."""
    start, end = bounds(store, day, day)
    net: dict[str, Decimal] = {}
    moves = db.session.execute(
        select(Payment.mode, Bill.kind, func.sum(Payment.amount)).join(Bill, Bill.id == Payment.bill_id)
        .where(Bill.store_id == store.id, Bill.cancelled_at.is_(None), Payment.timestamp >= start,
               Payment.timestamp < end).group_by(Payment.mode, Bill.kind)).all()
    opening = db.session.execute(
        select(OpeningPayment.mode, Party.Category_type, func.sum(OpeningPayment.amount))
        .join(Party, Party.id == OpeningPayment.party_id)
        .where(OpeningPayment.store_id == store.id, OpeningPayment.timestamp >= start, OpeningPayment.timestamp < end)
        .group_by(OpeningPayment.mode, Party.Category_type)).all()
    moves = list(moves) + [(mode, "sale" if category == "Customer" else "purchase", amount)
                           for mode, category, amount in opening]
    for mode, kind, amount in moves:
        net[mode] = net.get(mode, Decimal(0)) + (money(amount) if kind == "sale" else -money(amount))
    refunds = db.session.execute(
        select(CreditNote.refund_mode, func.sum(CreditNote.refund_amount))
        .where(CreditNote.store_id == store.id, CreditNote.created_at >= start, CreditNote.created_at < end,
               CreditNote.refund_amount > 0).group_by(CreditNote.refund_mode)).all()
    for mode, amount in refunds:
        net[mode] = net.get(mode, Decimal(0)) - money(amount)
    for entry in wallet.top_ups(store, start, end):  # money received into customers' wallets, by how it came
        net[entry.pay_mode] = net.get(entry.pay_mode, Decimal(0)) + money(entry.amount)
    net.setdefault(CASH, Decimal("0.00"))
    return dict(sorted(net.items(), key=lambda pair: (pair[0] != CASH, pair[0])))


def closed(store: Store, day: date) -> Optional[DayClose]:
    return db.session.execute(select(DayClose).where(DayClose.store_id == store.id, DayClose.day == day)
                              ).scalar_one_or_none()


def _already(close: DayClose, store: Store) -> str:
    who = close.user.username if close.user else "someone"
    return f"This day was closed at {local_time(close.created_at, store.timezone, '%I:%M %p')} by {who}."


def close_day(store: Store, user: User, day: date, counted: object, note: Optional[str] = None) -> DayClose:
    """Close `day` with the cash counted (a Decimal; anything else is refused beside its field). Flushes; the
    caller commits."""
    require_role(user, store, "cashier")
    errors = FieldErrors()
    if day > store.local_today():
        errors.add("day", "A day can be closed once it has begun, not before.")
    if not isinstance(counted, Decimal):
        errors.add("counted_cash", "Enter the cash counted in the drawer, e.g. 4250.50.")
    elif counted < 0:
        errors.add("counted_cash", "The cash counted cannot be below zero.")
    elif problem := money_problem(counted):
        errors.add("counted_cash", problem)
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        errors.add("note", f"At most {NOTE_MAX} characters.")
    if (earlier := closed(store, day)) is not None:
        errors.add("day", _already(earlier, store))
    errors.raise_if()
    figures = expected(store, day)
    close = DayClose(store_id=store.id, day=day, expected={mode: f"{amount:.2f}" for mode, amount in figures.items()},
                     expected_cash=figures[CASH], counted_cash=money(counted),
                     difference=money(counted) - figures[CASH], note=note, user_id=user.id)
    db.session.add(close)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # another till closed it a moment ago
        raise ValidationError.field("day", "This day was closed a moment ago at another till.") from exc
    audit.record("close", "day", day.isoformat(), store_id=store.id, user_id=user.id,
                 after=audit.snapshot(close, ("day", "expected_cash", "counted_cash", "difference", "note")))
    db.session.flush()
    return close
