"""Money going out of a store: rent, salaries, stock bought for cash, and the rest of the ten categories."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from extensions import db
from models import EXPENSE_CATEGORIES, Expense, Store, User
from services import audit
from services.access import require_role
from services.field_parsers import Fields
from services.scoping import find_in_store

# Expenses are money reports: cashiers neither see nor write them (DESIGN.md "Tenancy and roles").
MINIMUM_ROLE = "manager"


def expenses_query(store: Store):
    return db.select(Expense).where(Expense.store_id == store.id).order_by(Expense.id)


def get_expense(store: Store, expense_id: int) -> Optional[Expense]:
    return find_in_store(Expense, store, id=expense_id)


def can_see_expenses(user: User, store: Store) -> None:
    require_role(user, store, MINIMUM_ROLE)


def _parse(data: dict[str, Any], partial: bool) -> dict[str, Any]:
    fields = Fields(data, partial=partial)
    fields.decimal("amount", required=True, min_value=Decimal("0.01"))
    fields.date("date", required=True)
    fields.choice("category", EXPENSE_CATEGORIES, required=True)
    fields.text("description", allow_null=True)
    fields.boolean("is_necessary")
    return fields.check()


def create_expense(store: Store, user: User, data: dict[str, Any]) -> Expense:
    """Record an expense of the store."""
    require_role(user, store, MINIMUM_ROLE)
    values = _parse(data, partial=False)
    expense = Expense(store_id=store.id, user_id=user.id, is_necessary=values.pop("is_necessary", True), **values)
    db.session.add(expense)
    db.session.flush()
    audit.record("create", "expense", expense.id, store_id=store.id, user_id=user.id, after=audit.snapshot(expense))
    return expense


def update_expense(store: Store, user: User, expense: Expense, data: dict[str, Any]) -> Expense:
    """A partial update of an expense."""
    require_role(user, store, MINIMUM_ROLE)
    values = _parse(data, partial=True)
    before = audit.snapshot(expense)
    for name, value in values.items():
        setattr(expense, name, value)
    db.session.flush()
    audit.record("update", "expense", expense.id, store_id=store.id, user_id=user.id,
                 before=before, after=audit.snapshot(expense))
    return expense


def delete_expense(store: Store, user: User, expense: Expense) -> None:
    """Remove an expense; the audit row keeps what it was."""
    require_role(user, store, MINIMUM_ROLE)
    before = audit.snapshot(expense)
    db.session.delete(expense)
    db.session.flush()
    audit.record("delete", "expense", before["id"], store_id=store.id, user_id=user.id, before=before)
