"""Purchases in a real Chromium against gunicorn with the demo store (issue 14): the owner enters a supplier's bill
with the mouse (search a product, click it, type qty and cost, pick the GST rate and the supplier, type the
supplier's invoice number), saves, lands on the purchase page, and sees the stock risen in the product search.
At 1280x800 and 390x844."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.browser.test_pos_browser import (  # noqa: F401 (fixtures)
    STORE,
    demo_database,
    log_in,
    settled,
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


def stock_in_results(page, product_id: int) -> Decimal:
    text = page.inner_text(f"button.purchase-result[data-product-id='{product_id}']")
    return D(re.search(r"([\d.]+) in stock", text).group(1))


def test_a_purchase_entered_with_the_mouse_raises_stock(owner_page, artifacts_dir):
    page = owner_page
    (product_id, name, before), = page.db.rows(
        "SELECT p.id, p.product_name, p.quantity FROM product p JOIN store s ON s.id = p.store_id "
        "WHERE s.name = ? AND p.type = 'product' AND p.unit = 'pcs' AND p.archived = 0 ORDER BY p.id LIMIT 1", STORE)
    (supplier_party, supplier_name), = page.db.rows(
        "SELECT su.party_id, su.name FROM supplier su JOIN store s ON s.id = su.store_id WHERE s.name = ? "
        "ORDER BY su.id LIMIT 1", STORE)
    page.goto(page.server_url + "/purchases")
    page.click("#new-purchase")
    page.wait_for_url("**/purchases/new")

    with page.expect_response(lambda r: "/purchases/products" in r.url):
        page.click("#purchase-code")
        page.keyboard.type(name[:12])
    button = page.locator(f"button.purchase-result[data-product-id='{product_id}']")
    button.wait_for()
    assert stock_in_results(page, product_id) == D(str(before))
    with page.expect_response(lambda r: r.url.endswith("/purchases/new/lines")):
        button.click()
    page.wait_for_selector(f"tr.purchase-line[data-product-id='{product_id}']")
    settled(page)

    with page.expect_response(lambda r: r.url.endswith("/purchases/new/lines")):
        page.click("#line-0-qty")
        page.fill("#line-0-qty", "12")
        page.click("#line-0-cost")  # leaving the box re-prices the lines
    settled(page)
    with page.expect_response(lambda r: r.url.endswith("/purchases/new/lines")):
        page.fill("#line-0-cost", "10.50")
        page.select_option("#line-0-gst", "18")
    # 12 x 10.50 = 126.00 + 18 % = 148.68
    page.wait_for_function("() => document.querySelector('#purchase-total')?.textContent.includes('148.68')")

    page.select_option("#supplier-id", str(supplier_party))
    page.click("#supplier-invoice-no")
    page.fill("#supplier-invoice-no", "SUP-INV-42")
    page.screenshot(path=str(artifacts_dir / f"purchase-new-{page.viewport_size['width']}.png"), full_page=True)
    page.click("#save-purchase")
    page.wait_for_url(re.compile(r".*/purchases/\d+$"))
    text = page.inner_text("main")
    assert "SUP-INV-42" in text and supplier_name in text and "148.68" in text
    assert re.search(r"PUR\d+", page.inner_text("#purchase-number"))
    owed = page.inner_text("#purchase-owed")
    assert "148.68" in owed
    width = page.viewport_size["width"]
    page.screenshot(path=str(artifacts_dir / f"purchase-page-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1

    (after, last_cost), = page.db.rows("SELECT quantity, last_cost FROM product WHERE id = ?", product_id)
    assert D(str(after)) == D(str(before)) + 12 and D(str(last_cost)) == D("10.5")
    # ... and the stock on screen has risen too
    page.click("text=New purchase")
    page.wait_for_url("**/purchases/new")
    with page.expect_response(lambda r: "/purchases/products" in r.url):
        page.click("#purchase-code")
        page.keyboard.type(name[:12])
    page.locator(f"button.purchase-result[data-product-id='{product_id}']").wait_for()
    assert stock_in_results(page, product_id) == D(str(before)) + 12
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1  # nothing spills off the screen
