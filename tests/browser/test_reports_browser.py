"""Issue 15 in a real Chromium at 1280x800 and 390x844 (gunicorn, the demo shop): the owner opens the reports,
downloads GSTR-1 as the portal's JSON for this month, reads the sales register, and closes the day with a cash
difference, by mouse and by keyboard."""
from __future__ import annotations

import json
import re

import pytest

from tests.browser.test_pos_browser import demo_database, log_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OWNER = "owner@demo.shop"


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}],
                         ids=["1280x800", "390x844"])
def test_the_owner_downloads_gstr1_and_closes_the_day_with_a_difference(live_server, smtp_sink, browser,  # noqa: F811
                                                                        tmp_path, demo_database, artifacts_dir,
                                                                        viewport):
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, OWNER, viewport)
    page.goto(page.server_url + "/reports")
    # GSTR-1 of this month: pick the month (keyboard), show it (mouse), download the JSON (mouse).
    with page.expect_navigation():
        page.click("#reports-list a[href^='/reports/gstr1']")
    month = page.evaluate("new Date().toISOString().slice(0, 7)")
    page.fill("#period", month)
    with page.expect_navigation():
        page.press("#period", "Enter")
    assert page.is_visible("#download-json")
    with page.expect_download() as download:
        page.click("#download-json")
    document = json.loads(open(download.value.path()).read())
    assert document["fp"] == month[5:] + month[:4] and "gstin" in document
    assert all(re.fullmatch(r"\d{2}", entry["pos"]) for entry in document.get("b2cs", []))

    # The sales register for today, by keyboard: its total row is in the foot, apart from the data.
    page.goto(page.server_url + "/reports/sales-register")
    today = page.evaluate("new Date(Date.now() + 330 * 60000).toISOString().slice(0, 10)")  # Kolkata's day
    page.fill("#report-from", today)
    page.fill("#report-to", today)
    with page.expect_navigation():
        page.press("#report-to", "Enter")
    assert page.locator("table.report-table tfoot th").first.inner_text() == "Total"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]  # the table scrolls inside

    # Close the day: the expected cash is shown; count 10 rupees short; the difference is kept and shown.
    page.goto(page.server_url + "/reports/day-close")
    expected = page.inner_text("#expected-cash").replace("₹", "").replace(",", "")
    counted = f"{float(expected) - 10:.2f}"
    page.click("#counted_cash")
    page.keyboard.type(counted)
    page.fill("#close-note", "Ten rupees for the milkman")
    with page.expect_navigation():
        page.click("#close-day-submit")
    assert page.inner_text("#closed-difference") == "-₹10.00"
    assert "(short)" in page.inner_text("#day-closed")
    page.screenshot(path=str(artifacts_dir / f"day-close-{viewport['width']}.png"), full_page=True)
    context.close()
