"""End to end against a real server: gunicorn with two workers, codes delivered over SMTP to an aiosmtpd sink,
and the whole NamastePMS Authentication section from signup to token refresh."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import jwt
import pytest

from tests.accounts_helpers import CODE, last_code, text_of

SECRET = "live-test-secret-key-long-enough-for-hs256"  # what the live_server fixture sets


def post(server, path: str, body) -> tuple[int, dict]:
    request = urllib.request.Request(server.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for_mail(sink, count: int, limit: float = 10.0) -> None:
    """Delivery is synchronous, but give the sink's thread a moment to file the message."""
    deadline = time.monotonic() + limit
    while len(sink.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(sink.messages) >= count, [m["Subject"] for m in sink.messages]


@pytest.mark.slow
def test_the_authentication_section_runs_end_to_end_with_mail_over_smtp(live_server, smtp_sink):
    server = live_server(workers=2, MAIL_SERVER=smtp_sink.host, MAIL_PORT=smtp_sink.port,
                         MAIL_DEFAULT_SENDER="shop@example.org")
    email = "asha@example.com"
    status, body = post(server, "/api/signup/", {"username": "asha", "email": email, "password": "Sup3rSecret!",
                                                 "phone_no": "+919876543210", "business_name": "Asha Stores"})
    assert (status, body) == (201, {"message": "User created successfully. Please verify the OTP sent to your email."})
    wait_for_mail(smtp_sink, 1)
    signup_mail = smtp_sink.messages[-1]
    assert signup_mail["To"] == email and signup_mail["From"] == "shop@example.org"
    assert "Asha Stores" in text_of(signup_mail) and "Asha Stores" in text_of(signup_mail, "html")

    status, body = post(server, "/api/login/", {"email": email, "password": "Sup3rSecret!"})
    assert (status, body) == (403, {"error": "Email not verified. A new OTP has been sent to your email."})
    wait_for_mail(smtp_sink, 2)
    signup_code = last_code(smtp_sink.messages, email)
    status, body = post(server, "/api/verify-signup-otp/", {"email": email, "otp": signup_code})
    assert (status, body) == (200, {"message": "Signup OTP verified successfully!"})

    status, body = post(server, "/api/login/", {"email": email, "password": "wrong-password"})
    assert (status, body) == (401, {"error": "Invalid credentials"})
    status, body = post(server, "/api/login/", {"email": "nobody@example.com", "password": "wrong-password"})
    assert (status, body) == (404, {"error": "User not found"})

    status, body = post(server, "/api/login/", {"email": email, "password": "Sup3rSecret!"})
    assert (status, body) == (200, {"message": "OTP sent to your email. Please verify to proceed."})
    wait_for_mail(smtp_sink, 3)
    login_code = last_code(smtp_sink.messages, email, subject="Your login code")
    status, body = post(server, "/api/verify-login-otp/", {"email": email, "otp": login_code})
    assert status == 200 and body["message"] == "Login OTP verified successfully!"
    first = body
    assert jwt.decode(first["access"], SECRET, algorithms=["HS256"])["typ"] == "access"
    status, body = post(server, "/api/verify-login-otp/", {"email": email, "otp": login_code})
    assert (status, body) == (400, {"error": "No OTP found"})

    status, body = post(server, "/api/token/refresh/", {"refresh": first["refresh"]})
    assert status == 200 and set(body) == {"access", "refresh"}
    second = body
    status, body = post(server, "/api/token/refresh/", {"refresh": first["refresh"]})  # replayed: family revoked
    assert status == 401 and body["code"] == "token_not_valid"
    status, _ = post(server, "/api/token/refresh/", {"refresh": second["refresh"]})
    assert status == 401

    status, body = post(server, "/api/forget-password/", {"email": email})
    assert (status, body) == (200, {"message": "OTP sent to your email. Please verify to reset your password."})
    wait_for_mail(smtp_sink, 4)
    reset_code = last_code(smtp_sink.messages, email, subject="Reset your password")
    status, body = post(server, "/api/reset-password/", {"email": email, "new_password": "BrandNew456!"})
    assert (status, body) == (400, {"error": "OTP not verified"})
    status, body = post(server, "/api/verify-forget-password-otp/", {"email": email, "otp": reset_code})
    assert (status, body) == (200, {"message": "Forget Password OTP verified successfully!"})
    status, body = post(server, "/api/reset-password/", {"email": email, "new_password": "BrandNew456!"})
    assert (status, body) == (200, {"message": "Password reset successfully!"})
    wait_for_mail(smtp_sink, 5)
    assert smtp_sink.messages[-1]["Subject"] == "Your password was changed"

    status, body = post(server, "/api/login/", {"email": email, "password": "BrandNew456!"})
    assert status == 200
    wait_for_mail(smtp_sink, 6)
    status, body = post(server, "/api/verify-login-otp/",
                        {"email": email, "otp": last_code(smtp_sink.messages, email, subject="Your login code")})
    assert status == 200
    status, body = post(server, "/api/token/refresh/", {"refresh": body["refresh"]})
    assert status == 200 and jwt.decode(body["access"], SECRET, algorithms=["HS256"])["typ"] == "access"

    # With a real mail server, codes never reach the log.
    log = server.log()
    codes = {found.group(1) for m in smtp_sink.messages if (found := CODE.search(text_of(m)))}
    assert len(codes) >= 4
    assert not any(code in log for code in codes)
    assert not (server.instance_path / "outbox").exists()
