"""Issue 16 memberships in a real Chromium at 1280x800 and 390x844 (gunicorn, the demo salon): the owner makes a
plan with 10 % off services and 2 sessions of a haircut (a wrong price first: the message shows beside the field),
a cashier sells it to a customer at the till, and on the customer's next bill the haircut comes at 0 and another
service shows the membership discount; by keyboard and by mouse."""
from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from tests.browser.test_layout_browser import SALON, SALON_OWNER, add_by_name, wait_for_bills
from tests.browser.test_pos_browser import PASSWORD, demo_database, log_in, wait_for_code  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CASHIER = "cashier@demo.shop"
PLAN = "Glow Gold"
FREE, OTHER = "Haircut Basic", "Haircut Premium"  # demo services: 300.00 and 1000.00, 18 % GST


def make_salon_cashier(path: str) -> None:
    """The demo has no salon cashier: the general store's cashier is made one of the salon too."""
    with sqlite3.connect(path) as connection:
        store_id, = connection.execute("SELECT id FROM store WHERE name = ?", (SALON,)).fetchone()
        user_id, = connection.execute("SELECT id FROM user WHERE email = ?", (CASHIER,)).fetchone()
        connection.execute("INSERT INTO membership (user_id, store_id, role, created_at) "
                           "VALUES (?, ?, 'cashier', CURRENT_TIMESTAMP)", (user_id, store_id))
        connection.execute("UPDATE user SET current_store_id = ? WHERE id = ?", (store_id, user_id))


def cashier_page(browser, smtp_sink, server_url: str, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(server_url + "/login")
    page.fill("#email", CASHIER)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/login/verify")
    page.fill("#otp", wait_for_code(smtp_sink, CASHIER, 1))
    page.press("#otp", "Enter")
    page.wait_for_url(server_url + "/")
    page.goto(server_url + "/pos")
    return context, page


def choose_customer(page, name: str) -> None:
    page.click("#pos-customer-search")
    page.keyboard.type(name)
    page.wait_for_selector("#customer-results .pos-result")
    with page.expect_response(lambda r: "/pos/customer" in r.url):
        page.locator("#customer-results .pos-result").first.click()
    page.wait_for_selector("#pos-customer-name")


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}],
                         ids=["1280x800", "390x844"])
def test_a_plan_made_sold_at_the_till_and_used_on_the_next_bill(live_server, smtp_sink, browser, tmp_path,
                                                                demo_database, artifacts_dir,  # noqa: F811
                                                                viewport):
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, SALON_OWNER, viewport)
    db = page.db
    page.goto(page.server_url + "/memberships/plans")
    with page.expect_navigation():
        page.click("#new-plan")
    page.keyboard.type(PLAN)  # the name field has the focus
    page.fill("#plan-price", "five thousand")
    page.fill("#plan-validity", "180")
    page.fill("#plan-service-discount", "10")
    page.select_option("#session-service-0", label=FREE)
    page.fill("#session-count-0", "2")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Must be a number" in page.inner_text("small[data-field=price]")
    assert page.input_value("#plan-name") == PLAN  # the form keeps what was typed
    page.fill("#plan-price", "5000")
    with page.expect_navigation():
        page.click("#save-plan")
    assert PLAN in page.inner_text("#plans") and f"2 × {FREE}" in page.inner_text("#plans")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.screenshot(path=str(artifacts_dir / f"membership-plans-{viewport['width']}.png"), full_page=True)
    # A customer who bought none of the demo's plans (their own bills would carry its benefits).
    customer, = db.rows("SELECT c.name FROM customer c JOIN store s ON s.id = c.store_id WHERE s.name = ? "
                        "AND c.party_id NOT IN (SELECT party_id FROM customer_membership) ORDER BY c.id LIMIT 1",
                        SALON)[0]

    make_salon_cashier(db.path)
    till_context, till = cashier_page(browser, smtp_sink, page.server_url, viewport)
    till.db, till.server_url = db, page.server_url
    choose_customer(till, customer)
    add_by_name(till, PLAN)
    till.wait_for_function("() => !window.posPendingChanges || window.posPendingChanges() === 0")
    till.keyboard.press("F9")
    wait_for_bills(till, 1)
    (status, ends), = db.rows("SELECT status, ends_on FROM customer_membership WHERE name = ?", PLAN)
    assert status == "active"

    # The next bill: the plan shows beside the customer; the haircut is a session (its price, all of it off: 0), the
    # other service 10 % off.
    till.goto(till.server_url + "/pos")
    choose_customer(till, customer)
    plans = till.inner_text("#pos-customer-plans")
    assert PLAN in plans and f"{FREE}: 2 of 2 left" in plans
    add_by_name(till, FREE)
    add_by_name(till, OTHER)
    assert "Membership discount" in till.inner_text("#pos-lines")
    assert f"Membership session ({PLAN})" in till.inner_text("#pos-lines tr.pos-line >> nth=0")
    till.screenshot(path=str(artifacts_dir / f"membership-till-{viewport['width']}.png"), full_page=True)
    till.wait_for_function("() => !window.posPendingChanges || window.posPendingChanges() === 0")
    till.keyboard.press("F9")
    wait_for_bills(till, 2)
    (bill_id, _, total, *_) = db.pos_bills()[-1]
    lines = db.rows("SELECT name, rate, membership_discount, line_total FROM bill_item WHERE bill_id = ? "
                    "ORDER BY line_no", bill_id)
    assert [(name, Decimal(str(rate)), Decimal(str(off)), Decimal(str(amount))) for name, rate, off, amount
            in lines] == [(FREE, Decimal("300"), Decimal("300"), 0), (OTHER, Decimal("1000"), Decimal("100"),
                                                                          Decimal("1062"))]
    assert Decimal(str(total)) == Decimal("1062")
    assert db.rows("SELECT qty FROM membership_session WHERE bill_id = ?", bill_id) == [(1,)]
    till_context.close()

    # The owner sees the bill's membership discount, and the plan with one session left on the customer's page.
    page.goto(page.server_url + f"/bills/{bill_id}")
    assert "Membership discount" in page.inner_text("main")
    assert f"Membership session ({PLAN})" in page.inner_text("#bill-lines")
    party_id, = db.rows("SELECT party_id FROM customer_membership WHERE name = ?", PLAN)[0]
    page.goto(page.server_url + f"/parties/customers/{party_id}")
    assert f"{FREE}: 1 of 2 left" in page.inner_text("#memberships")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    context.close()
