"""The web sign-in pages: signup and its code, login with password then code, reset, change password, logout,
CSRF on every form, errors beside fields with what was typed kept, and a new session at sign-in."""
from __future__ import annotations

import re

import pytest

from extensions import db
from models import User
from tests.accounts_helpers import last_code, wrong_code

PASSWORD = "Password123!"


def signed_in(client) -> bool:
    response = client.get("/account/password")
    return response.status_code == 200


def web_login(client, outbox, email="asha@example.com", password=PASSWORD, remember=False, next_url=None):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    url = "/login" + (f"?next={next_url}" if next_url else "")
    response = client.post_form(url, data)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/login/verify")
    code = last_code(outbox(), email, subject="Your login code")
    return client.post_form("/login/verify", {"otp": code})


@pytest.mark.parametrize("path", ["/signup", "/login", "/forgot-password"])
def test_forms_without_a_csrf_token_are_refused(client, make_user, path):
    make_user(username="asha")
    response = client.post(path, data={"email": "asha@example.com", "password": PASSWORD, "username": "x"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_a_csrf_less_signup_writes_nothing(client, outbox):
    client.post("/signup", data={"username": "asha", "email": "asha@example.com", "password": PASSWORD})
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 0
    assert outbox() == []


def test_the_login_page_carries_a_csrf_token_and_the_code_page_the_dev_hint(client, make_user, outbox):
    make_user(username="asha")
    html = client.get("/login").get_data(as_text=True)
    assert re.search(r'name="csrf_token" type="hidden" value="[^"]+"', html)
    client.post_form("/login", {"email": "asha@example.com", "password": PASSWORD})
    page = client.get("/login/verify").get_data(as_text=True)
    assert "instance/outbox/" in page and "console" in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page


def test_no_outbox_hint_when_a_mail_server_is_configured(client, app):
    app.config["MAIL_SERVER"] = "smtp.example.org"
    with client.session_transaction() as session:
        session["pending_login"] = {"email": "asha@example.com", "remember": False, "next": None}
    page = client.get("/login/verify").get_data(as_text=True)
    assert "Enter your login code" in page
    assert "instance/outbox/" not in page


def test_signup_then_code_signs_the_new_owner_in(client, outbox):
    response = client.post_form("/signup", {"username": "asha", "email": "Asha@Example.com", "password": PASSWORD,
                                            "business_name": "Asha General Store", "business_kind": "general"})
    assert response.status_code == 303
    code = last_code(outbox(), "asha@example.com")
    response = client.post_form("/signup/verify", {"otp": code})
    assert response.status_code == 303
    assert "Asha General Store" in client.get("/").get_data(as_text=True)
    assert db.session.execute(db.select(User.is_verify)).scalar_one() is True


def test_signup_errors_show_beside_their_fields_and_keep_what_was_typed(client, make_user):
    make_user(username="ravi")
    response = client.post_form("/signup", {"username": "ravi", "email": "not-an-email", "password": "short",
                                            "business_name": "Ravi & Sons <Kirana>"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="username-error">A user with that username already exists.' in html
    assert 'id="email-error">Enter a valid email address.' in html
    assert 'id="password-error">Ensure this field has at least 8 characters.' in html
    assert 'value="not-an-email"' in html
    assert 'value="Ravi &amp; Sons &lt;Kirana&gt;"' in html  # kept, and escaped
    assert 'value="short"' not in html  # passwords are never echoed back


def test_login_is_password_then_the_mailed_code(client, make_user, outbox):
    make_user(username="asha")
    response = web_login(client, outbox)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert signed_in(client)


def test_a_wrong_password_shows_one_message_for_known_and_unknown_emails(client, make_user):
    make_user(username="asha")
    known = client.post_form("/login", {"email": "asha@example.com", "password": "wrong-password"})
    unknown = client.post_form("/login", {"email": "nobody@example.com", "password": "wrong-password"})
    for response, email in ((known, "asha@example.com"), (unknown, "nobody@example.com")):
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "The email or password is not correct." in html
        assert f'value="{email}"' in html
    assert not signed_in(client)


def test_a_wrong_code_is_shown_beside_the_code_field_and_counted(client, make_user, outbox):
    from models import OneTimeCode

    make_user(username="asha")
    client.post_form("/login", {"email": "asha@example.com", "password": PASSWORD})
    code = last_code(outbox(), "asha@example.com")
    response = client.post_form("/login/verify", {"otp": wrong_code(code)})
    assert response.status_code == 422
    assert 'id="otp-error">Invalid OTP' in response.get_data(as_text=True)
    assert db.session.execute(db.select(OneTimeCode.attempts)).scalar_one() == 1
    assert client.post_form("/login/verify", {"otp": code}).status_code == 303


def test_login_of_an_unverified_account_goes_to_the_signup_code_with_a_fresh_code(client, make_user, outbox):
    make_user(username="asha", verified=False)
    response = client.post_form("/login", {"email": "asha@example.com", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"].endswith("/signup/verify")
    code = last_code(outbox(), "asha@example.com", subject="Verify your email")
    assert client.post_form("/signup/verify", {"otp": code}).status_code == 303
    assert signed_in(client)


def test_the_session_is_new_after_sign_in(client, make_user, outbox):
    make_user(username="asha")
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    web_login(client, outbox)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "pending_login" not in session
        assert session["_user_id"].startswith(str(db.session.execute(db.select(User.id)).scalar_one()) + ":")


def test_remember_me_sets_a_long_lived_cookie_only_when_asked(client, make_user, outbox, app):
    make_user(username="asha")
    response = web_login(client, outbox, remember=True)
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))
    other = app.test_client()
    other.__class__ = type(client)
    response = web_login(other, outbox, remember=False)
    assert "remember_token=" not in " ".join(response.headers.getlist("Set-Cookie"))


def test_next_is_followed_only_within_the_site(client, make_user, outbox):
    make_user(username="asha")
    assert web_login(client, outbox, next_url="/admin/settings").headers["Location"] == "/admin/settings"
    client.post_form("/logout")
    assert web_login(client, outbox, next_url="//evil.example/").headers["Location"] == "/"


def test_logout_ends_the_session(client, make_user, outbox):
    make_user(username="asha")
    web_login(client, outbox)
    response = client.post_form("/logout")
    assert response.status_code == 303
    assert not signed_in(client)


def test_forgot_and_reset_on_the_web_sets_the_password_and_ends_older_sessions(client, make_user, outbox, app):
    make_user(username="asha")
    web_login(client, outbox)
    other = app.test_client()
    other.__class__ = type(client)
    assert client.post_form("/logout").status_code == 303
    web_login(client, outbox)  # the session that the reset must end
    response = other.post_form("/forgot-password", {"email": "asha@example.com"})
    assert response.status_code == 303
    code = last_code(outbox(), "asha@example.com", subject="Reset your password")
    mismatch = other.post_form("/reset-password", {"otp": code, "new_password": "NewPass456!",
                                                   "confirm_password": "Different1!"})
    assert mismatch.status_code == 422 and "do not match" in mismatch.get_data(as_text=True)
    done = other.post_form("/reset-password", {"otp": code, "new_password": "NewPass456!",
                                               "confirm_password": "NewPass456!"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/login")
    assert not signed_in(client)
    assert web_login(other, outbox, password="NewPass456!").status_code == 303


def test_forgot_password_does_not_reveal_whether_an_email_has_an_account(client, make_user, outbox):
    make_user(username="asha")
    known = client.post_form("/forgot-password", {"email": "asha@example.com"})
    unknown = client.post_form("/forgot-password", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    assert [m["To"] for m in outbox()] == ["asha@example.com"]


def test_change_password_needs_the_current_one_and_signs_out_other_devices(client, make_user, outbox, app):
    make_user(username="asha")
    web_login(client, outbox)
    other = app.test_client()
    other.__class__ = type(client)
    web_login(other, outbox)
    wrong = client.post_form("/account/password", {"current_password": "nope-nope", "new_password": "NewPass456!",
                                                   "confirm_password": "NewPass456!"})
    assert wrong.status_code == 422
    assert 'id="current_password-error">Your current password is not correct.' in wrong.get_data(as_text=True)
    ok = client.post_form("/account/password", {"current_password": PASSWORD, "new_password": "NewPass456!",
                                                "confirm_password": "NewPass456!"})
    assert ok.status_code == 303
    assert signed_in(client)
    assert not signed_in(other)
    assert outbox()[-1]["Subject"] == "Your password was changed"


def test_pages_that_need_a_sign_in_send_you_to_login(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_login_page_focuses_exactly_one_field(client):
    html = client.get("/login").get_data(as_text=True)
    assert html.count("autofocus") == 1
    assert 'autofocus="None"' not in html
