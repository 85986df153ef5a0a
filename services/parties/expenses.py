"""Money going out of a store: rent, salaries, stock bought for cash, and the rest of the ten categories."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Optional

from extensions import db
from models import EXPENSE_CATEGORIES, Expense, Store, User
from services import audit
from services.accounts.access import require_role
from services.errors import FieldErrors
from services.inputs import Given
from services.scoping import find_in_store

# Expenses are money reports: cashiers neither see nor write them (DESIGN.md "Tenancy and roles").
MINIMUM_ROLE = "manager"


def expenses_query(store: Store):
    return db.select(Expense).where(Expense.store_id == store.id).order_by(Expense.id)


def get_expense(store: Store, expense_id: int) -> Optional[Expense]:
    return find_in_store(Expense, store, id=expense_id)


def can_see_expenses(user: User, store: Store) -> None:
    require_role(user, store, MINIMUM_ROLE)


@dataclass
class ExpenseInput(Given):
    """An expense as the domain takes it; `fields_set` names the fields given (all of them on create)."""

    amount: Optional[Decimal] = None
    date: Optional[date] = None
    category: Optional[str] = None
    description: Optional[str] = None
    is_necessary: bool = True
    fields_set: frozenset[str] = frozenset()


def _check(data: ExpenseInput, creating: bool) -> None:
    """An expense has a positive amount, a date and one of the ten categories."""
    errors = FieldErrors()
    for name in ("amount", "date", "category"):
        if (creating or data.given(name)) and getattr(data, name) is None:
            errors.add(name, "This field is required.")
    if data.amount is not None and data.amount <= 0:
        errors.add("amount", "An expense must be more than 0.")
    if data.category is not None and data.category not in EXPENSE_CATEGORIES:
        errors.add("category", "Must be one of: " + ", ".join(EXPENSE_CATEGORIES))
    errors.raise_if()


def create_expense(store: Store, user: User, data: ExpenseInput) -> Expense:
    """Record an expense of the store."""
    require_role(user, store, MINIMUM_ROLE)
    _check(data, creating=True)
    values = {"is_necessary": True, **data.changes()}
    expense = Expense(store_id=store.id, user_id=user.id, **values)
    db.session.add(expense)
    db.session.flush()
    audit.record("create", "expense", expense.id, store_id=store.id, user_id=user.id, after=audit.snapshot(expense))
    return expense


def update_expense(store: Store, user: User, expense: Expense, data: ExpenseInput) -> Expense:
    """A partial update of the given fields of an expense."""
    require_role(user, store, MINIMUM_ROLE)
    _check(data, creating=False)
    before = audit.snapshot(expense)
    for name, value in data.changes().items():
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
