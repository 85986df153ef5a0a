"""Issue 15, credit limits: a bill whose dues would take a customer past their credit limit is refused at the till
with a clear message, unless an owner or manager allows it (recorded in the audit log); a bill paid in full is
never refused; two tills billing the same customer at once cannot both slip under the limit (PostgreSQL)."""
from __future__ import annotations

import html
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, Bill, Customer
from services.parties import credit
from tests.fixtures_pos import sign_in
from tests.test_pos_after_save import page_key, save, scan


def limit(party, amount: str, opening: str = "0") -> None:
    customer = db.session.execute(select(Customer).where(Customer.party_id == party.id)).scalar_one()
    customer.credit_limmit, customer.open_balance = Decimal(amount), Decimal(opening)
    db.session.commit()


def on_credit(client, shop, party, *barcodes: str):
    for barcode in barcodes:
        scan(client, barcode)
    client.post_form("/pos/customer", {"party_id": party.id}, htmx=True)
    client.post_form("/pos/payment", {"payment_mode": "none"}, htmx=True)  # nothing paid now: all of it is dues


def bills() -> int:
    return db.session.execute(select(func.count(Bill.id))).scalar_one()


@pytest.fixture
def customer(till_shop, make_customer):
    return make_customer(till_shop.store, "Ravi Kumar")


def test_dues_past_the_limit_are_refused_at_the_till_with_what_is_owed(client, till_shop, customer):
    sign_in(client, till_shop.cashier)
    limit(customer, "500.00", opening="200.00")
    on_credit(client, till_shop, customer, till_shop.butter.barcode, till_shop.butter.barcode)  # 2 x 285 + 12% GST
    response = save(client)
    assert response.status_code == 422 and bills() == 0
    text = response.get_data(as_text=True)
    assert ("Ravi Kumar would owe ₹838.40, over their credit limit of ₹500.00: take ₹338.40 more now, "
            "or a manager can allow it") in text
    assert 'id="pos-allow-credit"' not in text  # a cashier cannot allow it
    # ... nor by posting the manager's button anyway
    refused = client.post_form("/pos/save", {"idempotency_key": page_key(client), "allow_over_limit": "1"}, htmx=True)
    assert refused.status_code == 403 and bills() == 0
    assert credit.NOT_ALLOWED in html.unescape(refused.get_data(as_text=True))


def test_within_the_limit_or_paid_in_full_the_bill_is_saved(client, till_shop, customer):
    sign_in(client, till_shop.cashier)
    limit(customer, "1000.00", opening="200.00")
    on_credit(client, till_shop, customer, till_shop.butter.barcode, till_shop.butter.barcode)
    assert save(client).status_code == 200 and bills() == 1  # 200 + 638.40 = 838.40, within 1000
    # Now over the limit already; a bill paid in full is still fine.
    scan(client, till_shop.salt.barcode)
    client.post_form("/pos/customer", {"party_id": customer.id}, htmx=True)
    client.post_form("/pos/payment", {"payment_mode": "cash"}, htmx=True)
    assert save(client).status_code == 200 and bills() == 2


def test_no_limit_set_means_no_limit(client, till_shop, customer):
    sign_in(client, till_shop.cashier)
    on_credit(client, till_shop, customer, till_shop.butter.barcode, till_shop.butter.barcode)
    assert save(client).status_code == 200 and bills() == 1


def test_cancelled_bills_and_returns_do_not_count_towards_the_limit(client, till_shop, customer):
    sign_in(client, till_shop.manager)
    limit(customer, "700.00")
    on_credit(client, till_shop, customer, till_shop.butter.barcode, till_shop.butter.barcode)
    assert save(client).status_code == 200
    first = db.session.execute(select(Bill)).scalar_one()
    first.cancelled_at, first.cancel_reason = func.now(), "test"
    db.session.commit()
    on_credit(client, till_shop, customer, till_shop.butter.barcode, till_shop.butter.barcode)
    assert save(client).status_code == 200 and bills() == 2  # only the live bill's 638.40 is owed


def test_a_manager_allows_it_and_the_audit_log_says_who_and_how_much(client, till_shop, customer):
    sign_in(client, till_shop.manager)
    limit(customer, "500.00")
    on_credit(client, till_shop, customer, till_shop.butter.barcode, till_shop.butter.barcode)
    key = page_key(client)
    refused = save(client, key)
    assert refused.status_code == 422 and 'id="pos-allow-credit"' in refused.get_data(as_text=True)
    allowed = client.post_form("/pos/save", {"idempotency_key": key, "allow_over_limit": "1"}, htmx=True)
    assert allowed.status_code == 200 and bills() == 1
    bill = db.session.execute(select(Bill)).scalar_one()
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "credit_override")).scalar_one()
    assert (entry.entity, entry.entity_id, entry.user_id) == ("bill", bill.uid, till_shop.manager.id)
    assert entry.meta == {"customer": "Ravi Kumar", "party_id": customer.id, "limit": "500.00", "owed": "638.40",
                          "bill_dues": "638.40"}


@pytest.mark.postgres_only
def test_two_tills_billing_the_same_customer_at_once_cannot_both_pass_the_limit(app, till_shop, customer):
    """Each bill alone is within the limit, both together are not: one is saved, the other refused."""
    from services.till import session as till_service

    limit(customer, "1000.00")
    store_id, user_id, party_id = till_shop.store.id, till_shop.cashier.id, customer.id
    product_id = till_shop.butter.id
    barrier, outcomes = threading.Barrier(2), []

    def till_saves():
        with app.app_context():
            from models import Product, Store, User

            store, user = db.session.get(Store, store_id), db.session.get(User, user_id)
            state = till_service.new_state()
            till_service.add_product(store, state, db.session.get(Product, product_id), Decimal(2))
            till_service.choose_customer(store, state, party_id)
            till_service.set_payment(state, {"payment_mode": "none"}, [])
            barrier.wait()
            try:
                till_service.save(store, user, state)
                db.session.commit()
                outcomes.append("saved")
            except Exception as exc:  # the refusal
                db.session.rollback()
                outcomes.append(getattr(exc, "errors", {}).get("credit_limit", [repr(exc)])[0])
            finally:
                db.session.remove()

    threads = [threading.Thread(target=till_saves) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=len) == ["saved", ("Ravi Kumar would owe ₹1,276.80, over their credit limit of "
                                                   "₹1,000.00: take ₹276.80 more now, or a manager can allow it")]
    assert bills() == 1


@pytest.mark.postgres_only
def test_the_customer_lock_makes_the_second_check_wait_for_the_first_bill(app, till_shop, customer):
    """The till's saves already queue on the invoice counter; here two bills are written side by side without it
    and both checks run before either commits: the lock on the customer makes the second count the first."""
    limit(customer, "1000.00")
    store_id, user_id, party_id = till_shop.store.id, till_shop.cashier.id, customer.id
    written, checked, outcomes = threading.Barrier(2), threading.Barrier(2), []

    def bill_and_check(n: int):
        with app.app_context():
            from models import Store, User

            store, user = db.session.get(Store, store_id), db.session.get(User, user_id)
            bill = Bill(store_id=store_id, kind="sale", invoice_number=f"RACE{n}", party_id=party_id,
                        total_amount=Decimal("638.40"), paid_amount=Decimal(0), due_amount=Decimal("638.40"))
            db.session.add(bill)
            db.session.flush()
            written.wait()
            try:
                credit.check_limit(store, user, bill)
                try:
                    checked.wait(timeout=3)  # both checked before either commits (unless one waits on the lock)
                except threading.BrokenBarrierError:
                    pass
                db.session.commit()
                outcomes.append("saved")
            except Exception as exc:
                db.session.rollback()
                outcomes.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=bill_and_check, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ValidationError", "saved"] and bills() == 1
