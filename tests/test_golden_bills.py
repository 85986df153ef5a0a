"""Golden bills: the same hand-checked bills saved through every surface that can express them, to the paisa.

Surfaces: (service) services.billing.bills.save_bill with a BillDraft; (v1) Billing v1 POST .../bills; (till) the
till's service (services.till.session: load, add_product, parse_line, choose_customer, set_payment, keep, then save,
as blueprints/pos.py does). Every stored amount of the bill and its lines is compared with the hand-checked figures,
so the surfaces agree with each other and with the rule in docs/api.md ("How amounts are computed").

Store: Maharashtra (27). MRP products (price includes GST): rice 145.00 at 5 %, bhujia 110.00 at 12 %, water 20.00 at
18 %, onions 40.00/kg at 0 % (loose, kg). Priced before tax: spoons 10.10 at 5 %, tiffin 857.84 at 18 %, cooker
1000.00 at 18 %, rice bag 500.00 at 5 %, service 1000.00 at 18 % (the Billing v1 worked example).

Working (each MRP line: exact = gross x 100 / (100 + rate); each tax = exact x its rate, rounded; taxable = gross -
taxes):
    rice 145:   exact 138.0952..; CGST = SGST = 3.4523.. -> 3.45; taxable 138.10; IGST 6.9047.. -> 6.90, taxable 138.10
    rice 2x145: exact 276.1904..; CGST = SGST = 6.9047.. -> 6.90; taxable 276.20
    bhujia 110: exact 98.2142..;  CGST = SGST = 5.8928.. -> 5.89; taxable 98.22; IGST 11.7857.. -> 11.79, taxable 98.21
    water 20:   exact 16.9491..;  CGST = SGST = 1.5254.. -> 1.53; taxable 16.94; IGST 3.0508.. -> 3.05, taxable 16.95
    water 3x20: exact 50.8474..;  CGST = SGST = 4.5762.. -> 4.58; taxable 50.84
    onions 0.750 kg x 40 = 30.00 at 0 %: taxable 30.00
    spoons 10.10 before tax: CGST = SGST = 0.2525 -> 0.25 (line 10.60);  IGST 0.505 -> 0.51 (line 10.61)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Optional

import pytest
import simplejson
from sqlalchemy import func, select

from extensions import db
from models import Bill, Product, StockMove
from services.billing import bills as billing
from services.till import session as till_service

D = Decimal
STORE_GSTIN = "27AAPFU0939F1ZV"
BUYER_GSTIN = "29AABCL1234C1Z0"  # Karnataka: another state than the store's
WHEN = "2025-09-26T11:29:00Z"

PRODUCTS = {
    # key: (name, price, cgst, sgst, price includes tax, unit, stock)
    "rice": ("India Gate Basmati Rice 1kg", "145.00", "2.5", "2.5", True, "pcs", 50),
    "bhujia": ("Haldiram Bhujia 400g", "110.00", "6", "6", True, "pcs", 50),
    "water": ("Bisleri Water 1L", "20.00", "9", "9", True, "pcs", 50),
    "onion": ("Onion (loose, per kg)", "40.00", "0", "0", True, "kg", D("42.5")),
    "spoons": ("Steel Spoon Set", "10.10", "2.5", "2.5", False, "pcs", 50),
    "tiffin": ("Steel Tiffin Box", "857.84", "9", "9", False, "pcs", 50),
    "cooker": ("Pressure Cooker 5L", "1000.00", "9", "9", False, "pcs", 50),
    "rice_bag": ("Sona Masoori Rice 10kg", "500.00", "2.5", "2.5", False, "pcs", 50),
    "service": ("Haircut Premium", "1000.00", "9", "9", False, "pcs", 0),
}


@dataclass
class Line:
    product: str
    qty: Any = 1
    discount_type: str = "flat"
    discount_value: str = "0"
    # hand-checked: base, discount, taxable, cgst, sgst, igst, line total, share of the bill discount
    expected: tuple[str, ...] = ()


@dataclass
class Golden:
    name: str
    lines: list[Line]
    # sub_total, discount, tax, cgst, sgst, igst, round_off, grand total
    totals: tuple[str, ...]
    place_of_supply: str = "27"
    customer: str = "b2c"  # b2c (no GSTIN) | b2b (GSTIN of state 29)
    bill_place_of_supply: Optional[str] = None  # the state chosen on the bill (Billing v1 extension)
    discount: str = "0"
    options: dict[str, bool] = field(default_factory=dict)
    surfaces: tuple[str, ...] = ("service", "v1", "till")


def line(product, qty=1, *expected, **kw) -> Line:
    return Line(product, qty, expected=expected, **kw)


GOLDEN = [
    Golden("mrp_pieces", [
        line("rice", 2, "290.00", "0.00", "276.20", "6.90", "6.90", "0.00", "290.00", "0.00"),
        line("bhujia", 1, "110.00", "0.00", "98.22", "5.89", "5.89", "0.00", "110.00", "0.00"),
        line("water", 3, "60.00", "0.00", "50.84", "4.58", "4.58", "0.00", "60.00", "0.00"),
    ], ("460.00", "0.00", "34.74", "17.37", "17.37", "0.00", "0.00", "460.00")),
    # the customer pays exactly the printed prices: 145 + 110 + 20 + 0.750 x 40 = 305.00
    Golden("mrp_with_loose_onions", [
        line("rice", 1, "145.00", "0.00", "138.10", "3.45", "3.45", "0.00", "145.00", "0.00"),
        line("bhujia", 1, "110.00", "0.00", "98.22", "5.89", "5.89", "0.00", "110.00", "0.00"),
        line("water", 1, "20.00", "0.00", "16.94", "1.53", "1.53", "0.00", "20.00", "0.00"),
        line("onion", D("0.750"), "30.00", "0.00", "30.00", "0.00", "0.00", "0.00", "30.00", "0.00"),
    ], ("305.00", "0.00", "21.74", "10.87", "10.87", "0.00", "0.00", "305.00")),
    # a buyer registered in Karnataka: IGST at the whole rate, CGST/SGST 0, place of supply 29
    Golden("b2b_inter_state", [
        line("rice", 1, "145.00", "0.00", "138.10", "0.00", "0.00", "6.90", "145.00", "0.00"),
        line("bhujia", 1, "110.00", "0.00", "98.21", "0.00", "0.00", "11.79", "110.00", "0.00"),
        line("water", 1, "20.00", "0.00", "16.95", "0.00", "0.00", "3.05", "20.00", "0.00"),
        line("spoons", 1, "10.10", "0.00", "10.10", "0.00", "0.00", "0.51", "10.61", "0.00"),
    ], ("285.61", "0.00", "22.25", "0.00", "0.00", "22.25", "0.00", "285.61"), place_of_supply="29", customer="b2b"),
    Golden("b2b_inter_state_with_loose_onions", [
        line("rice", 1, "145.00", "0.00", "138.10", "0.00", "0.00", "6.90", "145.00", "0.00"),
        line("spoons", 1, "10.10", "0.00", "10.10", "0.00", "0.00", "0.51", "10.61", "0.00"),
        line("onion", D("0.750"), "30.00", "0.00", "30.00", "0.00", "0.00", "0.00", "30.00", "0.00"),
    ], ("185.61", "0.00", "7.41", "0.00", "0.00", "7.41", "0.00", "185.61"), place_of_supply="29", customer="b2b"),
    # a customer without a GSTIN, the bill's place of supply chosen as 29
    Golden("b2c_place_of_supply_chosen", [
        line("rice", 1, "145.00", "0.00", "138.10", "0.00", "0.00", "6.90", "145.00", "0.00"),
        line("spoons", 1, "10.10", "0.00", "10.10", "0.00", "0.00", "0.51", "10.61", "0.00"),
    ], ("155.61", "0.00", "7.41", "0.00", "0.00", "7.41", "0.00", "155.61"), place_of_supply="29",
        bill_place_of_supply="29"),
    # 857.84 + 77.21 + 77.21 = 1012.26 -> 1012.00, round off -0.26
    Golden("round_off", [
        line("tiffin", 1, "857.84", "0.00", "857.84", "77.21", "77.21", "0.00", "1012.26", "0.00"),
    ], ("1012.26", "0.00", "154.42", "77.21", "77.21", "0.00", "-0.26", "1012.00"), options={"round_off": True}),
    # 100 off before tax: 100 x 1000/1500 = 66.67, the last line 33.33; 933.33 x 9 % = 84.00; 466.67 x 2.5 % = 11.67
    Golden("discount_before_tax", [
        line("cooker", 1, "1000.00", "0.00", "933.33", "84.00", "84.00", "0.00", "1101.33", "66.67"),
        line("rice_bag", 1, "500.00", "0.00", "466.67", "11.67", "11.67", "0.00", "490.01", "33.33"),
    ], ("1691.34", "100.00", "191.34", "95.67", "95.67", "0.00", "0.00", "1591.34"), discount="100",
        options={"bill_discount_before_tax": True}),
    # the Billing v1 contract's worked example with the default options: 1012.00
    Golden("billing_v1_worked_example", [
        line("service", 1, "1000.00", "100.00", "900.00", "81.00", "81.00", "0.00", "1062.00", "0.00",
             discount_type="percent", discount_value="10"),
    ], ("1062.00", "50.00", "162.00", "81.00", "81.00", "0.00", "0.00", "1012.00"), discount="50"),
]

LINE_FIELDS = ("base_amount", "discount_amount", "taxable_amount", "cgst_amount", "sgst_amount", "igst_amount",
               "line_total", "bill_discount_amount")
BILL_FIELDS = ("sub_total", "discount", "tax", "cgst_amount", "sgst_amount", "igst_amount", "round_off",
               "total_amount")


def _params():
    for golden in GOLDEN:
        for surface in golden.surfaces:
            yield pytest.param(golden, surface, id=f"{golden.name}-{surface}")


# --------------------------------------------------------------------------- the shop


@pytest.fixture
def golden_shop(app, make_user, make_product, make_customer, api_headers):
    from services.accounts.access import current_store_for

    owner = make_user("golden", store_name="Sharma General Store", gstin=STORE_GSTIN, state_code="27",
                      state="Maharashtra")
    store = current_store_for(owner)
    products = {}
    for key, (name, price, cgst, sgst, includes_tax, unit, stock) in PRODUCTS.items():
        products[key] = make_product(store, name, unit_price=price, cgst_rate=cgst, sgst_rate=sgst,
                                     price_includes_tax=includes_tax, unit=unit, quantity=stock,
                                     type="service" if key == "service" else "product")
    customers = {
        "b2c": make_customer(store, "Asha Patil", "+919800000001"),
        "b2b": make_customer(store, "Karnataka Traders", "+919800000002", gstin=BUYER_GSTIN,
                             legal_name="Karnataka Traders Private Limited"),
    }

    class Shop:
        pass

    shop = Shop()
    shop.store, shop.owner, shop.products, shop.customers = store, owner, products, customers
    shop.headers = api_headers(owner)
    return shop


def _options(store, golden: Golden) -> None:
    store.settings = {**(store.settings or {}), **golden.options}
    db.session.commit()


# --------------------------------------------------------------------------- the surfaces


def save_through_service(shop, golden: Golden) -> Bill:
    total = D(golden.totals[-1])
    draft = billing.BillDraft(
        lines=[billing.DraftLine(product=shop.products[ln.product], qty=ln.qty, line_no=i + 1,
                                 discount_type=ln.discount_type, discount_value=D(ln.discount_value))
               for i, ln in enumerate(golden.lines)],
        customer=shop.customers[golden.customer], discount=D(golden.discount),
        place_of_supply=golden.bill_place_of_supply,
        payment_mode="cash", payment_amount=total, payments=[billing.DraftPayment("cash", total)],
    )
    bill = billing.save_bill(shop.store, shop.owner, draft)
    db.session.commit()
    return bill


def save_through_billing_v1(shop, golden: Golden, client) -> Bill:
    total = D(golden.totals[-1])
    items = []
    for i, ln in enumerate(golden.lines):
        product = shop.products[ln.product]
        items.append({"line_no": i + 1, "type": product.type, "id": product.uid, "qty": ln.qty,
                      "discount_type": ln.discount_type, "discount_value": D(ln.discount_value),
                      "cgst": product.cgst_rate, "sgst": product.sgst_rate})
    body = {"customer_id": shop.customers[golden.customer].uid, "items": items, "discount": D(golden.discount),
            "payment_mode": "cash", "payment_amount": total,
            "payments": [{"mode": "cash", "amount": total, "reference": None, "timestamp": WHEN}],
            "billing_timestamp": WHEN, "payment_timestamp": WHEN}
    if golden.bill_place_of_supply:
        body["place_of_supply"] = golden.bill_place_of_supply  # Billing v1 extension (b2b branch)
    response = client.post(f"/api/v1/billing/{shop.store.uid}/bills", data=simplejson.dumps(body, use_decimal=True),
                           content_type="application/json", headers=shop.headers)
    assert response.status_code == 201, response.get_json()
    uid = response.get_json()["data"]["bill_id"]
    return db.session.execute(select(Bill).where(Bill.uid == uid)).scalar_one()


def save_through_till(shop, golden: Golden) -> Bill:
    """The till's service, step by step as the /pos views call it: each change is kept, then Save."""
    store, user = shop.store, shop.owner
    till_session = till_service.load(store, user, for_update=True)
    state = till_service.state_of(till_session)
    for ln in golden.lines:
        index = till_service.add_product(store, state, shop.products[ln.product])
        typed = {"qty": str(ln.qty), "discount_type": ln.discount_type, "discount_value": ln.discount_value}
        state["lines"][index] = till_service.parse_line(store, state, index, typed)
        till_service.keep(till_session, state)
    till_service.choose_customer(store, state, shop.customers[golden.customer].id)
    till_service.set_payment(state, {"payment_mode": "cash", "discount": golden.discount,
                                     "place_of_supply": golden.bill_place_of_supply or ""}, [])
    till_service.keep(till_session, state)
    db.session.commit()
    till_session = till_service.load(store, user, for_update=True)
    state = till_service.state_of(till_session)
    bill = till_service.save(store, user, state)
    till_service.keep(till_session, till_service.reset(state))
    db.session.commit()
    return bill


def stored(bill: Bill) -> dict[str, Any]:
    return {
        "bill": {name: getattr(bill, name) for name in BILL_FIELDS},
        "payment": (bill.paid_amount, bill.due_amount, bill.status),
        "place_of_supply": bill.place_of_supply,
        "lines": [{name: getattr(item, name) for name in LINE_FIELDS} for item in bill.items],
        "qty": [item.qty for item in bill.items],
    }


def expected(golden: Golden) -> dict[str, Any]:
    total = D(golden.totals[-1])
    return {
        "bill": dict(zip(BILL_FIELDS, (D(v) for v in golden.totals))),
        "payment": (total, D("0.00"), "paid"),
        "place_of_supply": golden.place_of_supply,
        "lines": [dict(zip(LINE_FIELDS, (D(v) for v in ln.expected))) for ln in golden.lines],
        "qty": [D(ln.qty) for ln in golden.lines],
    }


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize(("golden", "surface"), list(_params()))
def test_a_golden_bill_is_stored_to_the_paisa_through_every_surface(client, golden_shop, golden, surface):
    shop = golden_shop
    _options(shop.store, golden)
    stock_before = {key: p.quantity for key, p in shop.products.items()}
    if surface == "service":
        bill = save_through_service(shop, golden)
    elif surface == "v1":
        bill = save_through_billing_v1(shop, golden, client)
    else:
        bill = save_through_till(shop, golden)
    db.session.expire_all()
    bill = db.session.get(Bill, bill.id)
    assert stored(bill) == expected(golden)
    # the lines' own rates and pricing mode, as the invoice prints them
    for item, ln in zip(bill.items, golden.lines):
        product = shop.products[ln.product]
        inter = golden.place_of_supply != "27"
        rate = product.cgst_rate + product.sgst_rate
        assert (item.cgst_rate, item.sgst_rate, item.igst_rate) == ((0, 0, rate) if inter else
                                                                    (product.cgst_rate, product.sgst_rate, 0))
        assert (item.price_includes_tax, item.unit) == (product.price_includes_tax, product.unit)
        assert item.taxable_amount + item.cgst_amount + item.sgst_amount + item.igst_amount == item.line_total
    totals = bill
    assert totals.tax == totals.cgst_amount + totals.sgst_amount + totals.igst_amount
    assert totals.total_amount == totals.sub_total - totals.discount + totals.round_off
    # stock follows the quantities sold, 0.750 kg included, with a move for each
    sold: dict[str, Decimal] = {}
    for ln in golden.lines:
        sold[ln.product] = sold.get(ln.product, D(0)) + D(ln.qty)
    for key, qty in sold.items():
        product = db.session.get(Product, shop.products[key].id)
        if product.type != "product":
            continue
        assert product.quantity == stock_before[key] - qty
        moved = db.session.execute(select(func.sum(StockMove.delta)).where(
            StockMove.product_id == product.id, StockMove.bill_id == bill.id)).scalar_one()
        assert moved == -qty


def test_every_surface_stores_the_same_bill(client, golden_shop):
    """One bill through the three surfaces in one store: three identical sets of stored amounts."""
    golden = next(g for g in GOLDEN if g.name == "b2b_inter_state")
    shop = golden_shop
    bills = [save_through_service(shop, golden), save_through_billing_v1(shop, golden, client),
             save_through_till(shop, golden)]
    db.session.expire_all()
    snapshots = [stored(db.session.get(Bill, b.id)) for b in bills]
    assert snapshots[0] == snapshots[1] == snapshots[2] == expected(golden)
    assert len({b.invoice_number for b in bills}) == 3


def test_namaste_billing_stores_the_golden_totals_as_sent_and_moves_the_loose_stock(client, golden_shop):
    """NamastePMS keeps the client's totals (its contract), so it cannot compute the golden bill; it can carry it:
    the hand-checked totals are stored as sent and the 0.750 kg of onions leave the stock."""
    golden = next(g for g in GOLDEN if g.name == "mrp_with_loose_onions")
    shop = golden_shop
    onion_before = shop.products["onion"].quantity
    sub_total, discount, tax, cgst, sgst, _, _, total = golden.totals
    body = {"invoice_number": "NP-GOLD-1", "party": shop.customers["b2c"].id, "sub_total": sub_total,
            "discount": discount, "tax": tax, "total_amount": total, "paid_amount": total, "invoice_status": "Paid",
            "items": [{"item": shop.products[ln.product].id, "quantity": str(ln.qty),
                       "rate": str(shop.products[ln.product].unit_price)} for ln in golden.lines]}
    response = client.post("/api/billing/", json=body, headers=shop.headers)
    assert response.status_code == 201, response.get_json()
    billing_json = response.get_json()["billing"]
    assert [item["quantity"] for item in billing_json["items"]] == [1, 1, 1, 0.75]
    assert (billing_json["sub_total"], billing_json["tax"], billing_json["total_amount"]) == (sub_total, tax, total)
    db.session.expire_all()
    bill = db.session.get(Bill, billing_json["id"])
    assert (bill.sub_total, bill.tax, bill.total_amount, bill.due_amount, bill.status) == (
        D(sub_total), D(tax), D(total), D("0.00"), "paid")
    assert db.session.get(Product, shop.products["onion"].id).quantity == onion_before - D("0.750")
