"""Races on returns, PostgreSQL, threads through the Flask app in this process (each its own session and connection):
two returns of the last returnable unit of a line (one succeeds), and 16 concurrent credit notes (consecutive CN
numbers, no gaps, no duplicates)."""
from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import func, select

from extensions import db
from models import BillItem, CreditNote, Product, StockMove
from tests.fixtures_billing import cash_bill
from tests.test_billing_v1_races import race

THREADS = 16


@pytest.fixture
def return_poster(app, client, billing_shop, make_product):
    """A sale of `qty` units of a stocked product (unpaid, so each return only lowers the dues), and a poster of
    returns against it."""
    shop = billing_shop

    def sell(qty: int):
        product = make_product(shop.store, f"Racer {qty}", unit_price="10.00", quantity=qty, cgst_rate="0",
                               sgst_rate="0")
        response = client.post(f"{shop.url}/bills", json=cash_bill(product.uid, qty=qty), headers=shop.headers)
        assert response.status_code == 201, response.data
        bill_id = json.loads(response.data)["data"]["bill_id"]
        url = f"{shop.url}/bills/{bill_id}/returns"

        def send(body, headers):
            with app.test_client() as own:
                answer = own.post(url, json=body, headers={**shop.headers, **headers})
                return answer.status_code, json.loads(answer.data)

        return product, send

    return sell


def _returned(product: Product) -> tuple:
    db.session.expire_all()
    returned = db.session.execute(select(func.sum(BillItem.returned_qty)).where(
        BillItem.product_id == product.id)).scalar_one()
    moves = db.session.execute(select(func.sum(StockMove.delta)).where(
        StockMove.product_id == product.id, StockMove.reason == "return")).scalar_one()
    return returned, moves, db.session.get(Product, product.id).quantity


@pytest.mark.postgres_only
@pytest.mark.slow
def test_postgres_two_returns_of_the_last_unit_exactly_one_succeeds(return_poster):
    product, post = return_poster(2)
    status, _ = post({"items": [{"line_no": 1, "qty": 1}]}, {})
    assert status == 201
    results = race(post, 2, lambda i: {"items": [{"line_no": 1, "qty": 1}]})
    statuses = Counter(status for status, _ in results)
    assert statuses == Counter({201: 1, 400: 1}), results
    refused = next(body for status, body in results if status == 400)
    assert refused["errors"] == {"items[0].qty": ["Line 1 (Racer 2) has been returned in full"]}
    assert _returned(product) == (2, 2, 2)
    assert db.session.execute(select(func.count()).select_from(CreditNote)).scalar_one() == 2


@pytest.mark.postgres_only
@pytest.mark.slow
def test_postgres_sixteen_concurrent_credit_notes_get_consecutive_numbers(return_poster):
    product, post = return_poster(THREADS)
    results = race(post, THREADS, lambda i: {"items": [{"line_no": 1, "qty": 1}], "reason": f"thread {i}"})
    assert [status for status, _ in results] == [201] * THREADS, [r for r in results if r[0] != 201][:3]
    numbers = sorted(body["data"]["number"] for _, body in results)
    prefix = numbers[0][:-5]
    assert prefix.startswith("CN") and numbers == [f"{prefix}{n:05d}" for n in range(1, THREADS + 1)]
    assert _returned(product) == (THREADS, THREADS, THREADS)
    dues = [body["data"]["bill"]["dues"] for _, body in results]
    assert sorted(dues, reverse=True) == [10 * (THREADS - n) for n in range(1, THREADS + 1)]


def _return_or_cancel(app, post, bill_uid: str, owner):
    """race()'s sender: body 0 posts a return of 2 units, body 1 cancels the bill through the service."""
    from models import Bill
    from services.billing import bills as billing

    def send(which: int, _headers):
        if which == 0:
            return post({"items": [{"line_no": 1, "qty": 2}], "refund_mode": "cash"}, {})
        with app.app_context():
            bill = db.session.execute(select(Bill).filter_by(uid=bill_uid)).scalar_one()
            billing.cancel_bill(bill.store, owner, bill, "race")
            db.session.commit()
            return 200, {}

    return send


@pytest.mark.postgres_only
@pytest.mark.slow
def test_postgres_a_return_racing_a_cancel_never_gives_stock_back_twice(app, return_poster, billing_shop):
    """Whichever wins, the product ends with exactly its stock before the sale: a cancel after the return gives
    back only what was not returned; a return after the cancel is refused. (Before cancel_bill locked the bill
    row first, the two deadlocked here over the bill and product rows.)"""
    from models import Bill

    for attempt in range(8):
        product, post = return_poster(3 + attempt)
        bill_uid = db.session.execute(select(Bill.uid).order_by(Bill.id.desc()).limit(1)).scalar_one()
        results = race(_return_or_cancel(app, post, bill_uid, billing_shop.owner), 2, lambda i: i)
        assert sorted(status for status, _ in results) in ([200, 201], [200, 400]), results
        db.session.expire_all()
        assert db.session.get(Product, product.id).quantity == 3 + attempt, (attempt, results)


def _return_or_pay(app, post, bill_uid: str, owner):
    """race()'s sender: body 0 posts a return of 1 unit (refund by cash), body 1 pays the dues seen before it."""
    from models import Bill
    from services.billing import bills as billing
    from services.errors import ValidationError

    def send(which: int, _headers):
        if which == 0:
            return post({"items": [{"line_no": 1, "qty": 1}], "refund_mode": "cash"}, {})
        with app.app_context():
            bill = db.session.execute(select(Bill).filter_by(uid=bill_uid)).scalar_one()
            try:
                billing.record_payment(bill.store, owner, bill, billing.DraftPayment("cash", bill.due_amount))
            except ValidationError as exc:
                db.session.rollback()
                return 400, exc.errors
            db.session.commit()
            return 200, {}

    return send


@pytest.mark.postgres_only
@pytest.mark.slow
def test_postgres_a_return_racing_a_payment_keeps_the_bill_paid_no_more_than_it_is_worth(app, return_poster,
                                                                                         billing_shop):
    """Whichever wins, paid less refunded never exceeds the total less credited, and dues follow from them."""
    from models import Bill

    for attempt in range(8):
        _, post = return_poster(2 + attempt)
        bill_uid = db.session.execute(select(Bill.uid).order_by(Bill.id.desc()).limit(1)).scalar_one()
        results = race(_return_or_pay(app, post, bill_uid, billing_shop.owner), 2, lambda i: i)
        assert sorted(status for status, _ in results) in ([200, 201], [201, 400]), results
        db.session.expire_all()
        bill = db.session.execute(select(Bill).filter_by(uid=bill_uid)).scalar_one()
        worth, paid = bill.total_amount - bill.credited_amount, bill.paid_amount - bill.refunded_amount
        assert paid <= worth and bill.due_amount == worth - paid, (attempt, results, worth, paid, bill.due_amount)
