"""A real Chromium signs up, confirms the mailed code, logs out, and logs in with password then code,
against gunicorn; in development mode the codes are read from the outbox the page points to."""
from __future__ import annotations

import email
import time
from pathlib import Path

import pytest

from tests.accounts_helpers import last_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def outbox_code(outbox: Path, address: str, subject: str, count: int, limit: float = 10.0) -> str:
    """The code from the newest mail with this subject, once at least `count` such mails are in the outbox."""
    deadline = time.monotonic() + limit
    while True:
        messages = [email.message_from_bytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]
        matching = [m for m in messages if m["Subject"] == subject]
        if len(matching) >= count or time.monotonic() > deadline:
            return last_code(matching, address)
        time.sleep(0.1)


def test_signup_and_login_with_the_mailed_code_in_chromium(live_server, browser, artifacts_dir):
    server = live_server(workers=2)
    outbox = server.instance_path / "outbox"
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(server.url + "/signup")
        page.fill("#username", "asha")
        page.fill("#email", "asha@example.com")
        page.fill("#password", "Sup3rSecret!")
        page.fill("#business_name", "Asha General Store")
        page.click("button[type=submit]")
        page.wait_for_url("**/signup/verify")
        assert "instance/outbox/" in page.inner_text("#dev-hint")
        page.fill("#otp", outbox_code(outbox, "asha@example.com", "Verify your email", 1))
        page.click("form:not(.inline-form) button[type=submit]")
        page.wait_for_url(server.url + "/")
        assert "Asha General Store" in page.inner_text("h1")

        page.click("text=Log out")
        page.wait_for_url("**/login")
        page.fill("#email", "asha@example.com")
        page.fill("#password", "wrong-password")
        page.click("button[type=submit]")
        assert "The email or password is not correct." in page.inner_text("#password-error")
        assert page.input_value("#email") == "asha@example.com"  # what was typed is kept
        page.fill("#password", "Sup3rSecret!")
        page.check("#remember")
        page.click("button[type=submit]")
        page.wait_for_url("**/login/verify")
        assert page.evaluate("document.activeElement.id") == "otp"  # the cashier can type the code at once
        page.fill("#otp", outbox_code(outbox, "asha@example.com", "Your login code", 1))
        page.screenshot(path=str(artifacts_dir / "web-login-code.png"))
        page.press("#otp", "Enter")
        page.wait_for_url(server.url + "/")
        assert "Asha General Store" in page.inner_text("h1")
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies["session"]["httpOnly"] and cookies["remember_token"]["httpOnly"]
        assert cookies["session"]["sameSite"] == "Lax"
        page.screenshot(path=str(artifacts_dir / "web-login-home.png"))
    finally:
        page.close()
