"""Every state of the till, walked in a real Chromium at 1280x800 and at 390x844 as a cashier meets them, each
photographed into test-artifacts/till-state-NN-<state>-<width>x<height>.png. In each state the element that
defines it is on the page and visible, and the page is no wider than the screen."""
from __future__ import annotations

import pytest

from tests.browser.test_pos_browser import (  # noqa: F401 (fixtures)
    CASHIER,
    demo_database,
    log_in,
    scan,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORTS = [{"width": 1280, "height": 800}, {"width": 390, "height": 844}]
SETTLED = "() => !window.posPendingChanges || window.posPendingChanges() === 0"


@pytest.fixture(params=VIEWPORTS, ids=lambda v: f"{v['width']}x{v['height']}")
def cashier(request, live_server, smtp_sink, browser, tmp_path, demo_database):  # noqa: F811
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, CASHIER, request.param)
    yield page
    context.close()


class Album:
    """Numbered screenshots of one walk; each first checks that the state shows and nothing is wider than the
    screen."""

    def __init__(self, page, folder):
        self.page, self.folder, self.count = page, folder, 0
        size = page.viewport_size
        self.size = f"{size['width']}x{size['height']}"
        self.names: list[str] = []

    def shot(self, state: str, shows: str) -> None:
        page = self.page
        page.wait_for_function(SETTLED)
        page.locator(shows).first.wait_for(state="visible")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], (state, width)
        self.count += 1
        name = f"till-state-{self.count:02d}-{state}-{self.size}.png"
        page.screenshot(path=str(self.folder / name), full_page=True)
        self.names.append(name)


def loose_item(db) -> tuple[str, str]:
    """A demo item sold by weight or volume: (name, unit)."""
    (name, unit), = db.rows("SELECT product_name, unit FROM product WHERE unit != 'pcs' AND archived = 0 "
                             "AND type = 'product' AND quantity >= 5 ORDER BY id LIMIT 1")
    return name, unit


def test_every_till_state_is_photographed_at_both_sizes(cashier, artifacts_dir):
    page = cashier
    album = Album(page, artifacts_dir)
    (first, barcode, *_), (_, barcode2, *_), (_, barcode3, *_) = page.db.products(3)
    album.shot("empty", "#pos-lines .pos-empty")

    page.click("#pos-search")
    page.keyboard.type(first[:4])
    page.wait_for_selector("#search-results .pos-result")
    album.shot("search-results", "#search-results .pos-result")

    page.fill("#pos-search", "")
    with page.expect_response(lambda r: r.url.endswith("/pos/scan")):
        page.keyboard.type("99999999999")
        page.keyboard.press("Enter")
    album.shot("scan-unknown", "text=No item has the barcode")

    page.fill("#pos-search", "")
    page.focus("#pos-search")
    for code in (barcode, barcode2, barcode3):
        scan(page, code)
    album.shot("three-lines", "#line-2")

    name, unit = loose_item(page.db)
    page.click("#pos-search")
    page.keyboard.type(name)
    page.wait_for_selector("#search-results .pos-result")
    with page.expect_response(lambda r: r.url.endswith("/pos/scan")):
        page.keyboard.press("Enter")
    page.wait_for_selector("#line-3")
    page.fill("#line-3-qty", "0.750")
    with page.expect_response(lambda r: "/pos/lines/3" in r.url):
        page.press("#line-3-qty", "Enter")
    if page.is_visible("#line-3-more"):  # a phone folds a line's details (its rate per unit) until tapped
        page.click("#line-3-more")
    album.shot("loose-item", "#line-3 .per-unit")
    assert f"/{unit}" in page.inner_text("#line-3")

    page.fill("#line-0-qty", "99999999999")
    with page.expect_response(lambda r: "/pos/lines/0" in r.url):
        page.press("#line-0-qty", "Enter")
    album.shot("line-refused", "#line-0 .field-error")
    page.fill("#line-0-qty", "2")
    with page.expect_response(lambda r: "/pos/lines/0" in r.url):
        page.press("#line-0-qty", "Enter")
    page.wait_for_function("() => !document.querySelector('#line-0 .field-error')")

    page.fill("#pos-customer-search", "a")
    page.wait_for_selector("#customer-results .pos-result")
    album.shot("customer-search", "#customer-results")

    page.click("#pos-new-customer-box summary")
    page.fill("#new-customer-name", "Meena Iyer")
    page.fill("#new-customer-phone", "12345")
    with page.expect_response(lambda r: r.url.endswith("/pos/customer/new")):
        page.click("#pos-new-customer button[type=submit]")
    album.shot("new-customer-refused", "#pos-customer .field-error")
    page.fill("#new-customer-phone", "98765 43210")
    with page.expect_response(lambda r: r.url.endswith("/pos/customer/new")):
        page.click("#pos-new-customer button[type=submit]")
    album.shot("new-customer", "#pos-customer-name")

    page.click("#pos-coupon")
    page.keyboard.type("NOSUCHCOUPON")
    page.wait_for_function("() => document.querySelector('#pos-coupon-note')?.textContent.trim()")
    album.shot("coupon-unknown", "#pos-coupon-note")
    page.fill("#pos-coupon", "")
    page.keyboard.press("Tab")
    page.wait_for_function("() => !document.querySelector('#pos-coupon-note')?.textContent.trim()")

    with page.expect_response(lambda r: r.url.endswith("/pos/payment")):
        page.check("#pay-split")
    page.wait_for_selector("#split-1-amount")
    album.shot("split-payment", "#split-1-amount")

    with page.expect_response(lambda r: r.url.endswith("/pos/payment")):
        page.check("#pay-none")
    album.shot("on-credit", "#pay-none:checked")

    with page.expect_response(lambda r: r.url.endswith("/pos/payment")):
        page.check("#pay-cash")
    page.wait_for_selector("#pos-tendered")
    page.click("#pos-tendered")
    page.keyboard.type("5000")
    page.wait_for_function("() => document.querySelector('#pos-change')?.textContent.includes('₹')")
    album.shot("cash-change", "#pos-change")

    with page.expect_response(lambda r: r.url.endswith("/pos/hold")):
        page.click("#pos-hold")
    album.shot("held", "#pos-lines .pos-empty")

    page.goto(page.server_url + "/bills/held")
    album.shot("held-list", "#held-table")
    with page.expect_response(lambda r: "/resume" in r.url):
        page.click("#held-table button:has-text('Resume')")
    page.wait_for_url("**/pos")
    album.shot("resumed", "#line-3")

    page.wait_for_function("() => !document.querySelector('#pos-save').disabled")
    with page.expect_response(lambda r: r.url.endswith("/pos/save")):
        page.click("#pos-save")
    album.shot("saved", "#pos-last-bill-link")

    with page.expect_popup() as popup:
        page.click("#pos-last-bill-receipt")
    receipt = popup.value
    receipt.wait_for_load_state()
    receipt.screenshot(path=str(artifacts_dir / f"till-state-{album.count + 1:02d}-receipt-{album.size}.png"),
                       full_page=True)
    receipt.close()

    assert len(page.db.pos_bills()) == 1
    assert album.count == 17, album.names


def test_an_unknown_scan_keeps_its_message_once_the_live_search_delay_has_passed(cashier):
    """A scanner types the digits and Enter at once; the live search's delayed look-up must not come back later
    and wipe the scan's answer off the screen."""
    page = cashier
    page.focus("#pos-search")
    with page.expect_response(lambda r: r.url.endswith("/pos/scan")):
        page.keyboard.type("99999999999", delay=5)
        page.keyboard.press("Enter")
    message = page.locator("#search-results >> text=No item has the barcode")
    message.wait_for(state="visible")
    page.wait_for_timeout(800)  # four times the live search's 200 ms delay
    assert message.is_visible()
    # Typing again searches again as before.
    page.fill("#pos-search", "")
    with page.expect_response(lambda r: "/pos/search" in r.url):
        page.keyboard.type("a")
