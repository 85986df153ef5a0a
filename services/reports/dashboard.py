"""Figures for the home page."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from extensions import db
from models import Bill, User
from services.accounts.access import current_store_for, has_role, membership_for
from services.catalog.listing import low_stock_count


def store_today_bounds(store) -> tuple[datetime, datetime]:
    """Start and end of 'today' in the store's time zone, as aware datetimes."""
    zone = store.zone
    today = store.local_today()
    start = datetime.combine(today, time.min, tzinfo=zone)
    return start, start + timedelta(days=1)


def home_summary(user: User) -> dict | None:
    """Today in the user's current store: counts for everyone, money figures for managers and owners only."""
    store = current_store_for(user)
    if store is None:
        return None
    start, end = store_today_bounds(store)
    bills_today = db.select(Bill).where(
        Bill.store_id == store.id,
        Bill.kind == "sale",
        Bill.cancelled_at.is_(None),
        Bill.billing_timestamp >= start,
        Bill.billing_timestamp < end,
    ).subquery()
    count, total, dues = db.session.execute(
        db.select(
            db.func.count(bills_today.c.id),
            db.func.coalesce(db.func.sum(bills_today.c.total_amount), 0),
            db.func.coalesce(db.func.sum(bills_today.c.due_amount), 0),
        )
    ).one()
    low_stock = low_stock_count(store)  # the inventory's low-stock rule (services.catalog.listing)
    membership = membership_for(user, store)
    role = membership.role if membership else None
    summary = {"store": store, "role": role, "bills_today": count, "low_stock": low_stock}
    if has_role(role, "manager"):  # cashiers get no reports of money (DESIGN.md)
        summary |= {"sales_today": total, "dues_today": dues}
    return summary
