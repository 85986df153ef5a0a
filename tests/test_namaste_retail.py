"""NamastePMS extension fields for retail (issue 11): products' `unit` and `price_includes_tax`, decimal quantities
for goods sold by weight or volume (products and bill items), and customers' `gstin` and `legal_name`."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models import Bill, Customer, Product, StockMove
from tests.test_namaste_errors import CUSTOMER, WIDGET, counts

D = Decimal
ONIONS = {"product_name": "Onion (loose)", "category": 1, "unit_price": "40.00", "quantity": "42.5", "unit": "kg",
          "hsn_code": "0703"}
GSTIN_KA = "29AABCL1234C1Z0"  # a real check character (services.accounts.gstin.check_character)


def stock_of(product_id: int) -> Decimal:
    db.session.expire_all()
    return db.session.get(Product, product_id).quantity


def moves_of(product_id: int) -> Decimal:
    return db.session.execute(select(db.func.sum(StockMove.delta)).where(StockMove.product_id == product_id)
                              ).scalar_one()


# --------------------------------------------------------------------------- products


def test_a_product_sold_by_weight_keeps_decimal_stock_and_says_its_unit(shop):
    response = shop.post("/api/products/", ONIONS)
    assert response.status_code == 201, response.get_json()
    product = response.get_json()["product"]
    assert (product["unit"], product["quantity"], product["price_includes_tax"]) == ("kg", 42.5, False)
    assert stock_of(product["id"]) == D("42.500") == moves_of(product["id"])
    listed = shop.get("/api/products/").get_json()["results"][0]
    assert (listed["unit"], listed["quantity"]) == ("kg", 42.5)


def test_a_new_product_is_in_pieces_and_takes_the_stores_mrp_option_unless_it_says_otherwise(shop):
    plain = shop.post("/api/products/", WIDGET).get_json()["product"]
    assert (plain["unit"], plain["price_includes_tax"], plain["quantity"]) == ("pcs", False, 100)
    shop.store.settings = {**(shop.store.settings or {}), "prices_include_tax": True}
    db.session.commit()
    mrp = shop.post("/api/products/", dict(WIDGET, product_name="Rice 1kg")).get_json()["product"]
    assert mrp["price_includes_tax"] is True
    net = shop.post("/api/products/", dict(WIDGET, product_name="Bulk Rice", price_includes_tax=False))
    assert net.get_json()["product"]["price_includes_tax"] is False


def test_price_includes_tax_can_be_changed_and_priced_bills_follow_it(shop):
    product_id = shop.post("/api/products/", WIDGET).get_json()["product"]["id"]
    response = shop.put(f"/api/products/?id={product_id}", {"price_includes_tax": "true"})
    assert response.status_code == 200
    assert response.get_json()["product"]["price_includes_tax"] is True
    assert stock_of(product_id) == 100
    assert db.session.get(Product, product_id).price_includes_tax is True


@pytest.mark.parametrize("change, errors", [
    ({"unit": "litre"}, {"unit": ['"litre" is not a valid choice.']}),
    ({"unit": "KG"}, {"unit": ['"KG" is not a valid choice.']}),
    ({"unit": None}, {"unit": ["This field may not be null."]}),
    ({"price_includes_tax": "maybe"}, {"price_includes_tax": ["Must be a valid boolean."]}),
    ({"price_includes_tax": None}, {"price_includes_tax": ["This field may not be null."]}),
    # pieces stay whole, as the contract's integer
    ({"quantity": 1.5}, {"quantity": ["A valid integer is required."]}),
    ({"quantity": "12.5"}, {"quantity": ["A valid integer is required."]}),
    # a measured unit takes three decimals, no more
    ({"unit": "kg", "quantity": "12.5555"}, {"quantity": ["Ensure that there are no more than 3 decimal places."]}),
    ({"unit": "kg", "quantity": -0.5}, {"quantity": ["Ensure this value is greater than or equal to 0."]}),
    ({"unit": "l", "quantity": "1000000000"},
     {"quantity": ["Ensure that there are no more than 9 digits before the decimal point."]}),
    ({"unit": "kg", "quantity": "lots"}, {"quantity": ["A valid number is required."]}),
])
def test_unit_mrp_and_quantity_refusals_are_drf_field_errors_and_write_nothing(shop, change, errors):
    before = counts()
    response = shop.post("/api/products/", dict(WIDGET, **change))
    assert response.status_code == 400
    assert response.get_json() == errors
    assert counts() == before


@pytest.mark.parametrize("unit", ["kg", "g", "l", "ml", "m"])
def test_every_measured_unit_takes_a_three_decimal_stock(shop, unit):
    response = shop.post("/api/products/", dict(WIDGET, unit=unit, quantity="0.125"))
    assert response.status_code == 201
    assert response.get_json()["product"]["quantity"] == 0.125


def test_a_kg_product_cannot_become_pieces_while_its_stock_is_fractional(shop):
    product_id = shop.post("/api/products/", ONIONS).get_json()["product"]["id"]
    before = counts()
    response = shop.put(f"/api/products/?id={product_id}", {"unit": "pcs"})
    assert response.status_code == 400
    assert response.get_json() == {"quantity": ["Stock in pcs must be a whole number."]}
    assert counts() == before
    db.session.expire_all()
    assert db.session.get(Product, product_id).unit == "kg" and stock_of(product_id) == D("42.5")
    # a fractional count in pieces is refused as the contract's integer
    response = shop.put(f"/api/products/?id={product_id}", {"unit": "pcs", "quantity": "42.5"})
    assert response.get_json() == {"quantity": ["A valid integer is required."]}
    # with a whole count in the same request it may
    response = shop.put(f"/api/products/?id={product_id}", {"unit": "pcs", "quantity": 42})
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["product"]["unit"], response.get_json()["product"]["quantity"]) == ("pcs", 42)
    assert stock_of(product_id) == 42 == moves_of(product_id)


def test_a_kg_product_with_whole_stock_may_become_pieces(shop):
    product_id = shop.post("/api/products/", dict(ONIONS, quantity=12)).get_json()["product"]["id"]
    response = shop.put(f"/api/products/?id={product_id}", {"unit": "pcs"})
    assert response.status_code == 200
    assert response.get_json()["product"]["quantity"] == 12


def test_the_stock_of_a_kg_product_is_set_in_its_own_unit(shop):
    product_id = shop.post("/api/products/", ONIONS).get_json()["product"]["id"]
    response = shop.put(f"/api/products/?id={product_id}", {"quantity": "40.25"})
    assert response.status_code == 200
    assert response.get_json()["product"]["quantity"] == 40.25
    assert stock_of(product_id) == D("40.25") == moves_of(product_id)


# --------------------------------------------------------------------------- customers


def test_a_customer_carries_a_checked_gstin_and_legal_name(shop):
    body = dict(CUSTOMER, gstin=GSTIN_KA.lower(), legal_name="ABC Company Private Limited")
    response = shop.post("/api/parties/", body)
    assert response.status_code == 201, response.get_json()
    customer = response.get_json()["customer"]
    assert (customer["gstin"], customer["legal_name"]) == (GSTIN_KA, "ABC Company Private Limited")
    stored = db.session.execute(select(Customer)).scalar_one()
    assert (stored.gstin, stored.state_code) == (GSTIN_KA, "29")
    party_id = response.get_json()["party"]["id"]
    detail = shop.get(f"/api/parties/?id={party_id}").get_json()["customer"]
    assert (detail["gstin"], detail["legal_name"]) == (GSTIN_KA, "ABC Company Private Limited")
    updated = shop.put(f"/api/parties/?id={party_id}", {"legal_name": "ABC Co Pvt Ltd", "gstin": ""})
    assert updated.status_code == 200
    assert (updated.get_json()["customer"]["legal_name"], updated.get_json()["customer"]["gstin"]) == (
        "ABC Co Pvt Ltd", None)


@pytest.mark.parametrize("gstin, message", [
    ("29AABCL1234C1Z1", "The GSTIN's check character does not match; please check for a typing mistake."),
    ("29AABCL1234C1Z", "A GSTIN has exactly 15 characters."),
    ("99AABCL1234C1Z0", "99 is not a GST state code."),
])
def test_a_bad_customer_gstin_is_a_field_error_and_writes_nothing(shop, gstin, message):
    before = counts()
    response = shop.post("/api/parties/", dict(CUSTOMER, gstin=gstin))
    assert response.status_code == 400
    assert response.get_json() == {"gstin": [message]}
    assert counts() == before


def test_a_bad_gstin_on_update_changes_nothing(shop):
    party_id = shop.post("/api/parties/", dict(CUSTOMER, gstin=GSTIN_KA)).get_json()["party"]["id"]
    response = shop.put(f"/api/parties/?id={party_id}", {"gstin": "29AABCL1234C1Z1", "legal_name": "X"})
    assert response.get_json() == {"gstin": [
        "The GSTIN's check character does not match; please check for a typing mistake."]}
    db.session.expire_all()
    stored = db.session.execute(select(Customer)).scalar_one()
    assert (stored.gstin, stored.legal_name) == (GSTIN_KA, None)


# --------------------------------------------------------------------------- billing


@pytest.fixture
def grocer(shop):
    assert shop.post("/api/parties/", CUSTOMER).status_code == 201
    assert shop.post("/api/products/", WIDGET).status_code == 201  # id 1, pieces, 100 in stock
    assert shop.post("/api/products/", ONIONS).status_code == 201  # id 2, 42.5 kg
    return shop


def loose_bill(**overrides):
    body = {"invoice_number": "NP-1", "party": 1, "sub_total": "229.99", "tax": "0.00", "total_amount": "229.99",
            "paid_amount": "229.99", "invoice_status": "Paid",
            "items": [{"item": 1, "quantity": 2, "rate": "99.99"}, {"item": 2, "quantity": "0.750", "rate": "40.00"}]}
    body.update(overrides)
    return body


def test_a_bill_sells_three_quarters_of_a_kilo_and_keeps_the_client_totals(grocer):
    response = grocer.post("/api/billing/", loose_bill())
    assert response.status_code == 201, response.get_json()
    billing = response.get_json()["billing"]
    assert [item["quantity"] for item in billing["items"]] == [2, 0.75]
    assert (billing["sub_total"], billing["total_amount"], billing["status"]) == ("229.99", "229.99", "paid")
    assert stock_of(2) == D("41.750") == moves_of(2)
    assert stock_of(1) == 98
    bill = db.session.execute(select(Bill)).scalar_one()
    assert [(item.qty, item.unit) for item in bill.items] == [(2, "pcs"), (D("0.750"), "kg")]
    # cancelling gives the 0.750 kg back
    assert grocer.delete(f"/api/billing/?id={bill.id}").status_code == 200
    assert stock_of(2) == D("42.5") == moves_of(2)


@pytest.mark.parametrize("item, errors", [
    ({"item": 1, "quantity": 1.5, "rate": "1"}, {"quantity": ["A valid integer is required."]}),
    ({"item": 1, "quantity": 0, "rate": "1"}, {"quantity": ["Ensure this value is greater than or equal to 1."]}),
    ({"item": 1, "quantity": 10**6, "rate": "1"},
     {"quantity": ["Ensure this value is less than or equal to 999999."]}),
    ({"item": 2, "quantity": "0.0005", "rate": "1"},
     {"quantity": ["Ensure that there are no more than 3 decimal places."]}),
    ({"item": 2, "quantity": 0, "rate": "1"}, {"quantity": ["Ensure this value is greater than or equal to 0.001."]}),
    ({"item": 2, "quantity": "half", "rate": "1"}, {"quantity": ["A valid number is required."]}),
])
def test_bill_item_quantities_follow_the_products_unit_in_drf_words(grocer, item, errors):
    before = counts()
    response = grocer.post("/api/billing/", loose_bill(items=[item]))
    assert response.status_code == 400
    assert response.get_json() == {"items": [errors]}
    assert counts() == before


def test_selling_more_kilos_than_are_in_stock_names_the_product_and_writes_nothing(grocer):
    before = counts()
    response = grocer.post("/api/billing/", loose_bill(items=[{"item": 2, "quantity": "42.501", "rate": "40"}]))
    assert response.status_code == 400
    assert "Onion (loose)" in response.get_json()["items"][0]["quantity"][0]
    assert counts() == before and stock_of(2) == D("42.5")
