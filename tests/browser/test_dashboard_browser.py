"""Issue 15, the dashboard in a real Chromium at 1280x800 and 390x844 (gunicorn, the demo shop): the owner sees the
tiles, the 30-day chart drawn as SVG (no request leaves the server) and the payment modes; a tile opens its page by
mouse and by keyboard; nothing overflows the narrow screen."""
from __future__ import annotations

import pytest

from tests.browser.test_pos_browser import demo_database, log_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OWNER = "owner@demo.shop"


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}],
                         ids=["1280x800", "390x844"])
def test_the_owner_reads_the_dashboard_and_opens_a_tile(live_server, smtp_sink, browser, tmp_path, demo_database,  # noqa: F811
                                                        artifacts_dir, viewport):
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, OWNER, viewport)
    outside = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith(page.server_url) else None)
    page.goto(page.server_url + "/")
    assert page.is_visible("#sales-today") and page.is_visible("#bills-month") and page.is_visible("#dues-outstanding")
    chart = page.locator("#sales-chart")
    box = chart.bounding_box()
    assert box["width"] > 200 and box["height"] > 50 and chart.locator("rect").count() == 30
    assert page.locator("#sales-by-mode tbody tr").count() >= 1
    # The page fits the screen: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.screenshot(path=str(artifacts_dir / f"dashboard-{viewport['width']}.png"), full_page=True)
    assert outside == []

    # Mouse: the month's sales open the bills of the month.
    with page.expect_navigation():
        page.click("#sales-month")
    assert "/bills?from=" in page.url
    # Keyboard: back home, focus the outstanding dues and press Enter.
    page.go_back()
    page.focus("#dues-outstanding")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url != page.server_url + "/"
    context.close()
