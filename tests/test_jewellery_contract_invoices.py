"""The jewellery contract's invoices: POST /add-invoice (multipart, priced by save_bill), GET /get-invoice-home,
GET /user-contact-invoice-history, GET /invoice/<id>/pdf (a signed, expiring link that opens without a Bearer
header) and POST /api/logs/create; each bad input a 400 that says what is wrong with nothing written."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, Bill, BillItem, Payment, Product, StockMove

D = Decimal
ADD, HOME, HISTORY, LOGS = "/add-invoice", "/get-invoice-home", "/user-contact-invoice-history", "/api/logs/create"


def counts() -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(db.session.execute(select(func.count()).select_from(model)).scalar_one()
                 for model in (Bill, BillItem, Payment, StockMove, AuditLog))


@pytest.fixture
def ring(jeweller, make_piece):
    return make_piece(jeweller.store, "Kundan Ring", huid="KR2026")


@pytest.fixture
def buyer(jeweller, make_customer):
    return make_customer(jeweller.store, "Meena Shah")


def invoice_form(piece, contact, **changes) -> dict:
    """The contract's add-invoice example: one ring at an agreed 80000.00 taxable, 3 % GST, 100.00 charges."""
    form = {
        "user_contact_id": str(contact.id), "payment_mode": "Cash", "payment_date": "2026-11-26T10:00:00.000Z",
        "bill_total": "82500.00", "amount_paid": "50000.00", "tax": "3", "additional_charges": "100.00",
        "total": "32500.00", "invoice_type": "1",
        "item": json.dumps([{"product_id": piece.id, "hsn_id": 7113, "tounch": 91.6, "wastage": 2,
                             "gross_weight": 10.5, "net_price": 80000, "fine_weight": 99, "size": "14",
                             "show_size_in_bill": True}]),
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def add(client, headers, form, **extra):
    return client.post(ADD, headers={**headers, **extra}, data=form, content_type="multipart/form-data")


def test_the_contracts_sale_is_priced_by_the_server_and_takes_the_piece_out_of_stock(client, jeweller, ring, buyer):
    response = add(client, jeweller.headers, invoice_form(ring, buyer))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["success"] is True and body["message"] == "Invoice added successfully"
    data = body["data"]
    # taxable 80000.00 + CGST 1200.00 + SGST 1200.00 + untaxed additional charges 100.00 = 82500.00
    assert (data["invoice_type"], data["user_contact_id"], data["customer_name"]) == ("1", str(buyer.id), "Meena Shah")
    assert (data["bill_total"], data["amount_paid"], data["total"], data["tax"]) == (
        "82500.00", "50000.00", "32500.00", "2400.00")
    item = data["items"][0]
    assert item["product"] == {"name": "Kundan Ring", "huid": "KR2026", "hsn_id": "7113"}
    assert (item["gross_weight"], item["net_weight"], item["fine_weight"]) == ("10.500", "10.000", "9.360")
    assert (item["net_price"], item["making_type"], item["making_charge"], item["rate"]) == (
        "80000.00", "PG", "450.00", {"price": "7150.00"})
    bill = db.session.get(Bill, int(data["id"]))
    assert (bill.kind, bill.source, bill.additional_charges, bill.due_amount) == (
        "sale", "jewellery", D("100.00"), D("32500.00"))
    assert bill.items[0].metal_rate == D("7150.00") and bill.items[0].size == "14"
    db.session.refresh(ring)
    assert ring.quantity == 0


def test_a_bill_total_within_one_rupee_is_accepted_and_the_servers_total_kept(client, jeweller, ring, buyer):
    response = add(client, jeweller.headers, invoice_form(ring, buyer, bill_total="82501.00", total="1"))
    assert response.status_code == 201
    assert response.get_json()["data"]["bill_total"] == "82500.00"


def test_a_purchase_adds_the_piece_to_stock_in_its_own_series(client, jeweller, make_piece, buyer):
    old = make_piece(jeweller.store, "Old chain", quantity=0, huid=None)
    response = add(client, jeweller.headers, invoice_form(old, buyer, invoice_type="2", tax="0",
                                                          additional_charges=None, bill_total="80000.00",
                                                          amount_paid="80000.00"))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["invoice_type"] == "2" and data["invoice_number"].startswith("PUR") and data["total"] == "0.00"
    db.session.refresh(old)
    assert old.quantity == 1


def test_selling_the_same_piece_twice_is_refused(client, jeweller, ring, buyer):
    assert add(client, jeweller.headers, invoice_form(ring, buyer)).status_code == 201
    before = counts()
    response = add(client, jeweller.headers, invoice_form(ring, buyer))
    assert response.status_code == 400
    assert response.get_json()["message"] == (
        "Failed to add invoice: item[0].product_id: Insufficient stock for Kundan Ring: 0 available, 1 requested")
    assert counts() == before


class TestHallmarking:
    def test_a_gold_piece_without_a_huid_is_not_sold_where_hallmarking_is_mandatory(self, client, jeweller,
                                                                                    make_piece, buyer):
        plain = make_piece(jeweller.store, "Plain bangle", huid=None, net_weight=D("10.000"))
        before = counts()
        response = add(client, jeweller.headers, invoice_form(plain, buyer))
        assert response.status_code == 400
        assert response.get_json()["message"] == (
            "Failed to add invoice: item[0].product_id: Plain bangle is gold without a HUID: hallmarking is "
            "mandatory in this store (pieces under 2 g net are exempt)")
        assert counts() == before

    def test_pieces_under_2_g_net_are_exempt(self, client, jeweller, make_piece, buyer):
        stud = make_piece(jeweller.store, "Nose stud", huid=None, gross_weight=D("1.999"), less_weight=D("0.000"),
                          net_weight=D("1.999"))
        form = invoice_form(stud, buyer, net_price=None, bill_total="5250.00", amount_paid="0")
        form["item"] = json.dumps([{"product_id": stud.id, "net_price": "5000.00"}])
        response = add(client, jeweller.headers, form)
        assert response.status_code == 201, response.get_json()

    def test_a_store_that_turns_it_off_may_sell_without_a_huid(self, client, jeweller, make_piece, buyer):
        jeweller.store.settings = {**(jeweller.store.settings or {}), "hallmark_mandatory": False}
        db.session.commit()
        plain = make_piece(jeweller.store, "Plain bangle", huid=None, net_weight=D("10.000"))
        assert add(client, jeweller.headers, invoice_form(plain, buyer)).status_code == 201


def test_idempotency_key_saves_one_invoice_and_replays_the_answer(client, jeweller, ring, buyer):
    first = add(client, jeweller.headers, invoice_form(ring, buyer), **{"Idempotency-Key": "inv-1"})
    again = add(client, jeweller.headers, invoice_form(ring, buyer), **{"Idempotency-Key": "inv-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true" and again.get_json() == first.get_json()
    assert db.session.execute(select(func.count()).select_from(Bill)).scalar_one() == 1


BAD_INVOICES = [
    ({"bill_total": "82501.01"}, "bill_total: The bill total sent (82501.01) differs from the server's (82500.00) "
                                 "by more than 1.00"),
    ({"bill_total": "82498.99"}, "differs from the server's (82500.00)"),
    ({"amount_paid": "82500.01"}, "amount_paid: Amount paid (82500.01) is more than the bill total (82500.00)"),
    ({"invoice_type": "3"}, 'invoice_type is required: "1" (sale) or "2" (purchase)'),
    ({"item": "[{"}, "item is not valid JSON"),
    ({"item": json.dumps({"product_id": 1})}, "item must be a JSON string of an array"),
    ({"item": "[]"}, "item must list 1 to 200 items"),
    ({"item": json.dumps([{"net_price": 1}])}, "item[0].product_id is required"),
    ({"item": json.dumps([{"product_id": 999999}])}, "item[0].product_id: Piece not found in this store"),
    ({"item": json.dumps([{"product_id": "x"}])}, "item[0].product_id must be a record id"),
    ({"item": json.dumps([{"product_id": 1, "net_price": "1.001"}])}, "item[0].net_price: At most 2 decimal"),
    ({"payment_mode": "Cheque"}, "payment_mode must be one of Cash, Card, UPI, Wallet, not 'Cheque'"),
    ({"payment_date": "26-11-2026"}, "payment_date must be an ISO 8601 date or timestamp"),
    ({"bill_total": None}, "bill_total is required"),
    ({"amount_paid": "1.001"}, "amount_paid: At most 2 decimal places"),
    ({"amount_paid": "-1"}, "amount_paid: Must not be negative"),
    ({"tax": "101"}, "tax: Must be at most 100 %"),
    ({"additional_charges": "-5"}, "additional_charges: Must not be negative"),
    ({"total": "lots"}, "total must be a number"),
    ({"user_contact_id": None}, "user_contact_id is required"),
    ({"user_contact_id": "999999"}, "user_contact_id: Customer not found in this store"),
    ({"interest_enabled": "true"}, "interest_rate is required when interest_enabled is true"),
]


@pytest.mark.parametrize("changes, words", BAD_INVOICES, ids=[w[:40] for _, w in BAD_INVOICES])
def test_bad_invoices_are_400_saying_what_is_wrong_with_nothing_written(client, jeweller, ring, buyer, changes,
                                                                        words):
    before = counts()
    response = add(client, jeweller.headers, invoice_form(ring, buyer, **changes))
    assert response.status_code == 400, response.get_json()
    message = response.get_json()["message"]
    assert message.startswith("Failed to add invoice: ") and words in message, message
    assert counts() == before
    db.session.refresh(ring)
    assert ring.quantity == 1


def test_another_shops_contact_and_piece_answer_like_missing_ones(client, jeweller, ring, buyer, make_user,
                                                                  api_headers, make_customer, make_supplier):
    other = make_user("other", business_kind="jewellery")
    from services.accounts.access import current_store_for
    theirs = make_customer(current_store_for(other))
    supplier = make_supplier(jeweller.store)
    before = counts()
    for contact in (theirs, supplier):
        response = add(client, jeweller.headers, invoice_form(ring, contact))
        assert response.get_json()["message"] == "Failed to add invoice: user_contact_id: Customer not found in " \
                                                 "this store"
    mine = make_customer(current_store_for(other))
    response = add(client, api_headers(other), invoice_form(ring, mine))
    assert response.get_json()["message"] == "Failed to add invoice: item[0].product_id: Piece not found in this store"
    assert counts()[:4] == before[:4]


def test_interest_terms_are_kept_and_the_payment_history_is_computed_from_payments(client, jeweller, ring, buyer):
    from services.billing.bills import DraftPayment, record_payment

    today = jeweller.store.local_today()
    start = today - timedelta(days=90)
    noon = datetime(start.year, start.month, start.day, 6, 30, tzinfo=timezone.utc)  # 12:00 in India
    form = invoice_form(ring, buyer, amount_paid="2500.00", payment_date=noon.isoformat(), interest_enabled="true",
                        interest_type=json.dumps({"label": "Flat", "value": "1"}), interest_rate="2.00",
                        interest_start_date=start.isoformat(), grace_period_enabled="false")
    data = add(client, jeweller.headers, form).get_json()["data"]
    bill = db.session.get(Bill, int(data["id"]))
    assert bill.interest_terms["interest_rate"] == "2.00" and bill.interest_terms["interest_type"] == "1"
    record_payment(jeweller.store, jeweller.owner, bill, DraftPayment("upi", D("10000.00"),
                                                                       timestamp=noon + timedelta(days=30)))
    db.session.commit()
    detail = client.post("/product-detail-by-id", headers=jeweller.headers, json={"id": ring.id}).get_json()["data"]
    # 82500.00 due; 2500.00 paid on day 0 (no interest yet): 80000.00. Day 30: 80000 x 2 % = 1600.00 interest,
    # the 10000.00 pays it and 8400.00 principal: 71600.00. Day 30 -> 90: 71600 x 2 % x 2 = 2864.00.
    assert detail["payment_history"] == [
        {"amount": "2500.00", "date": start.isoformat(), "interest_paid": "0.00", "remaining_balance": "80000.00"},
        {"amount": "10000.00", "date": (start + timedelta(days=30)).isoformat(), "interest_paid": "1600.00",
         "remaining_balance": "71600.00"}]
    assert (detail["interest_amount"], detail["remaining_balance"]) == ("4464.00", "74464.00")
    assert detail["interest_enabled"] is True and detail["interest_rate"] == "2.00"
    assert detail["invoice_id"] == data["id"]


# --------------------------------------------------------------------------- lists


def test_invoice_home_lists_the_stores_invoices_newest_first_with_the_contracts_fields(
        client, jeweller, make_piece, buyer, make_user, api_headers):
    first, second = make_piece(jeweller.store, "Ring A"), make_piece(jeweller.store, "Ring B")
    ids = [add(client, jeweller.headers, invoice_form(p, buyer)).get_json()["data"]["id"] for p in (first, second)]
    body = client.get(HOME, headers=jeweller.headers).get_json()
    assert body["success"] is True and [row["id"] for row in body["data"]] == ids[::-1]
    row = body["data"][0]
    assert {"id", "invoice_type", "user_contact_id", "customer_name", "payment_date", "bill_total", "amount_paid",
            "items", "created_at", "updated_at"} <= set(row)
    assert {"product_id", "product", "gross_weight", "net_weight", "fine_weight", "tounch", "wastage", "net_price",
            "making_type", "making_charge", "rate"} <= set(row["items"][0])
    assert row["items"][0]["product"]["name"] == "Ring B" and row["customer_name"] == "Meena Shah"
    assert [r["id"] for r in client.get(HOME + "?limit=1&offset=1", headers=jeweller.headers).get_json()["data"]] \
        == ids[:1]
    today = jeweller.store.local_today()
    assert client.get(f"{HOME}?from={today}&to={today}", headers=jeweller.headers).get_json()["data"]
    tomorrow = today + timedelta(days=1)
    assert client.get(f"{HOME}?from={tomorrow}", headers=jeweller.headers).get_json()["data"] == []
    other = make_user("other", business_kind="jewellery")
    assert client.get(HOME, headers=api_headers(other)).get_json() == {"success": True, "data": []}


@pytest.mark.parametrize("query, words", [
    ("limit=0", "limit must be a whole number from 1 to 200, not '0'"),
    ("limit=201", "limit must be a whole number from 1 to 200"),
    ("limit=ten", "limit must be a whole number"),
    ("offset=-1", "offset must be a whole number from 0"),
    ("from=2026-13-01", "from must be a date as YYYY-MM-DD"),
    ("from=2026-11-27&to=2026-11-26", "from must be on or before to"),
])
def test_bad_list_parameters_are_400(client, jeweller, query, words):
    response = client.get(f"{HOME}?{query}", headers=jeweller.headers)
    assert response.status_code == 400
    assert response.get_json() == {"success": False, "message": f"Failed to get invoices: {words}"} or \
        words in response.get_json()["message"]


def test_contact_history_lists_that_contacts_invoices(client, jeweller, ring, buyer, make_customer, make_user,
                                                      api_headers):
    invoice = add(client, jeweller.headers, invoice_form(ring, buyer)).get_json()["data"]
    body = client.get(f"{HISTORY}?user_contact_id={buyer.id}", headers=jeweller.headers).get_json()
    assert body["success"] is True and len(body["data"]) == 1
    row = body["data"][0]
    assert {"id", "invoice_type", "payment_date", "bill_total", "amount_paid", "created_at"} <= set(row)
    assert (row["id"], row["bill_total"], row["amount_paid"]) == (invoice["id"], "82500.00", "50000.00")
    someone = make_customer(jeweller.store)
    assert client.get(f"{HISTORY}?user_contact_id={someone.id}", headers=jeweller.headers).get_json()["data"] == []
    other = make_user("other", business_kind="jewellery")
    for url, headers in ((HISTORY, jeweller.headers), (f"{HISTORY}?user_contact_id=", jeweller.headers),
                         (f"{HISTORY}?user_contact_id=999999", jeweller.headers),
                         (f"{HISTORY}?user_contact_id={buyer.id}", api_headers(other))):
        response = client.get(url, headers=headers)
        assert response.status_code == 400
        assert response.get_json()["message"] in (
            "Failed to get contact invoice history: user_contact_id is required",
            "Failed to get contact invoice history: user_contact_id: Contact not found in this store")


# --------------------------------------------------------------------------- PDF link and logs


def test_the_pdf_url_opens_without_a_bearer_header_and_expires(client, jeweller, ring, buyer, make_user,
                                                               api_headers):
    from services.documents.invoices import ShareLinkExpired, bill_for_share_token, share_expires_at

    invoice = add(client, jeweller.headers, invoice_form(ring, buyer)).get_json()["data"]
    body = client.get(f"/invoice/{invoice['id']}/pdf", headers=jeweller.headers).get_json()
    assert body["success"] is True and set(body["data"]) == {"pdf_url"}
    path = urlparse(body["data"]["pdf_url"]).path
    opened = client.get(path)  # no Authorization header
    assert opened.status_code == 200 and opened.mimetype == "application/pdf" and opened.data.startswith(b"%PDF")
    token = path.rsplit("/", 1)[1]
    expires = share_expires_at(token)
    assert timedelta(days=6) < expires - datetime.now(timezone.utc) <= timedelta(days=7)
    with pytest.raises(ShareLinkExpired):
        bill_for_share_token(token, now=expires + timedelta(seconds=1))
    other = make_user("other", business_kind="jewellery")
    for target, headers in ((invoice["id"], api_headers(other)), ("999999", jeweller.headers)):
        response = client.get(f"/invoice/{target}/pdf", headers=headers)
        assert response.status_code == 404
        assert response.get_json() == {"success": False, "message": "Failed to save invoice as PDF: Bill not found"}


LOG = {"userName": "Meena", "productName": "Kundan Ring", "id": "12", "type": "sale", "amount": "82500.00",
       "invoiceId": "7", "action": "CREATE", "entityType": "INVOICE", "timestamp": "2026-11-26T10:00:00.000Z",
       "metadata": {"customerName": "Meena Shah", "items": [{"name": "Kundan Ring", "quantity": 1,
                                                              "price": "80000.00"}], "status": "paid"}}


def test_a_log_entry_is_kept_in_the_audit_log(client, jeweller):
    response = client.post(LOGS, headers=jeweller.headers, json=LOG)
    assert response.status_code == 201
    assert response.get_json() == {"success": True, "message": "Log created successfully"}
    entry = db.session.execute(select(AuditLog).filter_by(entity="app_invoice")).scalars().one()
    assert (entry.action, entry.entity_id, entry.store_id, entry.user_id) == (
        "create", "12", jeweller.store.id, jeweller.owner.id)
    assert entry.meta["metadata"]["customerName"] == "Meena Shah" and entry.meta["productName"] == "Kundan Ring"


@pytest.mark.parametrize("changes, words", [
    ({"action": "ARCHIVE"}, "action must be one of CREATE, UPDATE, DELETE"),
    ({"entityType": "USER"}, "entityType must be one of PRODUCT, INVOICE"),
    ({"timestamp": None}, "timestamp is required (ISO 8601)"),
    ({"timestamp": "yesterday"}, "timestamp must be an ISO 8601 date or timestamp"),
    ({"userName": ["x"]}, "userName must be text of at most 255 characters"),
    ({"amount": "lots"}, "amount must be a number"),
    ({"metadata": "x"}, "metadata must be an object"),
    ({"metadata": {"items": [{"name": "x", "quantity": "many"}]}}, "metadata.items[0].quantity must be a number"),
    ({"extra": 1}, "unknown field(s): extra"),
])
def test_bad_log_entries_are_400_with_nothing_written(client, jeweller, changes, words):
    before = counts()
    body = {k: v for k, v in {**LOG, **changes}.items() if v is not None}
    response = client.post(LOGS, headers=jeweller.headers, json=body)
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert message.startswith("Failed to create log: ") and words in message, message
    assert counts() == before
    malformed = client.post(LOGS, headers={**jeweller.headers, "Content-Type": "application/json"}, data="{nope")
    assert malformed.status_code == 400 and malformed.get_json()["message"] == "Failed to create log: Malformed JSON"


@pytest.mark.parametrize("method, url", [
    ("post", "/product-detail-by-id"), ("post", "/update-product"), ("post", ADD), ("get", HOME),
    ("get", HISTORY + "?user_contact_id=1"), ("get", "/invoice/1/pdf"), ("post", LOGS)])
def test_every_path_needs_a_bearer_token(client, jeweller, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 401
    assert response.get_json() == {"success": False, "message": "Authentication required"}


# --------------------------------------------------------------------------- the rules behind them


def test_additional_charges_are_added_untaxed_before_round_off():
    from services.billing.pricing import LineInput, price_bill

    # 100.00 + 3 % = 103.00; + 10.25 untaxed = 113.25; rounded to the rupee: 113.00 (round off -0.25)
    line = LineInput(unit_price=D("100.00"), qty=1, cgst_rate=D("1.5"), sgst_rate=D("1.5"))
    totals = price_bill([line], additional_charges=D("10.25"), payments=[D("13.00")]).totals
    assert (totals.tax_amount, totals.grand_total, totals.dues) == (D("3.00"), D("113.25"), D("100.25"))
    rounded = price_bill([line], additional_charges=D("10.25"), round_off=True).totals
    assert (rounded.grand_total, rounded.round_off) == (D("113.00"), D("-0.25"))


def test_interest_terms_sent_for_a_sold_piece_change_its_bill(client, jeweller, ring, buyer):
    invoice = add(client, jeweller.headers, invoice_form(ring, buyer)).get_json()["data"]
    response = client.post("/update-product", headers=jeweller.headers, content_type="multipart/form-data",
                           data={"id": str(ring.id), "interest_enabled": "true", "interest_rate": "1.00"})
    assert response.status_code == 200, response.get_json()
    bill = db.session.get(Bill, int(invoice["id"]))
    db.session.refresh(bill)
    assert bill.interest_terms["interest_enabled"] is True and bill.interest_terms["interest_rate"] == "1.00"
    assert response.get_json()["data"]["invoice_id"] == invoice["id"]
    entry = db.session.execute(select(AuditLog).filter_by(entity="bill", action="update")).scalars().one()
    assert entry.after["interest_terms"]["interest_rate"] == "1.00"


def test_interest_terms_waiting_on_a_piece_reach_its_invoice_though_add_invoice_sends_a_payment_date(
        client, jeweller, ring, buyer):
    response = client.post("/update-product", headers=jeweller.headers, content_type="multipart/form-data",
                           data={"id": str(ring.id), "interest_enabled": "true", "interest_rate": "1.25",
                                 "grace_period_enabled": "true", "grace_period_days": "15"})
    assert response.status_code == 200, response.get_json()
    form = invoice_form(ring, buyer)
    assert form["payment_date"]  # the invoice's own required field, not an interest term
    invoice = add(client, jeweller.headers, form).get_json()["data"]
    terms = db.session.get(Bill, int(invoice["id"])).interest_terms
    assert (terms["interest_enabled"], terms["interest_rate"], terms["grace_period_days"]) == (True, "1.25", 15)
    assert invoice["interest_terms"] == terms


def test_hallmarking_is_a_store_setting_the_owner_changes(jeweller):
    from services.accounts.billing_options import billing_options
    from services.accounts.store_settings import update_store_settings

    assert billing_options(jeweller.store).hallmark_mandatory is True  # default on
    update_store_settings(jeweller.owner, jeweller.store, {"hallmark_mandatory": False})
    assert billing_options(jeweller.store).hallmark_mandatory is False


def test_a_cashier_may_not_create_a_piece(client, jeweller, make_user, api_headers):
    cashier = make_user("cashier", store=jeweller.store, role="cashier")
    before = counts()
    response = client.post("/update-product", headers=api_headers(cashier), content_type="multipart/form-data",
                           data={"name": "Ring", "gross_weight": "1.000", "metal": "gold", "purity": "22K"})
    assert response.status_code == 403 and response.get_json()["message"].startswith("Failed to update product: ")
    assert counts() == before
    assert db.session.execute(select(func.count()).select_from(Product)).scalar_one() == 0


@pytest.mark.postgres_only
@pytest.mark.slow
def test_two_requests_selling_the_same_piece_at_once_make_one_invoice(app, jeweller, ring, buyer):
    """Six /add-invoice requests for one ring, released together from threads: one 201, five 400s naming the
    piece, one bill, and the ring's stock and its moves at zero."""
    from tests.test_billing_v1_races import race

    db.session.commit()
    form = invoice_form(ring, buyer)

    def post(body, headers):
        with app.test_client() as client:
            response = add(client, jeweller.headers, dict(body))
            return response.status_code, response.get_json()

    results = race(post, 6, lambda index: form)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 400, 400, 400, 400, 400], results
    refused = [body for status, body in results if status == 400]
    assert all(body["success"] is False and "Kundan Ring" in body["message"] for body in refused), refused
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Bill)).scalar_one() == 1
    moves = db.session.execute(select(func.sum(StockMove.delta)).where(StockMove.product_id == ring.id)).scalar_one()
    assert db.session.get(Product, ring.id).quantity == 0 and moves == 0
