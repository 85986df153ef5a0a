"""Concurrent wallet payments never take a balance below zero (issue 16), on PostgreSQL with threads.

Two races: the guard itself (services.parties.wallet.take, the conditional UPDATE) called by threads with nothing
else serialising them, each SELECT of the customer table slowed so a read-check-write would lose; and whole bills
through save_bill from two tills at once. Each thread has its own app context, session and connection
(tests/test_race_guards.py).
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Bill, Customer, WalletEntry
from services.billing import bills as billing
from services.errors import ValidationError
from services.parties import wallet
from tests.test_race_guards import READ_PAUSE, in_threads, slow_reads_of

D = Decimal
PAYERS = 8


@pytest.fixture
def funded(app, make_store, make_product, make_customer):
    store = make_store(business_kind="salon")
    haircut = make_product(store, "Haircut", unit_price="400.00", type="service", cgst_rate="0", sgst_rate="0")
    party = make_customer(store, "Asha Patil", "+919800000001")
    wallet.credit_wallet(store, None, party, D("1000.00"), kind="topup", pay_mode="cash")
    db.session.commit()
    return store, haircut, party


def _balance(party_id: int) -> Decimal:
    db.session.expire_all()
    return db.session.execute(select(Customer.wallet_balance).where(Customer.party_id == party_id)).scalar_one()


@pytest.mark.postgres_only
@pytest.mark.slow
def test_concurrent_takes_from_one_wallet_never_go_below_zero(app, funded):
    """8 takes of 400.00 race for 1000.00: exactly two succeed, 200.00 is left, every refusal names a balance."""
    store, haircut, party = funded
    bills = []
    for _ in range(PAYERS):  # unpaid bills to pay from the wallet
        bills.append(billing.save_bill(store, None, billing.BillDraft(
            lines=[billing.DraftLine(product=haircut, qty=1)], customer=party, payment_mode="none",
            payment_amount=D(0))).id)
    db.session.commit()
    store_id, party_id = store.id, party.id

    def pay(index: int, barrier: threading.Barrier) -> str:
        from models import Store

        mine, bill = db.session.get(Store, store_id), db.session.get(Bill, bills[index])
        barrier.wait()
        try:
            wallet.take(mine, None, bill, [wallet.Draw(D("400.00"), "amount")])
        except ValidationError as exc:
            db.session.rollback()
            assert exc.message.startswith("Wallet balance is ₹")
            return "refused"
        time.sleep(READ_PAUSE)  # hold the transaction open a moment, as a bill would
        db.session.commit()
        return "paid"

    with slow_reads_of("customer"):
        outcomes = Counter(in_threads(app, PAYERS, pay))
    assert outcomes == Counter({"paid": 2, "refused": PAYERS - 2})
    assert _balance(party_id) == D("200.00")
    entries = db.session.execute(select(func.sum(WalletEntry.amount), func.min(WalletEntry.balance)).where(
        WalletEntry.party_id == party_id)).one()
    assert entries == (D("200.00"), D("200.00"))


@pytest.mark.postgres_only
@pytest.mark.slow
def test_two_tills_paying_from_one_wallet_at_once_make_one_bill(app, funded):
    """Two bills of 800.00 paid from a 1000.00 wallet at once: one saved, the other refused naming the balance."""
    store, haircut, party = funded
    store_id, party_id, product_id = store.id, party.id, haircut.id

    def save(index: int, barrier: threading.Barrier) -> str:
        from models import Party, Product, Store

        mine = db.session.get(Store, store_id)
        draft = billing.BillDraft(
            lines=[billing.DraftLine(product=db.session.get(Product, product_id), qty=2)],
            customer=db.session.get(Party, party_id), payment_mode="wallet", payment_amount=D("800.00"),
            payments=[billing.DraftPayment("wallet", D("800.00"))])
        barrier.wait()
        try:
            billing.save_bill(mine, None, draft)
        except ValidationError as exc:
            db.session.rollback()
            return exc.message
        db.session.commit()
        return "saved"

    outcomes = sorted(in_threads(app, 2, save))
    assert outcomes == ["Wallet balance is ₹200.00", "saved"]
    assert _balance(party_id) == D("200.00")
    assert db.session.execute(select(func.count(Bill.id))).scalar_one() == 1
