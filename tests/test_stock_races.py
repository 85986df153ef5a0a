"""Races on the stock room's guards (PostgreSQL, threads each with their own connection, slowed reads): two
stock counts of one item never both post over each other, and racing removals never take stock below zero."""
from __future__ import annotations

import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Product, StockMove, Store, User
from services.catalog import stock
from tests.test_race_guards import READ_PAUSE, in_threads, slow_reads_of

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]
COUNTERS = 4


def test_two_counts_of_one_item_post_once_and_the_other_hears_the_stock_changed(app, till_shop):
    product_id, store_id, manager_id = till_shop.salt.id, till_shop.store.id, till_shop.manager.id

    def count(index: int, barrier: threading.Barrier) -> str:
        product, user = db.session.get(Product, product_id), db.session.get(User, manager_id)
        store = db.session.get(Store, store_id)
        barrier.wait()
        try:
            stock.post_count(store, user, [stock.CountLine(product, Decimal(50), Decimal(40 + index))])
        except stock.StockChanged:
            db.session.rollback()
            return "changed"
        time.sleep(READ_PAUSE)
        db.session.commit()
        return "posted"

    with slow_reads_of("product"):
        outcomes = Counter(in_threads(app, COUNTERS, count))
    assert outcomes == Counter({"posted": 1, "changed": COUNTERS - 1})
    db.session.expire_all()
    deltas = db.session.execute(select(StockMove.delta).where(StockMove.product_id == product_id,
                                                              StockMove.reason == "count")).scalars().all()
    assert len(deltas) == 1 and db.session.get(Product, product_id).quantity == 50 + deltas[0]


def test_racing_removals_never_take_stock_below_zero(app, till_shop):
    product_id, store_id, manager_id = till_shop.salt.id, till_shop.store.id, till_shop.manager.id  # 50 in stock

    def remove(index: int, barrier: threading.Barrier) -> str:
        product, user = db.session.get(Product, product_id), db.session.get(User, manager_id)
        store = db.session.get(Store, store_id)
        barrier.wait()
        try:
            stock.adjust_with_reason(store, user, product, stock.Adjustment("remove", Decimal(20), "damage"))
        except stock.ValidationError:
            db.session.rollback()
            return "refused"
        time.sleep(READ_PAUSE)
        db.session.commit()
        return "removed"

    with slow_reads_of("product"):
        outcomes = Counter(in_threads(app, COUNTERS, remove))
    assert outcomes == Counter({"removed": 2, "refused": COUNTERS - 2})
    db.session.expire_all()
    total = db.session.execute(select(func.sum(StockMove.delta)).where(StockMove.product_id == product_id))
    assert db.session.get(Product, product_id).quantity == 10 == total.scalar_one()
