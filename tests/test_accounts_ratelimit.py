"""Rate limits on sign-in: per client address and per account, shared by the web and the API, 429 in each
surface's envelope."""
from __future__ import annotations

import pytest

from tests.accounts_helpers import last_code, signup_body


@pytest.fixture
def app_config_overrides():
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_LOGIN_PER_ACCOUNT": "3 per 10 minutes",
        "RATELIMIT_OTP_PER_ACCOUNT": "4 per 10 minutes",
        "RATELIMIT_MAIL_PER_ACCOUNT": "2 per 10 minutes",
        "RATELIMIT_AUTH_PER_IP": "12 per 10 minutes",
    }


def wrong_login(client, email="asha@example.com", ip="10.0.0.1"):
    return client.post("/api/login/", json={"email": email, "password": "not-the-password"},
                       environ_base={"REMOTE_ADDR": ip})


def test_the_fourth_login_for_one_account_gets_429_in_drf_words(client, make_user):
    make_user(username="asha")
    assert [wrong_login(client).status_code for _ in range(3)] == [401, 401, 401]
    response = wrong_login(client)
    assert response.status_code == 429
    assert response.get_json() == {"detail": "Request was throttled."}
    assert int(response.headers["Retry-After"]) > 0


def test_the_account_limit_does_not_block_other_accounts_on_the_same_address(client, make_user):
    make_user(username="asha")
    make_user(username="ravi")
    for _ in range(3):
        wrong_login(client)
    assert wrong_login(client).status_code == 429
    assert wrong_login(client, email="ravi@example.com").status_code == 401


def test_the_account_limit_holds_across_addresses(client, make_user):
    make_user(username="asha")
    for n in range(3):
        wrong_login(client, ip=f"10.0.0.{n + 1}")
    assert wrong_login(client, ip="10.0.9.9").status_code == 429


def test_the_address_limit_covers_every_sign_in_endpoint_and_any_email(client):
    statuses = []
    for n in range(12):
        statuses.append(client.post("/api/forget-password/" if n % 2 else "/api/login/",
                                    json={"email": f"someone{n}@example.com", "password": "x" * 8},
                                    environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code)
    assert 429 not in statuses
    blocked = client.post("/api/verify-login-otp/", json={"email": "new@example.com", "otp": "123456"},
                          environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert blocked.status_code == 429
    other = client.post("/api/verify-login-otp/", json={"email": "new@example.com", "otp": "123456"},
                        environ_base={"REMOTE_ADDR": "10.2.2.2"})
    assert other.status_code == 404


def test_code_checks_are_limited_per_account(client, make_user):
    make_user(username="asha")
    body = {"email": "asha@example.com", "otp": "000000"}
    statuses = [
        client.post("/api/verify-login-otp/", json=body, environ_base={"REMOTE_ADDR": f"10.3.0.{n}"}).status_code
        for n in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 429]


def test_reset_mails_are_limited_per_account(client, make_user, outbox):
    make_user(username="asha")
    statuses = [client.post("/api/forget-password/", json={"email": "asha@example.com"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert len(outbox()) == 2


def test_the_web_login_shares_the_account_counter_and_answers_an_html_429(client, make_user):
    make_user(username="asha")
    for _ in range(2):
        wrong_login(client)
    page = client.post_form("/login", {"email": "asha@example.com", "password": "not-the-password"})
    assert page.status_code == 422
    blocked = client.post_form("/login", {"email": "asha@example.com", "password": "not-the-password"})
    assert blocked.status_code == 429
    assert blocked.content_type.startswith("text/html")
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_showing_the_login_form_never_uses_up_attempts(client, make_user):
    make_user(username="asha")
    for _ in range(20):
        assert client.get("/login").status_code == 200
    assert wrong_login(client).status_code == 401


def test_a_rate_limited_signup_writes_nothing(client, outbox):
    from extensions import db
    from models import User

    for n in range(2):
        client.post("/api/signup/", json=signup_body(f"user{n}", email="same@example.com"))
    response = client.post("/api/signup/", json=signup_body("third", email="same@example.com"))
    assert response.status_code == 429
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 1
    assert last_code(outbox(), "same@example.com")
