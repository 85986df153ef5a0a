"""The till in a real Chromium when things go wrong: once the session has ended (logged out in another tab, or the
cookies deleted) an HTMX action lands on the login page as a whole page, never swapped into the till; a server
error on an HTMX action shows a message in the flash area and leaves the bill on screen. Keyboard and mouse."""
from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.browser.test_pos_browser import (  # noqa: F401 (fixtures)
    CASHIER,
    PASSWORD,
    demo_database,
    scan,
    till_page,
    wait_for_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SESSION_ENDED = "Your session has ended. Please log in again."
LOGIN_FROM_TILL = re.compile(r".*/login\?next=/pos&ended=1$")


def assert_whole_login_page(page) -> None:
    """The login page replaced the till: one site header, the login form, no till left around it.

    Polls rather than waits for one navigation: keystrokes still in flight may each answer HX-Redirect, and the
    browser then aborts the first load for the second (the same page)."""
    expect(page).to_have_url(LOGIN_FROM_TILL)
    expect(page.locator("#flashes")).to_contain_text(SESSION_ENDED)
    page.wait_for_load_state("load")
    assert page.locator("header.site-header").count() == 1
    assert page.locator("#pos").count() == 0 and page.locator("#pos-lines").count() == 0
    assert page.locator("form #email").is_visible() and page.locator("form #password").is_visible()
    assert SESSION_ENDED in page.inner_text("#flashes")


def log_in_again(page, smtp_sink, codes_so_far: int) -> None:
    """Password, then the mailed code, with the keyboard; `next` brings the cashier back to the till."""
    page.fill("#email", CASHIER)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/login/verify")
    page.fill("#otp", wait_for_code(smtp_sink, CASHIER, codes_so_far + 1))
    page.press("#otp", "Enter")
    page.wait_for_url("**/pos")


def test_after_the_session_ends_a_till_action_loads_the_login_page_whole(till_page, smtp_sink):  # noqa: F811
    page = till_page
    (name, barcode, *_), (_, other_barcode, *_) = page.db.products(2)
    scan(page, barcode)

    # Log out in another tab, then scan with the keyboard in the till (an HTMX POST whose CSRF session is gone).
    tab = page.context.new_page()
    tab.goto(page.server_url + "/")
    tab.click("header button:has-text('Log out')")
    tab.wait_for_url("**/login")
    tab.close()
    page.bring_to_front()
    page.focus("#pos-search")
    page.keyboard.type(other_barcode)
    page.keyboard.press("Enter")
    assert_whole_login_page(page)

    log_in_again(page, smtp_sink, codes_so_far=1)
    assert name in page.inner_text("#pos-lines")  # the bill is kept on the server, so nothing was lost

    # Now the cookies vanish (expired, or deleted): a mouse click on Hold lands on the login page too.
    page.context.clear_cookies()
    page.click("#pos-hold")
    assert_whole_login_page(page)
    assert page.db.count("held_bill") == 0

    # And a look-up (an HTMX GET, no CSRF involved) typed into the search box after the cookies vanish.
    log_in_again(page, smtp_sink, codes_so_far=2)
    page.context.clear_cookies()
    page.focus("#pos-search")
    page.keyboard.type(name[:4])
    assert_whole_login_page(page)


def break_bill_inserts(db_path: str, broken: bool) -> None:
    """Make the server's next INSERT INTO bill fail as a bug would (a query on a table that does not exist)."""
    with sqlite3.connect(db_path) as connection:
        if broken:
            connection.execute("CREATE TRIGGER test_boom BEFORE INSERT ON bill BEGIN "
                               "INSERT INTO no_such_table VALUES (1); END")
        else:
            connection.execute("DROP TRIGGER test_boom")


def test_a_server_error_on_a_till_action_shows_a_message_and_keeps_the_bill(till_page, artifacts_dir):  # noqa: F811
    page = till_page
    (name, barcode, *_), = page.db.products(1)
    scan(page, barcode)
    page.wait_for_function("() => !document.querySelector('#pos-save').disabled")
    break_bill_inserts(page.db.path, broken=True)

    with page.expect_response(lambda r: r.url.endswith("/pos/save")) as answer:
        page.keyboard.press("F9")
    assert answer.value.status == 500
    message = page.locator("#flashes .flash-error")
    message.wait_for(state="visible")
    assert "internal error" in message.inner_text()
    assert page.url.endswith("/pos") and name in page.inner_text("#pos-lines")
    page.screenshot(path=str(artifacts_dir / "pos-server-error.png"), full_page=True)

    page.evaluate("document.getElementById('flashes').innerHTML = ''")
    page.wait_for_function("() => !document.querySelector('#pos-save').disabled")
    with page.expect_response(lambda r: r.url.endswith("/pos/save")) as answer:
        page.click("#pos-save")
    assert answer.value.status == 500
    message.wait_for(state="visible")
    assert page.db.pos_bills() == []

    break_bill_inserts(page.db.path, broken=False)
    page.wait_for_function("() => !document.querySelector('#pos-save').disabled")
    page.click("#pos-save")
    page.click("#pos-last-bill-link")  # issue 12: the till stays on the till; the panel links to the bill
    page.wait_for_url(re.compile(r".*/bills/\d+$"))
    assert len(page.db.pos_bills()) == 1
