"""Every documented error body of the three NamastePMS OTP checks (../shared/seeds/000_...: Authentication).

Each verify endpoint documents 400 "OTP expired", 400 "Invalid OTP" and 404 "User not found". A wrong code here
is the right code with one digit changed, so it can never be right by chance, and each refusal is checked to
leave the right code usable (nothing spent) and the user unchanged.
"""
from __future__ import annotations

import pytest

from extensions import db
from models import OneTimeCode, User
from tests.accounts_helpers import last_code, signup_body

SIGNUP, LOGIN, RESET = "/api/verify-signup-otp/", "/api/verify-login-otp/", "/api/verify-forget-password-otp/"


def one_digit_changed(code: str) -> str:
    """The code with its last digit changed: certainly not the code."""
    return code[:-1] + str((int(code[-1]) + 1) % 10)


@pytest.fixture
def pending(client, outbox):
    """pending(purpose) -> (email, code): a user with a fresh code of that purpose, made through the API."""

    def make(purpose: str) -> tuple[str, str]:
        body = signup_body("asha")
        assert client.post("/api/signup/", json=body).status_code == 201
        if purpose == "signup":
            return body["email"], last_code(outbox(), body["email"])
        verify = {"email": body["email"], "otp": last_code(outbox(), body["email"])}
        assert client.post(SIGNUP, json=verify).status_code == 200
        if purpose == "login":
            login = {"email": body["email"], "password": body["password"]}
            assert client.post("/api/login/", json=login).status_code == 200
            return body["email"], last_code(outbox(), body["email"], subject="Your login code")
        assert client.post("/api/forget-password/", json={"email": body["email"]}).status_code == 200
        return body["email"], last_code(outbox(), body["email"], subject="Reset your password")

    return make


def code_row(purpose: str) -> OneTimeCode:
    db.session.expire_all()
    return db.session.execute(db.select(OneTimeCode).filter_by(purpose=purpose)
                              .order_by(OneTimeCode.id.desc())).scalars().first()


ENDPOINTS = [(SIGNUP, "signup"), (LOGIN, "login"), (RESET, "reset")]


@pytest.mark.parametrize("url, purpose", ENDPOINTS, ids=["signup", "login", "reset"])
def test_a_code_one_digit_off_is_invalid_otp_and_leaves_the_right_code_usable(client, pending, url, purpose):
    email, code = pending(purpose)
    response = client.post(url, json={"email": email, "otp": one_digit_changed(code)})
    assert response.status_code == 400
    assert response.get_json() == {"error": "Invalid OTP"}
    row = code_row(purpose)
    assert row.attempts == 1 and row.used_at is None and row.verified_at is None
    assert client.post(url, json={"email": email, "otp": code}).status_code == 200


@pytest.mark.parametrize("url, purpose", ENDPOINTS, ids=["signup", "login", "reset"])
def test_a_code_after_ten_minutes_is_otp_expired_and_spends_nothing(client, pending, clock, url, purpose):
    email, code = pending(purpose)
    verified_before = db.session.execute(db.select(User.is_verify).filter_by(email=email)).scalar_one()
    clock(minutes=10, seconds=1)
    response = client.post(url, json={"email": email, "otp": code})
    assert response.status_code == 400
    assert response.get_json() == {"error": "OTP expired"}
    row = code_row(purpose)
    assert row.used_at is None and row.verified_at is None and row.attempts == 0
    db.session.expire_all()
    assert db.session.execute(db.select(User.is_verify).filter_by(email=email)).scalar_one() == verified_before


@pytest.mark.parametrize("url", [SIGNUP, LOGIN, RESET], ids=["signup", "login", "reset"])
def test_an_unknown_email_is_404_user_not_found(client, pending, url):
    email, code = pending("login" if url == LOGIN else "reset" if url == RESET else "signup")
    response = client.post(url, json={"email": "nobody@example.com", "otp": code})
    assert response.status_code == 404
    assert response.get_json() == {"error": "User not found"}
    assert "refresh" not in response.get_json()
    # The real user's code was not touched by the stranger's try.
    assert client.post(url, json={"email": email, "otp": code}).status_code == 200
