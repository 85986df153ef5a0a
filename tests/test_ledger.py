"""A party's ledger (services.parties.ledger) over bills made by the real services (save_bill, record_payment,
create_return, cancel_bill): entries and running balance, opening from before the range, payments spread over the
oldest dues, refusals that write nothing, the reminder link, ageing, and the invariant
closing = opening + bills + refunds - payments - credit notes - cancellations after seeded random sequences. Both
databases."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, Bill, OpeningPayment, Party, Payment
from services.billing import bills as billing
from services.billing import returns
from services.errors import PermissionDenied, ValidationError
from services.parties import ledger
from services.parties.parties import CustomerInput, SupplierInput, create_customer, create_supplier

D = Decimal
DAY = timedelta(days=1)


@pytest.fixture
def shop(till_shop, make_product):
    """The till shop (UPI id set) with a customer (opening balance 100), a supplier and a well stocked product."""
    store = till_shop.store
    till_shop.asha = create_customer(store, None, CustomerInput.of(
        name="Asha Rao", phone_no="98765 43210", Customer_code="C-1", open_balance=D("100.00")))
    till_shop.acme = create_supplier(store, None, SupplierInput.of(name="Acme Wholesale", code="ACME",
                                                                   phone_no="9822012345"))
    till_shop.rice = make_product(store, "Rice 1kg", unit_price="50.00", quantity=1000, cgst_rate="0",
                                  sgst_rate="0")
    db.session.commit()
    return till_shop


def sell(shop, qty: int = 2, paid: str = "0", when: datetime | None = None, party: Party | None = None,
         kind: str = "sale") -> Bill:
    """A bill of `qty` x Rice at 50.00 for the customer (or a purchase from the supplier), `paid` at the till."""
    payments = [billing.DraftPayment("cash", D(paid), timestamp=when)] if D(paid) > 0 else []
    draft = billing.BillDraft(lines=[billing.DraftLine(product=shop.rice, qty=qty)],
                              customer=party or (shop.acme if kind == "purchase" else shop.asha), payments=payments,
                              kind=kind)
    bill = billing.save_bill(shop.store, shop.manager, draft, now=when)
    db.session.commit()
    return bill


def give_back(shop, bill: Bill, qty: int = 1, when: datetime | None = None):
    draft = returns.ReturnDraft(lines=[returns.ReturnLine(line_no=bill.items[0].line_no, qty=qty)],
                                refund_mode="cash", reason="test")
    note = returns.create_return(shop.store, shop.manager, db.session.get(Bill, bill.id), draft, now=when)
    db.session.commit()
    return note


def days_ago(n: int) -> datetime:
    return datetime.now(timezone.utc) - n * DAY


def local_day(shop, moment: datetime) -> date:
    return moment.astimezone(shop.store.zone).date()


def kinds(book) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [(e.kind, e.debit, e.credit, e.balance) for e in book.entries]


# --------------------------------------------------------------------------- the ledger


def test_the_ledger_lists_bills_payments_credit_notes_refunds_and_cancelling_with_a_running_balance(shop):
    first = sell(shop, qty=4, paid="50.00", when=days_ago(10))  # 200, 50 paid at the till
    billing.record_payment(shop.store, shop.manager, first, billing.DraftPayment("upi", D("150.00"),
                                                                                 timestamp=days_ago(9)))
    db.session.commit()
    give_back(shop, first, qty=1, when=days_ago(8))  # fully paid: 50 credited and 50 refunded
    second = sell(shop, qty=2, when=days_ago(5))  # 100 on credit
    billing.cancel_bill(shop.store, shop.manager, db.session.get(Bill, second.id), "wrong customer")
    db.session.commit()

    book = ledger.ledger(shop.store, shop.asha)
    assert book.opening_balance == book.opening == D("100.00")
    assert kinds(book) == [
        ("bill", D("200.00"), D(0), D("300.00")),
        ("payment", D(0), D("50.00"), D("250.00")),
        ("payment", D(0), D("150.00"), D("100.00")),
        ("credit_note", D(0), D("50.00"), D("50.00")),
        ("refund", D("50.00"), D(0), D("100.00")),
        ("bill", D("100.00"), D(0), D("200.00")),
        ("cancelled", D(0), D("100.00"), D("100.00")),
    ]
    assert book.closing == D("100.00") == ledger.balance_of(shop.store, shop.asha)
    assert book.totals == {"bill": D("300.00"), "interest": D(0), "payment": D("200.00"), "credit_note": D("50.00"),
                           "refund": D("50.00"), "cancelled": D("100.00")}


def test_a_date_range_starts_from_the_balance_of_everything_before_it(shop):
    sell(shop, qty=2, when=days_ago(20))  # 100 owed
    bill = sell(shop, qty=1, paid="20.00", when=days_ago(3))  # 50, 20 paid
    start = local_day(shop, days_ago(4))
    book = ledger.ledger(shop.store, shop.asha, ledger.DateRange(start, local_day(shop, days_ago(0))))
    assert book.opening == D("200.00")  # 100 opening field + the 100 bill
    assert kinds(book) == [("bill", D("50.00"), D(0), D("250.00")), ("payment", D(0), D("20.00"), D("230.00"))]
    before = ledger.ledger(shop.store, shop.asha, ledger.DateRange(None, start - DAY))
    assert before.closing == book.opening
    assert bill.due_amount == D("30.00")


def test_date_ranges_are_read_and_an_inverted_one_is_refused():
    assert ledger.parse_range("2026-01-01", "2026-01-31") == ledger.DateRange(date(2026, 1, 1), date(2026, 1, 31))
    assert ledger.parse_range("", None) == ledger.DateRange()
    with pytest.raises(ValidationError) as inverted:
        ledger.parse_range("2026-02-01", "2026-01-31")
    assert inverted.value.errors == {"from": [ledger.INVERTED]}
    with pytest.raises(ValidationError) as bad:
        ledger.parse_range("01/02/2026", "2026-13-01")
    assert bad.value.errors == {"from": [ledger.DATE_FORMAT], "to": [ledger.DATE_FORMAT]}


def test_a_suppliers_ledger_is_made_of_purchases_and_payments_made(shop):
    purchase = sell(shop, qty=10, paid="100.00", when=days_ago(2), kind="purchase")  # 500, 100 paid
    sell(shop, qty=1, when=days_ago(1))  # the customer's sale is not in it
    book = ledger.ledger(shop.store, shop.acme)
    assert book.opening == D(0)
    assert kinds(book) == [("bill", D("500.00"), D(0), D("500.00")), ("payment", D(0), D("100.00"), D("400.00"))]
    assert purchase.kind == "purchase" and ledger.balance_of(shop.store, shop.acme) == D("400.00")


# --------------------------------------------------------------------------- payments received


def test_a_payment_is_applied_to_the_oldest_dues_first_never_above_a_bills_dues(shop):
    ledger.receive_payment(shop.store, shop.manager, shop.asha, D("100.00"), "cash")  # the opening balance first
    old = sell(shop, qty=2, when=days_ago(30))  # 100
    mid = sell(shop, qty=3, paid="50.00", when=days_ago(20))  # 150, 50 paid: 100 due
    new = sell(shop, qty=4, when=days_ago(10))  # 200
    rows = ledger.receive_payment(shop.store, shop.manager, shop.asha, D("250.00"), "upi", "UTR-1")
    db.session.commit()
    assert [(row.bill_id, row.amount) for row in rows] == [(old.id, D("100.00")), (mid.id, D("100.00")),
                                                           (new.id, D("50.00"))]
    dues = {bill.id: (bill.due_amount, bill.status) for bill in map(lambda b: db.session.get(Bill, b.id),
                                                                    (old, mid, new))}
    assert dues == {old.id: (D(0), "paid"), mid.id: (D(0), "paid"), new.id: (D("150.00"), "partial")}
    assert ledger.total_dues(shop.store, shop.asha) == D("150.00")
    trail = db.session.execute(select(AuditLog).where(AuditLog.entity == "party", AuditLog.action == "payment")
                               .order_by(AuditLog.id))
    assert [(row.after["amount"], row.after["opening"]) for row in trail.scalars()] == [("100.00", "100.00"),
                                                                                      ("250.00", "0.00")]


# --------------------------------------------------------------------------- opening balances


def opening_rows(party: Party) -> list[tuple[Decimal, str]]:
    return [(row.amount, row.mode) for row in db.session.execute(
        select(OpeningPayment).where(OpeningPayment.party_id == party.id).order_by(OpeningPayment.id)).scalars()]


def test_the_opening_balance_is_the_oldest_due_and_is_paid_first(shop):
    bill = sell(shop, qty=2, when=days_ago(10))  # 100 on credit, after the opening balance of 100
    rows = ledger.receive_payment(shop.store, shop.manager, shop.asha, D("150.00"), "upi", "UTR-7", now=days_ago(2))
    db.session.commit()
    assert [(type(row).__name__, row.amount) for row in rows] == [("OpeningPayment", D("100.00")),
                                                                  ("Payment", D("50.00"))]
    assert opening_rows(shop.asha) == [(D("100.00"), "upi")]
    assert db.session.get(Bill, bill.id).due_amount == D("50.00")
    assert ledger.opening_due(shop.asha) == D(0) and ledger.total_dues(shop.store, shop.asha) == D("50.00")
    book = ledger.ledger(shop.store, shop.asha)
    assert kinds(book) == [("bill", D("100.00"), D(0), D("200.00")), ("payment", D(0), D("100.00"), D("100.00")),
                           ("payment", D(0), D("50.00"), D("50.00"))]
    assert [(e.reference, e.note) for e in book.entries[1:]] == [(ledger.OPENING, "UPI UTR-7"),
                                                                 (bill.invoice_number, "UPI UTR-7")]
    assert book.closing == book.opening + book.totals["bill"] - book.totals["payment"] == D("50.00")
    assert book.closing == ledger.balance_of(shop.store, shop.asha)
    # the range after the payment opens at the balance the payment left
    later = ledger.ledger(shop.store, shop.asha, ledger.DateRange(local_day(shop, days_ago(1)), None))
    assert later.opening == later.closing == D("50.00")


def test_a_customer_who_owes_only_the_opening_balance_pays_it_in_parts_and_no_more(shop):
    ledger.receive_payment(shop.store, shop.manager, shop.asha, D("60.00"), "cash")
    db.session.commit()
    with pytest.raises(ValidationError) as over:
        ledger.receive_payment(shop.store, shop.manager, shop.asha, D("40.01"), "cash")
    assert over.value.errors == {"amount": ["Amount is more than the dues (40.00); take at most 40.00."]}
    db.session.rollback()
    ledger.receive_payment(shop.store, shop.manager, shop.asha, D("40.00"), "card")
    db.session.commit()
    assert opening_rows(shop.asha) == [(D("60.00"), "cash"), (D("40.00"), "card")]
    assert ledger.balance_of(shop.store, shop.asha) == D(0) == ledger.ledger(shop.store, shop.asha).closing
    with pytest.raises(ValidationError) as nothing:
        ledger.receive_payment(shop.store, shop.manager, shop.asha, D("1"), "cash")
    assert nothing.value.errors == {"amount": [ledger.NO_DUES]}


def test_a_suppliers_opening_balance_is_paid_first_too(shop):
    wholesaler = create_supplier(shop.store, None, SupplierInput.of(name="Old Mill", code="MILL",
                                                                    open_balance=D("300.00")))
    db.session.commit()
    purchase = sell(shop, qty=4, when=days_ago(3), kind="purchase", party=wholesaler)  # 200 owed
    assert ledger.total_dues(shop.store, wholesaler) == D("500.00")
    ledger.receive_payment(shop.store, shop.owner, wholesaler, D("350.00"), "cash")
    db.session.commit()
    assert opening_rows(wholesaler) == [(D("300.00"), "cash")]
    assert db.session.get(Bill, purchase.id).due_amount == D("150.00")
    book = ledger.ledger(shop.store, wholesaler)
    assert book.opening == D("300.00") and book.closing == D("150.00") == ledger.balance_of(shop.store, wholesaler)
    assert ledger.ageing(shop.store, "purchase").rows[0].total == D("150.00")


def test_an_opening_balance_cannot_be_edited_below_what_was_paid_of_it(shop):
    from services.parties.parties import update_party

    ledger.receive_payment(shop.store, shop.manager, shop.asha, D("70.00"), "cash")
    db.session.commit()
    with pytest.raises(ValidationError) as below:
        update_party(shop.store, shop.manager, shop.asha, CustomerInput.of(open_balance=D("69.99")))
    assert "already settled 70.00" in below.value.errors["open_balance"][0]
    db.session.rollback()
    update_party(shop.store, shop.manager, shop.asha, CustomerInput.of(open_balance=D("70.00")))
    db.session.commit()
    assert ledger.opening_due(shop.asha) == D(0) and ledger.balance_of(shop.store, shop.asha) == D(0)


def test_ageing_counts_the_opening_balance_from_the_day_the_party_was_entered(shop):
    sell(shop, qty=1, when=days_ago(5))
    shop.asha.created_at = days_ago(100)
    db.session.commit()
    ledger.receive_payment(shop.store, shop.manager, shop.asha, D("30.00"), "cash")
    db.session.commit()
    report = ledger.ageing(shop.store, "sale")
    assert [(row.name, row.buckets) for row in report.rows] == [
        ("Asha Rao", {"0-30": D("50.00"), "31-60": D(0), "61-90": D(0), "90+": D("70.00")})]
    shop.asha.created_at = days_ago(3)
    db.session.commit()
    assert ledger.ageing(shop.store, "sale").totals["0-30"] == D("120.00")


def test_opening_balance_payments_are_in_the_day_close_the_day_book_and_the_dashboard(shop):
    from services.reports import dashboard, day_close, registers

    wholesaler = create_supplier(shop.store, None, SupplierInput.of(name="Old Mill", code="MILL",
                                                                    open_balance=D("30.00")))
    db.session.commit()
    ledger.receive_payment(shop.store, shop.manager, shop.asha, D("100.00"), "cash")
    ledger.receive_payment(shop.store, shop.manager, wholesaler, D("30.00"), "cash")
    db.session.commit()
    today = shop.store.local_today()
    assert day_close.expected(shop.store, today)["cash"] == D("70.00")
    book = registers.day_book(shop.store, shop.owner, today, today)[0]
    assert [row[1:4] for row in book.rows] == [["Receipt", "Opening balance", "Asha Rao"],
                                               ["Payment", "Opening balance", "Old Mill"]]
    assert dashboard.dues_outstanding(shop.store) == D(0)


@pytest.mark.parametrize("amount, mode, errors", [
    (D("400.01"), "cash", {"amount": ["Amount is more than the dues (400.00); take at most 400.00."]}),
    (D("0"), "cash", {"amount": ["Must be greater than 0"]}),
    (D("-5"), "cash", {"amount": ["Must be greater than 0"]}),
    (D("1.005"), "cash", {"amount": ["At most 2 decimal places"]}),
    (None, "cash", {"amount": ["Enter an amount"]}),
    (D("10"), "cheque", {"mode": ["Must be one of: cash, card, upi, wallet"]}),
])
def test_a_bad_payment_is_refused_and_writes_nothing(shop, amount, mode, errors):
    sell(shop, qty=2, when=days_ago(3))
    sell(shop, qty=4, when=days_ago(2))
    with pytest.raises(ValidationError) as refused:
        ledger.receive_payment(shop.store, shop.manager, shop.asha, amount, mode)
    db.session.rollback()
    assert refused.value.errors == errors
    assert db.session.execute(select(func.count()).select_from(Payment)).scalar_one() == 0
    assert db.session.execute(select(func.count()).select_from(OpeningPayment)).scalar_one() == 0


def test_nothing_due_cashiers_and_another_stores_party_are_refused(shop, make_store):
    clear = create_customer(shop.store, None, CustomerInput.of(name="No dues"))
    db.session.commit()
    with pytest.raises(ValidationError) as nothing:
        ledger.receive_payment(shop.store, shop.manager, clear, D("1"), "cash")
    assert nothing.value.errors == {"amount": [ledger.NO_DUES]}
    db.session.rollback()
    sell(shop)
    with pytest.raises(PermissionDenied):
        ledger.receive_payment(shop.store, shop.cashier, shop.asha, D("1"), "cash")
    other = make_store("Other shop")
    stranger = create_customer(other, None, CustomerInput.of(name="Stranger"))
    db.session.commit()
    with pytest.raises(ValidationError):
        ledger.receive_payment(shop.store, shop.manager, stranger, D("1"), "cash")


def test_paying_a_supplier_spreads_over_the_purchases(shop):
    first = sell(shop, qty=2, when=days_ago(5), kind="purchase")
    second = sell(shop, qty=2, when=days_ago(4), kind="purchase")
    rows = ledger.receive_payment(shop.store, shop.owner, shop.acme, D("150.00"), "card")
    db.session.commit()
    assert [(row.bill_id, row.amount) for row in rows] == [(first.id, D("100.00")), (second.id, D("50.00"))]
    assert ledger.balance_of(shop.store, shop.acme) == D("50.00")


# --------------------------------------------------------------------------- reminders and ageing


def test_the_whatsapp_reminder_carries_the_amount_and_the_upi_link(shop):
    link = ledger.whatsapp_link(shop.store, shop.asha, D("1234.50"))
    assert link.startswith("https://wa.me/919876543210?text=")
    text = unquote(link.split("?text=", 1)[1])
    assert "Rs 1234.50" in text
    assert "upi://pay?pa=asha@okicici&pn=Asha%20General%20Store&am=1234.50&cu=INR" in text
    assert ledger.whatsapp_link(shop.store, shop.asha, D(0)) is None
    shop.store.upi_id = None
    assert "upi://" not in unquote(ledger.whatsapp_link(shop.store, shop.asha, D(10)))


def test_ageing_puts_dues_in_buckets_by_bill_age_with_the_total_row_apart(shop):
    sell(shop, qty=1, when=days_ago(5))
    sell(shop, qty=2, when=days_ago(45))
    sell(shop, qty=3, when=days_ago(75))
    sell(shop, qty=4, paid="50.00", when=days_ago(120))
    sell(shop, qty=1, when=days_ago(1), kind="purchase")
    report = ledger.ageing(shop.store, "sale")
    assert [(row.name, row.buckets) for row in report.rows] == [  # with the opening 100, Asha entered today
        ("Asha Rao", {"0-30": D("150.00"), "31-60": D("100.00"), "61-90": D("150.00"), "90+": D("150.00")})]
    assert report.totals == report.rows[0].buckets and report.total == D("550.00")
    assert ledger.ageing(shop.store, "purchase").total == D("50.00")


def test_the_bucket_edges():
    assert [ledger.bucket_of(n) for n in (0, 30, 31, 60, 61, 90, 91)] == [
        "0-30", "0-30", "31-60", "31-60", "61-90", "61-90", "90+"]


# --------------------------------------------------------------------------- the invariant


def _check_invariants(shop, party: Party, rng: random.Random) -> None:
    party = db.session.get(Party, party.id)
    whole = ledger.ledger(shop.store, party)
    t = whole.totals
    assert whole.closing == (whole.opening + t["bill"] + t["interest"] + t["refund"] - t["payment"]
                             - t["credit_note"] - t["cancelled"])
    assert whole.closing == ledger.balance_of(shop.store, party)
    # the billing core's dues agree: live bills' dues, less what was paid (and not refunded) on cancelled bills
    bills = list(db.session.execute(select(Bill).where(Bill.party_id == party.id)).scalars())
    live = sum((b.due_amount for b in bills if b.cancelled_at is None), D(0))
    stranded = sum((b.paid_amount - b.refunded_amount for b in bills if b.cancelled_at is not None), D(0))
    assert whole.closing == whole.opening_balance - ledger.opening_paid(party) + live - stranded
    assert ledger.opening_paid(party) <= whole.opening_balance
    # any split of the days: one range's closing is the next one's opening
    if not whole.entries:
        return
    first = min(e.when for e in whole.entries).astimezone(shop.store.zone).date()
    cut = first + timedelta(days=rng.randrange(0, 60))
    head = ledger.ledger(shop.store, party, ledger.DateRange(None, cut))
    tail = ledger.ledger(shop.store, party, ledger.DateRange(cut + DAY, None))
    assert head.closing == tail.opening and tail.closing == whole.closing
    assert len(head.entries) + len(tail.entries) == len(whole.entries)


def _step(shop, party: Party, bills: list[Bill], rng: random.Random, when: datetime) -> None:
    """One random thing done to the party's account through the real services, committed (or refused whole)."""
    if party.Category_type == "Supplier":  # purchases: bought and paid for (returns are to the supplier)
        action = rng.choice(["bill", "pay", "pay"]) if bills else rng.choice(["bill", "pay"])
    else:
        action = rng.choice(["bill", "bill", "pay", "pay", "return", "return", "cancel"]) if bills else \
            rng.choice(["bill", "pay"])
    try:
        if action == "bill":
            qty = rng.randint(1, 5)
            paid = rng.choice(["0", "0", str(qty * 25), str(qty * 50)])
            bills.append(sell(shop, qty=qty, paid=paid, when=when, party=party,
                              kind="purchase" if party.Category_type == "Supplier" else "sale"))
        elif action == "pay":
            dues = ledger.total_dues(shop.store, party)
            if dues > 0:
                amount = min(dues, D(rng.randint(1, 300)))
                ledger.receive_payment(shop.store, shop.manager, party, amount, "cash", now=when)
        elif action == "return":
            bill = db.session.get(Bill, rng.choice(bills).id)
            left = bill.items[0].qty - bill.items[0].returned_qty
            if bill.cancelled_at is None and left > 0:
                give_back(shop, bill, qty=rng.randint(1, int(left)), when=when)
        else:
            bill = db.session.get(Bill, rng.choice(bills).id)
            if bill.cancelled_at is None:
                billing.cancel_bill(shop.store, shop.manager, bill, "random")
        db.session.commit()
    except ValidationError:
        db.session.rollback()


def _run(shop, party: Party, rng: random.Random, steps: int) -> None:
    bills: list[Bill] = []
    for step in range(steps):
        _step(shop, party, bills, rng, days_ago(2 * (steps - step) + 1))
        _check_invariants(shop, party, rng)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_closing_is_opening_plus_bills_less_payments_and_credit_notes_after_random_sequences(shop, seed):
    _run(shop, shop.asha, random.Random(seed), 24)
    done = ledger.ledger(shop.store, shop.asha).totals
    assert all(done[kind] > 0 for kind in ("bill", "payment", "credit_note", "cancelled")), done
    assert ledger.opening_paid(shop.asha) > 0  # the oldest dues were paid by the first payment


@pytest.mark.parametrize("seed", [1, 2])
def test_a_suppliers_closing_is_opening_plus_purchases_less_payments_after_random_sequences(shop, seed):
    mill = create_supplier(shop.store, None, SupplierInput.of(name="Old Mill", code="MILL", open_balance=D("250")))
    db.session.commit()
    _run(shop, mill, random.Random(seed), 16)
    assert ledger.opening_paid(mill) > 0 and ledger.ledger(shop.store, mill).totals["bill"] > 0


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False), steps=st.integers(1, 12),
       opening=st.decimals(min_value=0, max_value=1000, places=2))
def test_the_ledger_invariants_hold_for_any_sequence(shop, rng, steps, opening):
    """Property test: each example a new customer (the store's other customers are untouched by it), whose opening
    balance is paid first by the payments among the steps."""
    party = create_customer(shop.store, None, CustomerInput.of(name=f"P {rng.random()}", open_balance=opening))
    db.session.commit()
    _run(shop, party, rng, steps)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False), steps=st.integers(1, 10),
       opening=st.decimals(min_value=0, max_value=1000, places=2))
def test_a_suppliers_ledger_invariants_hold_for_any_sequence(shop, rng, steps, opening):
    """Property test: each example a new supplier with an opening balance, purchases and payments made."""
    code = f"S{rng.randrange(10 ** 9)}"
    party = create_supplier(shop.store, None, SupplierInput.of(name=f"S {code}", code=code, open_balance=opening))
    db.session.commit()
    _run(shop, party, rng, steps)


def test_a_bill_saved_with_its_paid_amount_and_no_payment_rows_shows_that_payment(shop):
    """NamastePMS bills carry the client's totals: paid_amount with no Payment rows."""
    when = days_ago(6)
    draft = billing.BillDraft(
        lines=[billing.DraftLine(product=shop.rice, qty=10, unit_price=D("50.00"), cgst_rate=D(0), sgst_rate=D(0))],
        customer=shop.asha, source="namaste", invoice_number="NPMS-1",
        client_totals=billing.ClientTotals(sub_total=D("500.00"), total_amount=D("500.00"), paid_amount=D("200.00"),
                                           due_amount=D("300.00")))
    bill = billing.save_bill(shop.store, shop.manager, draft, now=when)
    db.session.commit()
    ledger.receive_payment(shop.store, shop.manager, shop.asha, D("50.00"), "cash", now=days_ago(2))
    db.session.commit()
    book = ledger.ledger(shop.store, shop.asha)
    assert kinds(book) == [("bill", D("500.00"), D(0), D("600.00")), ("payment", D(0), D("200.00"), D("400.00")),
                           ("payment", D(0), D("50.00"), D("350.00"))]
    assert book.totals["payment"] == D("250.00")
    assert ledger.opening_due(shop.asha) == D("50.00")  # the 50 paid the opening balance, the oldest due
    assert book.closing == ledger.balance_of(shop.store, shop.asha) == D("50.00") + db.session.get(
        Bill, bill.id).due_amount
    _check_invariants(shop, shop.asha, random.Random(0))
    later = ledger.ledger(shop.store, shop.asha, ledger.DateRange(local_day(shop, days_ago(3)), None))
    assert later.opening == D("400.00") and later.closing == D("350.00")


def test_interest_paid_on_a_credit_bill_is_a_debit_so_the_balance_stays_the_principal_left(shop):
    """A bill with interest on credit (jewellery terms): 1000.00 at 2 % a month flat from 60 days ago; a payment of
    100.00 thirty days in pays the 20.00 of interest first and 80.00 of principal."""
    start = days_ago(60)
    terms = {"interest_enabled": True, "interest_type": "1", "interest_rate": "2",
             "interest_start_date": local_day(shop, start).isoformat()}
    draft = billing.BillDraft(lines=[billing.DraftLine(product=shop.rice, qty=20)], customer=shop.asha,
                              columns={"interest_terms": terms})
    bill = billing.save_bill(shop.store, shop.manager, draft, now=start)
    db.session.commit()
    billing.record_payment(shop.store, shop.manager, bill, billing.DraftPayment("cash", D("100.00"),
                                                                                timestamp=days_ago(30)))
    db.session.commit()
    bill = db.session.get(Bill, bill.id)
    assert bill.due_amount == D("920.00")
    book = ledger.ledger(shop.store, shop.asha)
    assert kinds(book) == [("bill", D("1000.00"), D(0), D("1100.00")), ("interest", D("20.00"), D(0), D("1120.00")),
                           ("payment", D(0), D("100.00"), D("1020.00"))]
    assert book.closing == ledger.balance_of(shop.store, shop.asha) == D("100.00") + bill.due_amount
    later = ledger.ledger(shop.store, shop.asha, ledger.DateRange(local_day(shop, days_ago(10)), None))
    assert later.opening == D("1020.00") and later.entries == []
    _check_invariants(shop, shop.asha, random.Random(0))
