"""Fixtures for the billing tests: a store with an owner, a catalogue, and Billing v1 request bodies."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from decimal import Decimal
from typing import Any, Optional

import pytest
from sqlalchemy import create_engine, text

from extensions import db

UNITS = 5  # stock of the "Last Units" product in the live shop


@pytest.fixture
def billing_shop(app, make_user, make_product, api_headers):
    """A store, its owner's Bearer headers, and a catalogue: a 1000.00 service and a stocked product."""
    from services.accounts.access import current_store_for

    owner = make_user("biller")
    store = current_store_for(owner)
    haircut = make_product(store, "Haircut Premium", unit_price="1000.00", type="service")
    shampoo = make_product(store, "Shampoo 200ml", unit_price="250.00", quantity=10, sku="SH-200",
                           barcode="8901234567890")

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


class LiveShop:
    """Data put into the live server's database from this process, and an HTTP poster for it."""

    def __init__(self, server):
        from app import create_app
        from config import Config
        from services.accounts.stores import create_owner
        from services.accounts.tokens import issue_access
        from services.catalog import stock
        from services.catalog.products import ProductInput, create_product

        class LiveConfig(Config):
            def __init__(self):
                super().__init__()
                self.SQLALCHEMY_DATABASE_URI = server.database_url
                from config import engine_options
                self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(server.database_url)
                self.SECRET_KEY = server.env["SECRET_KEY"]
                self.INSTANCE_PATH = str(server.instance_path)

        self.server = server
        self.app = create_app(LiveConfig)
        with self.app.app_context():
            owner, store = create_owner("liveowner", "live@example.com", "Password123!", store_name="Live",
                                        verified=True)
            service = create_product(store, owner, ProductInput.of(product_name="Consultation", type="service",
                                                                   unit_price=Decimal(100)))
            scarce = create_product(store, owner, ProductInput.of(product_name="Last Units", unit_price=Decimal(10)))
            stock.add({scarce: UNITS}, reason="import")
            db.session.commit()
            self.token = issue_access(owner)
            self.store_uid, self.service_uid = store.uid, service.uid
            self.scarce_uid, self.scarce_id = scarce.uid, scarce.id
            db.session.remove()
            db.engine.dispose()
        self.url = f"{server.url}/api/v1/billing/{self.store_uid}"

    def post(self, body, headers, path: str = "/bills"):
        return self.request("POST", path, body, headers)

    def get(self, path: str, base: Optional[str] = None):
        return self.request("GET", path, None, {}, base)

    def request(self, method: str, path: str, body, headers, base: Optional[str] = None):
        request = urllib.request.Request(
            (base or self.url) + path, data=None if body is None else json.dumps(body).encode(), method=method,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}", **headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def scalar(self, sql: str, **params):
        engine = create_engine(self.server.database_url)
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql), params).scalar_one()
        finally:
            engine.dispose()


@pytest.fixture
def live_shop(live_server):
    shop = LiveShop(live_server(workers=3))
    yield shop
    log = shop.server.log()
    assert "database is locked" not in log
    assert "Traceback" not in log
