"""Every Billing v1 endpoint against the real server: gunicorn with two workers on the migrated SQLite file."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.fixtures_billing import cash_bill, seed_bill


@pytest.mark.slow
def test_every_billing_v1_endpoint_answers_as_documented_under_gunicorn(live_shop):
    shop = live_shop
    body = seed_bill(shop.service_uid, payment_amount=56.2)
    body["payments"][0]["amount"], body["payments"][1]["amount"] = 30, 26.2
    status, first = shop.post(body, {"Idempotency-Key": "live-1"})
    # Consultation costs 100.00: base 100, 10 % off, 9 % + 9 % -> 106.20; bill discount 50 -> 56.20
    assert status == 201 and first["message"] == "Bill saved successfully", first
    assert first["data"]["items"][0]["line_total"] == 106.2
    assert first["data"]["totals"]["grand_total"] == 56.2 and first["data"]["totals"]["dues"] == 0
    assert first["data"]["invoice_number"].endswith("00001")
    assert shop.post(body, {"Idempotency-Key": "live-1"}) == (201, first)  # replayed
    assert shop.post(dict(body, discount=0), {"Idempotency-Key": "live-1"})[0] == 409
    status, saved = shop.post(cash_bill(shop.service_uid, item_type="service"), {})
    bill_id = saved["data"]["bill_id"]
    assert status == 201 and saved["data"]["invoice_number"].endswith("00002")

    status, listing = shop.get("/bills?status=unpaid&sort=amount_desc&limit=5")
    assert status == 200 and listing["data"]["total"] == 1 and listing["data"]["items"][0]["bill_id"] == bill_id
    assert shop.get("/bills?sort=sideways")[0] == 400
    status, detail = shop.get(f"/bills/{bill_id}")
    assert status == 200 and detail["data"] == saved["data"]

    status, held = shop.post(cash_bill(shop.scarce_uid, qty=2), {}, path="/bills/hold")
    assert status == 201 and held["message"] == "Bill held successfully"
    status, held_list = shop.get("/bills/held")
    assert status == 200 and held_list["data"]["held"][0]["amount_estimate"] == 20.0
    status, held_detail = shop.get(f"/bills/held/{held['data']['held_id']}")
    assert status == 200 and held_detail["data"]["held"]["payload"] == cash_bill(shop.scarce_uid, qty=2)
    assert held_detail["data"]["held"]["suggested_number"].endswith("00003")

    status, stores = shop.get("/api/v1/stores", base=shop.server.url)
    assert status == 200 and stores["data"]["stores"][0]["id"] == shop.store_uid
    status, catalog = shop.get("/catalog?q=last")
    assert status == 200 and catalog["data"]["items"][0]["stock"] == 5
    assert shop.get("/catalog?type=gadget")[0] == 400
    status, customers = shop.get("/customers?q=walk")
    assert status == 200 and customers["data"]["items"][0]["phoneNumber"] == "+919800000000"
    assert Decimal(str(saved["data"]["totals"]["dues"])) == Decimal("100.00")
