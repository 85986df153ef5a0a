"""The jewellery till in a real Chromium (1280x800 and 390x844) against gunicorn with the demo jeweller: today's
rate is set on the rates page, the owner bills a ring by scanning its tag, takes old gold in exchange,
saves, and opens the invoice PDF. Screenshots go to test-artifacts/."""
from __future__ import annotations

from decimal import Decimal

import pytest

from services.billing.pricing import JewelleryLine, price_jewellery_line
from services.formatting import inr
from tests.browser.test_pos_browser import demo_database, log_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JEWELLER = "jeweller@demo.shop"
RING = "22K Gold Ring (Ladies)"  # the demo's design: PP making 1500.00, tounch 91.60, wastage 6.00, hallmark 45.00
TODAY_22K = Decimal("7000.00")
D = Decimal
VIEWPORTS = [{"width": 1280, "height": 800}, {"width": 390, "height": 844}]
IDS = ["1280x800", "390x844"]
COUNT_PRINTS = """(() => { const top = window.top; top.__printed = top.__printed || [];
    window.print = () => { top.__printed.push(location.pathname); }; })()"""


def set_todays_rate_on_the_rates_page(page) -> None:
    """The jeweller types today's gold 22K rate on /jewellery/rates and saves it, as every morning."""
    page.goto(page.server_url + "/jewellery/rates")
    page.fill("#gold_22K", str(TODAY_22K))
    page.click("#save-rates")
    page.wait_for_selector(".flash-success")
    assert inr(TODAY_22K) in page.inner_text("#board-gold-22K")


@pytest.fixture(params=VIEWPORTS, ids=IDS)
def jeweller_till(request, live_server, smtp_sink, browser, tmp_path, demo_database):  # noqa: F811
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, JEWELLER, request.param)
    context.add_init_script(COUNT_PRINTS)
    set_todays_rate_on_the_rates_page(page)
    page.goto(page.server_url + "/pos")
    page.viewport = request.param
    yield page
    context.close()


def test_the_jeweller_bills_a_ring_by_its_tag_takes_old_gold_and_opens_the_pdf(jeweller_till, artifacts_dir):
    page = jeweller_till
    size = f"{page.viewport['width']}x{page.viewport['height']}"
    # The demo keeps one of each design in the showcase; take the first ring still in stock.
    [(sku, gross)] = page.db.rows("SELECT sku, gross_weight FROM product WHERE product_name = ? AND quantity = 1 "
                                  "ORDER BY sku LIMIT 1", RING)
    gross = D(str(gross)).quantize(D("0.001"))
    with page.expect_response(lambda r: r.url.endswith("/pos/scan")):
        page.fill("#pos-search", sku)
        page.press("#pos-search", "Enter")
    page.wait_for_selector("#line-0.pos-piece")
    ring = price_jewellery_line(JewelleryLine(gross_weight=gross, rate=TODAY_22K, tounch=D("91.60"),
                                              wastage=D("6.00"), making_type="PP", making_charge=D("1500.00"),
                                              hallmark_fee=D("45.00")))
    row = page.inner_text("#line-0")
    assert f"Gross {gross} g" in row and f"Net {gross} g" in row and "Gold 22K" in row and "HUID" in row
    assert inr(ring.line_total) in page.inner_text("#line-0 .line-total")
    assert f"Rate {inr(TODAY_22K)}/g" in row  # the owner's field is editable, today's rate in it

    page.click("#pos-old-gold summary")
    page.fill("#og-description", "Old chain")
    page.fill("#og-weight", "2.000")
    page.fill("#og-tounch", "80")
    page.fill("#og-rate", "7620")
    page.fill("#og-deduction", "1")
    with page.expect_response(lambda r: r.url.endswith("/pos/old-gold")):
        page.click("#og-apply")
    # fine 1.600 g x 7620.00 = 12192.00, less 1 % (121.92): 12070.08
    page.wait_for_selector("#pos-exchange")
    assert page.inner_text("#pos-exchange") == "−" + inr(D("12070.08"))
    total = D(page.get_attribute("#pos-total", "data-amount"))
    assert page.inner_text("#pos-to-pay") == inr(total - D("12070.08"))
    page.screenshot(path=str(artifacts_dir / f"jewellery-till-{size}.png"), full_page=True)

    page.wait_for_function("() => !document.querySelector('#pos-save').disabled")
    with page.expect_response(lambda r: r.url.endswith("/pos/save")):
        page.click("#pos-save")
    page.wait_for_selector("#pos-last-bill-link")
    number = page.inner_text("#pos-last-bill-link")
    [(sale_id, total_amount, due)] = page.db.rows(
        "SELECT id, total_amount, due_amount FROM bill WHERE invoice_number = ?", number)
    assert D(str(total_amount)) == total and D(str(due)) == 0
    [(voucher_number, voucher_total, kind)] = page.db.rows(
        "SELECT invoice_number, total_amount, kind FROM bill WHERE series = 'OG'")
    assert kind == "purchase" and D(str(voucher_total)) == D("12070.08")
    assert page.db.rows("SELECT mode, reference FROM payment WHERE bill_id = ? ORDER BY id", sale_id)[0] == (
        "exchange", voucher_number)

    pdf = page.request.get(page.server_url + page.get_attribute("#pos-last-bill-pdf", "href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body()[:5] == b"%PDF-"
    page.screenshot(path=str(artifacts_dir / f"jewellery-till-saved-{size}.png"), full_page=True)
