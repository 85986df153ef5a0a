"""Figures for the home page: today and this month at a glance, the last 30 days' sales and the month's sales by
payment mode.

Sales are the store's sale bills that are not cancelled, by their billing time, at their total (GST included);
purchases are not sales. "Dues collected" is money taken against dues: payments recorded on a later day than the
bill they pay (a payment taken with the bill at the till is part of the sale, not a collection), and payments that
settled a customer's opening balance. "Dues outstanding" is what customers owe today on every sale bill (its due
amount, after payments and returns) and on their opening balances not yet paid.
Days are the store's days (its time zone), each bounded in Python and summed in one statement with CASE per day,
so the same SQL runs on SQLite and PostgreSQL. Cashiers see no money (DESIGN.md): only their own bill counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Optional

from sqlalchemy import and_, case, func, or_, select

from extensions import db
from models import Bill, Customer, OpeningPayment, Party, Payment, Store, User
from services.accounts.access import current_store_for, has_role, membership_for
from services.catalog.listing import low_stock_count
from services.vocabulary import PARTIAL, UNPAID

CHART_DAYS = 30
ZERO = Decimal("0.00")


def store_today_bounds(store: Store) -> tuple[datetime, datetime]:
    """Start and end of 'today' in the store's time zone, as aware datetimes."""
    return day_bounds(store, store.local_today())


def day_bounds(store: Store, day: date) -> tuple[datetime, datetime]:
    """From the store's midnight of `day` to the next (aware; a DST day is as long as it is)."""
    return (datetime.combine(day, time.min, tzinfo=store.zone),
            datetime.combine(day + timedelta(days=1), time.min, tzinfo=store.zone))


def month_bounds(store: Store, day: date) -> tuple[datetime, datetime]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return day_bounds(store, first)[0], day_bounds(store, following)[0]


def _sales() -> list:
    return [Bill.kind == "sale", Bill.cancelled_at.is_(None)]


@dataclass(frozen=True)
class Figures:
    """A period's sales (total of its bills), bill count, average bill and dues collected."""

    sales: Decimal
    bills: int
    collected: Decimal

    @property
    def average(self) -> Decimal:
        return (self.sales / self.bills).quantize(Decimal("0.01")) if self.bills else ZERO


@dataclass(frozen=True)
class Day:
    day: date
    sales: Decimal


def _figures(store: Store, days: list[date]) -> Figures:
    """Sales, bills and dues collected over consecutive `days` (one statement for the bills, one for payments)."""
    start, end = day_bounds(store, days[0])[0], day_bounds(store, days[-1])[1]
    count, total = db.session.execute(
        select(func.count(Bill.id), func.coalesce(func.sum(Bill.total_amount), 0))
        .where(Bill.store_id == store.id, *_sales(), Bill.billing_timestamp >= start, Bill.billing_timestamp < end)
    ).one()
    # A collection: paid on one of the days, for a bill billed before that day began.
    later = [and_(Payment.timestamp >= first, Payment.timestamp < last, Bill.billing_timestamp < first)
             for first, last in (day_bounds(store, day) for day in days)]
    collected = db.session.execute(
        select(func.coalesce(func.sum(Payment.amount), 0)).join(Bill, Bill.id == Payment.bill_id)
        .where(Bill.store_id == store.id, *_sales(), Payment.timestamp >= start, Payment.timestamp < end, or_(*later))
    ).scalar_one()
    collected += db.session.execute(
        select(func.coalesce(func.sum(OpeningPayment.amount), 0)).join(Party, Party.id == OpeningPayment.party_id)
        .where(OpeningPayment.store_id == store.id, Party.Category_type == "Customer",
               OpeningPayment.timestamp >= start, OpeningPayment.timestamp < end)).scalar_one()
    return Figures(sales=Decimal(total).quantize(ZERO), bills=count, collected=Decimal(collected).quantize(ZERO))


def dues_outstanding(store: Store) -> Decimal:
    """What customers owe on all the store's sale bills today."""
    owed = db.session.execute(select(func.coalesce(func.sum(Bill.due_amount), 0))  # ix_bill_store_status
                              .where(Bill.store_id == store.id, Bill.status.in_((PARTIAL, UNPAID)), *_sales(),
                                     Bill.due_amount > 0)).scalar_one()
    opening = db.session.execute(select(func.coalesce(func.sum(Customer.open_balance), 0))
                                 .where(Customer.store_id == store.id, Customer.open_balance > 0)).scalar_one()
    settled = db.session.execute(
        select(func.coalesce(func.sum(OpeningPayment.amount), 0)).join(Party, Party.id == OpeningPayment.party_id)
        .where(OpeningPayment.store_id == store.id, Party.Category_type == "Customer")).scalar_one()
    return (Decimal(owed) + Decimal(opening) - Decimal(settled)).quantize(ZERO)


def daily_sales(store: Store, today: date, days: int = CHART_DAYS) -> list[Day]:
    """Each of the last `days` days (today last) with its sales, days without any at zero."""
    dates = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    bounds = [day_bounds(store, day) for day in dates]
    columns = [func.coalesce(func.sum(case((and_(Bill.billing_timestamp >= first, Bill.billing_timestamp < last),
                                            Bill.total_amount), else_=0)), 0) for first, last in bounds]
    row = db.session.execute(select(*columns).where(Bill.store_id == store.id, *_sales(),
                                                    Bill.billing_timestamp >= bounds[0][0],
                                                    Bill.billing_timestamp < bounds[-1][1])).one()
    return [Day(day, Decimal(value).quantize(ZERO)) for day, value in zip(dates, row)]


def sales_by_mode(store: Store, start: datetime, end: datetime) -> list[tuple[str, Decimal]]:
    """Money taken with the period's sale bills, per payment mode (cash, card, UPI, ...), largest first; what was
    still due is "due"."""
    rows = db.session.execute(
        select(Payment.mode, func.sum(Payment.amount)).join(Bill, Bill.id == Payment.bill_id)
        .where(Bill.store_id == store.id, *_sales(), Bill.billing_timestamp >= start, Bill.billing_timestamp < end)
        .group_by(Payment.mode)).all()
    modes = [(mode, Decimal(amount).quantize(ZERO)) for mode, amount in rows if amount]
    due = db.session.execute(select(func.coalesce(func.sum(Bill.due_amount), 0))
                             .where(Bill.store_id == store.id, *_sales(), Bill.billing_timestamp >= start,
                                    Bill.billing_timestamp < end)).scalar_one()
    if due:
        modes.append(("due", Decimal(due).quantize(ZERO)))
    return sorted(modes, key=lambda pair: (-pair[1], pair[0]))


def own_bills(store: Store, user: User, start: datetime, end: datetime) -> int:
    """The sale bills `user` made in the period (a cashier's own count)."""
    return db.session.execute(select(func.count(Bill.id)).where(
        Bill.store_id == store.id, *_sales(), Bill.user_id == user.id, Bill.billing_timestamp >= start,
        Bill.billing_timestamp < end)).scalar_one()


def home_summary(user: User) -> Optional[dict]:
    """The home page of the user's current store: money figures for managers and owners, a cashier's own bill
    counts; the low-stock count for everyone (services.catalog.listing's rule)."""
    store = current_store_for(user)
    if store is None:
        return None
    membership = membership_for(user, store)
    role = membership.role if membership else None
    today = store.local_today()
    summary: dict = {"store": store, "role": role, "today": today, "low_stock": low_stock_count(store)}
    if not has_role(role, "manager"):  # cashiers get no reports of money
        return summary | {"my_bills_today": own_bills(store, user, *day_bounds(store, today)),
                          "my_bills_month": own_bills(store, user, *month_bounds(store, today))}
    month_start = today.replace(day=1)
    month_days = [month_start + timedelta(days=n) for n in range((today - month_start).days + 1)]
    chart = daily_sales(store, today)
    return summary | {
        "day": _figures(store, [today]), "month": _figures(store, month_days), "month_start": month_start,
        "outstanding": dues_outstanding(store), "chart": chart, "chart_max": max(d.sales for d in chart),
        "modes": sales_by_mode(store, *month_bounds(store, today)),
    }
