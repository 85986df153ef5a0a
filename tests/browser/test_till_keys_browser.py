"""Issue 12, the till by keyboard in a real Chromium at 1280x800 (the demo cashier on gunicorn): a 5-item cash bill by
barcode scanner takes at most 2 keys beyond the scans (measured: the keydowns the page saw); Enter on a name adds the
first result; Alt+1..6 choose the payment mode; a split row filled puts the rest in the next row; F6 goes to the
cash-tendered box and the change due follows what is typed."""
from __future__ import annotations

import time
from decimal import Decimal as D

import pytest

from services.formatting import inr
from tests.browser.test_pos_browser import (  # noqa: F401 (fixtures)
    CASHIER,
    demo_database,
    log_in,
    scan,
    till_page,
    total_on_screen,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COUNT_KEYS = """() => { window.keysSeen = 0;
    document.addEventListener('keydown', () => { window.keysSeen++; }, true); }"""


def wait_for_bills(page, count: int, limit: float = 15.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        bills = page.db.pos_bills()
        if len(bills) >= count:
            return bills
        time.sleep(0.1)
    raise AssertionError("no bill saved")


def test_a_five_item_cash_bill_by_scanner_takes_at_most_two_keys_beyond_the_scans(till_page, artifacts_dir):
    page = till_page
    items = page.db.products(5)
    page.evaluate(COUNT_KEYS)
    scan_keys = 0
    for _, barcode, *_ in items:
        scan(page, barcode)  # the scanner types the digits and Enter
        scan_keys += len(barcode) + 1
    # Exact cash is the default (the tendered box empty means the exact amount): Save is the one key left.
    total = total_on_screen(page)
    before_save = page.evaluate("window.keysSeen") - scan_keys  # keys the page saw beyond the scans: none
    saves = ["F9"]
    for key in saves:
        page.keyboard.press(key)
    beyond = before_save + len(saves)
    (_, _, saved_total, paid, status), = wait_for_bills(page, 1)
    assert D(str(saved_total)).quantize(D("0.01")) == D(str(paid)).quantize(D("0.01")) == total
    assert status == "paid" and page.db.rows(
        "SELECT COUNT(*) FROM bill_item WHERE bill_id = (SELECT MAX(id) FROM bill)")[0][0] == 5
    assert beyond <= 2
    (artifacts_dir / "till-keystrokes.txt").write_text(
        f"5-item cash bill by barcode scanner: {scan_keys} scan keys, {beyond} key(s) beyond the scans (F9)\n")


def test_enter_on_a_name_adds_the_first_result(till_page):
    page = till_page
    # A letter most names have: several results; Enter with none picked adds the first one listed.
    page.keyboard.type("a")
    page.wait_for_function("() => document.querySelectorAll('#search-results .pos-result').length > 1")
    first = page.inner_text("#search-results .pos-result >> nth=0 >> .name")
    with page.expect_response(lambda r: r.url.endswith("/pos/scan")):
        page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#pos-lines tr.pos-line').length === 1")
    assert first in page.inner_text("#pos-lines")
    page.wait_for_function("() => document.activeElement.id === 'pos-search' && !document.activeElement.value")
    # Typed and Enter at once, before the results come: the server adds the first result all the same.
    with page.expect_response(lambda r: r.url.endswith("/pos/scan")) as answer:
        page.keyboard.type("b")
        page.keyboard.press("Enter")
    assert answer.value.status == 200
    page.wait_for_function("() => document.activeElement.id === 'pos-search' && !document.activeElement.value")
    assert page.locator("#search-results .field-error").count() == 0


def test_payment_keys_split_fill_and_change_as_typed(till_page, artifacts_dir):
    page = till_page
    (_, barcode, *_), = page.db.products(1)
    scan(page, barcode)
    total = total_on_screen(page)
    for number, label in ((1, "Cash"), (5, "Split")):
        kbd = page.locator(f"label.mode:has(#pay-{['cash', 'card', 'upi', 'wallet', 'split', 'none'][number - 1]}) kbd")
        assert kbd.inner_text() == str(number) and kbd.get_attribute("title") == f"Alt+{number}", label
        assert kbd.is_visible()
    assert "payment mode" in page.inner_text("footer.pos-keys")

    with page.expect_response(lambda r: r.url.endswith("/pos/payment")):
        page.keyboard.press("Alt+5")
    page.wait_for_selector("#split-1-amount")
    assert page.is_checked("#pay-split")
    page.focus("#split-0-amount")
    page.keyboard.type("1")
    rest = str(total - D(1))
    page.wait_for_function("v => document.querySelector('#split-1-amount').value === v", arg=rest)
    page.wait_for_function("() => document.querySelector('#pos-remaining').textContent.trim() === '₹0.00'")
    page.wait_for_function("() => !document.querySelector('#pos-save').disabled")
    page.screenshot(path=str(artifacts_dir / "till-keys-split-1280x800.png"))

    with page.expect_response(lambda r: r.url.endswith("/pos/payment")):
        page.keyboard.press("Alt+3")
    page.wait_for_function(
        "() => document.querySelector('#pay-upi').checked && !document.querySelector('#pos-tendered')")
    # F6 from UPI: cash is chosen, and the cursor is in the tendered box.
    page.keyboard.press("F6")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'pos-tendered'")
    assert page.is_checked("#pay-cash")
    assert page.locator("label:has(#pos-tendered) kbd").inner_text() == "F6"
    tendered = (total // 100 + 1) * 100 + 100
    for typed in str(tendered):
        page.keyboard.type(typed)
        page.wait_for_timeout(60)  # a cashier's typing pace; the change comes 400 ms after the last key
    page.wait_for_function("t => (document.querySelector('#pos-change') || {}).textContent === t",
                           arg=inr(D(tendered) - total))
    assert page.evaluate("document.activeElement.id") == "pos-tendered"  # the box was left alone while typing
    page.screenshot(path=str(artifacts_dir / "till-keys-cash-1280x800.png"))
    page.keyboard.press("F9")
    (_, _, _, paid, status), = wait_for_bills(page, 1)
    assert status == "paid" and D(str(paid)).quantize(D("0.01")) == total


# --------------------------------------------------------------------------- each key and its mouse equivalent

MODES = ["cash", "card", "upi", "wallet", "split", "none"]
# What each mode's payment form shows once it is on screen (the server's answer swapped in).
SHAPES = {"cash": "#pos-tendered", "card": "#pos-reference", "upi": "#pos-reference", "wallet": "#pos-reference",
          "split": "#split-1-amount", "none": "#pos-payment small:has-text('On credit')"}


@pytest.fixture(params=[{"width": 1280, "height": 800}, {"width": 390, "height": 844}], ids=["1280x800", "390x844"])
def keys_page(request, live_server, smtp_sink, browser, tmp_path, demo_database):  # noqa: F811
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, CASHIER, request.param)
    yield page
    context.close()


def mode_on_screen(page, mode: str) -> None:
    """The mode is checked and its form is the one on screen, wired up by htmx (its swap has settled)."""
    page.wait_for_selector(SHAPES[mode], state="attached")
    page.wait_for_function("m => document.querySelector('#pay-' + m).checked", arg=mode)
    page.wait_for_function("() => window.posPendingChanges() === 0 && "
                           "!document.querySelector('#pos-payment.htmx-settling, #pos-payment.htmx-swapping')")


def choose(page, mode: str, how: str) -> None:
    with page.expect_response(lambda r: r.url.endswith("/pos/payment")):
        if how == "key":
            page.keyboard.press(f"Alt+{MODES.index(mode) + 1}")
        else:
            page.click(f"label.mode:has(#pay-{mode})")
    mode_on_screen(page, mode)


def change_as_typed(page, total: D, tendered: int) -> None:
    """Type the cash tendered at a cashier's pace into the focused box; the change due follows, the box keeps
    the cursor."""
    for digit in str(tendered):
        page.keyboard.type(digit)
        page.wait_for_timeout(60)  # a cashier's typing pace (the change comes 400 ms after the last key)
    page.wait_for_function("t => (document.querySelector('#pos-change') || {}).textContent === t",
                           arg=inr(D(tendered) - total))
    assert page.evaluate("document.activeElement.id") == "pos-tendered"


def test_alt_1_to_6_and_f6_and_their_mouse_equivalents(keys_page, artifacts_dir):
    page = keys_page
    phone = page.viewport_size["width"] < 641
    (_, barcode, *_), = page.db.products(1)
    scan(page, barcode)
    total = total_on_screen(page)
    page.wait_for_function("() => window.posPendingChanges() === 0")
    for number, mode in enumerate(MODES, start=1):
        kbd = page.locator(f"label.mode:has(#pay-{mode}) kbd")
        assert kbd.inner_text() == str(number) and kbd.get_attribute("title") == f"Alt+{number}"
        assert page.get_attribute(f"#pay-{mode}", "aria-keyshortcuts") == f"Alt+{number}"
        # Shown on screen beside each mode; a phone (no keyboard) keeps the room for the buttons.
        assert kbd.is_visible() is not phone
    assert page.locator("label:has(#pos-tendered) kbd").is_visible() is not phone

    # Keys: Alt+2 .. Alt+6, then Alt+1 back to cash; each brings its mode's form.
    for mode in MODES[1:] + MODES[:1]:
        choose(page, mode, "key")
    # The mouse: a click on each mode's label does the same.
    for mode in MODES[1:] + MODES[:1]:
        choose(page, mode, "mouse")
    page.screenshot(path=str(artifacts_dir / f"till-keys-modes-{page.viewport_size['width']}.png"))

    # F6 from UPI: cash is chosen and the cursor is in the tendered box; the change follows what is typed.
    choose(page, "upi", "key")
    page.keyboard.press("F6")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'pos-tendered'")
    assert page.is_checked("#pay-cash")
    change_as_typed(page, total, int(total // 100 + 1) * 100)
    # F6 in cash: the box is selected, so what is typed replaces the amount.
    page.click("#pos-search")
    page.keyboard.press("F6")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'pos-tendered'")
    change_as_typed(page, total, int(total // 100 + 1) * 100 + 500)

    # The mouse: from card, a click on Cash then in the box, and typing; the change follows.
    choose(page, "card", "mouse")
    choose(page, "cash", "mouse")
    page.click("#pos-tendered")
    page.fill("#pos-tendered", "")
    change_as_typed(page, total, int(total // 100 + 2) * 100)
    page.screenshot(path=str(artifacts_dir / f"till-keys-f6-{page.viewport_size['width']}.png"))
