"""The salon's appointment book in a real Chromium against gunicorn with the demo data (issue 16): the salon's
receptionist (a cashier) opens the book from the nav, moves a day with the HTMX arrows, books a customer for two
services with two stylists from a free slot (mouse for the slot, keyboard for the customer search and Enter to book),
bills the appointment (both lines with their stylists on the till), saves it in cash, and the appointment shows done;
the owner then finds both stylists' commissions for that bill on the commission report (the demo's rules: Neha
10 %, Ravi ₹50 a service). At 1280x800 and 390x844."""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from services.billing.pricing import money
from services.formatting import inr
from tests.browser.test_pos_browser import demo_database, log_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RECEPTION = "reception@demo.shop"
SALON = "Glow Unisex Salon"


@pytest.fixture(params=[(1280, 800), (390, 844)], ids=["desktop", "phone"])
def reception_page(request, live_server, smtp_sink, browser, tmp_path, demo_database):  # noqa: F811
    width, height = request.param
    context, page = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, RECEPTION,
                           {"width": width, "height": height})
    yield page
    context.close()


def test_a_receptionist_books_two_services_with_two_stylists_and_bills_the_appointment(
        reception_page, artifacts_dir, live_server, smtp_sink, browser, tmp_path, demo_database):  # noqa: F811
    page = reception_page
    width = page.viewport_size["width"]
    (customer_id, customer, phone), = page.db.rows(
        "SELECT c.party_id, c.name, c.phone_no FROM customer c JOIN store s ON s.id = c.store_id "
        "WHERE s.name = ? ORDER BY c.id LIMIT 1", SALON)
    staff = dict(page.db.rows("SELECT s.name, s.id FROM staff s JOIN store t ON t.id = s.store_id WHERE t.name = ?",
                              SALON))
    neha, ravi = staff["Neha (Senior Stylist)"], staff["Ravi (Stylist)"]
    services = dict(page.db.rows("SELECT p.product_name, p.id FROM product p JOIN store s ON s.id = p.store_id "
                                 "WHERE s.name = ? AND p.type = 'service'", SALON))

    page.click("header nav a[href='/appointments']")
    page.wait_for_url("**/appointments")
    with page.expect_response(lambda r: "/appointments?day=" in r.url):
        page.click("#next-day")
    page.wait_for_url(re.compile(r".*/appointments\?day=\d{4}-\d{2}-\d{2}$"))  # hx-push-url
    day = page.url.rsplit("=", 1)[1]
    assert page.locator("#day-grid thead th").count() == 1 + 4  # time + the demo's four stylists

    page.click("#day-grid a[aria-label='Book Neha (Senior Stylist) at 10:00']")
    page.wait_for_url("**/appointments/new?*")
    assert page.input_value("#line-0-start") == "10:00" and page.input_value("#line-0-staff") == str(neha)
    with page.expect_response(lambda r: "/appointments/customers?" in r.url):
        page.click("#customer-q")
        page.keyboard.type(customer)
    page.click(f"#customer-{customer_id}")
    page.select_option("#line-0-service", str(services["Haircut Basic"]))
    page.select_option("#line-1-service", str(services["Head Massage"]))
    page.select_option("#line-1-staff", str(ravi))
    page.screenshot(path=str(artifacts_dir / f"appointment-new-{width}.png"), full_page=True)
    page.click("#booking-notes")
    page.keyboard.type("First visit")
    page.keyboard.press("Enter")  # the form's default button is Book
    page.wait_for_url(f"**/appointments?day={day}")
    assert "Booked" in page.inner_text("#flashes")
    bookings = page.locator("#day-grid td.booking")
    assert bookings.count() == 2
    assert page.locator("#day-grid td.booking[rowspan='2']").count() == 2  # 30 minutes each
    page.screenshot(path=str(artifacts_dir / f"appointment-day-{width}.png"), full_page=True)
    (appointment_id, status), = page.db.rows("SELECT id, status FROM appointment")
    assert status == "booked"

    bookings.first.locator("a").click()
    page.wait_for_url(f"**/appointments/{appointment_id}")
    assert page.inner_text("#appointment-status") == "Booked"
    page.click("#bill-appointment")
    page.wait_for_url("**/pos")
    assert page.locator("#pos-lines tr.pos-line").count() == 2
    assert page.input_value("#line-0-staff") == str(neha) and page.input_value("#line-1-staff") == str(ravi)
    lines = page.inner_text("#pos-lines")
    assert "Haircut Basic" in lines and "Head Massage" in lines
    assert customer in page.inner_text("#pos-customer")
    page.screenshot(path=str(artifacts_dir / f"appointment-till-{width}.png"), full_page=True)
    page.wait_for_function("() => !document.querySelector('#pos-save').disabled")
    page.click("#pos-save")
    page.wait_for_selector("#pos-last-bill-link")

    (bill_id, party_id), = page.db.rows("SELECT id, party_id FROM bill WHERE source = 'pos' AND id > ?",
                                        page.db.baseline)
    assert party_id == customer_id
    assert sorted(page.db.rows("SELECT product_id, staff_id FROM bill_item WHERE bill_id = ?", bill_id)) == sorted(
        [(services["Haircut Basic"], neha), (services["Head Massage"], ravi)])
    page.goto(f"{page.server_url}/appointments/{appointment_id}")
    assert page.inner_text("#appointment-status") == "Done"
    assert page.locator("#appointment-bill").count() == 1 and page.locator("#bill-appointment").count() == 0
    assert page.db.rows("SELECT status, bill_id FROM appointment WHERE id = ?", appointment_id) == [("done", bill_id)]
    assert phone  # the demo customer has a phone: tomorrow's reminders page links WhatsApp for them
    page.goto(f"{page.server_url}/appointments/reminders?day={day}")
    assert page.locator("#reminders a.whatsapp").count() == 0  # done is no longer reminded

    # The owner's commission report (the last 30 days by default): this bill's two lines, one per stylist.
    (invoice, neha_value), = page.db.rows(
        "SELECT b.invoice_number, i.taxable_amount FROM bill b JOIN bill_item i ON i.bill_id = b.id "
        "WHERE b.id = ? AND i.staff_id = ?", bill_id, neha)
    context, owner = log_in(live_server, smtp_sink, browser, tmp_path, demo_database, "salon@demo.shop",
                            page.viewport_size)
    owner.goto(owner.server_url + "/reports")
    with owner.expect_navigation():
        owner.click("#reports-list a[href='/reports/commissions']")
    today = datetime.now(ZoneInfo("Asia/Kolkata")).date().isoformat()  # the demo salon's day: today's lines only
    owner.goto(f"{owner.server_url}/reports/commissions?from={today}&to={today}")
    lines = owner.locator("table.report-table").nth(1).locator("tbody tr", has_text=invoice)
    assert lines.count() == 2
    by_staff = {row.locator("td").nth(2).inner_text(): row.locator("td").last.inner_text()
                for row in lines.all()}
    assert by_staff == {"Neha (Senior Stylist)": inr(money(Decimal(str(neha_value)) / 10)),
                        "Ravi (Stylist)": inr(Decimal("50.00"))}
    per_staff = owner.locator("table.report-table").first.inner_text()
    assert "Neha (Senior Stylist)" in per_staff and "Ravi (Stylist)" in per_staff
    owner.screenshot(path=str(artifacts_dir / f"appointment-commissions-{width}.png"), full_page=True)
    context.close()
