"""Customer identity: one phone rule (E.164) and one email rule (lower case) on every surface, and the migration
that brings existing rows to it without merging anyone."""
from __future__ import annotations

from decimal import Decimal

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from extensions import db
from models import Bill, Customer, Party
from services.catalog.products import ProductInput, create_product, update_product
from services.errors import Duplicate, ValidationError
from services.parties import parties
from services.parties.expenses import ExpenseInput, create_expense
from services.parties.parties import CustomerInput, create_customer, e164_phone, normal_email
from tests.fixtures_billing import cash_bill
from tests.fixtures_pos import sign_in
from tests.test_migrations import empty_database_url, migration_app  # noqa: F401  (the fixture)


@pytest.mark.parametrize("typed", ["9876543210", "98765 43210", "98765-43210", "09876543210", "+91 98765 43210",
                                   "+919876543210", "919876543210"])
def test_an_indian_mobile_as_people_type_it_is_stored_in_e164(typed):
    assert e164_phone(typed) == "+919876543210"


@pytest.mark.parametrize("typed", ["12345", "call me", "5876543210", "+0123456789", ""])
def test_what_is_no_phone_number_is_refused(typed):
    assert e164_phone(typed) is None


def test_email_is_compared_in_lower_case():
    assert normal_email(" Asha@X.in ") == "asha@x.in" and normal_email("") is None


def _customers(store):
    db.session.expire_all()
    return db.session.execute(select(Customer).where(Customer.store_id == store.id)).scalars().all()


def test_the_same_phone_is_the_same_customer_through_namaste_billing_v1_and_the_till(
        app, client, till_shop, api_headers):
    store, owner = till_shop.store, till_shop.owner
    headers = api_headers(owner)
    made = client.post("/api/parties/", json={"Category_type": "Customer", "name": "Asha", "phone_no": "98765 43210",
                                              "email": "Asha@X.in"}, headers=headers)
    assert made.status_code == 201
    assert made.get_json()["customer"]["phone_no"] == "+919876543210"
    assert made.get_json()["customer"]["email"] == "asha@x.in"
    [asha] = _customers(store)
    assert (asha.phone_no, asha.email) == ("+919876543210", "asha@x.in")

    # Billing v1: the same number in E.164 bills Asha, no second customer.
    body = cash_bill(till_shop.salt.uid, customer={"name": "Someone Else", "contact_no": "+919876543210"})
    saved = client.post(f"/api/v1/billing/{store.uid}/bills", json=body, headers=headers)
    assert saved.status_code == 201, saved.get_json()
    assert saved.get_json()["data"]["customer"]["id"] == asha.party.uid
    assert len(_customers(store)) == 1
    assert db.session.execute(select(Bill.party_id)).scalar_one() == asha.party_id

    # Billing v1 keeps its contract: a number that is not E.164 is refused there.
    refused = client.post(f"/api/v1/billing/{store.uid}/bills", headers=headers,
                          json=cash_bill(till_shop.salt.uid, customer={"name": "X", "contact_no": "9876543210"}))
    assert refused.status_code == 400 and "customer.contact_no" in refused.get_json()["errors"]

    # The till: typed with a leading 0, it picks Asha; search finds her however the number is typed.
    sign_in(client, till_shop.cashier)
    picked = client.post_form("/pos/customer/new", {"name": "Typed Again", "contact_no": "09876543210"}, htmx=True)
    assert picked.status_code == 200
    from models import TillSession
    state = db.session.execute(
        select(TillSession.payload).where(TillSession.user_id == till_shop.cashier.id)).scalar_one()
    assert state["customer_id"] == asha.party_id and state["new_customer"] is None
    found = client.get(f"/api/v1/billing/{store.uid}/customers?q=98765%2043210", headers=headers).get_json()
    assert [c["id"] for c in found["data"]["items"]] == [asha.party.uid]
    by_email = client.get(f"/api/v1/billing/{store.uid}/customers?q=ASHA@X.IN", headers=headers).get_json()
    assert [c["id"] for c in by_email["data"]["items"]] == [asha.party.uid]
    assert len(_customers(store)) == 1


def test_changing_a_customer_onto_anothers_phone_typed_otherwise_is_a_duplicate(client, till_shop, api_headers):
    headers = api_headers(till_shop.owner)
    client.post("/api/parties/", json={"Category_type": "Customer", "name": "Asha", "phone_no": "+919876543210"},
                headers=headers)
    ravi = client.post("/api/parties/", json={"Category_type": "Customer", "name": "Ravi", "email": "Ravi@X.in"},
                       headers=headers).get_json()["party"]["id"]
    response = client.put(f"/api/parties/?id={ravi}", json={"phone_no": "098765-43210"}, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"] == "A customer with this phone number already exists."
    again = client.post("/api/parties/", json={"Category_type": "Customer", "name": "R2", "email": "RAVI@x.IN"},
                        headers=headers)
    assert again.get_json()["error"] == "A customer with this email already exists."
    assert [(c.name, c.phone_no, c.email) for c in _customers(till_shop.store)] == [
        ("Asha", "+919876543210", None), ("Ravi", None, "ravi@x.in")]


def test_a_new_customer_at_the_till_is_kept_in_e164(client, till_shop):
    sign_in(client, till_shop.cashier)
    client.post_form("/pos/customer/new", {"name": "Meena", "contact_no": "98222 22222"}, htmx=True)
    from models import TillSession
    state = db.session.execute(
        select(TillSession.payload).where(TillSession.user_id == till_shop.cashier.id)).scalar_one()
    assert state["new_customer"]["contact_no"] == "+919822222222"


def test_an_email_differing_only_in_case_is_a_duplicate_on_every_path(app, till_shop):
    store = till_shop.store
    create_customer(store, None, CustomerInput.of(name="Asha", email="asha@x.in"))
    with pytest.raises(Duplicate) as caught:
        create_customer(store, None, CustomerInput.of(name="Other", email="ASHA@X.IN"))
    assert caught.value.field == "email" and caught.value.existing.customer.name == "Asha"
    with pytest.raises(Duplicate):
        create_customer(store, None, CustomerInput.of(name="Other", phone_no="98765 43210", email="b@x.in"))
        create_customer(store, None, CustomerInput.of(name="Third", phone_no="+919876543210"))
    db.session.rollback()


def test_a_phone_that_is_no_phone_is_a_domain_error(app, till_shop):
    with pytest.raises(ValidationError) as caught:
        create_customer(till_shop.store, None, CustomerInput.of(name="Asha", phone_no="call me"))
    assert caught.value.errors == {"phone_no": [parties.BAD_PHONE]}
    db.session.rollback()


# --------------------------------------------------------------------------- typed inputs' domain errors


def test_product_input_rules_are_the_domains(app, till_shop):
    store, manager = till_shop.store, till_shop.manager
    with pytest.raises(ValidationError) as caught:
        create_product(store, manager, ProductInput.of(product_name="Gift Card", category_id=999999,
                                                       unit_price=Decimal("-1"), type="service", quantity=3,
                                                       hsn_code="12", cgst_rate=Decimal("101")))
    assert set(caught.value.errors) == {"category_id", "quantity", "hsn_code", "unit_price", "cgst_rate"}
    with pytest.raises(Duplicate) as taken:
        create_product(store, manager, ProductInput.of(product_name="tata salt 1KG", category_id=None,
                                                       unit_price=Decimal("1"), quantity=0))
    assert taken.value.field == "product_name"
    with pytest.raises(ValidationError) as sku:
        update_product(store, manager, till_shop.soap, ProductInput.of(sku="SALT-1", barcode="8901234500011"))
    assert set(sku.value.errors) == {"sku", "barcode"}
    db.session.rollback()


def test_expense_input_rules_are_the_domains(app, till_shop):
    with pytest.raises(ValidationError) as caught:
        create_expense(till_shop.store, till_shop.manager, ExpenseInput.of(amount=Decimal("0"), category="Bribes"))
    assert set(caught.value.errors) == {"amount", "category", "date"}
    db.session.rollback()


# --------------------------------------------------------------------------- the migration


def test_the_migration_normalises_customers_and_reports_collisions_without_merging(
        backend, tmp_path, empty_database_url, capfd):  # noqa: F811
    application = migration_app(backend, tmp_path, empty_database_url)
    with application.app_context():
        upgrade(revision="df79ea8cf9bc")
        rows = [  # store 1: two people who become one after normalising; store 2: the same numbers, no clash
            (1, 1, "Ravi", "98111 11111", "Ravi@X.in"), (2, 1, "Ravi K", "+919811111111", None),
            (3, 1, "Asha", "098765-43210", "ASHA@X.IN"), (4, 1, "Lee", "+1 415 555 0100", "lee@x.com"),
            (5, 2, "Ravi", "98111 11111", "Ravi@X.in"), (6, 1, "Odd", "call me", None),
        ]
        with db.engine.begin() as connection:
            for store_id in (1, 2):
                connection.execute(text("INSERT INTO store (id, uid, name, invoice_prefix, business_kind, timezone, "
                                        "allow_walk_in, settings, created_at) VALUES (:id, :uid, :name, 'INV', "
                                        "'general', 'Asia/Kolkata', :yes, '{}', CURRENT_TIMESTAMP)"),
                                   {"id": store_id, "uid": f"store-{store_id}", "name": f"Shop {store_id}",
                                    "yes": True})
            for pk, store_id, name, phone, email in rows:
                connection.execute(text("INSERT INTO party (id, uid, store_id, category_type, is_active, "
                                        "is_updated_at, created_at) VALUES (:id, :uid, :store, 'Customer', "
                                        ":yes, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                                   {"id": pk, "uid": f"party-{pk}", "store": store_id, "yes": True})
                connection.execute(text("INSERT INTO customer (id, party_id, store_id, name, phone_no, email, "
                                        "open_balance, credit_limmit, loyalty_points, notes) VALUES (:id, :id, "
                                        ":store, :name, :phone, :email, 0, 0, 0, '')"),
                                   {"id": pk, "store": store_id, "name": name, "phone": phone, "email": email})
        capfd.readouterr()
        upgrade()  # alembic's own logging config writes the warning to stderr
        with db.engine.connect() as connection:
            stored = dict((r[0], (r[1], r[2])) for r in connection.execute(
                text("SELECT id, phone_no, email FROM customer ORDER BY id")))
            assert connection.execute(select(func.count()).select_from(Party.__table__)).scalar_one() == 6
        assert stored == {
            1: ("98111 11111", "Ravi@X.in"), 2: ("+919811111111", None),  # would collide: kept as they were
            3: ("+919876543210", "asha@x.in"), 4: ("+14155550100", "lee@x.com"),
            5: ("+919811111111", "ravi@x.in"), 6: ("call me", None),
        }
        warnings = [line for line in capfd.readouterr().err.splitlines() if "customer identity: left" in line]
        assert len(warnings) == 1 and warnings[0].endswith(
            "customer identity: left unchanged because they would share a phone or email after normalising "
            "(store id: customer ids): {1: [1, 2]}")
        db.engine.dispose()
