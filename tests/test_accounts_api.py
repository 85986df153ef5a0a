"""The NamastePMS Authentication endpoints, answered exactly as the contract writes them."""
from __future__ import annotations

import jwt
import pytest

from extensions import db
from models import Category, Membership, OneTimeCode, RefreshToken, Store, User
from tests.accounts_helpers import last_code, mails_to, signup_body, text_of

SIGNUP_OK = {"message": "User created successfully. Please verify the OTP sent to your email."}


def signup_and_verify(client, outbox, username="asha"):
    body = signup_body(username)
    assert client.post("/api/signup/", json=body).status_code == 201
    code = last_code(outbox(), body["email"])
    assert client.post("/api/verify-signup-otp/", json={"email": body["email"], "otp": code}).status_code == 200
    return body


def login_tokens(client, outbox, body):
    response = client.post("/api/login/", json={"email": body["email"], "password": body["password"]})
    assert response.status_code == 200, response.get_json()
    code = last_code(outbox(), body["email"], subject="Your login code")
    response = client.post("/api/verify-login-otp/", json={"email": body["email"], "otp": code})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --------------------------------------------------------------------------- signup


def test_signup_creates_an_unverified_user_with_a_hashed_password_and_their_first_store(client, outbox):
    body = signup_body("asha")
    response = client.post("/api/signup/", json=body)
    assert response.status_code == 201
    assert response.get_json() == SIGNUP_OK
    user = db.session.execute(db.select(User).filter_by(email="asha@example.com")).scalar_one()
    assert user.is_verify is False
    # TestConfig hashes with one PBKDF2 round for speed; test_production_hashes_passwords_with_scrypt covers scrypt.
    assert user.password_hash != body["password"] and user.password_hash.startswith("pbkdf2:sha256:1$")
    assert body["password"] not in user.password_hash
    assert user.phone_no == "+919876543210" and user.business_name == "Asha Stores"
    membership = db.session.execute(db.select(Membership).filter_by(user_id=user.id)).scalar_one()
    assert membership.role == "owner"
    store = db.session.get(Store, membership.store_id)
    assert store.name == "Asha Stores" and user.current_store_id == store.id
    assert db.session.execute(db.select(db.func.count(Category.id)).filter_by(store_id=store.id)).scalar() > 0


def test_production_hashes_passwords_with_scrypt(app):
    from werkzeug.security import check_password_hash

    from config import Config
    from services.accounts.stores import hash_password

    assert Config().PASSWORD_HASH_METHOD == "scrypt"
    app.config["PASSWORD_HASH_METHOD"] = Config().PASSWORD_HASH_METHOD
    hashed = hash_password("Password123!")
    assert hashed.startswith("scrypt:") and check_password_hash(hashed, "Password123!")


def test_signup_without_a_business_name_names_the_store_after_the_user(client):
    body = {"username": "ravi", "email": "ravi@example.com", "password": "Sup3rSecret!"}
    assert client.post("/api/signup/", json=body).status_code == 201
    assert db.session.execute(db.select(Store.name)).scalar_one() == "ravi's shop"


def test_signup_mails_the_code_as_text_and_html_naming_the_shop_and_purpose(client, outbox):
    client.post("/api/signup/", json=signup_body("asha"))
    [message] = mails_to(outbox(), "asha@example.com")
    assert message["Subject"] == "Verify your email"
    text, html = text_of(message), text_of(message, "html")
    code = last_code(outbox(), "asha@example.com")
    for part in (text, html):
        assert code in part and "Asha Stores" in part and "verify your email address" in part
    stored = db.session.execute(db.select(OneTimeCode)).scalar_one()
    assert stored.purpose == "signup" and stored.code_hash != code and code not in stored.code_hash


@pytest.mark.parametrize(
    "body, errors",
    [
        ({}, {"username": ["This field is required."], "email": ["This field is required."],
              "password": ["This field is required."]}),
        ({"username": "", "email": "a@example.com", "password": "Sup3rSecret!"},
         {"username": ["This field may not be blank."]}),
        ({"username": None, "email": "a@example.com", "password": "Sup3rSecret!"},
         {"username": ["This field may not be null."]}),
        ({"username": ["x"], "email": "a@example.com", "password": "Sup3rSecret!"},
         {"username": ["Not a valid string."]}),
        ({"username": "a", "email": "not-an-email", "password": "Sup3rSecret!"},
         {"email": ["Enter a valid email address."]}),
        ({"username": "a", "email": "a@example.com", "password": "short"},
         {"password": ["Ensure this field has at least 8 characters."]}),
        ({"username": "a", "email": "a@example.com", "password": "Sup3rSecret!", "phone_no": "1" * 16},
         {"phone_no": ["Ensure this field has no more than 15 characters."]}),
    ],
)
def test_signup_with_bad_fields_answers_drf_field_errors_and_writes_nothing(client, outbox, body, errors):
    response = client.post("/api/signup/", json=body)
    assert response.status_code == 400
    assert response.get_json() == errors
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 0
    assert outbox() == []


@pytest.mark.parametrize(
    "data, content_type, expected",
    [
        ("", "application/json", {"non_field_errors": ["No data provided"]}),
        ("[1, 2]", "application/json", {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
    ],
)
def test_a_body_that_is_not_a_json_object_gets_a_400(client, data, content_type, expected):
    response = client.post("/api/signup/", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json() == expected


def test_malformed_json_gets_a_400_with_the_parse_error(client):
    response = client.post("/api/login/", data="{email: nope", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["detail"].startswith("JSON parse error - ")


def test_signup_with_a_taken_email_or_username_is_refused(client):
    client.post("/api/signup/", json=signup_body("asha"))
    response = client.post("/api/signup/", json=signup_body("asha", email="ASHA@example.com "))
    assert response.status_code == 400
    assert response.get_json() == {
        "username": ["A user with that username already exists."],
        "email": ["user with this email already exists."],
    }


# --------------------------------------------------------------------------- verify signup


def test_verify_signup_otp_marks_the_email_verified(client, outbox):
    client.post("/api/signup/", json=signup_body("asha"))
    code = last_code(outbox(), "asha@example.com")
    response = client.post("/api/verify-signup-otp/", json={"email": "asha@example.com", "otp": code})
    assert response.status_code == 200
    assert response.get_json() == {"message": "Signup OTP verified successfully!"}
    assert db.session.execute(db.select(User.is_verify)).scalar_one() is True


def test_verify_signup_otp_for_an_unknown_email_is_404(client):
    response = client.post("/api/verify-signup-otp/", json={"email": "nobody@example.com", "otp": "123456"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "User not found"}


def test_verify_signup_otp_with_no_pending_code_says_no_otp_found(client, make_user):
    make_user(username="asha")  # verified, never sent a signup code
    response = client.post("/api/verify-signup-otp/", json={"email": "asha@example.com", "otp": "123456"})
    assert response.status_code == 400
    assert response.get_json() == {"error": "No OTP found"}


@pytest.mark.parametrize("otp", ["12345", "1234567", "12a456", ""])
def test_an_otp_that_is_not_six_digits_is_a_field_error(client, otp):
    response = client.post("/api/verify-login-otp/", json={"email": "a@example.com", "otp": otp})
    assert response.status_code == 400
    message = "This field may not be blank." if otp == "" else "Enter the 6-digit code."
    assert response.get_json() == {"otp": [message]}


# --------------------------------------------------------------------------- login


def test_login_mails_a_login_code_and_verify_login_otp_returns_tokens(client, outbox, app):
    body = signup_and_verify(client, outbox)
    response = client.post("/api/login/", json={"email": body["email"], "password": body["password"]})
    assert response.status_code == 200
    assert response.get_json() == {"message": "OTP sent to your email. Please verify to proceed."}
    code = last_code(outbox(), body["email"], subject="Your login code")
    response = client.post("/api/verify-login-otp/", json={"email": body["email"], "otp": code})
    assert response.status_code == 200
    payload = response.get_json()
    assert list(payload) == ["message", "refresh", "access"]
    assert payload["message"] == "Login OTP verified successfully!"
    user = db.session.execute(db.select(User)).scalar_one()
    access = jwt.decode(payload["access"], app.config["SECRET_KEY"], algorithms=["HS256"])
    refresh = jwt.decode(payload["refresh"], app.config["SECRET_KEY"], algorithms=["HS256"])
    assert (access["typ"], access["sub"], access["ver"]) == ("access", str(user.id), user.token_version)
    assert refresh["typ"] == "refresh"
    assert 14 * 60 <= access["exp"] - access["iat"] <= 15 * 60
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600
    assert db.session.execute(db.select(RefreshToken.jti)).scalar_one() == refresh["jti"]
    assert user.last_login_at is not None


def test_login_with_a_wrong_password_is_401_invalid_credentials(client, outbox):
    body = signup_and_verify(client, outbox)
    response = client.post("/api/login/", json={"email": body["email"], "password": "wrong-password"})
    assert response.status_code == 401
    assert response.get_json() == {"error": "Invalid credentials"}
    assert not [m for m in outbox() if m["Subject"].startswith("Your login code")]


def test_login_with_an_unknown_email_is_404_user_not_found(client):
    response = client.post("/api/login/", json={"email": "nobody@example.com", "password": "whatever1"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "User not found"}


def test_login_before_signup_verification_is_403_with_a_fresh_signup_code(client, outbox):
    body = signup_body("asha")
    client.post("/api/signup/", json=body)
    first = last_code(outbox(), body["email"])
    response = client.post("/api/login/", json={"email": body["email"], "password": body["password"]})
    assert response.status_code == 403
    assert response.get_json() == {"error": "Email not verified. A new OTP has been sent to your email."}
    signup_mails = [m for m in mails_to(outbox(), body["email"]) if m["Subject"] == "Verify your email"]
    assert len(signup_mails) == 2
    fresh = last_code(outbox(), body["email"])
    while fresh == first:  # one chance in a million that the two random codes agree: ask for another
        client.post("/api/login/", json={"email": body["email"], "password": body["password"]})
        fresh = last_code(outbox(), body["email"])
    old = client.post("/api/verify-signup-otp/", json={"email": body["email"], "otp": first})
    assert old.get_json() == {"error": "Invalid OTP"}  # the old code was voided by the new one
    ok = client.post("/api/verify-signup-otp/", json={"email": body["email"], "otp": fresh})
    assert ok.status_code == 200


def test_a_disabled_account_cannot_log_in(client, outbox):
    body = signup_and_verify(client, outbox)
    db.session.execute(db.update(User).values(is_active_account=False))
    db.session.commit()
    response = client.post("/api/login/", json={"email": body["email"], "password": body["password"]})
    assert response.status_code == 403
    assert response.get_json() == {"error": "This account is disabled."}


def test_without_rate_limits_many_wrong_logins_all_answer_401(client, outbox):
    body = signup_and_verify(client, outbox)
    statuses = {client.post("/api/login/", json={"email": body["email"], "password": "nope-nope"}).status_code
                for _ in range(15)}
    assert statuses == {401}


# --------------------------------------------------------------------------- password reset


def test_forget_password_for_an_unknown_email_is_404(client):
    response = client.post("/api/forget-password/", json={"email": "nobody@example.com"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "User not found"}


def test_password_reset_flow_changes_the_password_and_mails_a_notice(client, outbox):
    body = signup_and_verify(client, outbox)
    response = client.post("/api/forget-password/", json={"email": body["email"]})
    assert response.status_code == 200
    assert response.get_json() == {"message": "OTP sent to your email. Please verify to reset your password."}
    code = last_code(outbox(), body["email"], subject="Reset your password")
    response = client.post("/api/verify-forget-password-otp/", json={"email": body["email"], "otp": code})
    assert response.status_code == 200
    assert response.get_json() == {"message": "Forget Password OTP verified successfully!"}
    response = client.post("/api/reset-password/", json={"email": body["email"], "new_password": "BrandNew456!"})
    assert response.status_code == 200
    assert response.get_json() == {"message": "Password reset successfully!"}
    assert outbox()[-1]["Subject"] == "Your password was changed"
    old = client.post("/api/login/", json={"email": body["email"], "password": body["password"]})
    assert old.status_code == 401
    new = client.post("/api/login/", json={"email": body["email"], "password": "BrandNew456!"})
    assert new.status_code == 200


def test_reset_password_without_a_verified_code_is_400_otp_not_verified(client, outbox):
    body = signup_and_verify(client, outbox)
    client.post("/api/forget-password/", json={"email": body["email"]})  # sent but not verified
    response = client.post("/api/reset-password/", json={"email": body["email"], "new_password": "BrandNew456!"})
    assert response.status_code == 400
    assert response.get_json() == {"error": "OTP not verified"}


def test_a_verified_reset_code_allows_one_reset_only(client, outbox):
    body = signup_and_verify(client, outbox)
    client.post("/api/forget-password/", json={"email": body["email"]})
    code = last_code(outbox(), body["email"], subject="Reset your password")
    client.post("/api/verify-forget-password-otp/", json={"email": body["email"], "otp": code})
    first = client.post("/api/reset-password/", json={"email": body["email"], "new_password": "BrandNew456!"})
    second = client.post("/api/reset-password/", json={"email": body["email"], "new_password": "Another789!"})
    assert first.status_code == 200
    assert second.status_code == 400 and second.get_json() == {"error": "OTP not verified"}


def test_reset_password_checks_the_new_password_and_keeps_the_verification(client, outbox):
    body = signup_and_verify(client, outbox)
    client.post("/api/forget-password/", json={"email": body["email"]})
    code = last_code(outbox(), body["email"], subject="Reset your password")
    client.post("/api/verify-forget-password-otp/", json={"email": body["email"], "otp": code})
    short = client.post("/api/reset-password/", json={"email": body["email"], "new_password": "short"})
    assert short.status_code == 400
    assert short.get_json() == {"new_password": ["Ensure this field has at least 8 characters."]}
    ok = client.post("/api/reset-password/", json={"email": body["email"], "new_password": "BrandNew456!"})
    assert ok.status_code == 200


def test_a_reset_verified_long_ago_no_longer_allows_a_reset(client, outbox, monkeypatch):
    from datetime import timedelta

    from services.accounts import users as accounts

    body = signup_and_verify(client, outbox)
    client.post("/api/forget-password/", json={"email": body["email"]})
    code = last_code(outbox(), body["email"], subject="Reset your password")
    client.post("/api/verify-forget-password-otp/", json={"email": body["email"], "otp": code})
    real_now = accounts._now
    monkeypatch.setattr(accounts, "_now", lambda: real_now() + timedelta(minutes=11))
    response = client.post("/api/reset-password/", json={"email": body["email"], "new_password": "BrandNew456!"})
    assert response.get_json() == {"error": "OTP not verified"}


def test_reset_password_for_an_unknown_email_is_404(client):
    response = client.post("/api/reset-password/", json={"email": "nobody@example.com", "new_password": "BrandNew456!"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "User not found"}


def test_reset_code_verification_also_verifies_an_invited_users_email(client, outbox):
    client.post("/api/signup/", json=signup_body("asha"))  # never verified
    client.post("/api/forget-password/", json={"email": "asha@example.com"})
    code = last_code(outbox(), "asha@example.com", subject="Reset your password")
    client.post("/api/verify-forget-password-otp/", json={"email": "asha@example.com", "otp": code})
    assert db.session.execute(db.select(User.is_verify)).scalar_one() is True


# --------------------------------------------------------------------------- refresh


def test_token_refresh_answers_a_new_access_and_the_next_refresh(client, outbox, app):
    tokens = login_tokens(client, outbox, signup_and_verify(client, outbox))
    response = client.post("/api/token/refresh/", json={"refresh": tokens["refresh"]})
    assert response.status_code == 200
    payload = response.get_json()
    assert set(payload) == {"access", "refresh"}
    assert payload["refresh"] != tokens["refresh"]
    claims = jwt.decode(payload["access"], app.config["SECRET_KEY"], algorithms=["HS256"])
    assert claims["typ"] == "access"


@pytest.mark.parametrize(
    "body, errors",
    [({}, {"refresh": ["This field is required."]}), ({"refresh": ""}, {"refresh": ["This field may not be blank."]})],
)
def test_token_refresh_without_a_token_is_a_field_error(client, body, errors):
    response = client.post("/api/token/refresh/", json=body)
    assert response.status_code == 400
    assert response.get_json() == errors


def test_token_refresh_with_garbage_is_401_in_drf_words(client):
    response = client.post("/api/token/refresh/", json={"refresh": "not-a-token"})
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Token is invalid or expired", "code": "token_not_valid"}
