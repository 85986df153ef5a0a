"""Races: consecutive invoice numbers, stock that never goes below zero, one bill per Idempotency-Key.

PostgreSQL: threads through the Flask app in this process (each thread its own session and connection).
SQLite: the embedded default file served by gunicorn with several worker processes, over real HTTP.
"""
from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Bill, IdempotencyRecord, Product, StockMove
from tests.fixtures_billing import UNITS, cash_bill

SAVES = 50
BUYERS = 12
DUPLICATES = 20


# --------------------------------------------------------------------------- the three races, against a poster


def race(post, count: int, body_for, headers=None) -> list[tuple[int, dict]]:
    """Fire `count` POSTs at once (a barrier releases them together); returns (status, body) of each."""
    barrier = threading.Barrier(count)

    def one(index: int):
        barrier.wait()
        return post(body_for(index), headers or {})

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def check_consecutive_numbers(results) -> None:
    assert [status for status, _ in results] == [201] * SAVES, [r for r in results if r[0] != 201][:3]
    numbers = sorted(body["data"]["invoice_number"] for _, body in results)
    prefix = numbers[0][:-5]
    assert numbers == [f"{prefix}{n:05d}" for n in range(1, SAVES + 1)]


def check_stock_race(results, quantity: int, moves_sum: int) -> None:
    statuses = Counter(status for status, _ in results)
    assert statuses == Counter({201: UNITS, 400: BUYERS - UNITS}), statuses
    refused = [body for status, body in results if status == 400]
    assert all("Insufficient stock for Last Units" in body["message"] for body in refused)
    assert quantity == 0 and moves_sum == 0


def check_one_bill_per_key(results, bills: int) -> None:
    statuses = Counter(status for status, _ in results)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] >= 1
    assert len({body["data"]["bill_id"] for status, body in results if status == 201}) == 1
    assert bills == 1


# --------------------------------------------------------------------------- PostgreSQL, threads in process


@pytest.fixture
def pg_poster(app, billing_shop):
    url, auth = billing_shop.url, dict(billing_shop.headers)

    def post(path: str):
        def send(body, headers):
            with app.test_client() as client:
                response = client.post(url + path, json=body, headers={**auth, **headers})
                return response.status_code, json.loads(response.data)
        return send
    return post


def _count(model) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.postgres_only
@pytest.mark.slow
def test_postgres_fifty_parallel_saves_get_exactly_consecutive_numbers(pg_poster, billing_shop):
    uid = billing_shop.haircut.uid
    results = race(pg_poster("/bills"), SAVES, lambda i: cash_bill(uid, item_type="service"))
    check_consecutive_numbers(results)
    assert _count(Bill) == SAVES


@pytest.mark.postgres_only
@pytest.mark.slow
def test_postgres_buyers_racing_for_fewer_units_exactly_that_many_succeed(pg_poster, billing_shop, make_product):
    product = make_product(billing_shop.store, "Last Units", quantity=UNITS)
    uid = product.uid
    results = race(pg_poster("/bills"), BUYERS, lambda i: cash_bill(uid, qty=1))
    db.session.expire_all()
    moves = db.session.execute(select(func.sum(StockMove.delta)).where(StockMove.product_id == product.id)).scalar_one()
    check_stock_race(results, db.session.get(Product, product.id).quantity, moves)


@pytest.mark.postgres_only
@pytest.mark.slow
def test_postgres_parallel_requests_with_one_idempotency_key_make_one_bill(pg_poster, billing_shop):
    uid = billing_shop.haircut.uid
    results = race(pg_poster("/bills"), DUPLICATES, lambda i: cash_bill(uid, item_type="service"),
                   headers={"Idempotency-Key": "same-key"})
    check_one_bill_per_key(results, _count(Bill))
    assert _count(IdempotencyRecord) == 1


# --------------------------------------------------------------------------- SQLite file under gunicorn


@pytest.mark.slow
def test_sqlite_under_gunicorn_fifty_parallel_saves_get_exactly_consecutive_numbers(live_shop):
    results = race(live_shop.post, SAVES, lambda i: cash_bill(live_shop.service_uid, item_type="service"))
    check_consecutive_numbers(results)
    assert live_shop.scalar("SELECT count(*) FROM bill") == SAVES


@pytest.mark.slow
def test_sqlite_under_gunicorn_buyers_racing_for_fewer_units_exactly_that_many_succeed(live_shop):
    results = race(live_shop.post, BUYERS, lambda i: cash_bill(live_shop.scarce_uid, qty=1))
    quantity = live_shop.scalar("SELECT quantity FROM product WHERE id = :id", id=live_shop.scarce_id)
    moves = live_shop.scalar("SELECT sum(delta) FROM stock_move WHERE product_id = :id", id=live_shop.scarce_id)
    check_stock_race(results, quantity, moves)


@pytest.mark.slow
def test_sqlite_under_gunicorn_parallel_requests_with_one_idempotency_key_make_one_bill(live_shop):
    results = race(live_shop.post, DUPLICATES, lambda i: cash_bill(live_shop.service_uid, item_type="service"),
                   headers={"Idempotency-Key": "same-key"})
    check_one_bill_per_key(results, live_shop.scalar("SELECT count(*) FROM bill"))
    assert live_shop.scalar("SELECT count(*) FROM idempotency_record") == 1
