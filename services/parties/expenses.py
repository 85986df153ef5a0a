"""Money going out of a store: rent, salaries, stock bought for cash, and the rest of the ten categories."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Iterator, Optional

from sqlalchemy import Select, extract, func, select

from extensions import db
from models import EXPENSE_CATEGORIES, Expense, Store, User
from services import audit
from services.accounts.access import require_role
from services.bounds import money_problem
from services.catalog.exports import neutralise
from services.errors import FieldErrors
from services.inputs import Given
from services.paging import Page, paginate
from services.scoping import find_in_store

ZERO = Decimal("0.00")

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


def expense_problems(data: ExpenseInput, creating: bool) -> FieldErrors:
    """An expense has a positive amount (paise at most, fitting the column), a date and one of the ten categories."""
    errors = FieldErrors()
    for name in ("amount", "date", "category"):
        if (creating or data.given(name)) and getattr(data, name) is None:
            errors.add(name, "This field is required.")
    if data.amount is not None:
        if data.amount <= 0:
            errors.add("amount", "An expense must be more than 0.")
        elif problem := money_problem(data.amount):
            errors.add("amount", problem)
        elif data.amount.as_tuple().exponent < -2:
            errors.add("amount", "At most 2 decimals.")
    if data.category is not None and data.category not in EXPENSE_CATEGORIES:
        errors.add("category", "Must be one of: " + ", ".join(EXPENSE_CATEGORIES))
    return errors


def _check(data: ExpenseInput, creating: bool) -> None:
    expense_problems(data, creating).raise_if()


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


# --------------------------------------------------------------------------- the list, its filters and totals


@dataclass(frozen=True)
class ExpenseFilters:
    """Which expenses a list, its totals and its downloads show: a category, a date range (both ends included) and
    necessary or not; None is "any"."""

    category: Optional[str] = None
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    necessary: Optional[bool] = None

    def args(self) -> dict[str, str]:
        """The filters as query-string values (for the pager and the download links)."""
        pairs = (("category", self.category), ("from", self.date_from and self.date_from.isoformat()),
                 ("to", self.date_to and self.date_to.isoformat()),
                 ("necessary", None if self.necessary is None else ("yes" if self.necessary else "no")))
        return {key: value for key, value in pairs if value}


def filter_problems(filters: ExpenseFilters) -> FieldErrors:
    """A known category, and a date range whose end is not before its start (an inverted range is an error, never
    an empty list that looks filtered)."""
    errors = FieldErrors()
    if filters.category is not None and filters.category not in EXPENSE_CATEGORIES:
        errors.add("category", "Must be one of: " + ", ".join(EXPENSE_CATEGORIES))
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        errors.add("to", "The end date is before the start date.")
    return errors


def _filtered(store: Store, filters: ExpenseFilters) -> list:
    where = [Expense.store_id == store.id]
    if filters.category:
        where.append(Expense.category == filters.category)
    if filters.date_from:
        where.append(Expense.date >= filters.date_from)
    if filters.date_to:
        where.append(Expense.date <= filters.date_to)
    if filters.necessary is not None:
        where.append(Expense.is_necessary.is_(filters.necessary))
    return where


def filtered_query(store: Store, filters: ExpenseFilters) -> Select:
    """The store's expenses matching the filters, newest day first (the later entry first on a day)."""
    return select(Expense).where(*_filtered(store, filters)).order_by(Expense.date.desc(), Expense.id.desc())


def list_expenses(store: Store, user: User, filters: ExpenseFilters, page: int = 1, limit: int = 20) -> Page:
    """One page of the store's expenses under the filters (owners and managers; ValidationError for bad filters)."""
    require_role(user, store, MINIMUM_ROLE)
    filter_problems(filters).raise_if()
    return paginate(filtered_query(store, filters), page, limit)


def filtered_total(store: Store, filters: ExpenseFilters) -> Decimal:
    """The sum of the matching expenses, to the paisa (see monthly_totals for why SQLite sums in Python)."""
    return sum((cell for cell in _month_sums(store, filters).values()), ZERO)


@dataclass
class MonthlyTotals:
    """Expenses summed per category per month. `cells[(year, month)][category]`; `months` newest first;
    `categories` those with any amount, in the contract's order. Totals per month, per category and overall are
    kept beside the data (a table's total row is never one of its rows)."""

    months: list[tuple[int, int]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    cells: dict[tuple[int, int], dict[str, Decimal]] = field(default_factory=dict)
    month_totals: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    category_totals: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = ZERO


def _month_sums(store: Store, filters: ExpenseFilters) -> dict[tuple[int, int, str], Decimal]:
    """(year, month, category) -> amount. PostgreSQL sums the NUMERIC amounts exactly in the database; SQLite keeps
    NUMERIC as binary floats, so there the rows are read and summed as Decimals."""
    year, month = extract("year", Expense.date), extract("month", Expense.date)
    where = _filtered(store, filters)
    sums: dict[tuple[int, int, str], Decimal] = {}
    if db.session.get_bind().dialect.name == "postgresql":
        rows = db.session.execute(select(year, month, Expense.category, func.sum(Expense.amount))
                                  .where(*where).group_by(year, month, Expense.category))
        for y, m, category, amount in rows:
            sums[(int(y), int(m), category)] = Decimal(amount).quantize(ZERO)
        return sums
    for day, category, amount in db.session.execute(select(Expense.date, Expense.category, Expense.amount)
                                                    .where(*where).execution_options(yield_per=1000)):
        key = (day.year, day.month, category)
        sums[key] = sums.get(key, ZERO) + Decimal(str(amount)).quantize(ZERO)
    return sums


def monthly_totals(store: Store, user: User, filters: ExpenseFilters) -> MonthlyTotals:
    """Totals per category per month of the filtered expenses (owners and managers)."""
    require_role(user, store, MINIMUM_ROLE)
    filter_problems(filters).raise_if()
    result = MonthlyTotals()
    for (y, m, category), amount in _month_sums(store, filters).items():
        result.cells.setdefault((y, m), {})[category] = amount
        result.month_totals[(y, m)] = result.month_totals.get((y, m), ZERO) + amount
        result.category_totals[category] = result.category_totals.get(category, ZERO) + amount
        result.total += amount
    result.months = sorted(result.cells, reverse=True)
    result.categories = [c for c in EXPENSE_CATEGORIES if c in result.category_totals]
    return result


# --------------------------------------------------------------------------- downloads

EXPORT_HEADERS = ["Date", "Category", "Amount", "Necessary", "Description"]


def _export_rows(store: Store, filters: ExpenseFilters) -> Iterator[list[Any]]:
    query = filtered_query(store, filters).execution_options(yield_per=1000)
    for e in db.session.execute(query).scalars():
        yield [e.date, e.category, Decimal(e.amount).quantize(ZERO), "yes" if e.is_necessary else "no",
               neutralise(e.description)]


def export_csv(store: Store, user: User, filters: ExpenseFilters) -> str:
    """The filtered expenses as CSV text (typed text that looks like a formula is neutralised)."""
    require_role(user, store, MINIMUM_ROLE)
    filter_problems(filters).raise_if()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADERS)
    for row in _export_rows(store, filters):
        writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, date) else v) for v in row])
    return out.getvalue()


def export_xlsx(store: Store, user: User, filters: ExpenseFilters) -> bytes:
    """The filtered expenses as an XLSX workbook (amounts as number cells, dates as date cells)."""
    require_role(user, store, MINIMUM_ROLE)
    filter_problems(filters).raise_if()
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Expenses")
    sheet.append(EXPORT_HEADERS)
    for row in _export_rows(store, filters):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
