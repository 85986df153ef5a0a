"""Billing v1 returns (POST .../bills/<billId>/returns) over HTTP: the credit note's amounts to the paisa, the bill
detail's credit notes, refusals in Billing v1's envelope with nothing written, roles, 404s and Idempotency-Key."""
from __future__ import annotations

from decimal import Decimal

import pytest
import simplejson
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, Bill, BillItem, CreditNote, CreditNoteItem, IdempotencyRecord, InvoiceCounter, StockMove
from tests.fixtures_billing import cash_bill

D = Decimal


def body_of(response) -> dict:
    return simplejson.loads(response.data, use_decimal=True)


def counts() -> tuple:
    db.session.expire_all()
    rows = tuple(db.session.execute(select(func.count()).select_from(m)).scalar_one()
                 for m in (CreditNote, CreditNoteItem, StockMove, AuditLog, InvoiceCounter, IdempotencyRecord))
    returned = db.session.execute(select(func.sum(BillItem.returned_qty))).scalar_one()
    money = db.session.execute(select(func.sum(Bill.credited_amount), func.sum(Bill.due_amount))).one()
    return (*rows, returned, *money)


@pytest.fixture
def sold(client, billing_shop):
    """3 shampoos at 250.00 (9 % + 9 %) less a 10.00 bill discount, 500.00 paid by UPI:
    base 750.00, CGST 67.50, SGST 67.50, line total 885.00, grand total 875.00, dues 375.00."""
    shop = billing_shop
    body = cash_bill(shop.shampoo.uid, qty=3, discount=10, payment_mode="upi", payment_amount=500,
                     payments=[{"mode": "upi", "amount": 500, "timestamp": "2025-09-26T11:30:00Z"}])
    body["items"][0].update(cgst=9, sgst=9)
    response = client.post(f"{shop.url}/bills", json=body, headers=shop.headers)
    assert response.status_code == 201, response.data
    shop.bill = body_of(response)["data"]
    assert (shop.bill["totals"]["grand_total"], shop.bill["totals"]["dues"]) == (D("875.00"), D("375.00"))
    shop.returns_url = f"{shop.url}/bills/{shop.bill['bill_id']}/returns"
    return shop


def test_a_partial_return_answers_201_with_the_credit_note_to_the_paisa(client, sold):
    response = client.post(sold.returns_url, json={"items": [{"line_no": 1, "qty": 1}], "refund_mode": "cash",
                                                   "reason": "Leaking cap"}, headers=sold.headers)
    assert response.status_code == 201, response.data
    body = body_of(response)
    assert (body["success"], body["message"]) == (True, "Credit note created")
    data = body["data"]
    assert data["number"].startswith("CN") and data["number"].endswith("00001")
    assert (data["bill_id"], data["invoice_number"]) == (sold.bill["bill_id"], sold.bill["invoice_number"])
    assert data["items"] == [{
        "line_no": 1, "name": "Shampoo 200ml", "qty": 1, "unit": "pcs", "rate": D("250.00"),
        "taxable_amount": D("250.00"), "cgst_rate": D("9.00"), "cgst_amount": D("22.50"), "sgst_rate": D("9.00"),
        "sgst_amount": D("22.50"), "igst_rate": D("0.00"), "igst_amount": D("0.00"), "line_total": D("295.00"),
        "membership_discount": D("0.00")}]
    # 10.00 x 295 / 885 = 3.33 of the bill discount; 291.67 credited, all of it off the 375.00 dues
    assert data["totals"] == {
        "sub_total": D("295.00"), "discount": D("3.33"), "taxable_amount": D("250.00"), "cgst_amount": D("22.50"),
        "sgst_amount": D("22.50"), "igst_amount": D("0.00"), "tax_amount": D("45.00"), "round_off": D("0.00"),
        "grand_total": D("291.67"), "refund_amount": D("0.00"), "dues_reduced": D("291.67")}
    assert data["refund_mode"] == "none" and data["reason"] == "Leaking cap"
    assert data["bill"] == {"status": "partial", "dues": D("83.33"), "credited": D("291.67"), "refunded": D("0.00")}

    detail = body_of(client.get(f"{sold.url}/bills/{sold.bill['bill_id']}", headers=sold.headers))["data"]
    assert detail["credit_notes"] == [{"id": data["credit_note_id"], "number": data["number"],
                                       "grand_total": D("291.67"), "created_at": data["created_at"]}]
    assert (detail["totals"]["credited"], detail["totals"]["refunded"], detail["totals"]["dues"]) == (
        D("291.67"), D("0.00"), D("83.33"))
    assert detail["status"] == "partial"


def test_returning_the_rest_refunds_past_the_dues_and_the_notes_add_up_to_the_bill(client, sold):
    first = client.post(sold.returns_url, json={"items": [{"line_no": 1, "qty": 1}]}, headers=sold.headers)
    assert first.status_code == 201
    rest = client.post(sold.returns_url, json={"items": [{"line_no": 1, "qty": "2"}], "refund_mode": "upi"},
                       headers=sold.headers)
    assert rest.status_code == 201, rest.data
    totals = body_of(rest)["data"]["totals"]
    # the remainder of the line: 500.00 + 45.00 + 45.00; discount 10.00 - 3.33
    assert (totals["sub_total"], totals["discount"], totals["grand_total"]) == (D("590.00"), D("6.67"), D("583.33"))
    assert (totals["dues_reduced"], totals["refund_amount"]) == (D("83.33"), D("500.00"))
    detail = body_of(client.get(f"{sold.url}/bills/{sold.bill['bill_id']}", headers=sold.headers))["data"]
    assert sum(n["grand_total"] for n in detail["credit_notes"]) == D("875.00")
    assert (detail["totals"]["dues"], detail["totals"]["refunded"], detail["status"]) == (D("0.00"), D("500.00"),
                                                                                          "paid")
    assert db.session.get(type(sold.shampoo), sold.shampoo.id).quantity == 10


@pytest.mark.parametrize("payload, field, message", [
    ({"items": [{"line_no": 1, "qty": 4}]}, "items[0].qty", "Only 3 of line 1 (Shampoo 200ml) left to return"),
    ({"items": [{"line_no": 1, "qty": 0}]}, "items[0].qty", "Must be greater than 0"),
    ({"items": [{"line_no": 1, "qty": -1}]}, "items[0].qty", "Must be greater than 0"),
    ({"items": [{"line_no": 1, "qty": 1.5}]}, "items[0].qty", "Quantity must be a whole number of at least 1"),
    ({"items": [{"line_no": 1, "qty": "x"}]}, "items[0].qty", "Must be a number"),
    ({"items": [{"line_no": 1, "qty": True}]}, "items[0].qty", "Must be a number"),
    ({"items": [{"line_no": 2, "qty": 1}]}, "items[0].line_no", "The bill has no line 2"),
    ({"items": [{"line_no": 1}]}, "items[0].qty", "This field is required"),
    ({"items": [{"line_no": 1, "qty": 1, "price": 5}]}, "items[0].price", "Unknown field"),
    ({"items": [{"line_no": 1, "qty": 1}], "refund": "cash"}, "refund", "Unknown field"),
    ({"items": []}, "items", "Must be a non-empty list"),
    ({"items": "1"}, "items", "Must be a non-empty list"),
    ({"refund_mode": "cash"}, "items", "This field is required"),
    ({"items": [{"line_no": 1, "qty": 1}], "refund_mode": "bank"}, "refund_mode", "Must be one of"),
    ({"items": [{"line_no": 1, "qty": 1}], "reason": 5}, "reason", "Must be a string"),
    ({"items": [{"line_no": 1, "qty": 3}]}, "refund_mode", "is to be paid back"),
])
def test_bad_returns_are_400s_naming_the_field_with_nothing_written(client, sold, payload, field, message):
    before = counts()
    response = client.post(sold.returns_url, json=payload, headers={**sold.headers, "Idempotency-Key": "k1"})
    assert response.status_code == 400, response.data
    body = body_of(response)
    assert body["success"] is False and message in body["errors"][field][0], body
    assert counts() == before


def test_a_cancelled_bill_and_a_purchase_cannot_be_returned(client, sold):
    from services.billing import bills as billing

    bill = db.session.execute(select(Bill).filter_by(uid=sold.bill["bill_id"])).scalar_one()
    billing.cancel_bill(sold.store, sold.owner, bill, "mistake")
    purchase = billing.save_bill(sold.store, sold.owner, billing.BillDraft(
        lines=[billing.DraftLine(product=sold.shampoo, qty=2)], kind="purchase"))
    db.session.commit()
    before = counts()
    response = client.post(sold.returns_url, json={"items": [{"line_no": 1, "qty": 1}]}, headers=sold.headers)
    assert response.status_code == 400
    assert body_of(response)["errors"] == {"bill": ["This bill is cancelled; a cancelled bill cannot be returned"]}
    response = client.post(f"{sold.url}/bills/{purchase.uid}/returns", json={"items": [{"line_no": 1, "qty": 1}]},
                           headers=sold.headers)
    assert response.status_code == 400
    assert body_of(response)["errors"] == {"bill": ["Only a sale can be returned; this bill is a purchase"]}
    assert counts() == before


def test_another_stores_bill_and_a_missing_bill_are_404_as_on_get(client, sold, make_product, api_headers,
                                                                  make_user):
    from services.accounts.access import current_store_for

    other_owner = make_user("other")
    other_store = current_store_for(other_owner)
    other_item = make_product(other_store, "Theirs", quantity=5)
    theirs = client.post(f"/api/v1/billing/{other_store.uid}/bills", json=cash_bill(other_item.uid),
                         headers=api_headers(other_owner))
    other_bill = body_of(theirs)["data"]["bill_id"]
    before = counts()
    for bill_id in (other_bill, "00000000-0000-4000-8000-000000000000", "not-a-uuid"):
        got = client.get(f"{sold.url}/bills/{bill_id}", headers=sold.headers)
        posted = client.post(f"{sold.url}/bills/{bill_id}/returns", json={"items": [{"line_no": 1, "qty": 1}]},
                             headers=sold.headers)
        assert (posted.status_code, body_of(posted)) == (got.status_code, body_of(got)) == (
            404, {"success": False, "message": "Bill not found"})
    assert counts() == before


def test_a_cashier_may_not_return_and_a_manager_may(client, sold, make_user, api_headers):
    cashier = make_user("till", store=sold.store, role="cashier")
    manager = make_user("boss", store=sold.store, role="manager")
    before = counts()
    refused = client.post(sold.returns_url, json={"items": [{"line_no": 1, "qty": 1}]}, headers=api_headers(cashier))
    assert refused.status_code == 403 and body_of(refused)["success"] is False
    assert counts() == before
    done = client.post(sold.returns_url, json={"items": [{"line_no": 1, "qty": 1}]}, headers=api_headers(manager))
    assert done.status_code == 201


def test_the_same_idempotency_key_replays_the_same_credit_note(client, sold):
    headers = {**sold.headers, "Idempotency-Key": "return-1"}
    payload = {"items": [{"line_no": 1, "qty": 1}], "refund_mode": "cash"}
    first = client.post(sold.returns_url, json=payload, headers=headers)
    again = client.post(sold.returns_url, json=payload, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true" and again.data == first.data
    assert db.session.execute(select(func.count()).select_from(CreditNote)).scalar_one() == 1
    assert db.session.execute(select(func.sum(BillItem.returned_qty))).scalar_one() == 1
    other = client.post(sold.returns_url, json={**payload, "reason": "changed"}, headers=headers)
    assert other.status_code == 409
