"""One-time code rules: single use, 10 minutes, 5 wrong tries, bound to a purpose, the newest voids older ones."""
from __future__ import annotations

import threading

import pytest

from extensions import db
from models import OneTimeCode
from services.accounts import users as accounts
from tests.accounts_helpers import last_code, signup_body, wrong_code


@pytest.fixture
def verified(client, outbox):
    """A verified account made through the API; returns its signup body."""
    body = signup_body("asha")
    client.post("/api/signup/", json=body)
    client.post("/api/verify-signup-otp/", json={"email": body["email"], "otp": last_code(outbox(), body["email"])})
    return body


def ask_login_code(client, outbox, body) -> str:
    assert client.post("/api/login/", json={"email": body["email"], "password": body["password"]}).status_code == 200
    return last_code(outbox(), body["email"], subject="Your login code")


def verify_login(client, email, code):
    return client.post("/api/verify-login-otp/", json={"email": email, "otp": code})


def test_a_login_code_works_once(client, outbox, verified):
    code = ask_login_code(client, outbox, verified)
    assert verify_login(client, verified["email"], code).status_code == 200
    again = verify_login(client, verified["email"], code)
    assert again.status_code == 400
    assert again.get_json() == {"error": "No OTP found"}


def test_a_signup_code_works_once(client, outbox):
    body = signup_body("asha")
    client.post("/api/signup/", json=body)
    code = last_code(outbox(), body["email"])
    first = client.post("/api/verify-signup-otp/", json={"email": body["email"], "otp": code})
    second = client.post("/api/verify-signup-otp/", json={"email": body["email"], "otp": code})
    assert first.status_code == 200
    assert second.get_json() == {"error": "No OTP found"}


def test_a_reset_code_verifies_once(client, outbox, verified):
    client.post("/api/forget-password/", json={"email": verified["email"]})
    code = last_code(outbox(), verified["email"], subject="Reset your password")
    first = client.post("/api/verify-forget-password-otp/", json={"email": verified["email"], "otp": code})
    second = client.post("/api/verify-forget-password-otp/", json={"email": verified["email"], "otp": code})
    assert first.status_code == 200
    assert second.get_json() == {"error": "No OTP found"}


def test_a_code_still_works_just_before_ten_minutes(client, outbox, verified, clock):
    code = ask_login_code(client, outbox, verified)
    clock(minutes=9, seconds=59)
    assert verify_login(client, verified["email"], code).status_code == 200


def test_a_code_is_expired_after_ten_minutes(client, outbox, verified, clock):
    code = ask_login_code(client, outbox, verified)
    clock(minutes=10, seconds=1)
    response = verify_login(client, verified["email"], code)
    assert response.status_code == 400
    assert response.get_json() == {"error": "OTP expired"}
    assert "refresh" not in response.get_json()


def test_five_wrong_tries_kill_the_code_even_for_the_right_digits(client, outbox, verified):
    code = ask_login_code(client, outbox, verified)
    for _ in range(5):
        response = verify_login(client, verified["email"], wrong_code(code))
        assert response.status_code == 400
        assert response.get_json() == {"error": "Invalid OTP"}
    # The counted tries were committed although every answer was an error.
    assert db.session.execute(db.select(OneTimeCode.attempts).filter_by(purpose="login")).scalar_one() == 5
    response = verify_login(client, verified["email"], code)
    assert response.status_code == 400
    assert response.get_json() == {"error": "Too many wrong attempts. Please request a new OTP."}
    fresh = ask_login_code(client, outbox, verified)
    assert verify_login(client, verified["email"], fresh).status_code == 200


def test_four_wrong_tries_still_leave_the_right_code_usable(client, outbox, verified):
    code = ask_login_code(client, outbox, verified)
    for _ in range(4):
        verify_login(client, verified["email"], wrong_code(code))
    assert verify_login(client, verified["email"], code).status_code == 200


def test_a_signup_code_does_not_log_anyone_in(client, outbox):
    body = signup_body("asha")
    client.post("/api/signup/", json=body)
    signup_code = last_code(outbox(), body["email"])
    response = verify_login(client, body["email"], signup_code)
    assert response.status_code == 400
    assert response.get_json() == {"error": "No OTP found"}
    # and the signup code is untouched by the attempt
    ok = client.post("/api/verify-signup-otp/", json={"email": body["email"], "otp": signup_code})
    assert ok.status_code == 200


def test_a_login_code_does_not_reset_a_password_nor_a_reset_code_log_in(client, outbox, verified):
    login_code = ask_login_code(client, outbox, verified)
    reset_code = login_code
    while reset_code == login_code:  # one chance in a million that the two random codes agree: draw again
        client.post("/api/forget-password/", json={"email": verified["email"]})
        reset_code = last_code(outbox(), verified["email"], subject="Reset your password")
    wrong = client.post("/api/verify-forget-password-otp/", json={"email": verified["email"], "otp": login_code})
    assert wrong.get_json() == {"error": "Invalid OTP"}
    wrong = verify_login(client, verified["email"], reset_code)
    assert wrong.get_json() == {"error": "Invalid OTP"}
    assert verify_login(client, verified["email"], login_code).status_code == 200
    ok = client.post("/api/verify-forget-password-otp/", json={"email": verified["email"], "otp": reset_code})
    assert ok.status_code == 200


def test_the_newest_code_voids_the_older_one(client, outbox, verified):
    older = ask_login_code(client, outbox, verified)
    newer = older
    while newer == older:  # one chance in a million that the two random codes agree: draw again
        newer = ask_login_code(client, outbox, verified)
    query = db.select(OneTimeCode).filter_by(purpose="login").order_by(OneTimeCode.id)
    rows = db.session.execute(query).scalars().all()
    assert all(row.voided_at is not None for row in rows[:-1]) and rows[-1].voided_at is None
    assert verify_login(client, verified["email"], older).get_json() == {"error": "Invalid OTP"}
    assert verify_login(client, verified["email"], newer).status_code == 200


def test_codes_are_six_random_digits_stored_only_as_keyed_hashes(app, make_user):
    user = make_user(username="asha")
    codes = {accounts.issue_code(user, "login") for _ in range(30)}
    db.session.commit()
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 25  # random, not a counter or a constant
    hashes = db.session.execute(db.select(OneTimeCode.code_hash)).scalars().all()
    assert not set(hashes) & codes
    assert all(len(h) == 64 for h in hashes)


def test_a_code_issued_under_another_secret_key_does_not_verify(app, make_user):
    user = make_user(username="asha")
    code = accounts.issue_code(user, "login")
    db.session.commit()
    app.config["SECRET_KEY"] = "a-different-secret-key-of-enough-length"
    with pytest.raises(accounts.AccountError) as refused:
        accounts.check_code(user, "login", code)
    assert refused.value.message == "Invalid OTP"


@pytest.mark.postgres_only
def test_two_concurrent_uses_of_one_code_let_exactly_one_through(app, make_user):
    user = make_user(username="asha")
    code = accounts.issue_code(user, "login")
    db.session.commit()
    barrier = threading.Barrier(4)
    results: list[int] = []
    lock = threading.Lock()

    def attempt():
        client = app.test_client()
        barrier.wait()
        status = client.post("/api/verify-login-otp/", json={"email": "asha@example.com", "otp": code}).status_code
        with lock:
            results.append(status)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 400, 400, 400]


@pytest.mark.postgres_only
def test_concurrent_wrong_tries_never_exceed_the_limit_of_five(app, make_user):
    user = make_user(username="asha")
    code = accounts.issue_code(user, "login")
    db.session.commit()
    barrier = threading.Barrier(8)

    def attempt():
        client = app.test_client()
        barrier.wait()
        client.post("/api/verify-login-otp/", json={"email": "asha@example.com", "otp": wrong_code(code)})

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    assert db.session.execute(db.select(OneTimeCode.attempts)).scalar_one() == 5
