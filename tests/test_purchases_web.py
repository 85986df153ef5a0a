"""Purchases pages over the Flask test client (issue 14): the list and its stock value, the HTMX line builder
(add, scan, remove, re-price, 422s), quick-adding a supplier, Save through save_bill (PUR series, stock up, costs
kept, supplier owed, one bill per Idempotency-Key, duplicate supplier invoice refused), the purchase page with
payments to the supplier and cancelling, and the role matrix. Both databases."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from extensions import db
from models import Bill, Product, StockMove, Supplier
from services.billing import bills as billing
from services.parties.parties import SupplierInput, create_supplier
from services.purchases import costs
from tests.fixtures_pos import sign_in

D = Decimal


@pytest.fixture
def shop(till_shop):
    """The till shop with two suppliers and a product with no stock (for the weighted-average example)."""
    store = till_shop.store
    till_shop.acme = create_supplier(store, None, SupplierInput.of(name="Acme Wholesale", code="ACME",
                                                                   phone_no="9876543210"))
    till_shop.bharat = create_supplier(store, None, SupplierInput.of(name="Bharat Traders", code="BHARAT"))
    db.session.commit()
    return till_shop


@pytest.fixture
def manager(client, shop):
    sign_in(client, shop.manager)
    return client


def bills(kind: str = "purchase") -> list[Bill]:
    return list(db.session.execute(select(Bill).where(Bill.kind == kind).order_by(Bill.id)).scalars())


def stock_of(product: Product) -> Decimal:
    return db.session.execute(select(Product.quantity).where(Product.id == product.id)).scalar_one()


def fresh(product: Product) -> Product:
    db.session.expire_all()
    return db.session.get(Product, product.id)


def purchase_form(shop, lines, supplier=None, key="k-1", **fields) -> MultiDict:
    """The new-purchase form as the browser posts it: one product_id/qty/cost/gst per line."""
    data = MultiDict({"idempotency_key": key, "supplier_id": str((supplier or shop.acme).id),
                      "supplier_invoice_no": fields.pop("invoice_no", "ACME/1001"),
                      "supplier_invoice_date": fields.pop("invoice_date", ""), "paid": fields.pop("paid", ""),
                      "mode": fields.pop("mode", "cash")})
    for product, qty, cost, gst in lines:
        data.add("product_id", str(product.id))
        data.add("qty", str(qty))
        data.add("cost", str(cost))
        data.add("gst", str(gst))
    data.update(fields)
    return data


def buy(shop, user, lines, supplier=None, invoice_no=None, paid=None) -> Bill:
    """A purchase saved through the service, as the page saves it."""
    draft = billing.BillDraft(
        lines=[billing.DraftLine(product=p, qty=q, unit_price=D(str(c)), cgst_rate=D(str(g)) / 2,
                                 sgst_rate=D(str(g)) / 2, price_includes_tax=False) for p, q, c, g in lines],
        customer=supplier or shop.acme, kind="purchase",
        payments=[billing.DraftPayment(mode="cash", amount=D(paid))] if paid else [],
        columns={"supplier_invoice_no": invoice_no})
    bill = billing.save_bill(shop.store, user, draft)
    db.session.commit()
    return bill


# --------------------------------------------------------------------------- roles


def test_cashier_is_refused_every_purchase_page_and_action(client, shop):
    bill = buy(shop, shop.manager, [(shop.salt, 1, "20", "5")])
    sign_in(client, shop.cashier)
    for url in ("/purchases", "/purchases/new", "/purchases/products?q=salt", f"/purchases/{bill.id}"):
        assert client.get(url).status_code == 403, url
    for url in ("/purchases/new/lines", "/purchases/suppliers", "/purchases/new", f"/purchases/{bill.id}/payments",
                f"/purchases/{bill.id}/cancel"):
        assert client.post_form(url, purchase_form(shop, [(shop.salt, 1, "20", "5")], key="c-1") | {
            "amount": "1", "reason": "x", "new_supplier_name": "Cash Co"}).status_code == 403, url
    # nor through the bills pages and documents: to a cashier a purchase (its cost prices) is a missing bill
    assert client.post_form(f"/bills/{bill.id}/payments", {"mode": "cash", "amount": "1"}).status_code == 404
    assert client.post_form(f"/bills/{bill.id}/cancel", {"reason": "x"}).status_code in (403, 404)
    for url in (f"/bills/{bill.id}", f"/documents/bills/{bill.id}/invoice", f"/documents/bills/{bill.id}/receipt",
                f"/documents/bills/{bill.id}/invoice.pdf"):
        answer = client.get(url)
        assert answer.status_code == 404 and b"20.00" not in answer.data, url
    assert client.post_form(f"/documents/bills/{bill.id}/email", {"to": "a@example.com"}).status_code == 404
    db.session.expire_all()
    assert len(bills()) == 1 and stock_of(shop.salt) == 51 and bill.paid_amount == 0 and bill.cancelled_at is None
    assert db.session.execute(select(func.count()).select_from(Supplier)).scalar_one() == 2


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_owners_and_managers_open_every_purchase_page(client, shop, role):
    bill = buy(shop, shop.manager, [(shop.salt, 1, "20", "5")])
    sign_in(client, getattr(shop, role))
    for url in ("/purchases", "/purchases/new", "/purchases/products?q=salt", f"/purchases/{bill.id}"):
        assert client.get(url).status_code == 200, url
    assert 'href="/purchases"' in client.get("/").get_data(as_text=True)  # the nav link
    # the bills page of a purchase is its purchase page; its documents open
    moved = client.get(f"/bills/{bill.id}")
    assert moved.status_code == 303 and moved.headers["Location"].endswith(f"/purchases/{bill.id}")
    assert client.get(f"/documents/bills/{bill.id}/invoice.pdf").status_code == 200


def test_the_nav_hides_purchases_from_a_cashier(client, shop):
    sign_in(client, shop.cashier)
    assert 'href="/purchases"' not in client.get("/pos").get_data(as_text=True)


# --------------------------------------------------------------------------- the list


def test_list_is_a_page_or_the_results_fragment_newest_first_with_the_stock_value(manager, shop):
    first = buy(shop, shop.manager, [(shop.salt, 10, "20.00", "5")], invoice_no="A-1")
    second = buy(shop, shop.manager, [(shop.soap, 4, "30.00", "18")], supplier=shop.bharat, invoice_no="B-7")
    page = manager.get("/purchases")
    html = page.get_data(as_text=True)
    assert "<html" in html and html.index(second.invoice_number) < html.index(first.invoice_number)
    # salt: 50 opening units never costed + 10 at 20 -> average 20 over all 60; soap 34 at 30 -> 1200 + 1020
    assert re.search(r'id="stock-value">[^<]*2,220\.00<', html)
    fragment = manager.hx_get("/purchases?q=bharat")
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="purchases-results">') and "<html" not in body
    assert second.invoice_number in body and first.invoice_number not in body
    assert "HX-Request" in fragment.headers["Vary"]
    assert first.invoice_number in manager.hx_get("/purchases?q=A-1").get_data(as_text=True)
    assert second.invoice_number not in manager.hx_get("/purchases?q=A-1").get_data(as_text=True)
    assert second.invoice_number in manager.hx_get(f"/purchases?q={second.invoice_number}").get_data(as_text=True)
    form = re.search(r'<form id="purchases-filters"[^>]*>', html).group(0)
    assert 'hx-push-url="true"' in form and 'action="/purchases"' in form


def test_list_pages_with_the_shared_pager(manager, shop):
    for n in range(21):
        buy(shop, shop.manager, [(shop.salt, 1, "20", "5")], invoice_no=f"P-{n}")
    html = manager.get("/purchases").get_data(as_text=True)
    assert html.count('href="/purchases/') - html.count('href="/purchases/new') == 20
    assert 'href="/purchases?page=2"' in html and 'hx-get="/purchases?page=2"' in html
    second = manager.hx_get("/purchases?page=2").get_data(as_text=True)
    assert "P-0" in second and "page 2 of 2" in second


# --------------------------------------------------------------------------- the line builder


def test_search_results_fragment_adds_by_button(manager, shop):
    found = manager.hx_get("/purchases/products?q=butter").get_data(as_text=True)
    assert found.lstrip().startswith('<div id="purchase-results"') and "Amul Butter" in found
    assert f'name="add" value="{shop.butter.id}"' in found and 'hx-post="/purchases/new/lines"' in found
    assert "No product matches" in manager.hx_get("/purchases/products?q=zzzz").get_data(as_text=True)
    # what the scan box itself sends
    assert "Tata Salt" in manager.hx_get("/purchases/products?code=salt").get_data(as_text=True)


def test_lines_add_scan_reprice_and_remove(manager, shop):
    response = manager.post_form("/purchases/new/lines", {"add": str(shop.butter.id)}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<div id="purchase-lines">')
    assert "Amul Butter" in body and 'name="gst"' in body and '<option value="12" selected>' in body
    # a scan of the same code twice: one line, qty 2; then a price: the engine's amounts and totals
    data = purchase_form(shop, [(shop.salt, 1, "", "5")], code="8901234500011")
    body = manager.post_form("/purchases/new/lines", data, htmx=True).get_data(as_text=True)
    assert body.count('name="product_id"') == 1 and 'id="line-0-qty" name="qty" inputmode="decimal" value="2"' in body
    data = purchase_form(shop, [(shop.salt, 3, "20.00", "5"), (shop.soap, 2, "30.00", "18")])
    body = manager.post_form("/purchases/new/lines", data, htmx=True).get_data(as_text=True)
    assert re.search(r'id="purchase-taxable">[^<]*120\.00<', body)  # 60 + 60
    assert re.search(r'id="purchase-total">[^<]*133\.80<', body)  # 63.00 + 70.80
    body = manager.post_form("/purchases/new/lines", data | {"remove": "0"}, htmx=True).get_data(as_text=True)
    assert "Tata Salt" not in body and "Lux Soap" in body
    assert bills() == []  # building lines writes nothing


def test_lines_refuse_bad_input_with_422_fragment(manager, shop):
    response = manager.post_form("/purchases/new/lines", {"code": "0000"}, htmx=True)
    assert response.status_code == 422 and "No product has the code 0000." in response.get_data(as_text=True)
    data = purchase_form(shop, [(shop.salt, "-2", "20", "5"), (shop.soap, "1", "abc", "7")])
    response = manager.post_form("/purchases/new/lines", data, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.lstrip().startswith('<div id="purchase-lines">')
    assert 'data-field="items[0].qty">Must be more than 0' in body
    assert 'data-field="items[1].rate">Enter the cost price as a number' in body
    assert 'data-field="items[1].gst">Choose a GST rate' in body


def test_lines_without_javascript_render_the_whole_page(manager, shop):
    response = manager.post_form("/purchases/new/lines", {"add": str(shop.salt.id)})
    assert response.status_code == 200 and "<html" in response.get_data(as_text=True)


def test_quick_add_supplier_chooses_it_and_refuses_a_blank_name(manager, shop):
    response = manager.post_form("/purchases/suppliers", {"new_supplier_name": "Chennai Foods",
                                                         "new_supplier_phone": "9123456780"}, htmx=True)
    body = response.get_data(as_text=True)
    party_id = db.session.execute(select(Supplier.party_id).where(Supplier.name == "Chennai Foods")).scalar_one()
    assert response.status_code == 200 and body.lstrip().startswith('<fieldset id="purchase-supplier">')
    assert f'<option value="{party_id}" selected>Chennai Foods' in body
    response = manager.post_form("/purchases/suppliers", {"new_supplier_name": "  "}, htmx=True)
    assert response.status_code == 422 and "A supplier needs a name." in response.get_data(as_text=True)
    response = manager.post_form("/purchases/suppliers",
                                 {"new_supplier_name": "Bad Tax", "new_supplier_gstin": "27AAAA"}, htmx=True)
    assert response.status_code == 422 and 'data-field="new_supplier_gstin"' in response.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(Supplier)).scalar_one() == 3


def test_a_supplier_from_another_state_makes_the_purchase_igst(manager, shop):
    shop.store.state_code = "27"  # Maharashtra; the supplier is in Karnataka (29)
    db.session.commit()
    response = manager.post_form("/purchases/suppliers", {"new_supplier_name": "Karnataka Mills",
                                                         "new_supplier_gstin": "29ABCDE1234F1ZW"}, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    party_id = db.session.execute(select(Supplier.party_id).where(Supplier.name == "Karnataka Mills")).scalar_one()
    data = purchase_form(shop, [(shop.salt, 10, "20.00", "5")], invoice_no="KM-1")
    data.setlist("supplier_id", [str(party_id)])
    assert manager.post_form("/purchases/new", data).status_code == 303
    [bill] = bills()
    assert (bill.igst_amount, bill.cgst_amount, bill.total_amount) == (D("10.00"), D("0.00"), D("210.00"))


# --------------------------------------------------------------------------- save


def test_save_makes_a_purchase_in_the_pur_series_stock_rises_supplier_owed(manager, shop):
    data = purchase_form(shop, [(shop.salt, 10, "20.00", "5"), (shop.butter, 2, "250.00", "12")],
                         invoice_date="2026-11-20", paid="100")
    response = manager.post_form("/purchases/new", data)
    [bill] = bills()
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/purchases/{bill.id}")
    assert bill.invoice_number.startswith("PUR") and bill.series == "PUR" and bill.seq == 1
    assert bill.party_id == shop.acme.id and bill.customer_name == "Acme Wholesale"
    assert bill.supplier_invoice_no == "ACME/1001" and bill.supplier_invoice_date.isoformat() == "2026-11-20"
    assert stock_of(shop.salt) == 60 and stock_of(shop.butter) == 7
    assert bill.total_amount == D("770.00") and bill.paid_amount == D("100.00") and bill.due_amount == D("670.00")
    moves = db.session.execute(select(StockMove).where(StockMove.bill_id == bill.id)).scalars().all()
    assert sorted((m.reason, m.delta) for m in moves) == [("purchase", 2), ("purchase", 10)]
    page = manager.get(f"/purchases/{bill.id}").get_data(as_text=True)
    assert re.search(r'id="purchase-owed">[^<]*670\.00<', page) and "ACME/1001" in page and "2026-11-20" in page
    # the next purchase is PUR...2; a sale afterwards still starts the sales series at 1
    buy(shop, shop.manager, [(shop.soap, 1, "30", "18")], invoice_no="X")
    sale = billing.save_bill(shop.store, shop.cashier, billing.BillDraft(lines=[billing.DraftLine(shop.soap, 1)]))
    db.session.commit()
    assert [b.seq for b in bills()] == [1, 2] and sale.seq == 1 and not sale.invoice_number.startswith("PUR")


def test_save_over_htmx_answers_hx_location(manager, shop):
    response = manager.post_form("/purchases/new", purchase_form(shop, [(shop.salt, 1, "20", "5")]), htmx=True)
    [bill] = bills()
    assert response.status_code == 200 and f"/purchases/{bill.id}" in response.headers["HX-Location"]


@pytest.mark.parametrize("change, field, message", [
    ({"supplier_id": ""}, "supplier", "Choose the supplier"),
    ({"supplier_invoice_date": "2999-01-01"}, "supplier_invoice_date", "Must not be after today"),
    ({"supplier_invoice_date": "20-11-2026"}, "supplier_invoice_date", "Enter a date as YYYY-MM-DD"),
    ({"paid": "-5"}, "paid", "Enter an amount of 0 or more"),
    ({"paid": "99999"}, "payments", "exceeds the grand total"),
    ({"cost": "-1"}, "items[0].rate", "Must be at least 0"),
    ({"qty": "1.5"}, "items[0].qty", "whole"),
    ({"qty": "1e30"}, "items[0].qty", "Must be at most"),
    ({"cost": "1e30"}, "items[0].rate", "Must be at most"),
    ({"cost": "NaN"}, "items[0].rate", "as a number"),
    ({"cost": "20.005"}, "items[0].rate", "At most 2 decimals"),
    ({"paid": "1e40"}, "paid", "Must be at most"),
    ({"qty": "999999", "cost": "99999999"}, "items", "amounts must be at most"),
])
def test_save_refuses_bad_input_with_422_and_writes_nothing(manager, shop, change, field, message):
    data = purchase_form(shop, [(shop.salt, 2, "20", "5")])
    for key, value in change.items():
        data.setlist(key, [value])
    response = manager.post_form("/purchases/new", data, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.lstrip().startswith('<form id="purchase-form"'), body[:300]
    assert f'data-field="{field}"' in body and message in body
    assert bills() == [] and stock_of(shop.salt) == 50 and fresh(shop.salt).last_cost is None


def test_save_without_javascript_refused_is_the_whole_page_with_422(manager, shop):
    response = manager.post_form("/purchases/new", purchase_form(shop, [(shop.salt, 1, "", "5")]))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in body and 'data-field="items[0].rate"' in body
    assert 'value="k-1"' in body  # the same key, so the corrected form is still one purchase
    assert bills() == []


def test_save_without_lines_is_refused(manager, shop):
    response = manager.post_form("/purchases/new", purchase_form(shop, []))
    assert response.status_code == 422 and "Add at least one product" in response.get_data(as_text=True)
    assert bills() == []


def test_a_double_submitted_purchase_makes_one_bill(manager, shop):
    data = purchase_form(shop, [(shop.salt, 5, "20", "5")], key="same-key")
    first = manager.post_form("/purchases/new", data)
    second = manager.post_form("/purchases/new", data)
    [bill] = bills()
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] and stock_of(shop.salt) == 55
    assert bill.total_amount == D("105.00")


def test_a_duplicate_supplier_invoice_number_is_refused_for_the_same_supplier(manager, shop):
    buy(shop, shop.manager, [(shop.salt, 1, "20", "5")], invoice_no="INV-77")
    response = manager.post_form("/purchases/new", purchase_form(shop, [(shop.soap, 1, "30", "18")],
                                                                 invoice_no=" inv-77 ", key="k-2"), htmx=True)
    assert response.status_code == 422
    assert "already entered as purchase PUR" in response.get_data(as_text=True)
    assert len(bills()) == 1 and stock_of(shop.soap) == 30
    # another supplier may use the same number
    ok = manager.post_form("/purchases/new", purchase_form(shop, [(shop.soap, 1, "30", "18")], supplier=shop.bharat,
                                                           invoice_no="INV-77", key="k-3"))
    assert ok.status_code == 303 and len(bills()) == 2


def test_a_cancelled_purchase_frees_its_supplier_invoice_number(manager, shop):
    bill = buy(shop, shop.manager, [(shop.salt, 1, "20", "5")], invoice_no="INV-9")
    billing.cancel_bill(shop.store, shop.manager, bill, "typo")
    db.session.commit()
    ok = manager.post_form("/purchases/new", purchase_form(shop, [(shop.salt, 1, "20", "5")], invoice_no="INV-9"))
    assert ok.status_code == 303 and len(bills()) == 2


# --------------------------------------------------------------------------- cost per product


def test_weighted_average_cost_to_the_paisa(manager, shop, make_product):
    """Hand-checked: 10 @ 20.00 -> 20.0000; + 3 @ 33.33 (99.99) -> 299.99 / 13 = 23.07615... -> 23.0762;
    sell 5 (average unchanged); + 7 @ 25.00 (175.00) on 8 left -> (8 x 23.0762 + 175) / 15 = 359.6096 / 15
    = 23.97397... -> 23.9740; sell all 15, then 4 @ 26.50 on none left -> 26.5000."""
    oil = make_product(shop.store, "Sunflower Oil 1l", unit_price="180", quantity=0, cgst_rate="2.5",
                       sgst_rate="2.5")
    for key, (qty, cost) in enumerate([(10, "20.00"), (3, "33.33")]):
        assert manager.post_form("/purchases/new", purchase_form(shop, [(oil, qty, cost, "5")], key=f"w{key}",
                                                                 invoice_no=f"W{key}")).status_code == 303
    oil = fresh(oil)
    assert (oil.quantity, oil.last_cost, oil.average_cost) == (13, D("33.3300"), D("23.0762"))
    assert costs.stock_value(shop.store) >= D("299.99")  # 13 x 23.0762 = 299.9906 plus the other products
    billing.save_bill(shop.store, shop.cashier, billing.BillDraft(lines=[billing.DraftLine(oil, 5)]))
    db.session.commit()
    assert fresh(oil).average_cost == D("23.0762")
    manager.post_form("/purchases/new", purchase_form(shop, [(oil, 7, "25.00", "5")], key="w3", invoice_no="W3"))
    oil = fresh(oil)
    assert (oil.quantity, oil.last_cost, oil.average_cost) == (15, D("25.0000"), D("23.9740"))
    billing.save_bill(shop.store, shop.cashier, billing.BillDraft(lines=[billing.DraftLine(oil, 15)]))
    db.session.commit()
    manager.post_form("/purchases/new", purchase_form(shop, [(oil, 4, "26.50", "5")], key="w4", invoice_no="W4"))
    assert fresh(oil).average_cost == D("26.5000")


def test_weighted_average_rule_in_numbers():
    assert costs.weighted_average(D("10"), D("20.0000"), D("3"), D("99.99")) == D("23.0762")
    assert costs.weighted_average(D("0"), D("20.0000"), D("4"), D("106.00")) == D("26.5000")
    assert costs.weighted_average(D("5"), None, D("2"), D("10.00")) == D("5.0000")


def test_two_lines_of_one_product_make_one_cost(manager, shop, make_product):
    rice = make_product(shop.store, "Rice 1kg", quantity=0)
    manager.post_form("/purchases/new", purchase_form(shop, [(rice, 1, "10.00", "0"), (rice, 2, "13.00", "0")]))
    rice = fresh(rice)
    assert rice.quantity == 3 and rice.last_cost == D("12.0000") and rice.average_cost == D("12.0000")


def test_cancel_takes_stock_back_restores_last_cost_and_keeps_the_average(manager, shop, make_product):
    dal = make_product(shop.store, "Toor Dal 1kg", quantity=0)
    buy(shop, shop.manager, [(dal, 10, "100.00", "0")], invoice_no="D1")
    second = buy(shop, shop.manager, [(dal, 10, "120.00", "0")], invoice_no="D2")
    assert fresh(dal).average_cost == D("110.0000")
    response = manager.post_form(f"/purchases/{second.id}/cancel", {"reason": "wrong supplier"})
    assert response.status_code == 303
    dal = fresh(dal)
    assert dal.quantity == 10 and dal.last_cost == D("100.0000") and dal.average_cost == D("110.0000")
    assert db.session.get(Bill, second.id).status == "cancelled"


def test_cancel_refused_when_the_stock_was_sold_and_without_a_reason(manager, shop, make_product):
    tea = make_product(shop.store, "Tea 250g", quantity=0)
    bill = buy(shop, shop.manager, [(tea, 3, "50", "5")], invoice_no="T1")
    response = manager.post_form(f"/purchases/{bill.id}/cancel", {"reason": ""}, htmx=True)
    assert response.status_code == 422 and "Give a reason" in response.get_data(as_text=True)
    billing.save_bill(shop.store, shop.cashier, billing.BillDraft(lines=[billing.DraftLine(tea, 2)]))
    db.session.commit()
    response = manager.post_form(f"/purchases/{bill.id}/cancel", {"reason": "returned"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.lstrip().startswith('<form id="cancel-purchase"')
    assert "Insufficient stock for Tea 250g" in body
    assert db.session.get(Bill, bill.id).cancelled_at is None and stock_of(tea) == 1


# --------------------------------------------------------------------------- paying the supplier


def test_pay_the_supplier_lowers_what_is_owed_and_refuses_too_much(manager, shop):
    bill = buy(shop, shop.manager, [(shop.salt, 10, "20.00", "5")])  # 210.00
    response = manager.post_form(f"/purchases/{bill.id}/payments", {"mode": "upi", "amount": "60.50",
                                                                    "reference": "UTR1"})
    assert response.status_code == 303
    db.session.expire_all()
    bill = db.session.get(Bill, bill.id)
    assert bill.paid_amount == D("60.50") and bill.due_amount == D("149.50") and bill.status == "partial"
    page = manager.get(f"/purchases/{bill.id}").get_data(as_text=True)
    assert re.search(r'id="purchase-owed">[^<]*149\.50<', page) and "UTR1" in page
    assert f'hx-post="/purchases/{bill.id}/payments"' in page and "Pay the supplier" in page
    for amount, message in (("150", "Amount exceeds the dues (149.50)"), ("abc", "Enter an amount"),
                            ("1e40", "Must be at most"), ("-1", "Must be at least 0"),
                            ("0", "Must be greater than 0"), ("1.234", "At most 2 decimals")):
        response = manager.post_form(f"/purchases/{bill.id}/payments", {"mode": "cash", "amount": amount}, htmx=True)
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and body.lstrip().startswith('<form id="purchase-payment"'), amount
        assert message in body
    db.session.expire_all()
    assert db.session.get(Bill, bill.id).paid_amount == D("60.50")
    response = manager.post_form(f"/purchases/{bill.id}/payments", {"mode": "cash", "amount": "149.50"}, htmx=True)
    assert response.status_code == 200 and "HX-Location" in response.headers
    db.session.expire_all()
    assert db.session.get(Bill, bill.id).status == "paid"


# --------------------------------------------------------------------------- scoping


def test_a_sale_or_another_stores_purchase_is_not_found(manager, shop, make_user):
    from services.accounts.access import current_store_for

    sale = billing.save_bill(shop.store, shop.cashier, billing.BillDraft(lines=[billing.DraftLine(shop.salt, 1)]))
    db.session.commit()
    assert manager.get(f"/purchases/{sale.id}").status_code == 404
    assert manager.post_form(f"/purchases/{sale.id}/cancel", {"reason": "x"}).status_code == 404
    other_owner = make_user("otherowner", store_name="Other Shop")
    other = current_store_for(other_owner)
    supplier = create_supplier(other, None, SupplierInput.of(name="Far", code="FAR"))
    product = Product(store_id=other.id, product_name="Far Item", unit_price=D("1"))
    db.session.add(product)
    db.session.flush()
    theirs = billing.save_bill(other, other_owner, billing.BillDraft(
        lines=[billing.DraftLine(product, 1, unit_price=D("1"))], customer=supplier, kind="purchase"))
    db.session.commit()
    assert manager.get(f"/purchases/{theirs.id}").status_code == 404
    # and their supplier cannot be used here
    response = manager.post_form("/purchases/new", purchase_form(shop, [(shop.salt, 1, "20", "5")],
                                                                 supplier=supplier))
    assert response.status_code == 422 and bills() == [theirs]


# --------------------------------------------------------------------------- races


@pytest.mark.postgres_only
@pytest.mark.slow
def test_concurrent_entries_of_one_supplier_invoice_make_one_purchase(app, shop):
    """4 saves of the same supplier invoice (different keys, own transactions) at once: the check runs under the
    invoice-counter lock, so exactly one is saved and three are refused, even with slow reads of the bills."""
    from tests.test_race_guards import in_threads, slow_reads_of

    ids = (shop.store.id, shop.acme.id, shop.salt.id, shop.manager.id)

    def save(index, barrier) -> str:
        from models import Party, Store, User

        store, supplier = db.session.get(Store, ids[0]), db.session.get(Party, ids[1])
        salt, user = db.session.get(Product, ids[2]), db.session.get(User, ids[3])
        draft = billing.BillDraft(lines=[billing.DraftLine(salt, 1, unit_price=D("20"))], customer=supplier,
                                  kind="purchase", columns={"supplier_invoice_no": "RACE-1"})
        barrier.wait()
        try:
            billing.save_bill(store, user, draft)
        except billing.ValidationError:
            db.session.rollback()
            return "refused"
        db.session.commit()
        return "saved"

    with slow_reads_of("bill"):
        outcomes = sorted(in_threads(app, 4, save))
    db.session.expire_all()
    assert outcomes == ["refused", "refused", "refused", "saved"] and len(bills()) == 1 and stock_of(shop.salt) == 51
