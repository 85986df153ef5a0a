"""The till with Indian retail billing: loose goods by weight, MRP prices, round-off and the place of supply."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models import Bill, Product
from tests.fixtures_pos import sign_in
from tests.test_pos_pages import page_key, scan, till_state, total_shown

D = Decimal


@pytest.fixture
def shop(till_shop, make_product):
    store = till_shop.store
    store.state_code, store.state = "27", "Maharashtra"
    till_shop.onion = make_product(store, "Onion (loose)", unit_price="40.00", quantity=D("12.5"), unit="kg",
                                   sku="ONION", barcode="2000001000001", cgst_rate="0", sgst_rate="0")
    till_shop.rice = make_product(store, "Basmati Rice 1kg", unit_price="145.00", quantity=20, sku="RICE-1",
                                  barcode="8901234500042", cgst_rate="2.5", sgst_rate="2.5", price_includes_tax=True)
    db.session.commit()
    return till_shop


@pytest.fixture
def till(client, shop):
    sign_in(client, shop.cashier)
    return client


def test_a_loose_item_takes_a_weight_and_the_bill_and_stock_keep_three_decimals(till, shop):
    scan(till, shop.onion.barcode)
    changed = till.post_form("/pos/lines/0", {"line": "0", "qty": "0.750", "discount_type": "percent",
                                              "discount_value": "0", "cgst": "0", "sgst": "0"}, htmx=True)
    html = changed.get_data(as_text=True)
    assert changed.status_code == 200 and total_shown(html) == "30.00"
    assert 'step="0.001"' in html and 'value="0.75"' in html and "/kg</small>" in html
    assert till_state(shop, shop.cashier)["lines"][0]["qty"] == "0.750"
    saved = till.post_form("/pos/save", {"idempotency_key": page_key(till)}, htmx=True)
    assert saved.status_code == 200
    bill = db.session.execute(select(Bill)).scalar_one()
    assert bill.items[0].qty == D("0.750") and bill.total_amount == D("30.00")
    assert db.session.get(Product, shop.onion.id).quantity == D("11.750")


def test_pieces_stay_whole_at_the_till(till, shop):
    scan(till, shop.salt.barcode)
    refused = till.post_form("/pos/lines/0", {"line": "0", "qty": "1.5", "discount_type": "percent",
                                              "discount_value": "0", "cgst": "2.5", "sgst": "2.5"}, htmx=True)
    assert refused.status_code == 422 and "whole number" in refused.get_data(as_text=True)
    assert till_state(shop, shop.cashier)["lines"][0]["qty"] == "1"


def test_an_mrp_item_rings_up_at_its_printed_price(till, shop):
    html = scan(till, shop.rice.barcode).get_data(as_text=True)
    assert total_shown(html) == "145.00"


def test_round_off_shows_on_the_till_and_the_saved_bill(till, shop):
    shop.store.settings = {**(shop.store.settings or {}), "round_off": True}
    db.session.commit()
    html = scan(till, shop.soap.barcode).get_data(as_text=True)  # 40.00 + 18 % = 47.20
    assert total_shown(html) == "47.00" and 'id="pos-round-off"' in html
    till.post_form("/pos/save", {"idempotency_key": page_key(till)}, htmx=True)
    bill = db.session.execute(select(Bill)).scalar_one()
    assert (bill.total_amount, bill.round_off) == (D("47.00"), D("-0.20"))


def test_another_place_of_supply_charges_igst(till, shop):
    scan(till, shop.soap.barcode)  # 40.00 at 9 % + 9 %
    page = till.get("/pos").get_data(as_text=True)
    assert "27 Maharashtra (this store&#39;s state)" in page or "27 Maharashtra (this store's state)" in page
    till.post_form("/pos/payment", {"payment_mode": "cash", "place_of_supply": "29"}, htmx=True)
    assert till_state(shop, shop.cashier)["place_of_supply"] == "29"
    bad = till.post_form("/pos/payment", {"payment_mode": "cash", "place_of_supply": "99"}, htmx=True)
    assert bad.status_code == 422 and till_state(shop, shop.cashier)["place_of_supply"] == "29"
    till.post_form("/pos/save", {"idempotency_key": page_key(till)}, htmx=True)
    bill = db.session.execute(select(Bill)).scalar_one()
    item = bill.items[0]
    assert bill.place_of_supply == "29" and (item.cgst_amount, item.sgst_amount) == (0, 0)
    assert (item.igst_rate, item.igst_amount, bill.total_amount) == (D("18.00"), D("7.20"), D("47.20"))


def test_a_new_b2b_customer_with_a_gstin_of_another_state_makes_an_igst_invoice(till, shop):
    from models import Customer
    from services.accounts.gstin import check_character
    gstin = "29ABCDE1234F1Z" + check_character("29ABCDE1234F1Z")
    bad = till.post_form("/pos/customer/new", {"name": "Mysore Traders", "contact_no": "98450 00001",
                                               "gstin": gstin[:14] + ("A" if gstin[14] != "A" else "B")}, htmx=True)
    assert bad.status_code == 422 and "check character" in bad.get_data(as_text=True)
    ok = till.post_form("/pos/customer/new", {"name": "Mysore Traders", "contact_no": "98450 00001",
                                              "gstin": gstin.lower(), "legal_name": "Mysore Traders LLP"}, htmx=True)
    assert ok.status_code == 200 and f"GSTIN {gstin}" in ok.get_data(as_text=True)
    html = scan(till, shop.soap.barcode).get_data(as_text=True)  # 40.00 at 18 % IGST = 47.20
    assert "Tax (IGST)" in html and total_shown(html) == "47.20"
    till.post_form("/pos/save", {"idempotency_key": page_key(till)}, htmx=True)
    bill = db.session.execute(select(Bill)).scalar_one()
    customer = db.session.execute(select(Customer)).scalar_one()
    assert (customer.gstin, customer.legal_name, customer.state_code) == (gstin, "Mysore Traders LLP", "29")
    assert (bill.place_of_supply, bill.igst_amount, bill.cgst_amount) == ("29", D("7.20"), D("0.00"))
