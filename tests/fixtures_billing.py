"""Fixtures for the billing tests: a store with an owner, a catalogue, and Billing v1 request bodies."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest


@pytest.fixture
def billing_shop(app, make_user, make_product, api_headers):
    """A store, its owner's Bearer headers, and a catalogue: a 1000.00 service and a stocked product."""
    from services.access import current_store_for

    owner = make_user("biller")
    store = current_store_for(owner)
    haircut = make_product(store, "Haircut Premium", unit_price="1000.00", type="service")
    shampoo = make_product(store, "Shampoo 200ml", unit_price="250.00", quantity=10, sku="SH-200", barcode="8901234567890")

    class Shop:
        pass

    shop = Shop()
    shop.store, shop.owner, shop.haircut, shop.shampoo = store, owner, haircut, shampoo
    shop.headers = api_headers(owner)
    shop.url = f"/api/v1/billing/{store.uid}"
    return shop


def seed_bill(item_id: str, **overrides: Any) -> dict[str, Any]:
    """The seed's worked example: 1000.00 at 10 %, 9 % + 9 %, bill discount 50, split 612 + 400."""
    body: dict[str, Any] = {
        "customer": {"name": "John Doe", "gender": "Male", "contact_no": "+919876543210", "address": "123 Main St"},
        "referral_code": "REF123",
        "items": [{"line_no": 1, "type": "service", "id": item_id, "staff_id": None, "qty": 1,
                   "discount_type": "percent", "discount_value": 10, "cgst": 9, "sgst": 9}],
        "discount": 50.00,
        "payment_mode": "split",
        "payment_amount": 1012.00,
        "payments": [
            {"mode": "upi", "amount": 612.00, "reference": "UPI-TXN-123", "timestamp": "2025-09-26T11:30:00.000Z"},
            {"mode": "cash", "amount": 400.00, "reference": None, "timestamp": "2025-09-26T11:31:00.000Z"},
        ],
        "billing_timestamp": "2025-09-26T11:29:00.000Z",
        "payment_timestamp": "2025-09-26T11:31:00.000Z",
    }
    body.update(overrides)
    return body


def cash_bill(item_id: str, qty: int = 1, item_type: str = "product", **overrides: Any) -> dict[str, Any]:
    """An unpaid bill of one line, no discount."""
    body: dict[str, Any] = {
        "customer": {"name": "Walk In", "contact_no": "+919800000000"},
        "items": [{"line_no": 1, "type": item_type, "id": item_id, "qty": qty, "discount_type": "flat",
                   "discount_value": 0, "cgst": 0, "sgst": 0}],
        "payment_mode": "none", "payment_amount": 0, "payments": [],
        "billing_timestamp": "2025-09-26T11:29:00.000Z",
    }
    body.update(overrides)
    return body


D = Decimal
