"""The jewellery pages in a real Chromium against gunicorn with the demo shops, at 1280x800 and 390x844: the demo
jeweller sets today's 22K rate, adds a piece with a HUID and a photo, finds it with the live search, and opens the
audit log; no page is wider than the screen. Screenshots go to test-artifacts/."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.browser.test_pos_browser import demo_database, log_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JEWELLER = "jeweller@demo.shop"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def jeweller_page(request, live_server, smtp_sink, browser, tmp_path, demo_database):  # noqa: F811
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, JEWELLER, request.param)
    page.viewport = request.param
    yield page
    context.close()


def width_problem(page, name: str, artifacts_dir) -> list:
    """[] when the page is no wider than its screen; a screenshot either way."""
    size = f"{page.viewport['width']}x{page.viewport['height']}"
    page.screenshot(path=str(artifacts_dir / f"jewellery-{name}-{size}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    return [] if width <= page.viewport["width"] else [(name, width)]


def test_jeweller_sets_the_22k_rate_adds_a_piece_and_finds_it(jeweller_page, artifacts_dir, tmp_path):
    page, base, wider = jeweller_page, jeweller_page.server_url, []
    page.goto(base + "/jewellery/rates")
    wider += width_problem(page, "rates", artifacts_dir)
    page.fill("#gold_22K", "7425.50")
    page.click("#save-rates")
    page.wait_for_selector(".flash-success")
    assert "7,425.50" in page.inner_text("#board-gold-22K")
    assert page.db.rows("SELECT m.price_per_gram FROM metal_rate m JOIN store s ON s.id = m.store_id "
                        "WHERE s.name = 'Lakshmi Jewellers' AND m.metal = 'gold' AND m.purity_label = '22K' "
                        "ORDER BY m.date DESC LIMIT 1")[0][0] == 7425.5
    wider += width_problem(page, "rates-saved", artifacts_dir)

    photo = tmp_path / "ring.png"
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (212, 175, 55)).save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())
    page.goto(base + "/jewellery/pieces/new")
    page.fill("#name", "Browser lotus ring")
    page.fill("#sku", "BRW-22-001")
    page.fill("#huid", "qz7k2p")
    page.select_option("#metal_purity", "gold-22K")
    page.fill("#gross_weight", "8.250")
    page.fill("#less_weight", "0.250")
    page.fill("#making_charge", "400")
    page.set_input_files("#image", str(photo))
    wider += width_problem(page, "piece-form", artifacts_dir)
    page.click("#save-piece")
    page.wait_for_url("**/jewellery/pieces?q=QZ7K2P")
    row = page.locator("#pieces-results tbody tr")
    assert row.count() == 1 and "QZ7K2P" in row.inner_text() and "8.000" in row.inner_text()
    assert "in stock" in row.inner_text()
    assert page.db.rows("SELECT net_weight, sku FROM product WHERE huid = 'QZ7K2P'") == [(8.0, "BRW-22-001")]

    page.goto(base + "/jewellery/pieces")
    wider += width_problem(page, "pieces", artifacts_dir)
    with page.expect_response(lambda r: "/jewellery/pieces?q=brw-22" in r.url):
        page.locator("#pieces-q").press_sequentially("brw-22")
    page.wait_for_function("() => document.querySelectorAll('#pieces-results tbody tr').length === 1")
    assert "Browser lotus ring" in page.inner_text("#pieces-results")
    assert "q=brw-22" in page.url

    page.goto(base + "/admin/audit?entity=metal_rate")
    assert page.locator(".audit-row").count() >= 1
    wider += width_problem(page, "audit", artifacts_dir)
    assert wider == []
