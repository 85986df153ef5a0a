"""The salon's staff and wallet in a real Chromium against gunicorn with the demo shops (issue 16): a manager (the
demo owner, manager of the salon) switches to the salon, adds a stylist on /staff by mouse, tops up a customer's
wallet on their page by keyboard; the cashier (given a cashier's place in the salon) bills a service with that stylist
paid by wallet, seeing the wallet balance beside the payment mode; the bill page shows the stylist. At 1280x800 and
390x844."""
from __future__ import annotations

import re
import sqlite3
from decimal import Decimal

import pytest

from services.formatting import inr
from tests.browser.test_layout_browser import SALON, add_by_name, show_details, wait_for_bills
from tests.browser.test_pos_browser import (  # noqa: F401 (fixtures)
    PASSWORD,
    demo_database,
    log_in,
    wait_for_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MANAGER, CASHIER = "owner@demo.shop", "cashier@demo.shop"
STYLIST = "Kavya Browser"
D = Decimal


def switch_to(page, store_id: int, store: str) -> None:
    """The store switcher in the nav: choose the store, the page reloads in it."""
    with page.expect_navigation():
        page.select_option("#store-switch", value=str(store_id))
    assert store in page.inner_text("nav")


def second_login(browser, server_url: str, smtp_sink, email: str, viewport) -> tuple:
    """Another user's browser on the same server: password, then the mailed code."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(server_url + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/login/verify")
    page.fill("#otp", wait_for_code(smtp_sink, email, 1))
    page.press("#otp", "Enter")
    page.wait_for_url(server_url + "/")
    return context, page


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["1280x800", "390x844"])
def test_manager_adds_a_stylist_tops_up_and_the_cashier_bills_by_wallet(live_server, smtp_sink, browser, tmp_path,
                                                                        demo_database, viewport, artifacts_dir):
    width, height = viewport
    size = {"width": width, "height": height}
    context, manager = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, MANAGER, size)
    db = manager.db
    (salon_id,), = db.rows("SELECT id FROM store WHERE name = ?", SALON)
    # A customer with none of the demo's plans (a plan's discount would change the bill's total).
    (party_id, customer), = db.rows("SELECT party_id, name FROM customer WHERE store_id = ? AND party_id NOT IN "
                                    "(SELECT party_id FROM customer_membership) ORDER BY id LIMIT 1", salon_id)
    service, price = db.rows("SELECT product_name, unit_price FROM product WHERE store_id = ? AND type = 'service' "
                             "AND unit_price < 1000 AND archived = 0 ORDER BY id LIMIT 1", salon_id)[0]
    # The demo cashier works at the general store only: give them a cashier's place in the salon too.
    with sqlite3.connect(db.path) as connection:
        (cashier_id,), = connection.execute("SELECT id FROM user WHERE email = ?", (CASHIER,)).fetchall()
        connection.execute("INSERT INTO membership (user_id, store_id, role, created_at) VALUES (?, ?, 'cashier', "
                           "'2026-11-27 09:00:00.000000')", (cashier_id, salon_id))

    # The manager: the salon, /staff, a new stylist by mouse.
    switch_to(manager, salon_id, SALON)
    manager.goto(manager.server_url + "/staff")
    manager.click("#staff-name")
    manager.keyboard.type(STYLIST)
    manager.fill("#staff-phone", "98111 22233")
    manager.select_option("#staff-role", "stylist")
    with manager.expect_navigation():
        manager.click("#staff-save")
    assert STYLIST in manager.inner_text("#staff-list")
    manager.screenshot(path=str(artifacts_dir / f"salon-staff-{width}x{height}.png"), full_page=True)

    # The customer's page: a top-up of 2000 in cash, typed and sent with Enter.
    manager.goto(f"{manager.server_url}/parties/customers/{party_id}")
    before = D(re.sub(r"[^\d.]", "", manager.inner_text("#wallet-balance")))
    manager.select_option("#wallet-pay-mode", "cash")
    manager.click("#wallet-amount")
    manager.keyboard.type("2000")
    with manager.expect_navigation():
        manager.keyboard.press("Enter")
    assert manager.inner_text("#wallet-balance") == inr(before + 2000)
    assert "Top-up (Cash)" in manager.inner_text("#wallet-entries")
    manager.screenshot(path=str(artifacts_dir / f"salon-wallet-{width}x{height}.png"), full_page=True)

    # The cashier: the salon's till, the service, the new stylist, the customer, the wallet, Save by mouse.
    cashier_context, till = second_login(browser, manager.server_url, smtp_sink, CASHIER, size)
    switch_to(till, salon_id, SALON)
    till.goto(manager.server_url + "/pos")
    till.db = db
    add_by_name(till, service)
    show_details(till, 0)
    assert STYLIST in till.inner_text("#line-0-staff")
    with till.expect_response(lambda r: "/pos/lines/0" in r.url):
        till.select_option("#line-0-staff", label=STYLIST)
    till.fill("#pos-customer-search", customer)
    till.wait_for_selector("#customer-results .pos-result")
    with till.expect_response(lambda r: r.url.endswith("/pos/customer")):
        till.click("#customer-results .pos-result >> nth=0")
    till.wait_for_selector("#pos-wallet-balance")
    assert inr(before + 2000) in till.inner_text("#pos-wallet-balance")
    till.click("label.mode:has(#pay-wallet)")
    till.wait_for_function("() => document.querySelector('#pay-wallet').checked")
    till.wait_for_function("() => !window.posPendingChanges || window.posPendingChanges() === 0")
    assert till.locator("#pos-wallet-note").count() == 0  # the balance holds the bill
    till.screenshot(path=str(artifacts_dir / f"salon-till-wallet-{width}x{height}.png"), full_page=True)
    till.wait_for_function("() => !document.querySelector('#pos-save').disabled")
    with till.expect_response(lambda r: r.url.endswith("/pos/save")) as answer:
        till.click("#pos-save")
    assert answer.value.status == 200
    wait_for_bills(till, 1)
    (bill_id, number, total, paid, status), = db.pos_bills()
    total = D(str(total)).quantize(D("0.01"))
    assert status == "paid" and total == (D(str(price)) * D("1.18")).quantize(D("0.01"))
    assert db.rows("SELECT mode FROM payment WHERE bill_id = ?", bill_id) == [("wallet",)]
    (left,), = db.rows("SELECT wallet_balance FROM customer WHERE party_id = ?", party_id)
    assert D(str(left)).quantize(D("0.01")) == before + 2000 - total

    till.goto(f"{manager.server_url}/bills/{bill_id}")
    assert f"by {STYLIST}" in till.inner_text("main")
    till.screenshot(path=str(artifacts_dir / f"salon-bill-stylist-{width}x{height}.png"), full_page=True)
    cashier_context.close()
    context.close()
