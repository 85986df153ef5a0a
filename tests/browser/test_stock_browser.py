"""The stock room in a real Chromium against gunicorn with the demo shop: the owner adjusts an item's stock with the
mouse (a refused amount first) and sees it in the history, counts two items on the stock count sheet (scanned by
barcode, differences shown as typed) and posts them, gives an item an in-house barcode and prints a label sheet whose
PDF zbarimg reads back to the right codes."""
from __future__ import annotations

import sqlite3
from urllib.parse import quote_plus

import pytest

from tests.browser.test_pos_browser import STORE, demo_database, log_in, settled  # noqa: F401 (fixtures)
from tests.test_labels import decode

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OWNER = "owner@demo.shop"


@pytest.fixture
def owner_page(live_server, smtp_sink, browser, tmp_path, demo_database):  # noqa: F811
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, OWNER,
                           {"width": 1280, "height": 800})
    yield page
    context.close()


def item(page, offset: int = 0):
    """(id, name, barcode, quantity) of a stocked piece item of the demo general store."""
    return page.db.rows(
        "SELECT p.id, p.product_name, p.barcode, p.quantity FROM product p JOIN store s ON s.id = p.store_id "
        "WHERE s.name = ? AND p.type = 'product' AND p.unit = 'pcs' AND p.quantity >= 10 AND p.archived = 0 "
        "AND p.barcode IS NOT NULL ORDER BY p.id LIMIT 1 OFFSET ?", STORE, offset)[0]


def stock_of(page, product_id: int):
    return page.db.rows("SELECT quantity FROM product WHERE id = ?", product_id)[0][0]


def test_owner_adjusts_stock_with_the_mouse_and_sees_the_history(owner_page, artifacts_dir):
    page, base = owner_page, owner_page.server_url
    product_id, name, _, on_hand = item(page)
    page.goto(f"{base}/inventory/{product_id}/adjust")
    page.select_option("#reason", "damage")
    page.click("#mode-remove")
    page.fill("#amount", str(int(on_hand) + 1))
    page.click("#save-adjust")
    page.wait_for_selector("#amount-error")
    assert "below zero" in page.inner_text("#amount-error")
    assert page.url.endswith(f"/inventory/{product_id}/adjust") and stock_of(page, product_id) == on_hand
    page.fill("#amount", "2")
    page.fill("#note", "dropped crate")
    page.click("#save-adjust")
    page.wait_for_url(f"**/inventory/{product_id}/history")
    assert page.inner_text("h1") == "Stock history" and f"is now {int(on_hand) - 2}" in page.inner_text("#flashes")
    first = page.locator(".move-row").first
    assert "Damaged" in first.inner_text() and "-2" in first.inner_text() and "dropped crate" in first.inner_text()
    assert "demo_owner" in first.inner_text()
    assert stock_of(page, product_id) == on_hand - 2
    page.screenshot(path=str(artifacts_dir / "stock-history-1280x800.png"), full_page=True)


def test_owner_counts_two_items_and_posts_them_as_one_adjustment(owner_page, artifacts_dir):
    page, base = owner_page, owner_page.server_url
    first_id, _, first_code, first_qty = item(page, 0)
    second_id, _, second_code, second_qty = item(page, 1)
    moves_before = page.db.rows("SELECT COUNT(*) FROM stock_move")[0][0]
    page.goto(f"{base}/inventory/stocktake")
    for code, pid in ((first_code, first_id), (second_code, second_id)):
        page.fill("#code", code)
        page.press("#code", "Enter")
        page.wait_for_selector(f"#line-{pid}")
        settled(page)
    page.locator(f"#counted-{first_id}").press_sequentially(str(int(first_qty) - 3))
    page.wait_for_function(f"() => document.querySelector('#diff-{first_id}').innerText.trim() === '-3'")
    page.locator(f"#counted-{second_id}").press_sequentially(str(int(second_qty)))
    page.wait_for_function(f"() => document.querySelector('#diff-{second_id}').innerText.trim() === '0'")
    page.screenshot(path=str(artifacts_dir / "stocktake-1280x800.png"), full_page=True)
    page.click("#post-count")
    page.wait_for_selector(".flash-success")
    assert "2 items counted, 1 changed" in page.inner_text("#flashes")
    assert stock_of(page, first_id) == first_qty - 3 and stock_of(page, second_id) == second_qty
    assert page.db.rows("SELECT COUNT(*) FROM stock_move")[0][0] == moves_before + 1
    assert page.db.rows("SELECT reason, delta FROM stock_move ORDER BY id DESC LIMIT 1") == [("count", -3)]


def print_labels(page) -> list[str]:
    """Click Print and read the PDF the server answers (the browser opens it in a new tab) with zbarimg, label by
    label. The bytes are taken on the way (a route that passes the request on), not from Chromium's PDF viewer."""
    answers = []

    def keep(route):
        response = route.fetch()
        answers.append((response.status, response.headers.get("content-type"), response.body()))
        route.fulfill(response=response)

    page.context.route("**/inventory/labels/sheet.pdf", keep)
    try:
        with page.context.expect_page() as tab:
            page.click("#print-labels")
        tab.value.wait_for_load_state()
        tab.value.close()
    finally:
        page.context.unroute("**/inventory/labels/sheet.pdf")
    [(status, kind, body)] = answers
    assert status == 200 and kind == "application/pdf"
    return decode(body)


def test_owner_gives_a_barcode_and_prints_labels_that_scan(owner_page, artifacts_dir):
    page, base = owner_page, owner_page.server_url
    product_id, name, code, _ = item(page)
    plain_id, plain_name, _, _ = item(page, 1)
    with sqlite3.connect(page.db.path) as connection:  # an item bought loose, without a barcode
        connection.execute("UPDATE product SET barcode = NULL WHERE id = ?", (plain_id,))
    page.goto(f"{base}/inventory/labels")
    page.locator("#labels-q").press_sequentially(plain_name)
    page.wait_for_function("() => document.querySelectorAll('#labels-results tbody tr').length === 1")
    page.click(f"#assign-{plain_id}")
    page.wait_for_selector(f"#label-row-{plain_id} code.item-barcode")
    given = page.db.rows("SELECT barcode FROM product WHERE id = ?", plain_id)[0][0]
    assert given.startswith("29") and len(given) == 13
    assert page.inner_text(f"#label-row-{plain_id} code.item-barcode") == given
    page.screenshot(path=str(artifacts_dir / "labels-1280x800.png"), full_page=True)
    page.fill(f"#copies-{plain_id}", "1")
    assert print_labels(page) == [given]

    # Another search keeps what was chosen under the first: one sheet for both items.
    page.fill("#labels-q", "")
    page.locator("#labels-q").press_sequentially(name)
    page.wait_for_selector(f"#label-row-{product_id}")
    page.wait_for_selector(f"#kept-{plain_id}")
    assert page.input_value(f"#copies-{plain_id}") == "1"
    assert page.url.endswith(f"/inventory/labels?q={quote_plus(name)}")
    page.fill(f"#copies-{product_id}", "2")
    assert print_labels(page) == [code, code, given]
    page.fill(f"#copies-{plain_id}", "")  # emptied: left out
    assert print_labels(page) == [code, code]
