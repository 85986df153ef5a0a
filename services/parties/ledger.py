"""A party's ledger, its dues per bill, and payments received from customers (or made to suppliers) spread over
the oldest dues first.

The ledger of a customer (sales) or a supplier (purchases) over a date range of the store's calendar days:

    opening = the party's opening balance (Customer.open_balance, Supplier.open_balance) + every entry before the range
    entries, in time order, each moving the balance (what the party owes us; for a supplier, what we owe them):
        bill        + total_amount            at the bill's billing_timestamp
        payment     - Payment.amount          at the payment's timestamp (a payment on a bill);
                    - OpeningPayment.amount   at its timestamp: the part of a payment that settled the opening balance
                    - (paid_amount - its Payment rows) at the billing time of a bill saved with a paid amount and
                      no payment rows (NamastePMS client totals): paid as recorded on the bill
        credit note - CreditNote.total_amount at the note's created_at
        refund      + CreditNote.refund_amount (the part of a credit note paid back in money), same moment
        cancelled   - (total_amount - credited_amount) at cancelled_at: the bill's worth left, reversed
        interest    + the interest a payment paid first, on a credit bill with interest terms (jewellery)
    closing = opening + bills + interest + refunds - payments - credit notes - cancellations

Payments on a bill later cancelled stay in the ledger (nothing pays them back), so the party is then in credit.
The balance of a party over all time (`balances`) is the same sum made by one query per page of a list.

Dues are the opening balance not yet paid (the oldest dues: they were owed before any bill here) and each bill's
(Bill.due_amount, kept by services.billing.bills.settle): what a payment can still be applied to. `receive_payment`
takes the party's row lock, then applies the amount to the opening balance first (an OpeningPayment row), then to the
bills' dues oldest first through services.billing.bills.record_payment (the one rule for a payment on a bill),
never more than the total dues (an advance beyond them is refused: the issue lists it as bad input).

Ageing counts the opening balance still due as old as the party's record (its created_at): the dues were brought
forward when the party was entered, so that is the one date known for them, and they age from it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Optional, Union
from urllib.parse import quote

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import aliased

from extensions import db
from models import Bill, CreditNote, Customer, OpeningPayment, Party, Payment, Store, Supplier, User, utcnow
from services import audit
from services.accounts.access import require_role
from services.billing.bills import DraftPayment, record_payment
from services.billing.pricing import ZERO, money
from services.bounds import money_problem
from services.errors import FieldErrors, ValidationError
from services.jewellery import interest
from services.parties import wallet
from services.periods import DATE_FORMAT, INVERTED, DateRange, parse_range  # noqa: F401 (the ledger's period)
from services.vocabulary import PAYMENT_MODES, WALLET, payment_mode_label

SALE, PURCHASE = "sale", "purchase"
NO_DUES = "Nothing is due from this party."
OPENING = "Opening balance"


def kind_of(party: Party) -> str:
    """A customer's ledger is made of sales; a supplier's of purchases."""
    return PURCHASE if party.Category_type == "Supplier" else SALE


# --------------------------------------------------------------------------- date ranges


def _moment(store: Store, day: date) -> datetime:
    """The UTC moment the store's calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=store.zone).astimezone(timezone.utc)


def _bounds(store: Store, span: DateRange) -> tuple[Optional[datetime], Optional[datetime]]:
    start = _moment(store, span.start) if span.start else None
    end = _moment(store, span.end + timedelta(days=1)) if span.end else None
    return start, end


# --------------------------------------------------------------------------- the ledger


@dataclass
class Entry:
    when: datetime
    kind: str  # bill | payment | credit_note | refund | cancelled
    reference: str
    debit: Decimal  # raises the balance
    credit: Decimal  # lowers it
    bill_id: Optional[int] = None
    note: str = ""
    balance: Decimal = ZERO


@dataclass
class Ledger:
    party: Party
    span: DateRange
    opening_balance: Decimal  # the party's own opening balance field
    opening: Decimal  # the balance at the start of the range
    entries: list[Entry] = field(default_factory=list)
    totals: dict[str, Decimal] = field(default_factory=dict)

    @property
    def closing(self) -> Decimal:
        return self.entries[-1].balance if self.entries else self.opening


CREDITS = frozenset({"payment", "credit_note", "cancelled"})
ORDER = {"bill": 0, "interest": 1, "payment": 2, "credit_note": 3, "refund": 4, "cancelled": 5}
LABELS = {"bill": "Bill", "interest": "Interest", "payment": "Payment", "credit_note": "Credit note",
          "refund": "Refund paid", "cancelled": "Bill cancelled"}


def party_store(party: Party) -> Store:
    return db.session.get(Store, party.store_id)


def opening_field(party: Party) -> Decimal:
    """The opening balance the party was given (what a customer owed us, or we owed a supplier, when entered)."""
    record = party.customer if party.Category_type == "Customer" else party.supplier
    return money(record.open_balance) if record is not None else ZERO


def opening_paid(party: Party, start: Optional[datetime] = None, end: Optional[datetime] = None) -> Decimal:
    """What payments settled of the party's opening balance (between two moments; None: open-ended)."""
    return money(db.session.execute(
        select(func.sum(OpeningPayment.amount)).where(OpeningPayment.party_id == party.id,
                                                      *_window(OpeningPayment.timestamp, start, end))
    ).scalar() or ZERO)


def opening_due(party: Party) -> Decimal:
    """The opening balance still to be paid: the party's oldest dues."""
    return max(opening_field(party) - opening_paid(party), ZERO)


def _window(column, start: Optional[datetime], end: Optional[datetime]) -> list:
    where = []
    if start is not None:
        where.append(column >= start)
    if end is not None:
        where.append(column < end)
    return where


def _sums(party: Party, start: Optional[datetime], end: Optional[datetime]) -> dict[str, Decimal]:
    """Each kind of entry summed between two moments (None: open-ended), one query per kind."""
    kind = kind_of(party)
    own = (Bill.store_id == party.store_id, Bill.party_id == party.id, Bill.kind == kind)

    def total(query) -> Decimal:
        return money(db.session.execute(query).scalar() or ZERO)

    notes = db.session.execute(
        select(func.coalesce(func.sum(CreditNote.total_amount), 0),
               func.coalesce(func.sum(CreditNote.refund_amount), 0))
        .join(Bill, CreditNote.bill_id == Bill.id).where(*own, *_window(CreditNote.created_at, start, end))
    ).one()
    return {
        "bill": total(select(func.sum(Bill.total_amount)).where(*own, *_window(Bill.billing_timestamp, start, end))),
        "payment": total(select(func.sum(Payment.amount)).join(Bill, Payment.bill_id == Bill.id)
                         .where(*own, *_window(Payment.timestamp, start, end)))
        # and what bills billed in the window carry as paid beyond their payment rows (client totals)
        + total(select(func.sum(Bill.paid_amount)).where(*own, *_window(Bill.billing_timestamp, start, end)))
        - total(select(func.sum(Payment.amount)).join(Bill, Payment.bill_id == Bill.id)
                .where(*own, *_window(Bill.billing_timestamp, start, end)))
        + opening_paid(party, start, end),
        "interest": _interest_between(party_store(party), party, start, end) if kind == SALE else ZERO,
        "credit_note": money(notes[0]),
        "refund": money(notes[1]),
        "cancelled": total(select(func.sum(Bill.total_amount - Bill.credited_amount))
                           .where(*own, Bill.cancelled_at.is_not(None), *_window(Bill.cancelled_at, start, end))),
    }


def _net(sums: dict[str, Decimal]) -> Decimal:
    return (sums["bill"] + sums["interest"] + sums["refund"] - sums["payment"] - sums["credit_note"]
            - sums["cancelled"])


def _rows_paid(bill_ids: list[int]) -> dict[int, Decimal]:
    """The Payment rows of these bills summed per bill."""
    if not bill_ids:
        return {}
    return {bill_id: money(total) for bill_id, total in db.session.execute(
        select(Payment.bill_id, func.sum(Payment.amount)).where(Payment.bill_id.in_(bill_ids))
        .group_by(Payment.bill_id))}


def interest_entries(store: Store, bills: list[Bill]) -> list[Entry]:
    """Interest on credit (jewellery bills with interest terms): the interest each payment paid first, as a debit
    at the payment's moment (services.jewellery.interest.statement; the bill's dues are the principal left, so the
    balance stays the bills' dues). Payment rows and credit notes of the bills are read with one query each."""
    bearing = [bill for bill in bills if interest.terms_from_json(bill.interest_terms, bill.invoice_date)]
    if not bearing:
        return []
    ids = [bill.id for bill in bearing]
    payments: dict[int, list[Payment]] = {}
    for row in db.session.execute(select(Payment).where(Payment.bill_id.in_(ids)).order_by(Payment.id)).scalars():
        payments.setdefault(row.bill_id, []).append(row)
    notes: dict[int, list] = {}
    for bill_id, day, total_amount in db.session.execute(
            select(CreditNote.bill_id, CreditNote.note_date, CreditNote.total_amount)
            .where(CreditNote.bill_id.in_(ids))):
        notes.setdefault(bill_id, []).append((day, total_amount))
    entries = []
    for bill in bearing:
        terms = interest.terms_from_json(bill.interest_terms, bill.invoice_date)
        # the statement's rows follow the payments by their day (stable), as bill_statement orders them
        rows_of = sorted(payments.get(bill.id, []), key=lambda p: p.timestamp.astimezone(store.zone).date())
        paid = [(p.timestamp.astimezone(store.zone).date(), p.amount) for p in rows_of]
        result = interest.statement(bill.total_amount, terms, paid, store.local_today(), notes.get(bill.id, []))
        for payment, row in zip(rows_of, result.rows):
            if row.interest_paid > 0:
                entries.append(Entry(payment.timestamp, "interest", bill.invoice_number, money(row.interest_paid),
                                     ZERO, bill.id, "paid first from this payment"))
    return entries


def _interest_between(store: Store, party: Party, start: Optional[datetime], end: Optional[datetime]) -> Decimal:
    bills = list(db.session.execute(select(Bill).where(
        Bill.store_id == store.id, Bill.party_id == party.id, Bill.kind == SALE)).scalars())
    return sum((e.debit for e in interest_entries(store, bills)
                if (start is None or e.when >= start) and (end is None or e.when < end)), ZERO)


def _entries(party: Party, start: Optional[datetime], end: Optional[datetime]) -> list[Entry]:
    kind = kind_of(party)
    own = (Bill.store_id == party.store_id, Bill.party_id == party.id, Bill.kind == kind)
    entries: list[Entry] = []
    billed = list(db.session.execute(select(Bill).where(*own, *_window(Bill.billing_timestamp, start, end))).scalars())
    rows_paid = _rows_paid([bill.id for bill in billed])
    for bill in billed:
        note = f"supplier's invoice {bill.supplier_invoice_no}" if bill.supplier_invoice_no else ""
        entries.append(Entry(bill.billing_timestamp, "bill", bill.invoice_number, money(bill.total_amount), ZERO,
                             bill.id, note))
        as_sent = money(bill.paid_amount) - rows_paid.get(bill.id, ZERO)
        if as_sent:  # a bill saved with its paid amount and no payment rows (NamastePMS client totals)
            entries.append(Entry(bill.billing_timestamp, "payment", bill.invoice_number, max(-as_sent, ZERO),
                                 max(as_sent, ZERO), bill.id, "paid as recorded on the bill"))
    for payment, number in db.session.execute(
            select(Payment, Bill.invoice_number).join(Bill, Payment.bill_id == Bill.id)
            .where(*own, *_window(Payment.timestamp, start, end))):
        entries.append(Entry(payment.timestamp, "payment", number, ZERO, money(payment.amount), payment.bill_id,
                             " ".join(filter(None, (payment_mode_label(payment.mode), payment.reference)))))
    for row in db.session.execute(select(OpeningPayment).where(
            OpeningPayment.party_id == party.id, *_window(OpeningPayment.timestamp, start, end))).scalars():
        entries.append(Entry(row.timestamp, "payment", OPENING, ZERO, money(row.amount), None,
                             " ".join(filter(None, (payment_mode_label(row.mode), row.reference)))))
    for note, number in db.session.execute(
            select(CreditNote, Bill.invoice_number).join(Bill, CreditNote.bill_id == Bill.id)
            .where(*own, *_window(CreditNote.created_at, start, end))):
        entries.append(Entry(note.created_at, "credit_note", note.number, ZERO, money(note.total_amount),
                             note.bill_id, f"against {number}"))
        if note.refund_amount:
            entries.append(Entry(note.created_at, "refund", note.number, money(note.refund_amount), ZERO,
                                 note.bill_id, payment_mode_label(note.refund_mode)))
    for bill in db.session.execute(select(Bill).where(*own, Bill.cancelled_at.is_not(None),
                                                      *_window(Bill.cancelled_at, start, end))).scalars():
        entries.append(Entry(bill.cancelled_at, "cancelled", bill.invoice_number, ZERO,
                             money(bill.total_amount - bill.credited_amount), bill.id, bill.cancel_reason or ""))
    if kind == SALE:
        bills = list(db.session.execute(select(Bill).where(*own)).scalars())
        entries += [e for e in interest_entries(bills[0].store, bills)
                    if (start is None or e.when >= start) and (end is None or e.when < end)] if bills else []
    entries.sort(key=lambda e: (e.when, ORDER[e.kind], e.bill_id or 0))
    return entries


def ledger(store: Store, party: Party, span: Optional[DateRange] = None) -> Ledger:
    """The party's ledger over `span` (None: all of it): opening, the entries with a running balance, totals per
    kind, closing."""
    span = span or DateRange()
    if party.store_id != store.id:
        raise ValidationError.field("party", "Not a party of this store")
    start, end = _bounds(store, span)
    own_opening = opening_field(party)
    before = _net(_sums(party, None, start)) if start is not None else ZERO
    book = Ledger(party, span, own_opening, own_opening + before, totals=dict.fromkeys(ORDER, ZERO))
    balance = book.opening
    for entry in _entries(party, start, end):
        balance += entry.debit - entry.credit
        entry.balance = balance
        sign = -1 if entry.kind in CREDITS else 1  # each kind's total in its own direction
        book.totals[entry.kind] += sign * (entry.debit - entry.credit)
        book.entries.append(entry)
    return book


# --------------------------------------------------------------------------- balances and dues


@dataclass(frozen=True)
class Standing:
    """A party's balance over all time (the ledger's closing today) and its last bill."""

    balance: Decimal
    last_bill_at: Optional[datetime] = None
    last_bill_number: Optional[str] = None


def balances(store: Store, parties: list[Party]) -> dict[int, Standing]:
    """Each party's all-time balance and last bill, for a page of a list: one aggregate query for the page over the
    bills' own columns (paid_amount is the payment rows plus any paid amount the bill was saved with), opening
    balances from the parties already loaded."""
    ids = [party.id for party in parties]
    if not ids:
        return {}
    kind = kind_of(parties[0])
    own = (Bill.store_id == store.id, Bill.party_id.in_(ids), Bill.kind == kind)
    worth = case((Bill.cancelled_at.is_(None), Bill.total_amount - Bill.credited_amount), else_=0)
    other = aliased(Bill)
    last_number = (select(other.invoice_number)
                   .where(other.store_id == store.id, other.party_id == Bill.party_id, other.kind == kind)
                   .order_by(other.billing_timestamp.desc(), other.id.desc()).limit(1)
                   .correlate(Bill).scalar_subquery())
    rows = db.session.execute(
        select(Bill.party_id, func.sum(worth + Bill.refunded_amount - Bill.paid_amount),
               func.max(Bill.billing_timestamp), last_number)
        .where(*own).group_by(Bill.party_id)
    ).all()
    found = {party_id: (money(total or ZERO), at, number) for party_id, total, at, number in rows}
    if kind == SALE:  # interest paid on credit bills (jewellery): only bills with interest terms are read
        bearing = list(db.session.execute(select(Bill).where(
            *own, Bill.interest_terms.is_not(None))).scalars())
        for entry in interest_entries(store, bearing):
            party_id = next(b.party_id for b in bearing if b.id == entry.bill_id)
            total, at, number = found[party_id]
            found[party_id] = (total + entry.debit, at, number)
    settled = {party_id: money(total) for party_id, total in db.session.execute(
        select(OpeningPayment.party_id, func.sum(OpeningPayment.amount))
        .where(OpeningPayment.store_id == store.id, OpeningPayment.party_id.in_(ids))
        .group_by(OpeningPayment.party_id))}
    result = {}
    for party in parties:
        total, at, number = found.get(party.id, (ZERO, None, None))
        result[party.id] = Standing(opening_field(party) - settled.get(party.id, ZERO) + total, at, number)
    return result


def balance_of(store: Store, party: Party) -> Decimal:
    return balances(store, [party])[party.id].balance


def open_bills(store: Store, party: Party) -> list[Bill]:
    """The party's bills with dues, oldest first (billing time, then number): where a payment goes."""
    return list(db.session.execute(
        select(Bill).where(Bill.store_id == store.id, Bill.party_id == party.id, Bill.kind == kind_of(party),
                           Bill.cancelled_at.is_(None), Bill.due_amount > 0)
        .order_by(Bill.billing_timestamp, Bill.id).execution_options(populate_existing=True)
    ).scalars())


def total_dues(store: Store, party: Party) -> Decimal:
    """What payments can still be applied to: the opening balance not yet paid and the dues of the party's bills."""
    return opening_due(party) + money(sum((bill.due_amount for bill in open_bills(store, party)), ZERO))


# --------------------------------------------------------------------------- payments


def lock_party(party: Party) -> None:
    """The party row locked for the transaction (a write, so on SQLite it takes the database write lock): two
    payments of one party read its dues one after the other."""
    db.session.execute(update(Party).where(Party.id == party.id).values(is_updated_at=Party.is_updated_at))


def check_amount(amount: Optional[Decimal], mode: Optional[str]) -> FieldErrors:
    errors = FieldErrors()
    if mode not in PAYMENT_MODES:
        errors.add("mode", "Must be one of: " + ", ".join(PAYMENT_MODES))
    if amount is None:
        errors.add("amount", "Enter an amount")
    elif amount <= 0:
        errors.add("amount", "Must be greater than 0")
    elif problem := money_problem(amount):
        errors.add("amount", problem)
    elif amount != amount.quantize(Decimal("0.01")):
        errors.add("amount", "At most 2 decimal places")
    return errors


def receive_payment(store: Store, user: User, party: Party, amount: Optional[Decimal], mode: Optional[str],
                    reference: Optional[str] = None, *, now: Optional[datetime] = None
                    ) -> list[Union[OpeningPayment, Payment]]:
    """A payment from a customer (or to a supplier), applied to the oldest dues first: the opening balance not yet
    paid (one OpeningPayment row), then its bills' dues oldest first (one Payment row per bill, each at most that
    bill's dues; bills.record_payment checks it again under the bill's lock). More than the total dues, zero or a
    negative amount is refused and nothing is written. Managers and owners (flushes; the caller commits)."""
    require_role(user, store, "manager")
    if party.store_id != store.id:
        raise ValidationError.field("party", "Not a party of this store")
    errors = check_amount(amount, mode)
    if mode == WALLET and party.Category_type != "Customer":
        errors.add("mode", wallet.NOT_FOR_SUPPLIERS)
    errors.raise_if()
    lock_party(party)  # before reading the dues: the opening balance has no other row to lock
    bills = open_bills(store, party)
    opening = opening_due(party)
    dues = opening + money(sum((bill.due_amount for bill in bills), ZERO))
    if dues <= 0:
        raise ValidationError.field("amount", NO_DUES)
    if amount > dues:
        raise ValidationError.field("amount", f"Amount is more than the dues ({dues:f}); take at most {dues:f}.")
    left = money(amount)
    from_wallet = mode == WALLET
    if from_wallet:  # the whole payment against the whole balance, whichever dues it goes to
        wallet.check_covers(store, party.id, left)
    rows: list[Union[OpeningPayment, Payment]] = []
    if opening > 0:
        part = min(left, opening)
        if from_wallet:  # the opening balance is no bill's dues: take its share here (a bill's: record_payment)
            wallet.take_unbilled(store, user, party.id, part, note="Opening balance")
        row = OpeningPayment(store_id=store.id, party_id=party.id, mode=mode, amount=part, reference=reference,
                             timestamp=now or utcnow(), user_id=user.id)
        db.session.add(row)
        db.session.flush()
        rows.append(row)
        left -= part
    for bill in bills:
        if left <= 0:
            break
        part = min(left, bill.due_amount)
        rows.append(record_payment(store, user, bill, DraftPayment(mode=mode, amount=part, reference=reference,
                                                                 timestamp=now)))
        left -= part
    audit.record("payment", "party", party.id, store_id=store.id, user_id=user.id,
                 after={"amount": f"{money(amount):f}", "mode": mode,
                        "opening": f"{sum((r.amount for r in rows if isinstance(r, OpeningPayment)), ZERO):f}",
                        "bills": [{"bill_id": row.bill_id, "amount": f"{row.amount:f}"} for row in rows
                                  if isinstance(row, Payment)]})
    return rows


# --------------------------------------------------------------------------- reminders


def upi_link(store: Store, amount: Decimal) -> Optional[str]:
    """upi://pay?pa=<store UPI id>&pn=<store name>&am=<amount>&cu=INR, or None without a UPI id or an amount."""
    if not store.upi_id or amount <= 0:
        return None
    params = (("pa", store.upi_id.strip()), ("pn", store.name), ("am", f"{money(amount):f}"), ("cu", "INR"))
    return "upi://pay?" + "&".join(f"{key}={quote(value, safe='@.-_')}" for key, value in params)


def reminder_message(store: Store, party: Party, amount: Decimal) -> str:
    name = party.display_name
    text = f"Dear {name}, your balance due at {store.name} is Rs {money(amount):f}. Kindly pay at the earliest."
    link = upi_link(store, amount)
    return f"{text} Pay by UPI: {link}" if link else text


def whatsapp_url(phone: Optional[str], message: str) -> Optional[str]:
    """https://wa.me/<phone digits>?text=<message, URL-encoded>; None without a phone. Only a link for the browser
    to open: the server makes no call. (Also the salon's appointment reminders.)"""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    return f"https://wa.me/{digits}?text={quote(message, safe='')}" if digits else None


def whatsapp_link(store: Store, party: Party, amount: Decimal) -> Optional[str]:
    """The balance reminder's WhatsApp link; None without a phone or an amount due."""
    record = party.customer or party.supplier
    if record is None or amount <= 0:
        return None
    return whatsapp_url(record.phone_no, reminder_message(store, party, amount))


# --------------------------------------------------------------------------- ageing


BUCKETS = ("0-30", "31-60", "61-90", "90+")


def bucket_of(days: int) -> str:
    if days <= 30:
        return "0-30"
    if days <= 60:
        return "31-60"
    return "61-90" if days <= 90 else "90+"


@dataclass
class AgeRow:
    party_id: int
    name: str
    buckets: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)


@dataclass
class Ageing:
    rows: list[AgeRow]
    totals: dict[str, Decimal]  # the total row, kept out of `rows`

    @property
    def total(self) -> Decimal:
        return sum(self.totals.values(), ZERO)


def _opening_dues(store: Store, kind: str) -> list[tuple[int, str, datetime, Decimal]]:
    """Each party's opening balance not yet paid (party id, name, the party's created_at, amount), one query."""
    record = Customer if kind == SALE else Supplier
    paid = (select(OpeningPayment.party_id, func.sum(OpeningPayment.amount).label("paid"))
            .where(OpeningPayment.store_id == store.id).group_by(OpeningPayment.party_id).subquery())
    rows = db.session.execute(
        select(Party.id, record.name, Party.created_at, record.open_balance - func.coalesce(paid.c.paid, 0))
        .join(record, record.party_id == Party.id).outerjoin(paid, paid.c.party_id == Party.id)
        .where(Party.store_id == store.id, record.open_balance > 0)).all()
    return [(party_id, name, created, money(due)) for party_id, name, created, due in rows if due > 0]


def ageing(store: Store, kind: str, today: Optional[date] = None) -> Ageing:
    """Dues of the store's live bills of `kind` (sale: receivables; purchase: payables) per party, in buckets by
    the bill's age in days (its invoice date, else its billing day, to `today`): 0-30, 31-60, 61-90, 90+; a party's
    opening balance still due ages from the day the party was entered (its created_at)."""
    today = today or store.local_today()
    rows = db.session.execute(
        select(Bill.party_id, Bill.customer_name, Bill.invoice_date, Bill.billing_timestamp, Bill.due_amount)
        .where(Bill.store_id == store.id, Bill.kind == kind, Bill.cancelled_at.is_(None), Bill.due_amount > 0)
        .order_by(Bill.customer_name, Bill.party_id)
    ).all()
    parties: dict[object, AgeRow] = {}
    totals = dict.fromkeys(BUCKETS, ZERO)
    rows = [(party_id, name, None, created, due) for party_id, name, created, due in _opening_dues(store, kind)] + rows
    for party_id, name, invoice_day, billed, due in rows:
        day = invoice_day or billed.astimezone(store.zone).date()
        bucket = bucket_of(max((today - day).days, 0))
        key = party_id if party_id is not None else f"walk-in:{name}"
        row = parties.setdefault(key, AgeRow(party_id, name or "Walk-in", dict.fromkeys(BUCKETS, ZERO)))
        row.buckets[bucket] += due
        totals[bucket] += due
    return Ageing(sorted(parties.values(), key=lambda r: (-r.total, r.name)), totals)
