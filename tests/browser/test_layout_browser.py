"""The till's and the bill pages' layout, measured in a real Chromium against gunicorn with the demo shops: at
1280x800 eight lines, the customer, the payment and Save fit on one screen; at 390x844 a line is one compact row,
the total and Save sit in a bottom bar that a tap saves from, and no page is wider than the screen; the search
icon does not cover the placeholder and staff names are not cut. Screenshots go to test-artifacts/."""
from __future__ import annotations

import re
import time

import pytest

from tests.browser.test_pos_browser import (  # noqa: F401 (fixtures)
    CASHIER,
    DemoDb,
    demo_database,
    log_in,
    scan,
    till_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}
SALON_OWNER = "salon@demo.shop"
SALON = "Glow Unisex Salon"


@pytest.fixture
def phone_till(live_server, smtp_sink, browser, tmp_path, demo_database):  # noqa: F811
    """The demo cashier on /pos at 390x844."""
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, CASHIER, PHONE)
    yield page
    context.close()


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def salon_page(request, live_server, smtp_sink, browser, tmp_path, demo_database):  # noqa: F811
    """The demo salon's owner (staff on every line) on /pos, at 1280x800 and at 390x844."""
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, SALON_OWNER, request.param)
    yield page
    context.close()


@pytest.fixture
def salon_phone(live_server, smtp_sink, browser, tmp_path, demo_database):  # noqa: F811
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, SALON_OWNER, PHONE)
    yield page
    context.close()


def salon_services(db: DemoDb, count: int) -> list[str]:
    """Names of the demo salon's services (no barcodes: added by name)."""
    return [name for name, in db.rows(
        "SELECT p.product_name FROM product p JOIN store s ON s.id = p.store_id WHERE s.name = ? "
        "AND p.type = 'service' AND p.archived = 0 ORDER BY p.id LIMIT ?", SALON, count)]


def add_by_name(page, name: str) -> None:
    """Type the name, arrow down to the first result, Enter: the line is added."""
    before = page.locator("#pos-lines tr.pos-line").count()
    page.click("#pos-search")
    page.keyboard.type(name)
    page.wait_for_selector("#search-results .pos-result")
    page.keyboard.press("ArrowDown")
    with page.expect_response(lambda r: "/pos/lines" in r.url):
        page.keyboard.press("Enter")
    page.wait_for_function("n => document.querySelectorAll('#pos-lines tr.pos-line').length === n", arg=before + 1)


def show_details(page, index: int) -> None:
    """On a phone a line's details (staff among them) show once its ▾ button is tapped; wider, they always do."""
    if not page.is_visible(f"#line-{index}-staff"):
        page.click(f"#line-{index}-more")
        page.wait_for_selector(f"#line-{index}-staff", state="visible")


def ring_up(page, barcodes) -> None:
    page.click("#pos-search")
    for barcode in barcodes:
        scan(page, barcode)
    page.wait_for_function("n => document.querySelectorAll('#pos-lines tr.pos-line').length === n", arg=len(barcodes))


def box(page, selector: str) -> dict:
    """The element's box relative to the viewport as it is now (no scrolling into view)."""
    return page.evaluate("s => { const r = document.querySelector(s).getBoundingClientRect(); return "
                         "{x: r.x, y: r.y, width: r.width, height: r.height, bottom: r.bottom, right: r.right}; }",
                         selector)


def inside_viewport(page, selector: str) -> bool:
    b, view = box(page, selector), page.viewport_size
    return b["width"] > 0 and b["height"] > 0 and b["x"] >= 0 and b["y"] >= 0 and b["right"] <= view["width"] \
        and b["bottom"] <= view["height"]


def topmost_at_centre(page, selector: str) -> bool:
    """Nothing covers the element at its centre: a tap there reaches it."""
    return page.evaluate("""s => { const e = document.querySelector(s); const r = e.getBoundingClientRect();
        const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return hit === e || e.contains(hit); }""", selector)


def wait_for_bills(page, count: int, limit: float = 15.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if len(page.db.pos_bills()) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"expected {count} saved bill(s), found {len(page.db.pos_bills())}")


def test_at_1280x800_eight_lines_customer_payment_and_save_fit_one_screen(till_page, artifacts_dir):
    page = till_page
    items = page.db.products(8)
    assert len(items) == 8
    ring_up(page, [barcode for _, barcode, *_ in items])
    page.evaluate("window.scrollTo(0, 0)")
    assert page.evaluate("window.scrollY") == 0
    page.screenshot(path=str(artifacts_dir / "layout-till-8-lines-1280x800.png"))
    for selector in ("#pos-save", "#line-7", "#pos-customer-title", "#pos-payment-title", "#pos-total"):
        assert inside_viewport(page, selector), (selector, box(page, selector))
    assert topmost_at_centre(page, "#pos-save")
    # A split payment (two rows and the remainder) still leaves Save on the screen.
    with page.expect_response(lambda r: r.url.endswith("/pos/payment")):
        page.check("#pay-split")
    page.wait_for_selector("#split-1-amount")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts_dir / "layout-till-8-lines-split-1280x800.png"))
    for selector in ("#pos-save", "#line-7", "#split-1-amount", "#pos-total"):
        assert inside_viewport(page, selector), (selector, box(page, selector))


def test_on_a_phone_lines_are_compact_and_a_tap_on_the_bottom_bar_saves(phone_till, artifacts_dir):
    page = phone_till
    items = page.db.products(5)
    ring_up(page, [barcode for _, barcode, *_ in items])
    heights = [page.locator(f"#line-{i}").bounding_box()["height"] for i in range(5)]
    assert max(heights) <= 90, heights
    # The bar with the total and Save is on screen at the top of the page, with nothing over it.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts_dir / "layout-till-5-lines-390x844.png"))
    for selector in ("#pos-total", "#pos-save"):
        assert inside_viewport(page, selector), (selector, box(page, selector))
    assert topmost_at_centre(page, "#pos-save")
    # A tablet in portrait keeps the table of lines and the same bar.
    page.set_viewport_size(TABLET)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts_dir / "layout-till-5-lines-768x1024.png"))
    for selector in ("#pos-total", "#pos-save"):
        assert inside_viewport(page, selector), (selector, box(page, selector))
    page.set_viewport_size(PHONE)
    page.evaluate("window.scrollTo(0, 0)")
    # A tap where the button is, without scrolling: the bill is saved.
    assert page.evaluate("window.posPendingChanges ? window.posPendingChanges() : 0") == 0
    b = box(page, "#pos-save")
    page.mouse.click(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
    wait_for_bills(page, 1)
    assert len(page.db.pos_bills()) == 1
    page.screenshot(path=str(artifacts_dir / "layout-till-saved-390x844.png"))


def too_wide(page, name: str, artifacts_dir) -> list:
    """[] when the page is no wider than the phone's screen, else what sticks out; screenshots at both sizes."""
    page.screenshot(path=str(artifacts_dir / f"layout-{name}-390x844.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    wider = [] if width <= PHONE["width"] else [(name, width, page.evaluate(WIDER))]
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(artifacts_dir / f"layout-{name}-1280x800.png"), full_page=True)
    page.set_viewport_size(PHONE)
    return wider


WIDER = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5).slice(0, 8)
    .map(e => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


def test_no_page_is_wider_than_a_phone(salon_phone, artifacts_dir):
    page = salon_phone
    wider = []
    held, sold = salon_services(page.db, 2)
    add_by_name(page, held)
    with page.expect_response(lambda r: r.url.endswith("/pos/hold")):
        page.keyboard.press("F8")
    page.wait_for_selector("#pos-lines .pos-empty")
    add_by_name(page, sold)
    show_details(page, 0)
    page.select_option("#line-0-staff", label="Neha (Senior Stylist)")
    page.wait_for_function("() => !window.posPendingChanges || window.posPendingChanges() === 0")
    wider += too_wide(page, "till", artifacts_dir)
    page.keyboard.press("F9")
    wait_for_bills(page, 1)
    (bill_id, *_), = page.db.pos_bills()

    page.goto(f"{page.server_url}/bills")
    wider += too_wide(page, "bills", artifacts_dir)
    page.goto(f"{page.server_url}/bills/held")
    wider += too_wide(page, "held", artifacts_dir)
    page.goto(f"{page.server_url}/admin/staff")
    wider += too_wide(page, "staff", artifacts_dir)
    page.goto(f"{page.server_url}/bills/{bill_id}")
    wider += too_wide(page, "bill", artifacts_dir)
    page.click("#return-items-open")
    page.wait_for_selector("#return-qty-1", state="visible")
    wider += too_wide(page, "bill-return", artifacts_dir)
    assert box(page, "#return-qty-1")["right"] <= PHONE["width"]  # typed into without scrolling sideways
    page.fill("#return-qty-1", "1")
    page.select_option("#refund-mode", "cash")
    page.click("#return-items button[type=submit]")
    page.wait_for_url(re.compile(r".*/bills/credit-notes/\d+$"))
    wider += too_wide(page, "credit-note", artifacts_dir)
    assert wider == []


SEARCH_ICON_CLEARANCE = """s => {
    const input = document.querySelector(s), style = getComputedStyle(input);
    const px = value => parseFloat((value.match(/-?[\\d.]+px/) || ['0px'])[0]);
    const iconRight = px(style.backgroundPositionX) + px(style.backgroundSize);
    return {padding: parseFloat(style.paddingLeft), iconRight: iconRight, image: style.backgroundImage !== 'none'};
}"""


def test_the_search_icon_leaves_the_placeholder_clear(salon_page, artifacts_dir):
    page = salon_page
    width = page.viewport_size["width"]
    page.screenshot(path=str(artifacts_dir / f"layout-till-empty-{width}.png"))
    for selector in ("#pos-search", "#pos-customer-search"):
        found = page.evaluate(SEARCH_ICON_CLEARANCE, selector)
        assert found["image"] and found["padding"] >= found["iconRight"] + 4, (selector, found)


def test_staff_names_are_whole_in_a_lines_staff_select(salon_page, artifacts_dir):
    page = salon_page
    width = page.viewport_size["width"]
    add_by_name(page, salon_services(page.db, 1)[0])
    # Each staff name fits the line's staff select (the longest is "Neha (Senior Stylist)").
    show_details(page, 0)
    page.select_option("#line-0-staff", label="Neha (Senior Stylist)")
    page.wait_for_function("() => !window.posPendingChanges || window.posPendingChanges() === 0")
    page.wait_for_selector("#line-0-staff")
    cut = page.evaluate("""() => {
        const select = document.querySelector('#line-0-staff'), style = getComputedStyle(select);
        const canvas = document.createElement('canvas').getContext('2d');
        canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        // Pico draws the arrow as a background at the right: the text has the room left of both it and the padding.
        const px = value => parseFloat((value.match(/-?[\\d.]+px/) || ['0px'])[0]);
        const arrow = style.backgroundPositionX.includes('right') || style.backgroundPositionX.includes('100%')
            ? px(style.backgroundPositionX) + px(style.backgroundSize) : 0;
        const pad = Math.max(parseFloat(style.paddingRight), arrow);
        const room = select.clientWidth - parseFloat(style.paddingLeft) - pad;
        return [...select.options].filter(o => canvas.measureText(o.text).width > room + 1).map(o => [o.text, room]);
    }""")
    page.screenshot(path=str(artifacts_dir / f"layout-salon-till-{width}.png"))
    assert cut == []
