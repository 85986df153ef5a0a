"""Interest on a jewellery bill sold (or bought) on credit, and the payment history with it.

    terms_from_json(Bill.interest_terms) -> InterestTerms | None      None when interest is off
    statement(principal, terms, payments, as_of) -> Statement          accrued interest and the payment rows
    bill_statement(bill, as_of=None) -> Statement                      a saved bill's, from its recorded payments
                                                                       and its credit notes (returns)
    bill_interest(bill, as_of=None) -> BillInterest | None             the same with the terms, for the bill page
                                                                       and the PDF; None when interest is off

The rule (docs/api.md, "Interest on credit"):
- Interest accrues from the interest start date (else the bill date) plus the grace days (when grace is on), at a
  monthly rate, on whole days, a month being 30 days.
- Flat (type "1"): on the principal still owed: principal x rate / 100 x days / 30.
- Compound (type "2"): on the principal and the unpaid interest, compounded every 30 days:
  base x ((1 + rate/100)^months x (1 + rate/100 x rest_days / 30) - 1), months = days // 30, rest = days % 30.
- Each payment first pays the interest accrued up to its day, then the principal; a new period starts at each
  payment. Each amount is rounded half-up to the paisa when it accrues.
- A return (credit note) takes its value off the principal on its day, after the interest up to that day.
- remaining_balance after a payment = principal still owed + interest accrued and unpaid.
Payments come from the bill's recorded Payment rows; nothing a client sends is trusted.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterable, Optional

from services.billing.pricing import ZERO, money

if TYPE_CHECKING:
    from models import Bill

FLAT, COMPOUND = "1", "2"
KIND_LABELS = {FLAT: "Flat", COMPOUND: "Compound"}
MONTH_DAYS = 30
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class InterestTerms:
    kind: str  # "1" flat | "2" compound
    monthly_rate: Decimal  # percent a month
    start: date  # the interest start date (else the bill date)
    grace_days: int = 0

    @property
    def accrues_from(self) -> date:
        return self.start + timedelta(days=self.grace_days)


@dataclass(frozen=True)
class PaymentRow:
    amount: Decimal
    date: date
    interest_paid: Decimal
    remaining_balance: Decimal
    principal_paid: Decimal = ZERO


@dataclass(frozen=True)
class Statement:
    principal_left: Decimal  # principal still owed on `as_of`
    interest_due: Decimal  # interest accrued and unpaid on `as_of`
    interest_total: Decimal  # all interest accrued up to `as_of` (paid or not)
    rows: tuple[PaymentRow, ...]

    @property
    def balance(self) -> Decimal:
        return self.principal_left + self.interest_due


def terms_from_json(raw: Optional[dict[str, Any]], bill_date: Optional[date]) -> Optional[InterestTerms]:
    """The stored terms (Bill.interest_terms) as InterestTerms; None when interest is off or has no rate."""
    if not raw or not raw.get("interest_enabled") or raw.get("interest_rate") in (None, ""):
        return None
    start = raw.get("interest_start_date") or raw.get("bill_date")
    start_day = date.fromisoformat(start[:10]) if start else bill_date
    if start_day is None:
        return None
    grace = int(raw.get("grace_period_days") or 0) if raw.get("grace_period_enabled") else 0
    return InterestTerms(str(raw.get("interest_type") or FLAT), Decimal(str(raw["interest_rate"])), start_day, grace)


def accrued(terms: InterestTerms, principal: Decimal, unpaid: Decimal, start: date, end: date) -> Decimal:
    """Interest for the days from `start` to `end` (none before the accrual date), rounded to the paisa."""
    start = max(start, terms.accrues_from)
    days = (end - start).days
    if days <= 0:
        return ZERO
    rate = terms.monthly_rate / HUNDRED
    if terms.kind == COMPOUND:
        months, rest = divmod(days, MONTH_DAYS)
        base = principal + unpaid
        factor = (1 + rate) ** months * (1 + rate * rest / MONTH_DAYS)
        return money(base * factor - base)
    return money(principal * rate * days / MONTH_DAYS)


def statement(principal: Decimal, terms: Optional[InterestTerms], payments: Iterable[tuple[date, Decimal]],
              as_of: date, credits: Iterable[tuple[date, Decimal]] = ()) -> Statement:
    """The payment rows (interest first) and what is owed on `as_of`; without terms no interest accrues.
    `credits` (returns: credit notes by their day) take their value off the principal on that day, after the
    interest up to it; beyond the principal left they were paid back (refunds), so the principal stops at zero.
    On one day, payments count before credits."""
    principal_left, unpaid, total = money(principal), ZERO, ZERO
    last: Optional[date] = None
    rows = []
    events = sorted([(day, 0, amount) for day, amount in payments] + [(day, 1, amount) for day, amount in credits],
                    key=lambda event: (event[0], event[1]))
    for day, is_credit, amount in events:
        if terms is not None:
            gained = accrued(terms, principal_left, unpaid, last or terms.accrues_from, day)
            unpaid, total = unpaid + gained, total + gained
        last = max(last or day, day)
        if is_credit:
            principal_left = max(ZERO, principal_left - money(amount))
            continue
        interest_paid = min(money(amount), unpaid)
        unpaid -= interest_paid
        before = principal_left
        principal_left = max(ZERO, principal_left - (money(amount) - interest_paid))
        rows.append(PaymentRow(money(amount), day, interest_paid, principal_left + unpaid, before - principal_left))
    if terms is not None:
        gained = accrued(terms, principal_left, unpaid, last or terms.accrues_from, as_of)
        unpaid, total = unpaid + gained, total + gained
    return Statement(principal_left, unpaid, total, tuple(rows))


@dataclass(frozen=True)
class BillInterest:
    """A bill's interest terms and its statement on `as_of` (the store's today unless given)."""

    terms: InterestTerms
    statement: Statement
    as_of: date

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.terms.kind, self.terms.kind)

    @property
    def interest_paid(self) -> Decimal:
        return sum((row.interest_paid for row in self.statement.rows), ZERO)


def bill_statement(bill: "Bill", as_of: Optional[date] = None) -> Statement:
    """A saved bill's statement: principal its total, payments its recorded Payment rows by their day in the store's
    time zone, interest by its interest_terms (none when off), on `as_of` (default: the store's today)."""
    from sqlalchemy import select

    from extensions import db
    from models import CreditNote

    store = bill.store
    terms = terms_from_json(bill.interest_terms, bill.invoice_date)
    paid = [(p.timestamp.astimezone(store.zone).date(), p.amount) for p in bill.payments]
    notes = db.session.execute(select(CreditNote.note_date, CreditNote.total_amount)
                               .where(CreditNote.bill_id == bill.id)).all() if bill.id is not None else []
    return statement(bill.total_amount, terms, paid, as_of or store.local_today(),
                     [(day, total) for day, total in notes])


def owed(bill: "Bill") -> Optional[Statement]:
    """What a bill with interest on credit owes today (principal left and interest due, from its recorded payments,
    interest first); None when its interest is off. services.billing.bills.settle makes its dues the principal left
    and record_payment takes up to the whole balance."""
    terms = terms_from_json(bill.interest_terms, bill.invoice_date)
    if terms is None:
        return None
    return bill_statement(bill)


def bill_interest(bill: "Bill", as_of: Optional[date] = None) -> Optional[BillInterest]:
    """What the bill page and the invoice PDF show of interest on credit; None when the bill's interest is off or
    the bill is cancelled (nothing is owed on it)."""
    terms = terms_from_json(bill.interest_terms, bill.invoice_date)
    if terms is None or bill.cancelled_at is not None:
        return None
    day = as_of or bill.store.local_today()
    return BillInterest(terms, bill_statement(bill, day), day)
