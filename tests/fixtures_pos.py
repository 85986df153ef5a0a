"""Fixtures for the till and bills page tests: a store with a cashier, a manager and a small catalogue."""
from __future__ import annotations

from types import SimpleNamespace

import pytest


@pytest.fixture
def till_shop(app, make_user, make_product):
    """A store (UPI id set) with an owner, a manager and a cashier, and three stocked items with barcodes."""
    from services.accounts.access import current_store_for

    owner = make_user("tillowner", store_name="Asha General Store", upi_id="asha@okicici")
    store = current_store_for(owner)
    shop = SimpleNamespace(store=store, owner=owner)
    shop.cashier = make_user("tillcashier", store=store, role="cashier")
    shop.manager = make_user("tillmanager", store=store, role="manager")
    shop.salt = make_product(store, "Tata Salt 1kg", unit_price="28.00", quantity=50, sku="SALT-1",
                             barcode="8901234500011", cgst_rate="2.5", sgst_rate="2.5")
    shop.butter = make_product(store, "Amul Butter 500g", unit_price="285.00", quantity=5, sku="BUT-500",
                               barcode="8901234500028", cgst_rate="6", sgst_rate="6")
    shop.soap = make_product(store, "Lux Soap 100g", unit_price="40.00", quantity=30, sku="LUX-100",
                             barcode="8901234500035", cgst_rate="9", sgst_rate="9")
    return shop


def sign_in(client, user) -> None:
    """A signed-in browser session for this user (what the password and mailed code steps end in)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
