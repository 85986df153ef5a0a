"""The till (/pos) over the Flask test client: for each partial the full page, the fragment and the HX headers;
the till session kept on the server; the same validation messages as Billing v1; Idempotency-Key on Save;
hold/resume."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Bill, HeldBill, IdempotencyRecord, Product, TillSession
from services.billing.pricing import LineInput, price_bill
from services.formatting import inr
from tests.fixtures_pos import sign_in

D = Decimal


@pytest.fixture
def till(client, till_shop):
    sign_in(client, till_shop.cashier)
    return client


def till_state(shop, user) -> dict:
    db.session.expire_all()
    row = db.session.execute(select(TillSession).where(TillSession.store_id == shop.store.id,
                                                    TillSession.user_id == user.id)).scalar_one_or_none()
    return row.payload if row is not None else {}


def oob_ids(html: str) -> list[str]:
    return re.findall(r'<\w+ id="([^"]+)"[^>]*hx-swap-oob="true"', html)


def page_key(client) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', client.get("/pos").get_data(as_text=True)).group(1)


def total_shown(html: str) -> str:
    return re.search(r'id="pos-total" data-amount="([^"]+)"', html).group(1)


def bill_count() -> int:
    return db.session.execute(select(func.count(Bill.id))).scalar_one()


def scan(client, code: str):
    return client.post_form("/pos/scan", {"q": code}, htmx=True)


# --------------------------------------------------------------------------- the page


def test_the_page_has_the_search_box_focused_and_the_shortcuts_on_screen(till):
    response = till.get("/pos")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert re.search(r'<input id="pos-search"[^>]*autofocus', html)
    for key in ("F2", "F4", "F8", "F9", "Esc", "Ctrl"):
        assert f"<kbd>{key}</kbd>" in html
    assert "HX-Request" in response.headers["Vary"]
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'>", html)
    assert 'src="/static/js/pos.js"' in html and "htmx-2.0.11.min.js" in html


@pytest.mark.parametrize("url", ["/pos", "/pos/search?q=salt", "/bills", "/bills/held"])
def test_the_till_and_bills_pages_need_a_login(client, till_shop, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_user_without_a_role_in_any_store_gets_403(client, app, make_user):
    from models import Membership

    loner = make_user("loner")
    db.session.execute(Membership.__table__.delete().where(Membership.user_id == loner.id))
    db.session.commit()
    sign_in(client, loner)
    assert client.get("/pos").status_code == 403


# --------------------------------------------------------------------------- search


def test_search_fragment_lists_matches_by_name_sku_and_barcode(till, till_shop):
    by_name = till.hx_get("/pos/search?q=butter")
    html = by_name.get_data(as_text=True)
    assert by_name.status_code == 200 and "<html" not in html and html.lstrip().startswith('<div id="search-results"')
    assert "Amul Butter 500g" in html and "Tata Salt" not in html
    assert "HX-Request" in by_name.headers["Vary"]
    assert "Lux Soap" in till.hx_get("/pos/search?q=LUX-1").get_data(as_text=True)
    assert "Tata Salt" in till.hx_get("/pos/search?q=8901234500011").get_data(as_text=True)


def test_an_exact_barcode_or_sku_answers_that_item_alone(till, till_shop, make_product):
    make_product(till_shop.store, "Salt Gift Pack", sku="PACK-8901234500011", quantity=3)
    assert "Salt Gift Pack" in till.hx_get("/pos/search?q=500011").get_data(as_text=True)
    exact = till.hx_get(f"/pos/search?q={till_shop.salt.barcode}").get_data(as_text=True)
    assert re.findall(r'<span class="name">([^<]+)</span>', exact) == ["Tata Salt 1kg"]


def test_search_without_htmx_is_the_full_page_with_the_results(till):
    html = till.get("/pos/search?q=butter").get_data(as_text=True)
    assert "<html" in html and "Amul Butter 500g" in html and 'value="butter"' in html


def test_search_is_paged_on_the_server_and_each_page_link_has_an_href(till, till_shop, make_product):
    for n in range(11):
        make_product(till_shop.store, f"Parle Biscuit {n:02d}", quantity=5)
    first = till.hx_get("/pos/search?q=biscuit").get_data(as_text=True)
    assert first.count('class="pos-result"') == 8 and "Page 1" in first
    names = re.findall(r'<span class="name">([^<]+)</span>', first)
    assert names == [f"Parle Biscuit {n:02d}" for n in range(8)]  # name order
    link = re.search(r'<a href="([^"]+)" hx-get="([^"]+)"[^>]*>Next</a>', first)
    assert link and "page=2" in link.group(1) and "page=2" in link.group(2)
    second = till.hx_get(link.group(2).replace("&amp;", "&")).get_data(as_text=True)
    assert second.count('class="pos-result"') == 3 and "Previous" in second and ">Next<" not in second


# --------------------------------------------------------------------------- lines


def test_scanning_a_barcode_adds_the_line_and_scanning_again_adds_to_its_quantity(till, till_shop):
    first = scan(till, till_shop.salt.barcode)
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and html.lstrip().startswith('<div id="pos-lines"')
    assert first.headers["HX-Trigger-After-Swap"] == "posLineAdded"
    assert {"pos-totals", "search-results"} <= set(oob_ids(html))
    scan(till, till_shop.salt.sku)  # the SKU is as good as the barcode
    lines = till_state(till_shop, till_shop.cashier)["lines"]
    assert [(line["product_id"], line["qty"]) for line in lines] == [(till_shop.salt.id, "2")]
    # Two packets at 28.00 with 2.5 % + 2.5 %: the engine's total is on screen.
    expected = price_bill([LineInput(D("28.00"), 2, "percent", D(0), D("2.5"), D("2.5"))]).totals.grand_total
    assert expected == D("58.80")
    assert total_shown(till.get("/pos").get_data(as_text=True)) == "58.80"


def test_an_unknown_code_is_refused_beside_the_search_box_and_changes_nothing(till, till_shop):
    response = scan(till, "0000000000000")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#search-results"
    assert 'No item has the barcode or SKU “0000000000000”.' in html
    assert till_state(till_shop, till_shop.cashier).get("lines", []) == []


def test_enter_on_a_name_with_a_single_match_adds_it(till, till_shop):
    scan(till, "lux soap")
    assert [line["product_id"] for line in till_state(till_shop, till_shop.cashier)["lines"]] == [till_shop.soap.id]


def test_picking_a_result_adds_the_line_and_another_stores_item_is_refused(till, till_shop, make_store, make_product):
    assert till.post_form("/pos/lines", {"product_id": till_shop.butter.id}, htmx=True).status_code == 200
    other = make_product(make_store(), "Foreign Item")
    refused = till.post_form("/pos/lines", {"product_id": other.id}, htmx=True)
    assert refused.status_code == 400
    assert [line["product_id"] for line in till_state(till_shop, till_shop.cashier)["lines"]] == [till_shop.butter.id]


def test_changing_a_line_swaps_the_row_and_the_totals_out_of_band(till, till_shop):
    scan(till, till_shop.butter.barcode)
    response = till.post_form("/pos/lines/0", {"line": "0", "qty": "3", "discount_type": "percent",
                                               "discount_value": "10", "cgst": "6", "sgst": "6"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<tr id="line-0"')
    assert oob_ids(html) == ["pos-totals"]
    expected = price_bill([LineInput(D("285.00"), 3, "percent", D(10), D(6), D(6))]).totals.grand_total
    assert total_shown(html) == str(expected)
    assert till_state(till_shop, till_shop.cashier)["lines"][0]["qty"] == "3"


@pytest.mark.parametrize("field, value, message", [
    ("qty", "0", "Quantity must be a whole number of at least 1"),
    ("qty", "1.5", "Quantity must be a whole number of at least 1"),
    ("discount_value", "150", "A percent discount must be at most 100"),
    ("cgst", "101", "Tax rate must be from 0 to 100"),
    ("discount_value", "abc", "Must be a number"),
])
def test_a_bad_line_value_is_refused_with_the_apis_message_and_the_typed_value_kept(till, till_shop, field, value,
                                                                                    message):
    scan(till, till_shop.salt.barcode)
    form = {"line": "0", "qty": "1", "discount_type": "percent", "discount_value": "0", "cgst": "2.5", "sgst": "2.5"}
    form[field] = value
    response = till.post_form("/pos/lines/0", form, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and f'value="{value}"' in html
    assert html.lstrip().startswith('<tr id="line-0"')
    assert till_state(till_shop, till_shop.cashier)["lines"][0]["qty"] == "1"  # nothing stored


def test_removing_a_line_re_renders_the_lines(till, till_shop):
    scan(till, till_shop.salt.barcode)
    scan(till, till_shop.soap.barcode)
    response = till.post_form("/pos/lines/0/delete", htmx=True)
    assert response.status_code == 200 and "pos-totals" in oob_ids(response.get_data(as_text=True))
    assert [line["product_id"] for line in till_state(till_shop, till_shop.cashier)["lines"]] == [till_shop.soap.id]


def test_without_javascript_a_line_change_redirects_back_to_the_page(till, till_shop):
    scan(till, till_shop.salt.barcode)
    response = till.post_form("/pos/lines/0", {"qty": "4"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/pos")
    assert till_state(till_shop, till_shop.cashier)["lines"][0]["qty"] == "4"


def test_the_draft_survives_a_reload_and_is_per_cashier(till, till_shop, client):
    scan(till, till_shop.salt.barcode)
    assert "Tata Salt 1kg" in till.get("/pos").get_data(as_text=True)
    sign_in(client, till_shop.manager)
    assert "Tata Salt 1kg" not in client.get("/pos").get_data(as_text=True).split('id="pos-builder"')[1]


# --------------------------------------------------------------------------- customer


def test_customer_search_fragment_and_choosing_one(till, till_shop, make_customer):
    party = make_customer(till_shop.store, name="Ravi Kumar", phone_no="+919811111111")
    found = till.hx_get("/pos/customers?customer_q=9811")
    assert found.status_code == 200 and "Ravi Kumar" in found.get_data(as_text=True)
    assert "<html" not in found.get_data(as_text=True) and "HX-Request" in found.headers["Vary"]
    chosen = till.post_form("/pos/customer", {"party_id": party.id}, htmx=True)
    assert chosen.status_code == 200 and 'id="pos-customer-name">Ravi Kumar' in chosen.get_data(as_text=True)
    assert till_state(till_shop, till_shop.cashier)["customer_id"] == party.id


@pytest.mark.parametrize("form, field_message", [
    ({"name": "Ravi", "contact_no": "12345"}, "Enter a valid phone number, e.g. 98765 43210 or +919876543210"),
    ({"name": "", "contact_no": "+919812345678"}, "This field is required"),
    ({"name": "Ravi", "contact_no": "+919812345678", "email": "not-an-email"}, "Enter a valid email address"),
])
def test_a_new_customer_is_checked_as_billing_v1_checks_it(till, till_shop, form, field_message):
    response = till.post_form("/pos/customer/new", form, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and field_message in html
    assert f'value="{form["contact_no"]}"' in html  # what was typed is kept
    assert till_state(till_shop, till_shop.cashier).get("new_customer") is None


def test_a_new_customer_is_created_with_the_bill_and_a_known_phone_picks_the_existing_one(till, till_shop,
                                                                                          make_customer):
    ok = till.post_form("/pos/customer/new", {"name": "Meena", "contact_no": "+919822222222", "gender": "Female"},
                        htmx=True)
    assert ok.status_code == 200 and "added when the bill is saved" in ok.get_data(as_text=True)
    assert till_state(till_shop, till_shop.cashier)["new_customer"]["contact_no"] == "+919822222222"
    party = make_customer(till_shop.store, name="Old Friend", phone_no="+919833333333")
    picked = till.post_form("/pos/customer/new", {"name": "Typed Again", "contact_no": "+919833333333"}, htmx=True)
    assert "Old Friend" in picked.get_data(as_text=True) and "flashes" in oob_ids(picked.get_data(as_text=True))
    assert till_state(till_shop, till_shop.cashier)["customer_id"] == party.id


# --------------------------------------------------------------------------- payment and save


def test_typing_in_the_payment_form_updates_only_the_totals(till, till_shop):
    scan(till, till_shop.soap.barcode)  # 40.00 + 9 % + 9 % = 47.20
    response = till.post_form("/pos/payment", {"payment_mode": "cash", "tendered": "100", "discount": "0"},
                              htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Reswap"] == "none"
    assert "pos-totals" in oob_ids(html) and 'id="pos-change">₹52.80' in html
    switched = till.post_form("/pos/payment", {"payment_mode": "split"}, htmx=True)
    assert "HX-Reswap" not in switched.headers and 'name="split_amount"' in switched.get_data(as_text=True)


def test_upi_shows_a_qr_for_the_total(till, till_shop):
    scan(till, till_shop.soap.barcode)
    html = till.post_form("/pos/payment", {"payment_mode": "upi"}, htmx=True).get_data(as_text=True)
    assert 'alt="UPI QR code for ₹47.20"' in html and "data:image/png;base64," in html


def test_split_rows_must_add_up_before_save_and_a_refused_save_keeps_everything(till, till_shop):
    scan(till, till_shop.soap.barcode)
    till.post_form("/pos/payment", {"payment_mode": "split"}, htmx=True)
    form = {"payment_mode": "split", "split_mode": ["cash", "upi"], "split_amount": ["20", "20"],
            "split_reference": ["", "UPI-1"]}
    html = till.post_form("/pos/payment", form, htmx=True).get_data(as_text=True)
    assert re.search(r'<button type="submit" id="pos-save" disabled', html)
    assert 'id="pos-remaining" class="warn">₹7.20' in html
    key = page_key(till)
    refused = till.post_form("/pos/save", {"idempotency_key": key}, htmx=True)
    assert refused.status_code == 422
    assert "Payment amounts must add up to payment_amount" in refused.get_data(as_text=True)
    assert bill_count() == 0
    state = till_state(till_shop, till_shop.cashier)
    assert state["split"][1] == {"mode": "upi", "amount": "20", "reference": "UPI-1"} and len(state["lines"]) == 1
    assert db.session.execute(select(func.count(IdempotencyRecord.id))).scalar_one() == 0  # released

    form["split_amount"] = ["27.20", "20"]
    till.post_form("/pos/payment", form, htmx=True)
    saved = till.post_form("/pos/save", {"idempotency_key": key}, htmx=True)
    assert saved.status_code == 200
    bill = db.session.execute(select(Bill)).scalar_one()
    assert "HX-Location" not in saved.headers  # the till stays on the till (issue 12)
    assert f'id="pos-last-bill-link" href="/bills/{bill.id}"' in saved.get_data(as_text=True)
    assert bill.total_amount == D("47.20") and bill.status == "paid" and bill.source == "pos"
    assert sorted((p.mode, p.amount, p.reference) for p in bill.payments) == [
        ("cash", D("27.20"), None), ("upi", D("20.00"), "UPI-1")]


def test_saving_takes_stock_numbers_the_bill_and_starts_a_new_draft(till, till_shop):
    for code in (till_shop.salt.barcode, till_shop.salt.barcode, till_shop.butter.barcode):
        scan(till, code)
    till.post_form("/pos/customer/new", {"name": "Meena", "contact_no": "+919822222222"}, htmx=True)
    old_key = page_key(till)
    response = till.post_form("/pos/save", {"idempotency_key": old_key})  # no JavaScript: 303 to the bill
    bill = db.session.execute(select(Bill)).scalar_one()
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/bills/{bill.id}")
    assert re.fullmatch(r"INV20\d{2}00001", bill.invoice_number)
    assert bill.customer_name == "Meena" and bill.phone == "+919822222222"
    assert [(i.name, i.qty) for i in bill.items] == [("Tata Salt 1kg", 2), ("Amul Butter 500g", 1)]
    expected = price_bill([LineInput(D("28.00"), 2, "percent", D(0), D("2.5"), D("2.5")),
                           LineInput(D("285.00"), 1, "percent", D(0), D(6), D(6))]).totals.grand_total
    assert bill.total_amount == expected and bill.paid_amount == expected and bill.payments[0].mode == "cash"
    assert db.session.get(Product, till_shop.salt.id).quantity == 48
    state = till_state(till_shop, till_shop.cashier)
    assert state["lines"] == [] and state["key"] != old_key


def test_a_double_submitted_save_makes_one_bill_and_both_go_to_it(till, till_shop):
    scan(till, till_shop.salt.barcode)
    key = page_key(till)
    first = till.post_form("/pos/save", {"idempotency_key": key}, htmx=True)
    second = till.post_form("/pos/save", headers={"Idempotency-Key": key}, htmx=True)
    assert first.status_code == second.status_code == 200
    link = re.compile(r'id="pos-last-bill-link" href="(/bills/\d+)"')
    assert link.search(first.get_data(as_text=True)).group(1) == link.search(second.get_data(as_text=True)).group(1)
    assert bill_count() == 1
    assert db.session.get(Product, till_shop.salt.id).quantity == 49


def test_insufficient_stock_is_shown_on_the_line_and_nothing_is_written(till, till_shop):
    scan(till, till_shop.butter.barcode)
    till.post_form("/pos/lines/0", {"qty": "9", "discount_type": "percent", "discount_value": "0",
                                    "cgst": "6", "sgst": "6"}, htmx=True)
    response = till.post_form("/pos/save", {"idempotency_key": page_key(till)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and html.lstrip().startswith('<div id="pos-builder"')
    assert re.search(r'data-field="items\[0\]\.qty">[^<]*Amul Butter 500g', html)
    assert bill_count() == 0 and db.session.get(Product, till_shop.butter.id).quantity == 5
    assert till_state(till_shop, till_shop.cashier)["lines"][0]["qty"] == "9"


def test_a_store_without_walk_ins_needs_a_customer_to_save(till, till_shop):
    till_shop.store.allow_walk_in = False
    db.session.commit()
    scan(till, till_shop.salt.barcode)
    response = till.post_form("/pos/save", {"idempotency_key": page_key(till)}, htmx=True)
    assert response.status_code == 422 and "this store does not allow walk-in bills" in response.get_data(as_text=True)
    assert bill_count() == 0


def test_a_save_from_a_stale_page_is_refused(till, till_shop):
    scan(till, till_shop.salt.barcode)
    stale = page_key(till)
    till.post_form("/pos/clear", htmx=True)
    scan(till, till_shop.soap.barcode)
    response = till.post_form("/pos/save", {"idempotency_key": stale}, htmx=True)
    assert response.status_code == 422 and "changed in another window" in response.get_data(as_text=True)
    assert bill_count() == 0


def test_coupon_and_bill_discount_come_off_the_total(till, till_shop):
    from models import Coupon

    db.session.add(Coupon(store_id=till_shop.store.id, code="DIWALI10", kind="percent", value=D(10), active=True))
    db.session.commit()
    scan(till, till_shop.butter.barcode)  # 285 + 12 % = 319.20
    html = till.post_form("/pos/payment", {"payment_mode": "cash", "discount": "10", "coupon": "diwali10"},
                          htmx=True).get_data(as_text=True)
    expected = price_bill([LineInput(D("285.00"), 1, "percent", D(0), D(6), D(6))], discount=D(10)).totals
    assert total_shown(html) == str(expected.grand_total - (expected.sub_total * D("0.10")).quantize(D("0.01")))
    bad = till.post_form("/pos/payment", {"payment_mode": "cash", "discount": "0", "coupon": "NOPE"}, htmx=True)
    assert "Coupon NOPE does not exist" in bad.get_data(as_text=True)


# --------------------------------------------------------------------------- hold and resume


def test_hold_parks_a_billing_v1_payload_and_resume_brings_it_back(till, till_shop, make_customer):
    from blueprints.api.billing_v1.parse import parse_bill_payload

    party = make_customer(till_shop.store, name="Ravi Kumar", phone_no="+919811111111")
    scan(till, till_shop.salt.barcode)
    till.post_form("/pos/lines/0", {"qty": "3", "discount_type": "flat", "discount_value": "5", "cgst": "2.5",
                                    "sgst": "2.5"}, htmx=True)
    till.post_form("/pos/customer", {"party_id": party.id}, htmx=True)
    response = till.post_form("/pos/hold", htmx=True)
    assert response.status_code == 200 and response.headers["HX-Trigger-After-Swap"] == "posReset"
    assert "flashes" in oob_ids(response.get_data(as_text=True))
    held = db.session.execute(select(HeldBill)).scalar_one()
    estimate = price_bill([LineInput(D("28.00"), 3, "flat", D(5), D("2.5"), D("2.5"))]).totals.grand_total
    assert held.customer_summary == "Ravi Kumar (+919811111111)" and held.amount_estimate == estimate
    assert parse_bill_payload(till_shop.store, held.payload, hold=True).lines[0].qty == 3  # the API can read it
    assert till_state(till_shop, till_shop.cashier)["lines"] == []

    listing = till.get("/bills/held").get_data(as_text=True)
    assert "Ravi Kumar (+919811111111)" in listing and inr(estimate) in listing
    resumed = till.post_form(f"/bills/held/{held.uid}/resume", htmx=True)
    assert resumed.status_code == 200 and resumed.headers["HX-Redirect"] == "/pos"
    state = till_state(till_shop, till_shop.cashier)
    assert state["customer_id"] == party.id
    lines = [(ln["product_id"], ln["qty"], ln["discount_type"], ln["discount_value"]) for ln in state["lines"]]
    assert lines == [(till_shop.salt.id, "3", "flat", "5")]
    assert db.session.execute(select(func.count(HeldBill.id))).scalar_one() == 0


def test_resuming_while_a_bill_is_on_screen_holds_that_bill_first(till, till_shop):
    scan(till, till_shop.salt.barcode)
    till.post_form("/pos/hold", htmx=True)
    first = db.session.execute(select(HeldBill)).scalar_one()
    scan(till, till_shop.soap.barcode)
    till.post_form(f"/bills/held/{first.uid}/resume")
    assert [line["product_id"] for line in till_state(till_shop, till_shop.cashier)["lines"]] == [till_shop.salt.id]
    remaining = db.session.execute(select(HeldBill)).scalar_one()
    assert remaining.payload["items"][0]["id"] == till_shop.soap.uid


def test_a_bill_held_through_billing_v1_resumes_at_the_till(till, till_shop, api_headers):
    body = {"customer": {"name": "Api Customer", "contact_no": "+919844444444"},
            "items": [{"line_no": 1, "type": "product", "id": till_shop.butter.uid, "qty": 2,
                       "discount_type": "percent", "discount_value": 5, "cgst": 6, "sgst": 6}]}
    created = till.post(f"/api/v1/billing/{till_shop.store.uid}/bills/hold", json=body,
                        headers=api_headers(till_shop.owner))
    assert created.status_code == 201
    held_id = created.get_json()["data"]["held_id"]
    till.post_form(f"/bills/held/{held_id}/resume")
    html = till.get("/pos").get_data(as_text=True)
    assert "Amul Butter 500g" in html and "Api Customer" in html
    expected = price_bill([LineInput(D("285.00"), 2, "percent", D(5), D(6), D(6))]).totals.grand_total
    assert total_shown(html) == str(expected)


def test_deleting_held_bills_a_cashier_only_their_own_and_a_manager_any(till, till_shop, client):
    scan(till, till_shop.salt.barcode)
    till.post_form("/pos/hold", htmx=True)
    mine = db.session.execute(select(HeldBill)).scalar_one()
    sign_in(client, till_shop.manager)
    scan(client, till_shop.soap.barcode)
    client.post_form("/pos/hold", htmx=True)
    managers = db.session.execute(select(HeldBill).where(HeldBill.id != mine.id)).scalar_one()
    sign_in(client, till_shop.cashier)
    assert client.post_form(f"/bills/held/{managers.uid}/delete", htmx=True).status_code == 403
    deleted = client.post_form(f"/bills/held/{mine.uid}/delete", htmx=True)
    assert deleted.status_code == 200 and oob_ids(deleted.get_data(as_text=True)) == ["flashes"]
    sign_in(client, till_shop.manager)
    assert client.post_form(f"/bills/held/{managers.uid}/delete").status_code == 303
    assert db.session.execute(select(func.count(HeldBill.id))).scalar_one() == 0


def test_another_stores_held_bill_is_404(till, till_shop, make_user):
    from services.accounts.access import current_store_for

    stranger = make_user("stranger")
    db.session.add(HeldBill(store_id=current_store_for(stranger).id, payload={"items": []}))
    db.session.commit()
    foreign = db.session.execute(select(HeldBill)).scalar_one()
    assert till.post_form(f"/bills/held/{foreign.uid}/resume").status_code == 404
    assert till.post_form(f"/bills/held/{foreign.uid}/delete").status_code == 404
    db.session.expire_all()
    assert db.session.execute(select(HeldBill.uid, HeldBill.payload)).all() == [(foreign.uid, {"items": []})]
    assert till_state(till_shop, till_shop.cashier).get("lines", []) == []  # nothing was resumed into the till


def test_clear_starts_a_new_bill_with_a_new_key(till, till_shop):
    scan(till, till_shop.salt.barcode)
    key = page_key(till)
    response = till.post_form("/pos/clear", htmx=True)
    assert response.status_code == 200 and response.get_data(as_text=True).lstrip().startswith('<div id="pos-builder"')
    state = till_state(till_shop, till_shop.cashier)
    assert state["lines"] == [] and state["key"] != key


# --------------------------------------------------------------------------- payment modes and salons


# The wallet mode draws from the customer's balance: tests/test_wallet.py.
@pytest.mark.parametrize("mode, status, paid_share", [("card", "paid", 1), ("none", "unpaid", 0)])
def test_card_wallet_and_credit_bills(till, till_shop, make_customer, mode, status, paid_share):
    scan(till, till_shop.soap.barcode)
    if not paid_share:  # a bill that leaves dues needs the customer who owes them (tests/test_pos_fixes.py)
        party = make_customer(till_shop.store, name="Credit Buyer", phone_no="+919844444444")
        till.post_form("/pos/customer", {"party_id": str(party.id)}, htmx=True)
    till.post_form("/pos/payment", {"payment_mode": mode, "reference": "REF-1" if paid_share else ""}, htmx=True)
    assert till.post_form("/pos/save", {"idempotency_key": page_key(till)}, htmx=True).status_code == 200
    bill = db.session.execute(select(Bill)).scalar_one()
    assert bill.status == status and bill.paid_amount == bill.total_amount * paid_share
    assert bill.due_amount == bill.total_amount - bill.paid_amount and bill.payment_mode == mode
    assert [(p.mode, p.reference) for p in bill.payments] == ([(mode, "REF-1")] if paid_share else [])


def test_cash_tendered_below_the_total_leaves_the_rest_due(till, till_shop, make_customer):
    scan(till, till_shop.soap.barcode)  # 47.20
    party = make_customer(till_shop.store, name="Part Payer", phone_no="+919855555555")
    till.post_form("/pos/customer", {"party_id": str(party.id)}, htmx=True)
    till.post_form("/pos/payment", {"payment_mode": "cash", "tendered": "40"}, htmx=True)
    till.post_form("/pos/save", {"idempotency_key": page_key(till)}, htmx=True)
    bill = db.session.execute(select(Bill)).scalar_one()
    assert (bill.paid_amount, bill.due_amount, bill.status) == (D("40.00"), D("7.20"), "partial")


def test_a_salon_line_takes_a_staff_member_of_the_store(client, make_user, make_product):
    from models import Staff
    from services.accounts.access import current_store_for

    owner = make_user("salonowner", business_kind="salon", store_name="Glow Salon")
    salon = current_store_for(owner)
    haircut = make_product(salon, "Haircut", unit_price="300.00", type="service", sku="HC-1")
    priya = Staff(store_id=salon.id, name="Priya")
    outsider = Staff(store_id=current_store_for(make_user("elsewhere")).id, name="Outsider")
    db.session.add_all([priya, outsider])
    db.session.commit()
    sign_in(client, owner)
    scan(client, "HC-1")
    assert f'<option value="{priya.id}"' in client.get("/pos").get_data(as_text=True)
    form = {"qty": "1", "discount_type": "percent", "discount_value": "0", "cgst": "9", "sgst": "9"}
    refused = client.post_form("/pos/lines/0", {**form, "staff_id": str(outsider.id)}, htmx=True)
    assert refused.status_code == 422 and "Staff member not found in this store" in refused.get_data(as_text=True)
    assert client.post_form("/pos/lines/0", {**form, "staff_id": str(priya.id)}, htmx=True).status_code == 200
    client.post_form("/pos/save", {"idempotency_key": page_key(client)}, htmx=True)
    bill = db.session.execute(select(Bill)).scalar_one()
    assert [(item.name, item.staff_id) for item in bill.items] == [("Haircut", priya.id)]
    assert db.session.get(Product, haircut.id).quantity == 0  # services take no stock
