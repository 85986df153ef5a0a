"""Constraints live in the database, not only in Python: each is proven by a refused write."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Bill, Customer, IdempotencyRecord, InvoiceCounter, Party, Product, Supplier


def _bill(store, number: str) -> Bill:
    return Bill(store_id=store.id, invoice_number=number, status="unpaid")


def test_duplicate_invoice_number_in_one_store_is_refused(make_store):
    store = make_store()
    db.session.add(_bill(store, "INV202500001"))
    db.session.commit()
    db.session.add(_bill(store, "INV202500001"))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_the_same_invoice_number_in_two_stores_is_allowed(make_store):
    first, second = make_store(), make_store()
    db.session.add_all([_bill(first, "INV202500001"), _bill(second, "INV202500001")])
    db.session.commit()
    assert db.session.execute(db.select(db.func.count(Bill.id))).scalar_one() == 2


def test_negative_stock_is_refused_by_the_database(make_store, make_product):
    product = make_product(make_store(), quantity=2)
    with pytest.raises(IntegrityError):
        db.session.execute(update(Product).where(Product.id == product.id).values(quantity=-1))
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Product, product.id).quantity == 2


def test_product_name_is_unique_per_store_only(make_store, make_product):
    first, second = make_store(), make_store()
    make_product(first, product_name="Tata Salt 1kg")
    make_product(second, product_name="Tata Salt 1kg")
    # Straight to the table: the factory's service would refuse first (that rule is tested with the services).
    db.session.add(Product(store_id=first.id, product_name="Tata Salt 1kg", unit_price=1))
    with pytest.raises(IntegrityError):
        db.session.commit()


@pytest.mark.parametrize("field, value", [("email", "a@example.com"), ("phone_no", "+919800000001"),
                                          ("Customer_code", "CUST001")])
def test_customer_email_phone_and_code_are_unique_per_store(make_store, field, value):
    store, other = make_store(), make_store()
    for target in (store, other):
        party = Party(store_id=target.id, Category_type="Customer")
        party.customer = Customer(store_id=target.id, name="A", **{field: value})
        db.session.add(party)
    db.session.commit()
    party = Party(store_id=store.id, Category_type="Customer")
    party.customer = Customer(store_id=store.id, name="B", **{field: value})
    db.session.add(party)
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_supplier_code_is_unique_per_store(make_store, make_supplier):
    store = make_store()
    make_supplier(store, code="SUP001")
    party = Party(store_id=store.id, Category_type="Supplier")  # straight to the table, past the service's check
    party.supplier = Supplier(store_id=store.id, name="Other", code="SUP001")
    db.session.add(party)
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_idempotency_key_is_unique_per_store(make_store):
    store, other = make_store(), make_store()
    for target in (store, other):
        db.session.add(IdempotencyRecord(store_id=target.id, key="k-1", fingerprint="f"))
    db.session.commit()
    db.session.add(IdempotencyRecord(store_id=store.id, key="k-1", fingerprint="g"))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_invoice_counter_is_unique_per_store_series_and_year(make_store):
    store = make_store()
    db.session.add_all([InvoiceCounter(store_id=store.id, series="INV", fy=2025),
                        InvoiceCounter(store_id=store.id, series="INV", fy=2026)])
    db.session.commit()
    db.session.add(InvoiceCounter(store_id=store.id, series="INV", fy=2025))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_foreign_keys_are_enforced(make_store):
    db.session.add(Bill(store_id=999_999, invoice_number="X", status="unpaid"))
    with pytest.raises(IntegrityError):
        db.session.commit()


@pytest.mark.parametrize("column, value", [("status", "settled"), ("kind", "refund")])
def test_bill_enums_are_checked_by_the_database(make_store, column, value):
    store = make_store()
    bill = _bill(store, "INV1")
    setattr(bill, column, value)
    db.session.add(bill)
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_money_round_trips_as_exact_decimal_and_times_as_aware_utc(make_store):
    store = make_store()
    moment = datetime(2025, 9, 26, 11, 29, 15, 123000, tzinfo=timezone.utc)
    bill = _bill(store, "INV2")
    bill.total_amount = Decimal("12345678.91")
    bill.billing_timestamp = moment
    db.session.add(bill)
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.execute(db.select(Bill).filter_by(invoice_number="INV2")).scalar_one()
    assert loaded.total_amount == Decimal("12345678.91")
    assert isinstance(loaded.total_amount, Decimal)
    assert loaded.billing_timestamp == moment
    assert loaded.billing_timestamp.tzinfo is not None


def test_naive_datetimes_are_refused_rather_than_guessed(make_store):
    store = make_store()
    bill = _bill(store, "INV3")
    bill.billing_timestamp = datetime(2025, 1, 1, 10, 0)
    db.session.add(bill)
    with pytest.raises(Exception, match="naive datetime"):
        db.session.commit()
    db.session.rollback()


def test_supplier_and_customer_rows_go_with_their_party(make_store, make_customer, make_supplier):
    store = make_store()
    customer, supplier = make_customer(store), make_supplier(store)
    kept = make_supplier(store)
    db.session.delete(customer)
    db.session.delete(supplier)
    db.session.commit()
    assert db.session.execute(text("SELECT count(*) FROM customer")).scalar() == 0
    assert db.session.execute(select(Supplier.party_id)).scalars().all() == [kept.id]
    assert db.session.execute(text("SELECT count(*) FROM party")).scalar() == 1
