"""The salon's small pages in a real Chromium at 1280x800 and 390x844 (gunicorn, the demo salon, its owner), each by
keyboard and by mouse: the wallet adjustment on a customer's page (refused beside its field, then taken), the
commission report's staff filter (one staff member, then everyone again; the downloads keep the filter) and the
opening hours (closing before opening refused beside the field, then saved)."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest

from services.formatting import inr
from tests.browser.test_layout_browser import SALON, SALON_OWNER
from tests.browser.test_pos_browser import demo_database, log_in, settled  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

D = Decimal
VIEWPORTS = [{"width": 1280, "height": 800}, {"width": 390, "height": 844}]


@pytest.fixture(params=VIEWPORTS, ids=["1280x800", "390x844"])
def owner(request, live_server, smtp_sink, browser, tmp_path, demo_database):  # noqa: F811
    """The demo salon's owner, signed in, and the salon's id."""
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, SALON_OWNER, request.param)
    (page.salon_id,), = page.db.rows("SELECT id FROM store WHERE name = ?", SALON)
    page.width = request.param["width"]
    yield page
    context.close()


def no_sideways_scroll(page) -> None:
    """Nothing wider than the screen (the message names the widest element reaching past its edge)."""
    wide = page.evaluate("""(width) => {
        let worst = null;
        for (const node of document.querySelectorAll('body *')) {
            const right = node.getBoundingClientRect().right;
            if (right > width && (!worst || right > worst[1])) worst = [node.tagName + '#' + node.id + '.' +
                                                                        node.className, right];
        }
        return worst; }""", page.width)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.width, wide


def balance(page, party_id: int) -> Decimal:
    (held,), = page.db.rows("SELECT wallet_balance FROM customer WHERE party_id = ?", party_id)
    return D(str(held)).quantize(D("0.01"))


def test_the_owner_adjusts_a_wallet_by_keyboard_then_by_mouse(owner, artifacts_dir):
    page = owner
    (party_id,), = page.db.rows("SELECT party_id FROM customer WHERE store_id = ? ORDER BY id LIMIT 1",
                                page.salon_id)
    page.goto(f"{page.server_url}/parties/customers/{party_id}")
    before = balance(page, party_id)
    assert page.inner_text("#wallet-balance") == inr(before)

    # Keyboard: more than the balance out, a reason typed into the select, Enter: refused beside the amount.
    page.click("#adjust-amount")
    page.keyboard.type(f"-{before + 1000}")
    page.keyboard.press("Tab")
    page.keyboard.type("Goodwill")
    assert page.input_value("#adjust-reason") == "goodwill"
    page.focus("#adjust-amount")
    with page.expect_response(lambda r: r.url.endswith("/wallet/adjust")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 422
    settled(page)
    error = page.locator("#wallet-adjust small.field-error[data-field=amount]")
    assert error.inner_text() == f"Wallet balance is {inr(before)}: an adjustment cannot take it below zero"
    assert page.get_attribute("#adjust-amount", "aria-invalid") == "true"
    assert page.input_value("#adjust-reason") == "goodwill"  # the form keeps what was typed
    assert balance(page, party_id) == before
    no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / f"wallet-adjust-refused-{page.width}.png"), full_page=True)

    # Then 250 in, by keyboard: the page comes back with the new balance and the entry.
    page.fill("#adjust-amount", "")
    page.focus("#adjust-amount")
    page.keyboard.type("250")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.inner_text("#wallet-balance") == inr(before + 250)
    assert balance(page, party_id) == before + 250
    assert "Adjustment: Goodwill" in page.inner_text("#wallet-entries")

    # Mouse: 100 out as Other with no note: refused beside the note; with the note, taken.
    page.click("#adjust-amount")
    page.fill("#adjust-amount", "-100")
    page.select_option("#adjust-reason", "other")
    with page.expect_response(lambda r: r.url.endswith("/wallet/adjust")) as answer:
        page.click("#wallet-adjust-button")
    assert answer.value.status == 422
    settled(page)
    assert page.inner_text("#wallet-adjust small.field-error[data-field=note]") == (
        "Say why in the note (the reason is Other).")
    assert balance(page, party_id) == before + 250
    page.click("#adjust-note")
    page.fill("#adjust-note", "Paid twice at the counter")
    with page.expect_navigation():
        page.click("#wallet-adjust-button")
    assert page.inner_text("#wallet-balance") == inr(before + 150)
    assert balance(page, party_id) == before + 150
    no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / f"wallet-adjusted-{page.width}.png"), full_page=True)


def _busiest_stylist(page) -> tuple[int, str]:
    """The staff member with the most served lines on the salon's paid sales of the report's default 30 days."""
    since = (datetime.now(timezone.utc) - timedelta(days=28)).strftime("%Y-%m-%d %H:%M:%S")
    found = page.db.rows(
        "SELECT s.id, s.name FROM bill_item i JOIN bill b ON b.id = i.bill_id JOIN staff s ON s.id = i.staff_id "
        "WHERE b.store_id = ? AND b.kind = 'sale' AND b.status = 'paid' AND b.cancelled_at IS NULL "
        "AND b.billing_timestamp >= ? GROUP BY s.id, s.name ORDER BY COUNT(*) DESC, s.id LIMIT 1",
        page.salon_id, since)
    assert found, "the demo salon has no served lines in the last 30 days"
    return found[0]


def _table_cells(page, index: int, column: int) -> list[str]:
    return page.locator("table.report-table").nth(index).locator(f"tbody tr td:nth-child({column})").all_inner_texts()


def test_the_commission_report_filters_by_staff_by_mouse_and_back_to_everyone_by_keyboard(owner, artifacts_dir):
    page = owner
    staff_id, name = _busiest_stylist(page)
    page.goto(page.server_url + "/reports/commissions")
    everyone = _table_cells(page, 0, 1)
    assert name in everyone

    # Mouse: choose the stylist, Show.
    page.select_option("#report-staff", str(staff_id))
    with page.expect_navigation():
        page.click("form.report-period button[type=submit]")
    assert parse_qs(urlparse(page.url).query)["staff"] == [str(staff_id)]
    assert page.input_value("#report-staff") == str(staff_id)
    assert _table_cells(page, 0, 1) == [name]
    assert set(_table_cells(page, 1, 3)) == {name}
    for link in ("#download-csv", "#download-xlsx"):
        assert f"staff={staff_id}" in page.get_attribute(link, "href")
    with page.expect_download() as download:
        page.click("#download-csv")
    rows = open(download.value.path(), encoding="utf-8-sig").read().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == [name]
    no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / f"commission-report-staff-{page.width}.png"), full_page=True)

    # Keyboard: the select to Everyone (Home), Tab to Show, Enter.
    page.focus("#report-staff")
    page.keyboard.press("Home")
    assert page.input_value("#report-staff") == ""
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Show"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert parse_qs(urlparse(page.url).query, keep_blank_values=True).get("staff") == [""]
    assert _table_cells(page, 0, 1) == everyone
    assert "staff=" not in page.get_attribute("#download-csv", "href")


def _hours(page) -> tuple[str, str]:
    (settings,), = page.db.rows("SELECT settings FROM store WHERE id = ?", page.salon_id)
    stored = json.loads(settings) if isinstance(settings, str) else (settings or {})
    return stored.get("salon_opens"), stored.get("salon_closes")


def test_the_owner_sets_the_opening_hours_refused_by_keyboard_then_saved_by_mouse(owner, artifacts_dir):
    page = owner
    page.goto(page.server_url + "/appointments/hours")
    before = _hours(page)
    opens, closes = page.input_value("#salon-opens"), page.input_value("#salon-closes")
    assert re.fullmatch(r"\d\d:\d\d", opens) and re.fullmatch(r"\d\d:\d\d", closes)

    # Keyboard: closing before opening, Enter in the field: 422, the message beside the closing time.
    page.fill("#salon-opens", "09:30")
    page.fill("#salon-closes", "08:00")
    page.focus("#salon-closes")
    with page.expect_response(lambda r: r.url.endswith("/appointments/hours")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 422
    page.wait_for_selector("small.field-error[data-field=salon_closes]")
    assert page.inner_text("small.field-error[data-field=salon_closes]") == "Closing must be after opening (09:30)."
    assert page.get_attribute("#salon-closes", "aria-invalid") == "true"
    assert page.input_value("#salon-opens") == "09:30"  # what was typed stays
    assert _hours(page) == before
    no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / f"opening-hours-refused-{page.width}.png"), full_page=True)

    # Mouse: a closing time after opening, Save.
    page.fill("#salon-closes", "20:30")
    with page.expect_navigation():
        page.click("#save-hours")
    assert "Opening hours saved: 09:30 to 20:30." in page.inner_text("#flashes")
    assert page.locator("small.field-error").count() == 0
    assert (page.input_value("#salon-opens"), page.input_value("#salon-closes")) == ("09:30", "20:30")
    assert _hours(page) == ("09:30", "20:30")
    page.goto(page.server_url + "/appointments")
    assert page.locator("main").count() == 1
