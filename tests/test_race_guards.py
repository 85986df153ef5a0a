"""Races on the guards themselves, with nothing else serialising the racers.

tests/test_billing_v1_races.py races whole bills, but every bill first locks the invoice counter, so those tests
pass even when the stock guard is a read-check-write. Here threads call the guarded functions directly, each in
its own app context (its own session and connection): a barrier lines them up, and a short sleep after every
SELECT of the guarded table widens the window between a read and a write, as a slow request would. The real
guards do not read before they write (a conditional UPDATE; an INSERT ... ON CONFLICT DO NOTHING), so they
pass; a read-check-write stock update or a check-then-insert claim fails here every time.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from extensions import db
from models import IdempotencyRecord, Product, StockMove

UNITS = 5
BUYERS = 12
CLAIMERS = 10
READ_PAUSE = 0.05  # seconds a reader waits after reading the guarded table


@pytest.fixture
def app_config_overrides(backend: str, tmp_path: Path) -> dict:
    """SQLite in a file, so each thread has its own connection (the default in-memory one is shared)."""
    if backend != "sqlite":
        return {}
    from config import engine_options

    url = f"sqlite:///{tmp_path / 'race.db'}"
    return {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url)}


@contextmanager
def slow_reads_of(table: str):
    """Sleep after every SELECT that reads `table`, in any thread, while the block runs."""

    def pause(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and table in statement:
            time.sleep(READ_PAUSE)

    engine = db.engine
    event.listen(engine, "after_cursor_execute", pause)
    try:
        yield
    finally:
        event.remove(engine, "after_cursor_execute", pause)


def in_threads(app, count: int, work) -> list:
    """Run work(index) in `count` threads, each in its own app context, released together by a barrier."""
    barrier = threading.Barrier(count)

    def one(index: int):
        with app.app_context():
            try:
                return work(index, barrier)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


# --------------------------------------------------------------------------- stock: the conditional UPDATE


@pytest.mark.postgres_only
@pytest.mark.slow
def test_concurrent_stock_takes_outside_a_bill_never_oversell(app, make_store, make_product):
    """12 takes of 1 unit race for 5 units with no invoice-counter lock: exactly 5 succeed, stock ends at 0."""
    from services.catalog import stock

    product = make_product(make_store(), "Last Units", quantity=UNITS)
    product_id = product.id

    def take(index: int, barrier: threading.Barrier) -> str:
        mine = db.session.get(Product, product_id)
        barrier.wait()
        try:
            stock.take_for_sale({mine: 1}, reason="adjust")
        except stock.InsufficientStock:
            db.session.rollback()
            return "refused"
        time.sleep(READ_PAUSE)  # hold the transaction open a moment, as a bill would
        db.session.commit()
        return "taken"

    with slow_reads_of("product"):
        outcomes = Counter(in_threads(app, BUYERS, take))
    db.session.expire_all()
    moves = db.session.execute(select(func.sum(StockMove.delta)).where(StockMove.product_id == product_id)).scalar_one()
    assert outcomes == Counter({"taken": UNITS, "refused": BUYERS - UNITS})
    assert db.session.get(Product, product_id).quantity == 0
    assert moves == 0  # the import move (+5) and exactly five sale moves (-1 each)


# --------------------------------------------------------------------------- Idempotency-Key: the claim


@pytest.mark.slow
def test_concurrent_claims_of_one_key_give_it_to_exactly_one_request(app, make_store):
    """10 requests claim one key at once, each in its own transaction: one owns it, nine see it in flight."""
    from services.billing import idempotency

    store_id = make_store().id

    def claim(index: int, barrier: threading.Barrier):
        barrier.wait()
        result = idempotency.claim(store_id, "same-key", "fingerprint")
        db.session.commit()
        return result

    with slow_reads_of("idempotency_record"):
        claims = in_threads(app, CLAIMERS, claim)
    owners = [c for c in claims if c.record_id is not None]
    assert len(owners) == 1, claims
    assert all(c.conflict == "A request with this Idempotency-Key is still being processed"
               for c in claims if c.record_id is None), claims
    db.session.expire_all()
    rows = db.session.execute(select(IdempotencyRecord)).scalars().all()
    assert [(r.id, r.key, r.status_code) for r in rows] == [(owners[0].record_id, "same-key", None)]
