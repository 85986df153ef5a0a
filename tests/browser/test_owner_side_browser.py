"""The owner's side in a real Chromium against gunicorn with the demo store (issue 15), at 1280x800 and 390x844,
by mouse and keyboard: adding an expense and filtering the list (and deleting it through hx-confirm); creating a
coupon and using it at the till; redeeming loyalty points at the till (more than the balance refused first); the
till refusing a credit bill over the customer's credit limit and the owner's "Allow over the limit" saving it."""
from __future__ import annotations

import re
import sqlite3
from decimal import Decimal

import pytest

from tests.browser.test_parties_browser import OWNER, owner_page  # noqa: F401 (the owner's page at both sizes)
from tests.browser.test_pos_browser import (  # noqa: F401 (fixtures)
    STORE,
    demo_database,
    log_in,
    scan,
    total_on_screen,
)
from tests.browser.test_till_keys_browser import wait_for_bills

pytestmark = [pytest.mark.browser, pytest.mark.slow]

D = Decimal


def write(page, sql: str, *params) -> None:
    """A change made behind the server's back in its SQLite file (a setting or a customer's figure)."""
    with sqlite3.connect(page.db.path) as connection:
        connection.execute(sql, params)


def money(value) -> D:
    return D(str(value)).quantize(D("0.01"))


def shot(page, artifacts_dir, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"{name}-{page.viewport_size['width']}.png"), full_page=True)


def a_customer(page) -> tuple[int, str, str]:
    """A demo customer of the general store with a phone: (party id, name, phone)."""
    return page.db.rows("SELECT c.party_id, c.name, c.phone_no FROM customer c JOIN store s ON s.id = c.store_id "
                        "WHERE s.name = ? AND c.phone_no IS NOT NULL ORDER BY c.id LIMIT 1", STORE)[0]


def choose_customer(page, name: str) -> None:
    page.click("#pos-customer-search")
    with page.expect_response(lambda r: "/pos/customer" in r.url):
        page.keyboard.type(name)
    page.locator("#customer-results .pos-result", has_text=name).first.click()
    page.wait_for_function("n => (document.querySelector('#pos-customer-name')?.textContent || '').includes(n)",
                           arg=name)


def a_product(page, at_least: str = "30.00"):
    """A stocked demo product priced at `at_least` or more: (name, barcode, price, ...)."""
    return next(p for p in page.db.products(30) if p[2] >= D(at_least))


# --------------------------------------------------------------------------- expenses


def test_an_owner_adds_an_expense_filters_the_list_and_deletes_it(owner_page, artifacts_dir):
    page = owner_page
    page.goto(page.server_url + "/expenses")
    page.click("#new-expense")  # the mouse
    page.wait_for_url("**/expenses/new")
    page.click("#expense-amount")  # then the keyboard: type, Tab from field to field
    page.keyboard.type("1234.50")
    page.fill("#expense-date", "2020-01-15")
    page.select_option("#expense-category", "Transport")
    page.click("#expense-description")
    page.keyboard.type("Tempo to the wholesale market")
    page.focus("#expense-necessary")
    if page.is_checked("#expense-necessary"):
        page.keyboard.press("Space")  # not necessary
    page.focus("#expense-description")
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_url(re.compile(r".*/expenses$"))
    assert "Expense of ₹1234.50 (Transport) recorded." in page.inner_text("#flashes")
    (expense_id, amount, necessary), = page.db.rows(
        "SELECT id, amount, is_necessary FROM expense WHERE description = 'Tempo to the wholesale market'")
    assert money(amount) == D("1234.50") and not necessary

    page.select_option("#expenses-category", "Transport")
    page.fill("#expenses-from", "2020-01-01")
    page.fill("#expenses-to", "2020-01-31")
    page.select_option("#expenses-necessary", "no")
    with page.expect_response(lambda r: "/expenses?" in r.url and r.request.headers.get("hx-request") == "true"):
        page.click("#expenses-filters button[type=submit]")
    page.wait_for_function("() => document.querySelector('#expenses-count')?.textContent.startsWith('1 expense')")
    assert "category=Transport" in page.url and "necessary=no" in page.url  # the filtered URL is pushed
    assert page.locator("#expenses-table tbody tr").count() == 1
    assert page.inner_text("#expenses-total") == "₹1,234.50"
    shot(page, artifacts_dir, "expenses-filtered")

    # an inverted range is an error, and no list is shown as if it were filtered
    page.fill("#expenses-from", "2020-02-01")
    with page.expect_response(lambda r: "/expenses?" in r.url):
        page.click("#expenses-filters button[type=submit]")
    page.wait_for_selector("#expenses-filter-error")
    assert page.locator("#expenses-table").count() == 0

    page.goto(page.server_url + f"/expenses/{expense_id}/edit")
    page.once("dialog", lambda dialog: dialog.accept())  # hx-confirm's question
    page.click("#expense-delete button[type=submit]")
    page.wait_for_url(re.compile(r".*/expenses$"))
    assert "Expense deleted." in page.inner_text("#flashes")
    assert page.db.rows("SELECT COUNT(*) FROM expense WHERE id = ?", expense_id)[0][0] == 0


# --------------------------------------------------------------------------- coupons


def test_an_owner_creates_a_coupon_and_it_takes_its_discount_at_the_till(owner_page, artifacts_dir):
    page = owner_page
    page.goto(page.server_url + "/coupons")
    page.click("#new-coupon")
    page.wait_for_url("**/coupons/new")
    page.click("#coupon-code")
    page.keyboard.type("browser15")
    page.select_option("#coupon-kind", "percent")
    page.click("#coupon-value")
    page.keyboard.type("15")
    page.click("#coupon-max-uses")
    page.keyboard.type("5")
    if not page.is_checked("#coupon-active"):
        page.check("#coupon-active")
    page.focus("#coupon-value")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/coupons/\d+$"))
    (coupon_id, code, uses), = page.db.rows("SELECT id, code, uses FROM coupon WHERE code = 'BROWSER15'")
    assert code == "BROWSER15" and uses == 0

    page.goto(page.server_url + "/pos")
    product = a_product(page)
    scan(page, product[1])
    before = total_on_screen(page)
    page.click("#pos-coupon")
    page.keyboard.type("browser15")
    page.keyboard.press("Tab")
    page.wait_for_selector("#pos-discount-total")
    page.wait_for_function("t => document.querySelector('#pos-total').dataset.amount !== t", arg=str(before))
    after = total_on_screen(page)
    assert after < before
    shot(page, artifacts_dir, "till-coupon")
    page.keyboard.press("F9")  # exact cash
    (bill_id, _, total, _, status), = wait_for_bills(page, 1)
    assert money(total) == after and status == "paid"
    assert page.db.rows("SELECT coupon_codes FROM bill WHERE id = ?", bill_id)[0][0] == '["BROWSER15"]'
    assert page.db.rows("SELECT uses FROM coupon WHERE id = ?", coupon_id)[0][0] == 1
    assert page.db.rows("SELECT COUNT(*) FROM coupon_use WHERE coupon_id = ? AND bill_id = ?", coupon_id,
                        bill_id)[0][0] == 1


# --------------------------------------------------------------------------- loyalty points


def test_redeeming_loyalty_points_at_the_till_never_more_than_the_balance(owner_page, artifacts_dir):
    page = owner_page
    write(page, "UPDATE store SET settings = json_set(COALESCE(settings, '{}'), '$.loyalty_point_value', '1.00', "
                "'$.loyalty_per_100', '0') WHERE name = ?", STORE)
    party_id, name, _ = a_customer(page)
    write(page, "UPDATE customer SET loyalty_points = 25, credit_limmit = 0 WHERE party_id = ?", party_id)
    page.goto(page.server_url + "/pos")
    scan(page, a_product(page)[1])
    choose_customer(page, name)
    page.wait_for_selector("#pos-loyalty")
    assert "has 25" in page.inner_text("#pos-loyalty-balance")
    before = total_on_screen(page)

    page.fill("#pos-loyalty", "")
    page.click("#pos-loyalty")
    page.keyboard.type("26")  # more than the balance: the message beside the field, Save off
    page.wait_for_function("() => document.querySelector('#pos-loyalty-error').textContent.trim() !== ''")
    assert "25" in page.inner_text("#pos-loyalty-error")
    page.wait_for_function("() => document.querySelector('#pos-save').disabled")
    shot(page, artifacts_dir, "till-loyalty-refused")
    page.fill("#pos-loyalty", "")
    page.click("#pos-loyalty")
    page.keyboard.type("20")
    page.wait_for_function("() => document.querySelector('#pos-loyalty-error').textContent.trim() === ''")
    page.wait_for_function("t => document.querySelector('#pos-total').dataset.amount === t",
                           arg=str(before - D("20.00")))
    shot(page, artifacts_dir, "till-loyalty")
    page.click("#pos-save")
    (bill_id, _, total, _, status), = wait_for_bills(page, 1)
    assert money(total) == before - D("20.00") and status == "paid"
    assert page.db.rows("SELECT loyalty_points FROM customer WHERE party_id = ?", party_id)[0][0] == 5
    assert page.db.rows("SELECT kind, points, value FROM loyalty_entry WHERE bill_id = ?", bill_id) == [
        ("redeem", -20, 20)]


# --------------------------------------------------------------------------- credit limit


def test_the_till_refuses_a_bill_over_the_credit_limit_until_the_owner_allows_it(owner_page, artifacts_dir):
    page = owner_page
    party_id, name, _ = a_customer(page)
    write(page, "UPDATE customer SET credit_limmit = 10, loyalty_points = 0 WHERE party_id = ?", party_id)
    page.goto(page.server_url + "/pos")
    scan(page, a_product(page)[1])
    choose_customer(page, name)
    with page.expect_response(lambda r: r.url.endswith("/pos/payment")):
        page.check("#pay-none")  # on credit: the whole amount stays due
    page.wait_for_function("() => !document.querySelector('#pos-save').disabled")
    total = total_on_screen(page)
    page.keyboard.press("F9")
    page.wait_for_selector("#pos-errors")
    assert "over their credit limit of ₹10.00" in page.inner_text("#pos-errors")
    assert page.db.pos_bills() == []  # nothing was written
    shot(page, artifacts_dir, "till-credit-refused")

    page.click("#pos-allow-credit")
    (bill_id, _, saved, paid, status), = wait_for_bills(page, 1)
    assert money(saved) == total and money(paid) == 0 and status == "unpaid"
    (meta,), = page.db.rows("SELECT metadata FROM audit_log WHERE action = 'credit_override' ORDER BY id DESC "
                            "LIMIT 1")
    assert f'"party_id": {party_id}' in meta and '"limit": "10.00"' in meta
