"""A customer's ledger in a real Chromium against gunicorn with the demo store (issue 15): the owner finds a customer
with dues on /parties/customers, opens the ledger, is refused a payment above the dues (the message beside the
amount, HTMX), then records the dues by UPI and sees them settled oldest bill first. At 1280x800 and 390x844."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.browser.test_pos_browser import (  # noqa: F401 (fixtures)
    STORE,
    demo_database,
    log_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OWNER = "owner@demo.shop"
D = Decimal


@pytest.fixture(params=[(1280, 800), (390, 844)], ids=["desktop", "phone"])
def owner_page(request, live_server, smtp_sink, browser, tmp_path, demo_database):  # noqa: F811
    width, height = request.param
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, OWNER,
                           {"width": width, "height": height})
    yield page
    context.close()


def amount(text: str) -> D:
    return D(re.sub(r"[^\d.]", "", text))


def test_an_owner_records_a_customers_payment_from_the_ledger(owner_page, artifacts_dir):
    page = owner_page
    (party_id, name, dues), = page.db.rows(
        "SELECT b.party_id, c.name, SUM(b.due_amount) FROM bill b JOIN store s ON s.id = b.store_id "
        "JOIN customer c ON c.party_id = b.party_id WHERE s.name = ? AND b.kind = 'sale' AND b.cancelled_at IS NULL "
        "AND b.due_amount > 0 GROUP BY b.party_id, c.name ORDER BY b.party_id LIMIT 1", STORE)
    dues = D(str(dues)).quantize(D("0.01"))
    page.goto(page.server_url + "/parties/customers")
    with page.expect_response(lambda r: "/parties/customers?q=" in r.url):
        page.click("#parties-q")
        page.keyboard.type(name)
    page.click(f"#parties-results a[href$='/parties/customers/{party_id}']")
    page.wait_for_url(f"**/parties/customers/{party_id}")
    assert amount(page.inner_text("#party-dues")) == dues
    assert page.locator("#ledger tr.entry.bill").count() >= 1

    page.fill("#party-payment-amount", str(dues + 1))
    with page.expect_response(lambda r: r.url.endswith("/payments") and r.status == 422):
        page.click("#party-payment button[type=submit]")
    error = page.locator("#party-payment small.field-error[data-field='amount']")
    error.wait_for()
    assert f"more than the dues ({dues})" in error.inner_text()

    page.fill("#party-payment-amount", str(dues))
    page.select_option("#party-payment-mode", "upi")
    page.screenshot(path=str(artifacts_dir / f"party-payment-{page.viewport_size['width']}.png"), full_page=True)
    page.click("#party-payment button[type=submit]")
    page.wait_for_function("() => document.querySelector('#party-dues')?.textContent.trim() === '₹0.00'")
    assert "Payment of" in page.inner_text("#flashes")
    paid = page.db.rows("SELECT COUNT(*), SUM(p.amount) FROM payment p JOIN bill b ON b.id = p.bill_id "
                        "WHERE b.party_id = ? AND p.mode = 'upi' AND p.id > (SELECT MAX(id) - 100 FROM payment)",
                        party_id)[0]
    assert paid[0] >= 1
    assert page.db.rows("SELECT COALESCE(SUM(due_amount), 0) FROM bill WHERE party_id = ? AND cancelled_at IS NULL",
                        party_id)[0][0] == 0
