"""Billing v1 with the Indian retail extensions (issue 11): place of supply and IGST on B2B bills, fractional
quantities of loose goods, round-off, MRP prices that include GST, bad input, and cancelled bills. Every figure is
worked out by hand in the comments (half-up to the paisa at the line)."""
from __future__ import annotations

import copy

import pytest
import simplejson
from sqlalchemy import select

from extensions import db
from models import Bill, Customer, HeldBill, Product
from services.accounts.gstin import check_character
from services.billing import bills as billing
from tests.fixtures_billing import cash_bill, seed_bill
from tests.test_billing_v1_api import D, body_of, table_counts

STORE_GSTIN = "27AAPFU0939F1ZV"  # a published Maharashtra GSTIN


def gstin(state: str, pan: str = "ABCDE1234F") -> str:
    """A GSTIN of `state` with a correct check character."""
    first14 = f"{state}{pan}1Z"
    return first14 + check_character(first14)


KARNATAKA_BUYER = gstin("29")
MAHARASHTRA_BUYER = gstin("27", "PQRST6789K")


@pytest.fixture
def shop(billing_shop, make_product):
    return retail_shop(billing_shop, make_product)


def retail_shop(shop, make_product):
    """billing_shop registered in Maharashtra (27), with a rack (pcs), a shelf (pcs) and loose rice (kg)."""
    shop.store.state_code, shop.store.gstin = "27", STORE_GSTIN
    db.session.commit()
    shop.rack = make_product(shop.store, "Steel Rack", unit_price="1234.50", quantity=20)
    shop.shelf = make_product(shop.store, "Wall Shelf", unit_price="499.99", quantity=20, cgst_rate="6",
                              sgst_rate="6")
    shop.rice = make_product(shop.store, "Sona Masoori (loose)", unit_price="64.00", quantity=10, unit="kg",
                             cgst_rate="2.5", sgst_rate="2.5")
    return shop


def line(item_id: str, qty, line_no: int = 1, cgst=9, sgst=9, discount_type="flat", discount_value=0) -> dict:
    return {"line_no": line_no, "type": "product", "id": item_id, "qty": qty, "discount_type": discount_type,
            "discount_value": discount_value, "cgst": cgst, "sgst": sgst}


def racks_bill(shop, **overrides) -> dict:
    """3 racks at 1234.50, 5 % off, 9 + 9; 2 shelves at 499.99, 10.00 off, 6 + 6; unpaid."""
    return cash_bill(shop.rack.uid, items=[
        line(shop.rack.uid, 3, 1, 9, 9, "percent", 5),
        line(shop.shelf.uid, 2, 2, 6, 6, "flat", 10),
    ], **overrides)


def post(client, shop, path: str, body):
    """POST the body with its Decimals as exact JSON numbers (the test client's json= would send strings)."""
    return client.post(shop.url + path, data=simplejson.dumps(body, use_decimal=True),
                       content_type="application/json", headers=shop.headers)


def save(client, shop, body) -> dict:
    response = post(client, shop, "/bills", body)
    assert response.status_code == 201, response.get_json()
    return body_of(response)["data"]


def refused(client, shop, body, field: str, path: str = "/bills") -> dict:
    before = table_counts()
    response = post(client, shop, path, body)
    assert response.status_code == 400, response.get_json()
    payload = body_of(response)
    assert payload["success"] is False and field in payload["errors"], payload
    assert table_counts() == before  # nothing written: no bill, customer, invoice number or stock move
    return payload


# --------------------------------------------------------------------------- place of supply and IGST


def test_an_inter_state_b2b_bill_charges_igst_to_the_paisa(client, shop):
    body = racks_bill(shop, customer={"name": "Bengaluru Traders", "contact_no": "+919845012345",
                                      "gstin": KARNATAKA_BUYER.lower(), "legal_name": "Bengaluru Traders Pvt Ltd"})
    data = save(client, shop, body)
    rack, shelf = data["items"]
    # Rack: base 3 x 1234.50 = 3703.50; 5 % = 185.175 -> 185.18; taxable 3518.32; IGST 18 % = 633.2976 -> 633.30
    assert {k: rack[k] for k in ("base_amount", "discount_amount", "taxable_amount", "igst_rate", "igst_amount",
                                 "cgst_rate", "sgst_rate", "cgst_amount", "sgst_amount", "line_total")} == {
        "base_amount": D("3703.50"), "discount_amount": D("185.18"), "taxable_amount": D("3518.32"),
        "igst_rate": D("18.00"), "igst_amount": D("633.30"), "cgst_rate": D("0.00"), "sgst_rate": D("0.00"),
        "cgst_amount": D("0.00"), "sgst_amount": D("0.00"), "line_total": D("4151.62")}
    # Shelf: base 2 x 499.99 = 999.98; 10.00 off; taxable 989.98; IGST 12 % = 118.7976 -> 118.80
    assert (shelf["taxable_amount"], shelf["igst_rate"], shelf["igst_amount"], shelf["line_total"]) == (
        D("989.98"), D("12.00"), D("118.80"), D("1108.78"))
    assert (rack["unit"], rack["price_includes_tax"]) == ("pcs", False)
    totals = data["totals"]
    assert {k: totals[k] for k in ("sub_total", "tax_amount", "cgst_amount", "sgst_amount", "igst_amount",
                                   "taxable_amount", "grand_total", "round_off", "dues", "place_of_supply")} == {
        "sub_total": D("5260.40"), "tax_amount": D("752.10"), "cgst_amount": D("0.00"), "sgst_amount": D("0.00"),
        "igst_amount": D("752.10"), "taxable_amount": D("4508.30"), "grand_total": D("5260.40"),
        "round_off": D("0.00"), "dues": D("5260.40"), "place_of_supply": "29"}
    customer = db.session.execute(select(Customer).filter_by(phone_no="+919845012345")).scalar_one()
    assert (customer.gstin, customer.legal_name, customer.state_code) == (
        KARNATAKA_BUYER, "Bengaluru Traders Pvt Ltd", "29")
    assert body_of(client.get(f"{shop.url}/bills/{data['bill_id']}", headers=shop.headers))["data"] == data
    listed = body_of(client.get(f"{shop.url}/customers", query_string={"q": "Bengaluru"}, headers=shop.headers))
    assert [(c["gstin"], c["legal_name"]) for c in listed["data"]["items"]] == [
        (KARNATAKA_BUYER, "Bengaluru Traders Pvt Ltd")]


def test_place_of_supply_from_the_body_makes_a_walk_in_bill_inter_state(client, shop):
    data = save(client, shop, racks_bill(shop, place_of_supply="29"))
    assert data["totals"]["place_of_supply"] == "29"
    assert (data["totals"]["igst_amount"], data["totals"]["cgst_amount"]) == (D("752.10"), D("0.00"))
    assert db.session.execute(select(Bill.place_of_supply)).scalar_one() == "29"


def test_the_buyers_gstin_wins_over_the_place_of_supply_sent(client, shop, make_customer):
    # A Maharashtra buyer (same state as the store) with place_of_supply 29 in the body: the GSTIN decides, CGST/SGST.
    body = racks_bill(shop, place_of_supply="29", customer={"name": "Pune Mart", "contact_no": "+919822012345",
                                                          "gstin": MAHARASHTRA_BUYER})
    data = save(client, shop, body)
    rack = data["items"][0]
    # taxable 3518.32; CGST 9 % = 316.6488 -> 316.65, SGST the same
    assert (rack["cgst_rate"], rack["cgst_amount"], rack["sgst_amount"], rack["igst_rate"], rack["igst_amount"]) == (
        D("9.00"), D("316.65"), D("316.65"), D("0.00"), D("0.00"))
    assert (data["totals"]["place_of_supply"], data["totals"]["igst_amount"]) == ("27", D("0.00"))
    # An existing Karnataka customer by customer_id with place_of_supply 27 sent: IGST to 29.
    party = make_customer(shop.store, "Mysore Stores", gstin=KARNATAKA_BUYER)
    body = racks_bill(shop, place_of_supply="27")
    del body["customer"]
    body["customer_id"] = party.uid
    data = save(client, shop, body)
    assert (data["totals"]["place_of_supply"], data["totals"]["igst_amount"]) == ("29", D("752.10"))


def test_a_stored_customer_found_by_phone_takes_the_gstin_sent_and_keeps_its_own(client, shop, make_customer):
    # Stored without a GSTIN: the bill's GSTIN is recorded on the customer, so the invoice and its IGST agree.
    plain = make_customer(shop.store, "Mysore Stores", phone_no="+919845000001")
    body = racks_bill(shop, customer={"name": "Mysore Stores", "contact_no": "+919845000001",
                                      "gstin": KARNATAKA_BUYER, "legal_name": "Mysore Stores LLP"})
    data = save(client, shop, body)
    assert (data["totals"]["place_of_supply"], data["totals"]["igst_amount"]) == ("29", D("752.10"))
    stored = db.session.get(Customer, plain.customer.id)
    assert (stored.gstin, stored.legal_name, stored.state_code) == (KARNATAKA_BUYER, "Mysore Stores LLP", "29")
    # Stored with a Maharashtra GSTIN: a different GSTIN sent does not change it, and the stored one decides.
    make_customer(shop.store, "Pune Mart", phone_no="+919822000002", gstin=MAHARASHTRA_BUYER)
    body = racks_bill(shop, customer={"name": "Pune Mart", "contact_no": "+919822000002", "gstin": KARNATAKA_BUYER})
    data = save(client, shop, body)
    assert (data["totals"]["place_of_supply"], data["totals"]["igst_amount"]) == ("27", D("0.00"))
    assert db.session.execute(select(Customer.gstin).where(Customer.phone_no == "+919822000002")).scalar_one() == (
        MAHARASHTRA_BUYER)


def test_a_same_state_bill_without_place_of_supply_is_the_stores_state(client, shop):
    data = save(client, shop, racks_bill(shop))
    assert (data["totals"]["place_of_supply"], data["totals"]["cgst_amount"], data["totals"]["igst_amount"]) == (
        "27", D("316.65") + D("59.40"), D("0.00"))  # shelf: 989.98 x 6 % = 59.3988 -> 59.40


@pytest.mark.parametrize("value", ["99", "ab", "2", "25", "", " 27", 27, ["27"]])
def test_a_bad_place_of_supply_is_a_400_with_nothing_written(client, shop, value):
    for path in ("/bills", "/bills/hold"):
        refused(client, shop, racks_bill(shop, place_of_supply=value), "place_of_supply", path)


@pytest.mark.parametrize("value", [KARNATAKA_BUYER[:14] + ("A" if KARNATAKA_BUYER[14] != "A" else "B"),
                                   "29ABCDE1234F1", "99ABCDE1234F1Z5", 29])
def test_a_bad_customer_gstin_is_a_400_on_customer_gstin_with_nothing_written(client, shop, value):
    for path in ("/bills", "/bills/hold"):
        refused(client, shop, racks_bill(shop, customer={"name": "X", "contact_no": "+919845000000",
                                                         "gstin": value}), "customer.gstin", path)


def test_the_customer_service_refuses_a_bad_gstin_behind_the_parser(shop):
    """The customer service's own GSTIN check (parties._registration) answers on customer.gstin too."""
    before = table_counts()
    draft = billing.BillDraft(lines=[billing.DraftLine(product=shop.rack, qty=1)], customer=billing.NewCustomer(
        name="Y", phone_no="+919845000001", gstin="29ABCDE1234F1ZZ"))
    with pytest.raises(billing.ValidationError) as caught:
        billing.save_bill(shop.store, shop.owner, draft)
    db.session.rollback()
    assert "customer.gstin" in caught.value.errors
    assert table_counts() == before


# --------------------------------------------------------------------------- loose goods


def test_three_quarters_of_a_kilo_of_loose_rice(client, shop):
    data = save(client, shop, cash_bill(shop.rice.uid, items=[line(shop.rice.uid, D("0.750"), cgst=2.5, sgst=2.5)]))
    item = data["items"][0]
    # base 64.00 x 0.750 = 48.00; CGST 2.5 % = 1.20, SGST 1.20; total 50.40
    assert (item["qty"], item["unit"], item["base_amount"], item["cgst_amount"], item["sgst_amount"],
            item["line_total"]) == (D("0.75"), "kg", D("48.00"), D("1.20"), D("1.20"), D("50.40"))
    assert db.session.get(Product, shop.rice.id).quantity == D("9.250")
    found = body_of(client.get(f"{shop.url}/catalog", query_string={"q": "Masoori"}, headers=shop.headers))
    assert [(i["stock"], i["unit"]) for i in found["data"]["items"]] == [(D("9.25"), "kg")]


@pytest.mark.parametrize("item, qty, message", [
    ("rack", D("1.5"), "Quantity must be a whole number of at least 1"),
    ("rack", 0, "Quantity must be a whole number of at least 1"),
    ("rice", 0, "Quantity must be more than 0"),
    ("rice", D("-0.5"), "Quantity must be more than 0"),
    ("rice", D("0.7505"), "At most 3 decimal places"),
    ("rice", "0.75", "Must be a number"),
])
def test_quantities_a_unit_cannot_take_are_refused(client, shop, item, qty, message):
    product = getattr(shop, item)
    payload = refused(client, shop, cash_bill(product.uid, items=[line(product.uid, qty)]), "items[0].qty")
    assert payload["errors"]["items[0].qty"] == [message]


def test_a_held_bill_keeps_place_of_supply_and_a_fractional_qty(client, shop):
    body = cash_bill(shop.rice.uid, items=[line(shop.rice.uid, D("0.750"), cgst=2.5, sgst=2.5)], place_of_supply="29")
    response = post(client, shop, "/bills/hold", body)
    assert response.status_code == 201, response.get_json()
    held_id = body_of(response)["data"]["held_id"]
    held = body_of(client.get(f"{shop.url}/bills/held/{held_id}", headers=shop.headers))["data"]["held"]
    assert held["payload"]["place_of_supply"] == "29" and held["payload"]["items"][0]["qty"] == D("0.75")
    # 48.00 + IGST 5 % 2.40 = 50.40
    assert db.session.execute(select(HeldBill.amount_estimate)).scalar_one() == D("50.40")
    # Resuming: the held payload saves as the same bill.
    resumed = copy.deepcopy(held["payload"])
    data = save(client, shop, resumed)
    assert (data["totals"]["place_of_supply"], data["totals"]["igst_amount"], data["items"][0]["qty"]) == (
        "29", D("2.40"), D("0.75"))


# --------------------------------------------------------------------------- round-off and MRP


def test_round_off_makes_the_grand_total_whole_rupees(client, shop, make_product):
    shop.store.settings = {**(shop.store.settings or {}), "round_off": True}
    db.session.commit()
    lamp = make_product(shop.store, "Lamp", unit_price="99.99")
    # 99.99 + 9 % 8.9991 -> 9.00 + 9.00 = 117.99 -> 118.00, round off +0.01
    data = save(client, shop, cash_bill(lamp.uid, items=[line(lamp.uid, 1)]))
    assert {k: data["totals"][k] for k in ("sub_total", "round_off", "grand_total", "dues")} == {
        "sub_total": D("117.99"), "round_off": D("0.01"), "grand_total": D("118.00"), "dues": D("118.00")}
    # 3 x 99.99 = 299.97 + 27.00 + 27.00 = 353.97, less 3.50 = 350.47 -> 350.00, round off -0.47
    data = save(client, shop, cash_bill(lamp.uid, items=[line(lamp.uid, 3)], discount=D("3.50")))
    assert {k: data["totals"][k] for k in ("sub_total", "discount", "round_off", "grand_total")} == {
        "sub_total": D("353.97"), "discount": D("3.50"), "round_off": D("-0.47"), "grand_total": D("350.00")}
    assert data["totals"]["grand_total"] == data["totals"]["grand_total"].to_integral_value()


def test_the_worked_example_is_unchanged_with_round_off_off(client, shop):
    data = save(client, shop, seed_bill(shop.haircut.uid))
    assert (data["totals"]["grand_total"], data["totals"]["round_off"], data["totals"]["place_of_supply"]) == (
        D("1012.00"), D("0.00"), "27")


@pytest.mark.parametrize("price, qty, rate, cgst, taxable", [
    # 145.00 at 5 %: exact taxable 145 x 100 / 105 = 138.0952...; CGST 2.5 % of it 3.452... -> 3.45 (SGST too)
    ("145.00", 1, "2.5", "3.45", "138.10"),
    # 3 x 99.00 = 297.00 at 12 %: 265.178...; CGST 6 % 15.9107... -> 15.91
    ("99.00", 3, "6", "15.91", "265.18"),
    # 2 x 1234.56 = 2469.12 at 18 %: 2092.474...; CGST 9 % 188.3227... -> 188.32
    ("1234.56", 2, "9", "188.32", "2092.48"),
])
def test_an_mrp_line_costs_price_times_qty_exactly(client, shop, make_product, price, qty, rate, cgst, taxable):
    mrp = make_product(shop.store, f"MRP {rate}", unit_price=price, cgst_rate=rate, sgst_rate=rate,
                       price_includes_tax=True)
    data = save(client, shop, cash_bill(mrp.uid, items=[line(mrp.uid, qty, cgst=D(rate), sgst=D(rate))]))
    item = data["items"][0]
    assert item["line_total"] == D(price) * qty == data["totals"]["grand_total"]
    assert (item["cgst_amount"], item["sgst_amount"], item["taxable_amount"], item["price_includes_tax"]) == (
        D(cgst), D(cgst), D(taxable), True)
    assert item["taxable_amount"] + item["cgst_amount"] + item["sgst_amount"] == item["line_total"]


# --------------------------------------------------------------------------- cancelled


def test_a_cancelled_bill_has_status_cancelled_and_no_dues(client, shop):
    kept = save(client, shop, racks_bill(shop))
    data = save(client, shop, racks_bill(shop))
    assert (data["status"], data["totals"]["dues"]) == ("unpaid", D("5260.40"))  # CGST + SGST = the IGST above
    bill = db.session.execute(select(Bill).filter_by(uid=data["bill_id"])).scalar_one()
    billing.cancel_bill(shop.store, shop.owner, bill, "Wrong customer")
    db.session.commit()
    detail = body_of(client.get(f"{shop.url}/bills/{data['bill_id']}", headers=shop.headers))["data"]
    assert (detail["status"], detail["totals"]["dues"], detail["totals"]["grand_total"]) == (
        "cancelled", D("0.00"), D("5260.40"))
    assert detail["cancelled_at"] is not None
    rows = body_of(client.get(f"{shop.url}/bills", query_string={"status": "cancelled"}, headers=shop.headers))
    assert [(r["bill_id"], r["status"], r["dues"]) for r in rows["data"]["items"]] == [
        (data["bill_id"], "cancelled", D("0.00"))]
    unpaid = body_of(client.get(f"{shop.url}/bills", query_string={"status": "unpaid"}, headers=shop.headers))
    assert [r["bill_id"] for r in unpaid["data"]["items"]] == [kept["bill_id"]]


def test_the_openapi_document_names_the_extensions():
    from blueprints.api.openapi_spec import build_document

    doc = build_document()
    schemas = doc["components"]["schemas"]
    request = schemas["V1BillRequest"]["properties"]
    assert {"place_of_supply", "customer"} <= set(request)
    assert {"gstin", "legal_name"} <= set(request["customer"]["properties"])
    assert request["items"]["items"]["properties"]["qty"]["multipleOf"] == 0.001
    bill = schemas["V1Bill"]["properties"]
    assert {"igst_amount", "round_off", "place_of_supply", "taxable_amount"} <= set(bill["totals"]["properties"])
    assert {"igst_rate", "igst_amount", "unit", "price_includes_tax"} <= set(bill["items"]["items"]["properties"])
    assert "cancelled" in bill["status"]["enum"]
    listing = doc["paths"]["/api/v1/billing/{store_id}/bills"]["get"]
    assert "cancelled" in next(p for p in listing["parameters"] if p["name"] == "status")["schema"]["enum"]
