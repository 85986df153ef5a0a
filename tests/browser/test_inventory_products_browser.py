"""The inventory's products page in a real Chromium against gunicorn with the demo shop, at 1280x800 and 390x844: the
demo owner adds a product through the form with the mouse, finds it with the live search (the URL follows), and
edits its price in the row; no page is wider than the screen. Screenshots go to test-artifacts/."""
from __future__ import annotations

import pytest

from tests.browser.test_pos_browser import demo_database, log_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OWNER = "owner@demo.shop"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def owner_page(request, live_server, smtp_sink, browser, tmp_path, demo_database):  # noqa: F811
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, OWNER, request.param)
    page.viewport = request.param
    yield page
    context.close()


def width_problem(page, name: str, artifacts_dir) -> list:
    """[] when the page is no wider than its screen; a screenshot either way."""
    size = f"{page.viewport['width']}x{page.viewport['height']}"
    page.screenshot(path=str(artifacts_dir / f"inventory-{name}-{size}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    return [] if width <= page.viewport["width"] else [(name, width)]


def test_owner_adds_a_product_finds_it_live_and_edits_its_price_in_the_row(owner_page, artifacts_dir):
    page, base, wider = owner_page, owner_page.server_url, []
    page.goto(base + "/inventory")
    wider += width_problem(page, "products", artifacts_dir)
    page.click("#add-product")
    page.wait_for_url("**/inventory/new")
    page.click("#name")
    page.keyboard.type("Browser Badam Pista 200g")
    page.click("#price")
    page.keyboard.type("149.50")
    page.click("#gst_rate")
    page.keyboard.type("12")
    page.click("#sku")
    page.keyboard.type("BRW-BP-200")
    page.click("#barcode")
    page.keyboard.type("8909999000017")
    page.click("#hsn")
    page.keyboard.type("0802")
    page.click("#opening_stock")
    page.keyboard.type("24")
    page.click("#low_stock")
    page.keyboard.type("6")
    wider += width_problem(page, "product-form", artifacts_dir)
    page.click("#save-product")
    page.wait_for_url("**/inventory?q=BRW-BP-200")
    row = page.locator("#inventory-results tbody tr")
    assert row.count() == 1 and "Browser Badam Pista 200g" in row.inner_text() and "24 pcs" in row.inner_text()
    assert page.db.rows("SELECT unit_price, cgst_rate, sgst_rate, quantity, low_stock_threshold FROM product "
                        "WHERE sku = 'BRW-BP-200'") == [(149.5, 6, 6, 24, 6)]

    page.goto(base + "/inventory")
    with page.expect_response(lambda r: "/inventory?q=badam&" in r.url):
        page.locator("#inventory-q").press_sequentially("badam")
    page.wait_for_function("() => document.querySelectorAll('#inventory-results tbody tr').length === 1")
    assert "Browser Badam Pista 200g" in page.inner_text("#inventory-results")
    assert "q=badam" in page.url
    wider += width_problem(page, "search", artifacts_dir)

    row = page.locator("#inventory-results tbody tr").first
    row.locator("a.edit-row").click()
    price = page.locator("#inventory-results form.row-form input[name=price]")
    price.wait_for()
    wider += width_problem(page, "row-edit", artifacts_dir)
    price.click()
    price.fill("-3")
    page.click("#inventory-results button.save-row")
    page.wait_for_selector("#inventory-results .row-form .field-error")
    assert "cannot be negative" in page.inner_text("#inventory-results .row-form")
    price = page.locator("#inventory-results form.row-form input[name=price]")
    price.click()
    price.fill("155")
    page.click("#inventory-results button.save-row")
    page.wait_for_function("() => !document.querySelector('#inventory-results form.row-form')")
    assert "₹155.00" in page.inner_text("#inventory-results tbody tr")
    assert page.db.rows("SELECT unit_price, quantity FROM product WHERE sku = 'BRW-BP-200'") == [(155, 24)]
    assert "q=badam" in page.url  # the inline edit did not move the address bar
    wider += width_problem(page, "row-saved", artifacts_dir)
    assert wider == []
