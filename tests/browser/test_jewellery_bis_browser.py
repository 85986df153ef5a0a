"""The demo jeweller in a real Chromium (1280x800 and 390x844) against gunicorn: a saved jewellery bill's page shows
the BIS row of its piece (HUID, purity, weights, rate, making), and a gold piece added without its HUID is flagged
on the pieces list (which filters to such pieces) and on its page until the HUID is typed in. Screenshots go to
test-artifacts/."""
from __future__ import annotations

import pytest

from tests.browser.test_pos_browser import demo_database, log_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JEWELLER = "jeweller@demo.shop"
VIEWPORTS = [{"width": 1280, "height": 800}, {"width": 390, "height": 844}]
IDS = ["1280x800", "390x844"]
AWAITING = "cannot be sold until its HUID is entered"


@pytest.fixture(params=VIEWPORTS, ids=IDS)
def jeweller_page(request, live_server, smtp_sink, browser, tmp_path, demo_database):  # noqa: F811
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, JEWELLER, request.param)
    page.viewport = request.param
    yield page
    context.close()


def shot(page, name: str, artifacts_dir) -> int:
    """A full-page screenshot; how much wider than the screen the page is (0 when it fits)."""
    size = f"{page.viewport['width']}x{page.viewport['height']}"
    page.screenshot(path=str(artifacts_dir / f"jewellery-bis-{name}-{size}.png"), full_page=True)
    return max(0, page.evaluate("document.documentElement.scrollWidth") - page.viewport["width"])


def test_the_bill_page_shows_the_bis_row_and_the_pieces_list_flags_gold_without_a_huid(jeweller_page,
                                                                                         artifacts_dir):
    page, base = jeweller_page, jeweller_page.server_url
    # A demo bill saved through save_bill: its first hallmarked piece, as the engine kept it on the line.
    [(bill_id, number, name, huid, gross, net, rate, making)] = page.db.rows(
        "SELECT b.id, b.invoice_number, i.name, i.huid, i.gross_weight, i.net_weight, i.metal_rate, "
        "i.making_charge FROM bill_item i JOIN bill b ON b.id = i.bill_id JOIN store s ON s.id = b.store_id "
        "WHERE s.name = 'Lakshmi Jewellers' AND i.huid IS NOT NULL ORDER BY b.id DESC, i.line_no LIMIT 1")
    page.goto(base + "/bills")
    page.fill("#bills-q", number)
    page.press("#bills-q", "Enter")
    page.wait_for_function("() => document.querySelectorAll('#bills-results tbody tr').length === 1")
    page.click(f"#bills-results a[href$='/bills/{bill_id}']")
    page.wait_for_url(f"**/bills/{bill_id}")
    table = page.locator("#jewellery-details")
    table.scroll_into_view_if_needed()
    assert table.is_visible()
    row = table.locator("tbody tr", has_text=huid)
    assert row.count() == 1
    text = row.inner_text()
    for cell in (name, huid, "22K (916)", f"{gross:.3f}", f"{net:.3f}", f"{rate:,.2f}/g", f"{making:,.2f}"):
        assert cell in text, (cell, text)
    headings = table.locator("thead").inner_text()
    for heading in ("HUID", "Purity", "Gross", "Net", "Rate/g", "Making", "Hallmark"):
        assert heading in headings, headings
    assert shot(page, "bill", artifacts_dir) == 0  # the wide table scrolls inside its own box

    # A new gold piece without its HUID: typed with the keyboard, saved with the mouse.
    page.goto(base + "/jewellery/pieces/new")
    page.locator("#name").press_sequentially("Browser plain bangle")
    page.keyboard.press("Tab")
    page.keyboard.type("BRW-NOHUID")
    page.select_option("#metal_purity", "gold-22K")
    page.fill("#gross_weight", "12.400")
    page.fill("#making_charge", "350")
    page.click("#save-piece")
    page.wait_for_url("**/jewellery/pieces?q=BRW-NOHUID")
    assert page.db.rows("SELECT huid, net_weight FROM product WHERE sku = 'BRW-NOHUID'") == [(None, 12.4)]
    row = page.locator("#pieces-results tbody tr", has_text="BRW-NOHUID")
    assert AWAITING in row.inner_text()
    assert "cannot be sold until its HUID is entered" in page.inner_text("#hallmark-warning")

    # The whole list, then only the pieces awaiting a HUID (the checkbox, by mouse; HTMX swaps the list).
    page.goto(base + "/jewellery/pieces")
    assert page.locator("#pieces-results tbody tr").count() > 1
    with page.expect_response(lambda r: "needs_huid=1" in r.url):
        page.click("#pieces-needs-huid")
    page.wait_for_function("() => document.querySelectorAll('#pieces-results tbody tr').length === 1")
    assert "Browser plain bangle" in page.inner_text("#pieces-results") and "needs_huid=1" in page.url
    assert shot(page, "pieces-awaiting", artifacts_dir) == 0

    # Its page says so too, until the HUID is typed in (and Enter saves).
    page.click("#pieces-results a:text-is('Browser plain bangle')")
    page.wait_for_selector("#hallmark-warning")
    assert "This piece cannot be sold until its HUID is entered" in page.inner_text("#hallmark-warning")
    assert shot(page, "piece-awaiting", artifacts_dir) == 0
    page.fill("#huid", "bb12cd")
    page.press("#huid", "Enter")
    page.wait_for_url("**/jewellery/pieces?q=BB12CD")
    assert AWAITING not in page.inner_text("#pieces-results")
    assert page.locator("#hallmark-warning").count() == 0
    assert page.db.rows("SELECT huid FROM product WHERE sku = 'BRW-NOHUID'") == [("BB12CD",)]
