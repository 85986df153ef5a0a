"""Billing v1 over HTTP (Flask test client): the seed's example, access, validation, lists, held bills, look-ups."""
from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
import simplejson
from sqlalchemy import func, select

from extensions import db
from models import (
    AuditLog,
    Bill,
    BillItem,
    Coupon,
    Customer,
    HeldBill,
    IdempotencyRecord,
    InvoiceCounter,
    Payment,
    Product,
    Staff,
    StockMove,
)
from tests.fixtures_billing import cash_bill, seed_bill

D = Decimal
RETAIL_TOTALS = ("igst_amount", "round_off", "taxable_amount", "place_of_supply")  # extensions, issue 11


def body_of(response) -> dict:
    return simplejson.loads(response.data, use_decimal=True)


def table_counts() -> tuple[int, ...]:
    return tuple(
        db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Bill, BillItem, Payment, StockMove, AuditLog, Customer, InvoiceCounter, HeldBill)
    )


def test_seed_example_saves_with_every_computed_amount_to_the_paisa(client, billing_shop):
    shop = billing_shop
    response = client.post(f"{shop.url}/bills", json=seed_bill(shop.haircut.uid), headers=shop.headers)
    assert response.status_code == 201, response.data
    body = body_of(response)
    assert body["success"] is True and body["message"] == "Bill saved successfully"
    data = body["data"]
    assert data["invoice_number"].startswith("INV") and data["invoice_number"].endswith("00001")
    assert len(data["invoice_number"]) == 12
    item = data["items"][0]
    assert {k: item[k] for k in ("base_amount", "discount_amount", "cgst_amount", "sgst_amount", "line_total")} == {
        "base_amount": D("1000.00"), "discount_amount": D("100.00"), "cgst_amount": D("81.00"),
        "sgst_amount": D("81.00"), "line_total": D("1062.00")}
    assert (item["name"], item["id"], item["type"], item["qty"]) == ("Haircut Premium", shop.haircut.uid, "service", 1)
    documented = ("sub_total", "discount", "tax_amount", "cgst_amount", "sgst_amount", "grand_total", "paid", "dues")
    assert {k: data["totals"][k] for k in documented} == {  # extras (credited, refunded, ...) may follow
        "sub_total": D("1062.00"), "discount": D("50.00"), "tax_amount": D("162.00"), "cgst_amount": D("81.00"),
        "sgst_amount": D("81.00"), "grand_total": D("1012.00"), "paid": D("1012.00"), "dues": D("0.00")}
    assert (data["totals"]["igst_amount"], data["totals"]["round_off"]) == (D("0.00"), D("0.00"))
    assert [(p["mode"], p["amount"], p["reference"], p["timestamp"]) for p in data["payments"]] == [
        ("upi", D("612.00"), "UPI-TXN-123", "2025-09-26T11:30:00.000Z"),
        ("cash", D("400.00"), None, "2025-09-26T11:31:00.000Z")]
    assert data["customer"]["name"] == "John Doe" and data["customer"]["phoneNumber"] == "+919876543210"
    # Money goes out as exact JSON numbers with two decimals.
    assert b'"line_total": 1062.00' in response.data and b'"dues": 0.00' in response.data
    assert data["created_at"].endswith("Z")
    detail = client.get(f"{shop.url}/bills/{data['bill_id']}", headers=shop.headers)
    assert body_of(detail)["data"] == data
    bill = db.session.execute(select(Bill)).scalar_one()
    assert (bill.referral_code, bill.status, bill.source) == ("REF123", "paid", "v1")


@pytest.mark.parametrize("change", ["revoked", "disabled"])
def test_a_token_its_user_no_longer_honours_is_401_even_on_the_users_own_store(client, billing_shop, change):
    shop = billing_shop  # member_store checks the user and the store in one statement: the user's check comes first
    if change == "revoked":
        from services.accounts.tokens import revoke_user_tokens

        revoke_user_tokens(shop.owner)
    else:
        shop.owner.is_active_account = False
    db.session.commit()
    response = client.post(f"{shop.url}/bills", json=seed_bill(shop.haircut.uid), headers=shop.headers)
    assert response.status_code == 401
    assert body_of(response) == {"success": False, "message": "Invalid or expired token"}
    assert client.get(f"{shop.url}/bills", headers=shop.headers).status_code == 401


def test_without_a_token_is_401_and_another_store_is_403(client, billing_shop, make_user, api_headers):
    shop = billing_shop
    before = table_counts()
    assert client.post(f"{shop.url}/bills", json=seed_bill(shop.haircut.uid)).status_code == 401
    stranger = make_user("stranger")
    response = client.post(f"{shop.url}/bills", json=seed_bill(shop.haircut.uid), headers=api_headers(stranger))
    assert response.status_code == 403
    assert body_of(response)["success"] is False
    held = client.post(f"{shop.url}/bills/hold", json=seed_bill(shop.haircut.uid), headers=api_headers(stranger))
    assert held.status_code == 403
    for path in ("/bills", "/bills/held", "/catalog", "/customers"):
        assert client.get(shop.url + path, headers=api_headers(stranger)).status_code == 403
    assert client.get("/api/v1/billing/no-such-store/bills", headers=shop.headers).status_code == 403
    # No bill, held bill, customer, stock move, counter or audit row in either store.
    assert table_counts() == before
    assert db.session.execute(select(func.count()).select_from(IdempotencyRecord)).scalar_one() == 0


def test_a_cashier_may_bill(client, billing_shop, make_user, api_headers):
    cashier = make_user("till1", store=billing_shop.store, role="cashier")
    response = client.post(f"{billing_shop.url}/bills", json=seed_bill(billing_shop.haircut.uid),
                           headers=api_headers(cashier))
    assert response.status_code == 201


def _without(body, *path):
    target = body
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return body


def _set(body, value, *path):
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


INVALID = [
    ("both customer_id and customer", lambda b, s: _set(b, s.customer_uid, "customer_id"), "customer"),
    ("neither customer_id nor customer", lambda b, s: _without(b, "customer"), "customer_id"),
    ("unknown customer_id", lambda b, s: _set(_without(b, "customer"), "nope", "customer_id"), "customer_id"),
    ("phone not E.164", lambda b, s: _set(b, "9876543210", "customer", "contact_no"), "customer.contact_no"),
    ("blank customer name", lambda b, s: _set(b, " ", "customer", "name"), "customer.name"),
    ("empty items", lambda b, s: _set(b, [], "items"), "items"),
    ("duplicate line_no", lambda b, s: _set(b, b["items"] + [dict(b["items"][0], discount_value=0)], "items")
     and _set(b, 1012 + 1062 - 0, "payment_amount") and b, "items[1].line_no"),
    ("type does not match", lambda b, s: _set(b, "product", "items", 0, "type"), "items[0].type"),
    ("unknown type", lambda b, s: _set(b, "gift", "items", 0, "type"), "items[0].type"),
    ("catalog id of no item", lambda b, s: _set(b, "00000000-0000-0000-0000-000000000000", "items", 0, "id"),
     "items[0].id"),
    ("catalog id of another store", lambda b, s: _set(b, s.foreign_uid, "items", 0, "id"), "items[0].id"),
    ("qty 0", lambda b, s: _set(b, 0, "items", 0, "qty"), "items[0].qty"),
    ("qty fractional", lambda b, s: _set(b, D("1.5"), "items", 0, "qty"), "items[0].qty"),
    ("discount_type other", lambda b, s: _set(b, "bogus", "items", 0, "discount_type"), "items[0].discount_type"),
    ("discount_value negative", lambda b, s: _set(b, -1, "items", 0, "discount_value"), "items[0].discount_value"),
    ("percent over 100", lambda b, s: _set(b, 101, "items", 0, "discount_value"), "items[0].discount_value"),
    ("cgst over 100", lambda b, s: _set(b, 101, "items", 0, "cgst"), "items[0].cgst"),
    ("sgst negative", lambda b, s: _set(b, -1, "items", 0, "sgst"), "items[0].sgst"),
    ("cgst missing", lambda b, s: _without(b, "items", 0, "cgst"), "items[0].cgst"),
    ("unknown staff", lambda b, s: _set(b, "nobody", "items", 0, "staff_id"), "items[0].staff_id"),
    ("payment_mode other", lambda b, s: _set(b, "bitcoin", "payment_mode"), "payment_mode"),
    ("payment_mode missing", lambda b, s: _without(b, "payment_mode"), "payment_mode"),
    ("none with an amount", lambda b, s: _set(_set(b, "none", "payment_mode"), [], "payments"), "payment_amount"),
    ("none with payments", lambda b, s: _set(_set(b, "none", "payment_mode"), 0, "payment_amount"), "payments"),
    ("split not summing", lambda b, s: _set(b, 1000, "payment_amount"), "payments"),
    ("split of one payment", lambda b, s: _set(_set(b, b["payments"][:1], "payments"), 612, "payment_amount"),
     "payments"),
    ("single mode mismatch", lambda b, s: _set(_set(_set(b, "cash", "payment_mode"), b["payments"][:1], "payments"),
                                               612, "payment_amount"), "payments[0].mode"),
    ("single amount mismatch", lambda b, s: _set(_set(_set(b, "upi", "payment_mode"), b["payments"][:1], "payments"),
                                                 600, "payment_amount"), "payments[0].amount"),
    ("payment amount zero", lambda b, s: _set(b, 0, "payments", 1, "amount"), "payments[1].amount"),
    ("payment mode unknown", lambda b, s: _set(b, "gold", "payments", 1, "mode"), "payments[1].mode"),
    ("paid above grand total", lambda b, s: _set(_set(b, 500, "payments", 1, "amount"), 1112, "payment_amount"),
     "payment_amount"),
    ("payment timestamp not ISO", lambda b, s: _set(b, "yesterday", "payments", 0, "timestamp"),
     "payments[0].timestamp"),
    ("payment timestamp missing", lambda b, s: _without(b, "payments", 0, "timestamp"), "payments[0].timestamp"),
    ("billing timestamp not ISO", lambda b, s: _set(b, "26/09/2025", "billing_timestamp"), "billing_timestamp"),
    ("billing timestamp missing", lambda b, s: _without(b, "billing_timestamp"), "billing_timestamp"),
    ("bill discount negative", lambda b, s: _set(b, -5, "discount"), "discount"),
    ("coupon unknown", lambda b, s: _set(b, "NOPE", "coupon_code"), "coupon_codes[0]"),
    ("coupon expired", lambda b, s: _set(b, ["OLD"], "coupon_codes"), "coupon_codes[0]"),
    ("amount with three decimals", lambda b, s: _set(b, D("612.005"), "payments", 0, "amount"), "payments[0].amount"),
]


@pytest.mark.parametrize("change, field", [(c, f) for _, c, f in INVALID], ids=[name for name, _, _ in INVALID])
def test_each_invalid_field_is_a_400_naming_it_and_nothing_is_written(client, billing_shop, make_store,
                                                                      make_product, make_customer, change, field):
    from datetime import datetime, timezone

    shop = billing_shop
    shop.customer_uid = make_customer(shop.store, "Known").uid
    shop.foreign_uid = make_product(make_store("Elsewhere"), "Foreign", type="service").uid
    db.session.add(Coupon(store_id=shop.store.id, code="OLD", kind="flat", value=D("5"),
                          valid_to=datetime(2020, 1, 1, tzinfo=timezone.utc)))
    db.session.commit()
    before = table_counts()
    body = change(copy.deepcopy(seed_bill(shop.haircut.uid)), shop)
    response = client.post(f"{shop.url}/bills", data=simplejson.dumps(body, use_decimal=True),
                           content_type="application/json", headers=shop.headers)
    assert response.status_code == 400, response.data
    payload = body_of(response)
    assert payload["success"] is False and payload["message"]
    assert field in payload["errors"], payload["errors"]
    assert table_counts() == before


def test_malformed_json_and_a_non_object_body_are_400(client, billing_shop):
    shop = billing_shop
    for raw in (b"{not json", b"[1, 2]", b""):
        response = client.post(f"{shop.url}/bills", data=raw, content_type="application/json", headers=shop.headers)
        assert response.status_code == 400
        assert body_of(response)["success"] is False and "errors" in body_of(response)


def test_insufficient_stock_is_400_naming_the_product_and_nothing_is_written(client, billing_shop):
    shop = billing_shop
    before = table_counts()
    body = cash_bill(shop.shampoo.uid, qty=11)
    response = client.post(f"{shop.url}/bills", json=body, headers=shop.headers)
    assert response.status_code == 400
    payload = body_of(response)
    assert "Shampoo 200ml" in payload["message"] and "items[0].qty" in payload["errors"]
    assert table_counts() == before
    assert db.session.get(Product, shop.shampoo.id).quantity == 10
    ok = client.post(f"{shop.url}/bills", json=cash_bill(shop.shampoo.uid, qty=10), headers=shop.headers)
    assert ok.status_code == 201
    assert body_of(ok)["data"]["invoice_number"].endswith("00001")  # the refused bill took no number
    db.session.expire_all()
    assert db.session.get(Product, shop.shampoo.id).quantity == 0


def test_new_customer_becomes_a_customer_of_the_store_and_is_reused_by_phone(client, billing_shop):
    shop = billing_shop
    first = body_of(client.post(f"{shop.url}/bills", json=seed_bill(shop.haircut.uid), headers=shop.headers))
    again = body_of(client.post(f"{shop.url}/bills", json=seed_bill(shop.haircut.uid), headers=shop.headers))
    assert first["data"]["customer"]["id"] == again["data"]["customer"]["id"]
    customer = db.session.execute(select(Customer)).scalar_one()
    assert (customer.name, customer.phone_no, customer.store_id) == ("John Doe", "+919876543210", shop.store.id)
    by_id = seed_bill(shop.haircut.uid, customer_id=first["data"]["customer"]["id"])
    del by_id["customer"]
    response = client.post(f"{shop.url}/bills", json=by_id, headers=shop.headers)
    assert response.status_code == 201 and body_of(response)["data"]["customer"]["name"] == "John Doe"
    assert [b["data"]["invoice_number"][-5:] for b in (first, again, body_of(response))] == ["00001", "00002", "00003"]


def test_a_coupon_reduces_the_bill_and_staff_is_returned_by_its_id(client, billing_shop):
    shop = billing_shop
    db.session.add(Coupon(store_id=shop.store.id, code="SAVE20", kind="flat", value=D("20")))
    staff = Staff(store_id=shop.store.id, name="Asha")
    db.session.add(staff)
    db.session.commit()
    body = seed_bill(shop.haircut.uid, coupon_code="SAVE20", coupon_codes=["SAVE20"], payment_mode="upi",
                     payment_amount=992, payments=[{"mode": "upi", "amount": 992, "reference": "U1",
                                                    "timestamp": "2025-09-26T11:30:00Z"}])
    body["items"][0]["staff_id"] = staff.uid
    response = client.post(f"{shop.url}/bills", json=body, headers=shop.headers)
    assert response.status_code == 201, response.data
    data = body_of(response)["data"]
    assert data["totals"]["discount"] == D("70.00") and data["totals"]["grand_total"] == D("992.00")
    assert data["items"][0]["staff_id"] == staff.uid and data["coupon_codes"] == ["SAVE20"]


def _save(client, shop, body):
    response = client.post(f"{shop.url}/bills", json=body, headers=shop.headers)
    assert response.status_code == 201, response.data
    return body_of(response)["data"]


def test_list_filters_sorts_and_pages_bills(client, billing_shop, make_store, make_product):
    shop = billing_shop
    paid = _save(client, shop, seed_bill(shop.haircut.uid))
    meera = {"name": "Meera Iyer", "contact_no": "+919822222222"}
    unpaid = _save(client, shop, cash_bill(shop.shampoo.uid, qty=2, customer=meera))
    partial = _save(client, shop, cash_bill(shop.shampoo.uid, qty=1, payment_mode="cash", payment_amount=100,
                                            payments=[{"mode": "cash", "amount": 100,
                                                       "timestamp": "2025-09-26T11:30:00Z"}]))
    other_store = make_store("Other")
    assert other_store.id != shop.store.id

    def listing(**params):
        response = client.get(f"{shop.url}/bills", query_string=params, headers=shop.headers)
        assert response.status_code == 200, response.data
        return body_of(response)["data"]

    everything = listing()
    assert (everything["page"], everything["limit"], everything["total"]) == (1, 20, 3)
    assert [b["bill_id"] for b in everything["items"]] == [partial["bill_id"], unpaid["bill_id"], paid["bill_id"]]
    assert [b["bill_id"] for b in listing(sort="date_asc")["items"]][0] == paid["bill_id"]
    assert [b["grand_total"] for b in listing(sort="amount_asc")["items"]] == [D("250.00"), D("500.00"), D("1012.00")]
    assert [b["grand_total"] for b in listing(sort="amount_desc")["items"]] == [D("1012.00"), D("500.00"), D("250.00")]
    assert [b["status"] for b in listing(status="partial")["items"]] == ["partial"]
    assert [b["bill_id"] for b in listing(status="unpaid")["items"]] == [unpaid["bill_id"]]
    assert [b["customer_name"] for b in listing(q="meera")["items"]] == ["Meera Iyer"]
    assert [b["customer_phone"] for b in listing(q="9876543210")["items"]] == ["+919876543210"]
    assert [b["invoice_number"] for b in listing(q=paid["invoice_number"])["items"]] == [paid["invoice_number"]]
    second = listing(page=2, limit=2)
    assert (second["total"], len(second["items"])) == (3, 1)
    assert listing(**{"from": "2999-01-01T00:00:00Z"})["total"] == 0
    assert listing(**{"from": "2000-01-01T00:00:00.000Z", "to": "2999-01-01T00:00:00.000Z"})["total"] == 3
    row = listing(status="paid")["items"][0]
    assert set(row) == {"bill_id", "invoice_number", "created_at", "customer_name", "customer_phone", "grand_total",
                        "paid", "dues", "status"}


@pytest.mark.parametrize("params, field", [
    ({"limit": "101"}, "limit"), ({"limit": "0"}, "limit"), ({"page": "0"}, "page"), ({"page": "x"}, "page"),
    ({"sort": "name"}, "sort"), ({"status": "refunded"}, "status"), ({"from": "yesterday"}, "from"),
    ({"to": "2025-13-01"}, "to"),
])
def test_list_rejects_bad_query_parameters_with_400(client, billing_shop, params, field):
    response = client.get(f"{billing_shop.url}/bills", query_string=params, headers=billing_shop.headers)
    assert response.status_code == 400
    assert field in body_of(response)["errors"]


@pytest.mark.parametrize("path", ["/bills", "/catalog", "/customers"])
def test_a_search_longer_than_the_documented_200_characters_is_a_400(client, billing_shop, path):
    url = billing_shop.url + path
    assert client.get(url, query_string={"q": "x" * 200}, headers=billing_shop.headers).status_code == 200
    response = client.get(url, query_string={"q": "x" * 201}, headers=billing_shop.headers)
    assert response.status_code == 400 and body_of(response)["errors"]["q"] == ["At most 200 characters"]


def test_held_bill_keeps_the_payload_as_sent_takes_no_number_and_suggests_the_next(client, billing_shop):
    shop = billing_shop
    _save(client, shop, seed_bill(shop.haircut.uid))
    held_body = seed_bill(shop.haircut.uid, customer={"name": "Anita Singh", "contact_no": "+919876500000"})
    for key in ("payment_mode", "payment_amount", "payments", "payment_timestamp"):
        del held_body[key]
    stock_before = table_counts()[3]
    response = client.post(f"{shop.url}/bills/hold", json=held_body, headers=shop.headers)
    assert response.status_code == 201, response.data
    body = body_of(response)
    assert body["message"] == "Bill held successfully"
    held_id = body["data"]["held_id"]
    assert body["data"]["created_at"].endswith("Z")
    listing = body_of(client.get(f"{shop.url}/bills/held", headers=shop.headers))["data"]["held"]
    assert listing == [{"held_id": held_id, "created_at": body["data"]["created_at"],
                        "customer_summary": "Anita Singh (+919876500000)", "amount_estimate": D("1012.00")}]
    detail = body_of(client.get(f"{shop.url}/bills/held/{held_id}", headers=shop.headers))["data"]["held"]
    assert detail["payload"] == json.loads(json.dumps(held_body))
    assert detail["suggested_number"].endswith("00002")
    assert table_counts()[3] == stock_before
    assert db.session.execute(select(func.count()).select_from(Bill)).scalar_one() == 1
    saved = _save(client, shop, seed_bill(shop.haircut.uid))
    assert saved["invoice_number"] == detail["suggested_number"]
    assert client.get(f"{shop.url}/bills/held/not-a-held-id", headers=shop.headers).status_code == 404


def test_hold_still_validates_the_items(client, billing_shop):
    response = client.post(f"{billing_shop.url}/bills/hold", json={"customer_id": None, "items": []},
                           headers=billing_shop.headers)
    assert response.status_code == 400
    assert {"customer_id", "items"} <= set(body_of(response)["errors"])
    assert db.session.execute(select(func.count()).select_from(HeldBill)).scalar_one() == 0


def test_idempotency_key_replays_the_stored_response_and_refuses_another_body(client, billing_shop):
    shop = billing_shop
    headers = {**shop.headers, "Idempotency-Key": "bill-123"}
    first = client.post(f"{shop.url}/bills", json=seed_bill(shop.haircut.uid), headers=headers)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    replay = client.post(f"{shop.url}/bills", json=seed_bill(shop.haircut.uid), headers=headers)
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.data == first.data
    other = client.post(f"{shop.url}/bills", json=seed_bill(shop.haircut.uid, discount=10), headers=headers)
    assert other.status_code == 409 and body_of(other)["success"] is False
    assert db.session.execute(select(func.count()).select_from(Bill)).scalar_one() == 1


def test_failed_validation_stores_no_idempotency_record_so_a_corrected_retry_runs(client, billing_shop):
    from models import IdempotencyRecord

    shop = billing_shop
    headers = {**shop.headers, "Idempotency-Key": "retry-me"}
    bad = client.post(f"{shop.url}/bills", json=seed_bill(shop.haircut.uid, payment_amount=1), headers=headers)
    assert bad.status_code == 400
    assert db.session.execute(select(func.count()).select_from(IdempotencyRecord)).scalar_one() == 0
    good = client.post(f"{shop.url}/bills", json=seed_bill(shop.haircut.uid), headers=headers)
    assert good.status_code == 201 and "Idempotent-Replayed" not in good.headers


def test_an_expired_idempotency_key_is_a_new_request(client, billing_shop):
    from datetime import datetime, timedelta, timezone

    from models import IdempotencyRecord

    shop = billing_shop
    headers = {**shop.headers, "Idempotency-Key": "old-key"}
    client.post(f"{shop.url}/bills", json=seed_bill(shop.haircut.uid), headers=headers)
    record = db.session.execute(select(IdempotencyRecord)).scalar_one()
    record.created_at = datetime.now(timezone.utc) - timedelta(hours=25)
    db.session.commit()
    again = client.post(f"{shop.url}/bills", json=seed_bill(shop.haircut.uid), headers=headers)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert db.session.execute(select(func.count()).select_from(Bill)).scalar_one() == 2


def test_stores_catalog_and_customers_extensions(client, billing_shop, make_customer):
    shop = billing_shop
    stores = body_of(client.get("/api/v1/stores", headers=shop.headers))["data"]["stores"]
    assert stores == [{"id": shop.store.uid, "name": shop.store.name, "role": "owner"}]
    assert client.get("/api/v1/stores").status_code == 401
    found = body_of(client.get(f"{shop.url}/catalog", query_string={"q": "8901234567890"}, headers=shop.headers))
    assert found["data"]["items"] == [{"id": shop.shampoo.uid, "type": "product", "name": "Shampoo 200ml",
                                       "price": D("250.00"), "cgst": D("9.00"), "sgst": D("9.00"), "stock": 10,
                                       "sku": "SH-200", "barcode": "8901234567890", "unit": "pcs",
                                       "price_includes_tax": False}]
    services = body_of(client.get(f"{shop.url}/catalog", query_string={"type": "service"}, headers=shop.headers))
    assert [i["name"] for i in services["data"]["items"]] == ["Haircut Premium"]
    assert services["data"]["items"][0]["stock"] is None
    found = body_of(client.get(f"{shop.url}/catalog", query_string={"q": "sh-2"}, headers=shop.headers))
    assert found["data"]["total"] == 1
    assert client.get(f"{shop.url}/catalog", query_string={"type": "car"}, headers=shop.headers).status_code == 400
    party = make_customer(shop.store, "Kiran Rao", phone_no="+919833333333", email="kiran@example.com")
    make_customer(shop.store, "Someone Else")
    people = body_of(client.get(f"{shop.url}/customers", query_string={"q": "kiran"}, headers=shop.headers))
    assert people["data"]["items"] == [{"id": party.uid, "name": "Kiran Rao", "phoneNumber": "+919833333333",
                                        "email": "kiran@example.com", "address": None, "gstin": None,
                                        "legal_name": None}]
    assert client.get(f"{shop.url}/bills/not-a-bill", headers=shop.headers).status_code == 404


def test_a_key_still_in_flight_is_409_until_it_goes_stale(client, billing_shop, app):
    from datetime import datetime, timedelta, timezone

    from models import IdempotencyRecord
    from services.billing.idempotency import fingerprint

    shop = billing_shop
    body = seed_bill(shop.haircut.uid)
    path = f"{shop.url}/bills"
    # What a concurrent first request leaves behind while it runs: the claim, no status yet.
    record = IdempotencyRecord(store_id=shop.store.id, key="busy", status_code=None,
                               fingerprint=fingerprint("POST", path,
                                                       simplejson.loads(simplejson.dumps(body), use_decimal=True)))
    db.session.add(record)
    db.session.commit()
    busy = client.post(path, json=body, headers={**shop.headers, "Idempotency-Key": "busy"})
    assert busy.status_code == 409
    assert body_of(busy)["message"] == "A request with this Idempotency-Key is still being processed"
    assert db.session.execute(select(func.count()).select_from(Bill)).scalar_one() == 0
    stale = app.config.get("IDEMPOTENCY_STALE_SECONDS", 300) + 1
    record.created_at = datetime.now(timezone.utc) - timedelta(seconds=stale)
    db.session.commit()
    taken_over = client.post(path, json=body, headers={**shop.headers, "Idempotency-Key": "busy"})
    assert taken_over.status_code == 201
    db.session.expire_all()
    assert db.session.get(IdempotencyRecord, record.id).status_code == 201


def test_hold_honours_the_idempotency_key(client, billing_shop):
    shop = billing_shop
    headers = {**shop.headers, "Idempotency-Key": "hold-1"}
    body = cash_bill(shop.haircut.uid, item_type="service")
    first = client.post(f"{shop.url}/bills/hold", json=body, headers=headers)
    again = client.post(f"{shop.url}/bills/hold", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.data == first.data
    assert db.session.execute(select(func.count()).select_from(HeldBill)).scalar_one() == 1
