"""Races through POST /add-invoice itself (PostgreSQL: Flask test clients in threads, each its own session and
connection, released together by a barrier): two sales of one piece make one invoice and one clear 400 naming the
piece; two requests with one Idempotency-Key make one bill."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Bill, BillItem, IdempotencyRecord, Payment, Product, StockMove
from tests.test_billing_v1_races import race
from tests.test_jewellery_contract_invoices import add, invoice_form

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]


def counts() -> dict[str, int]:
    db.session.expire_all()
    return {model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Bill, BillItem, Payment, StockMove)}


@pytest.fixture
def ring(jeweller, make_piece):
    piece = make_piece(jeweller.store, "Kundan Ring", huid="KR2026")
    db.session.commit()
    return piece


@pytest.fixture
def buyer(jeweller, make_customer):
    customer = make_customer(jeweller.store, "Meena Shah")
    db.session.commit()
    return customer


@pytest.fixture
def poster(app, jeweller):
    def post(form, headers):
        with app.test_client() as client:
            response = add(client, jeweller.headers, dict(form), **headers)
            return response.status_code, response.get_json()
    return post


def test_two_concurrent_sales_of_one_piece_make_one_invoice_and_one_400_naming_it(app, poster, jeweller, ring,
                                                                                  buyer, make_piece):
    before = counts()
    form = invoice_form(ring, buyer)  # built here: a thread has no app context to load the rows in
    results = race(poster, 2, lambda index: form)
    assert sorted(status for status, _ in results) == [201, 400], results
    [(_, refused)] = [r for r in results if r[0] == 400]
    assert refused == {"success": False, "message": "Failed to add invoice: item[0].product_id: Insufficient stock for "
                                                    "Kundan Ring: 0 available, 1 requested"}
    [(_, sold)] = [r for r in results if r[0] == 201]
    after = counts()
    # one bill, its one line and its one payment (50000.00 paid), one stock move out: the loser wrote nothing
    assert {name: after[name] - before[name] for name in after} == {
        "Bill": 1, "BillItem": 1, "Payment": 1, "StockMove": 1}
    assert db.session.get(Product, ring.id).quantity == 0
    moves = db.session.execute(select(func.sum(StockMove.delta)).where(StockMove.product_id == ring.id)).scalar_one()
    assert moves == 0
    bill = db.session.get(Bill, int(sold["data"]["id"]))
    assert (bill.total_amount, bill.paid_amount, bill.due_amount) == (82500, 50000, 32500)
    # the loser's invoice number went back with its rollback: the next sale takes the very next one
    following = add(app.test_client(), jeweller.headers, invoice_form(make_piece(jeweller.store), buyer))
    assert following.status_code == 201
    assert following.get_json()["data"]["invoice_number"][-5:] == f"{int(bill.invoice_number[-5:]) + 1:05d}"


def test_two_concurrent_invoices_with_one_idempotency_key_make_one_bill(poster, jeweller, ring, buyer):
    before = counts()
    form = invoice_form(ring, buyer)
    results = race(poster, 2, lambda index: form, headers={"Idempotency-Key": "ring-sale-1"})
    statuses = Counter(status for status, _ in results)
    assert set(statuses) <= {201, 409} and statuses[201] >= 1, results
    [bill_id] = {body["data"]["id"] for status, body in results if status == 201}
    for status, body in results:
        if status == 409:  # the duplicate found the key in flight: the contract's envelope, nothing written
            assert body["success"] is False and body["message"].startswith("Failed to add invoice: "), body
    after = counts()
    assert {name: after[name] - before[name] for name in after} == {
        "Bill": 1, "BillItem": 1, "Payment": 1, "StockMove": 1}
    assert db.session.get(Product, ring.id).quantity == 0
    record = db.session.execute(select(IdempotencyRecord).filter_by(key="ring-sale-1")).scalars().one()
    assert (record.status_code, record.bill_id) == (201, int(bill_id))
