"""Issue 12, the next customer: Save by mouse keeps the till on the till. The last bill's panel shows the number,
the search box is focused and empty, the bill is empty, a second bill is scanned at once, and the panel's Receipt
link opens the 80 mm receipt. At 1280x800 and 390x844, against gunicorn with the demo shop."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from services.formatting import inr
from tests.browser.test_pos_browser import demo_database, scan, till_page, total_on_screen  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]

D = Decimal
READY = ("() => document.activeElement && document.activeElement.id === 'pos-search' "
         "&& document.activeElement.value === '' && document.querySelectorAll('#pos-lines tr.pos-line').length === 0")


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["1280x800", "390x844"])
def test_save_by_mouse_shows_the_last_bill_and_the_next_customer_starts_at_once(till_page, viewport, artifacts_dir):
    page = till_page
    width, height = viewport
    page.set_viewport_size({"width": width, "height": height})
    (_, first, *_), (_, second, *_) = page.db.products(2)
    scan(page, first)
    total = total_on_screen(page)
    page.fill("#pos-tendered", str(total + 50))
    page.press("#pos-tendered", "Tab")
    # The payment form answers out of band: wait for what it changes (the change due), not for one response, as
    # the keyup and the change of the same Tab may each send one.
    page.wait_for_selector("#pos-change", timeout=30000)
    page.wait_for_function("() => !document.querySelector('#pos-save').disabled")
    with page.expect_response(lambda r: r.url.endswith("/pos/save")) as answer:
        page.click("#pos-save")
    assert answer.value.status == 200
    page.wait_for_selector("#pos-last-bill-link")
    assert page.url.endswith("/pos")  # still on the till
    (bill_id, number, saved_total, _, status), = page.db.pos_bills()
    assert D(str(saved_total)).quantize(D("0.01")) == total and status == "paid"
    assert page.inner_text("#pos-last-bill-link") == number
    assert page.inner_text("#pos-last-bill-total") == inr(total)
    assert page.inner_text("#pos-last-bill-change") == inr(D(50))
    whatsapp = page.get_attribute("#pos-last-bill-whatsapp", "href")
    assert whatsapp.startswith("https://wa.me/?text=") and "%2Fdocuments%2Fshared%2F" in whatsapp
    # Ready for the next customer with no extra key: search focused and empty, the bill empty.
    page.wait_for_function(READY)
    page.screenshot(path=str(artifacts_dir / f"pos-after-save-{width}x{height}.png"), full_page=True)

    # The next bill at once: the scanner types straight into the focused box; Save still works by mouse.
    scan(page, second)
    assert page.locator("#pos-lines tr.pos-line").count() == 1
    page.wait_for_function("() => !document.querySelector('#pos-save').disabled")
    with page.expect_response(lambda r: r.url.endswith("/pos/save")):
        page.click("#pos-save")
    page.wait_for_function("n => document.querySelector('#pos-last-bill-link') && "
                           "document.querySelector('#pos-last-bill-link').innerText !== n", arg=number)
    bills = page.db.pos_bills()
    assert len(bills) == 2 and page.inner_text("#pos-last-bill-link") == bills[1][1]
    assert page.locator("#pos-last-bill-change").count() == 0  # no cash tendered this time
    page.wait_for_function(READY)

    with page.context.expect_page() as opened:
        page.click("#pos-last-bill-receipt")
    receipt = opened.value
    receipt.wait_for_load_state()
    assert re.search(rf"/documents/bills/{bills[1][0]}/receipt$", receipt.url)
    assert bills[1][1] in receipt.inner_text("body")
    assert bill_id != bills[1][0]
