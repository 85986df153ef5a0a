"""JWT rules: rotation with reuse detection, password reset ends older tokens, and every forged or misused token
is refused by the one authentication helper, in each API surface's own envelope."""
from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from flask import g

from blueprints.api.common import DRF, JEWELLERY, V1, api_login_required
from extensions import db
from models import RefreshToken, User
from services.accounts import tokens
from tests.accounts_helpers import last_code, signup_body


@pytest.fixture
def probes(app):
    """Throwaway protected routes, one per surface, that say who the caller is."""

    def make(path: str, surface: str):
        @api_login_required(surface)
        def whoami():
            return {"user": g.api_user.id, "store": g.store.id}

        app.add_url_rule(path, endpoint=f"probe_{surface}", view_func=whoami)

    make("/api/_whoami/", DRF)
    make("/api/v1/_whoami", V1)
    make("/api/logs/_whoami", JEWELLERY)
    return {DRF: "/api/_whoami/", V1: "/api/v1/_whoami", JEWELLERY: "/api/logs/_whoami"}


@pytest.fixture
def account(client, outbox, probes):
    body = signup_body("asha")
    client.post("/api/signup/", json=body)
    client.post("/api/verify-signup-otp/", json={"email": body["email"], "otp": last_code(outbox(), body["email"])})
    return body


def login(client, outbox, body) -> dict:
    client.post("/api/login/", json={"email": body["email"], "password": body["password"]})
    code = last_code(outbox(), body["email"], subject="Your login code")
    return client.post("/api/verify-login-otp/", json={"email": body["email"], "otp": code}).get_json()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def refresh(client, token: str):
    return client.post("/api/token/refresh/", json={"refresh": token})


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_an_access_token_from_the_login_reaches_a_protected_endpoint(client, outbox, account, probes):
    pair = login(client, outbox, account)
    response = client.get(probes[DRF], headers=bearer(pair["access"]))
    assert response.status_code == 200
    assert response.get_json()["user"] == db.session.execute(db.select(User.id)).scalar_one()


def test_refresh_rotates_and_a_replayed_old_refresh_revokes_the_whole_family(client, outbox, account, probes):
    pair = login(client, outbox, account)
    rotated = refresh(client, pair["refresh"]).get_json()
    assert client.get(probes[DRF], headers=bearer(rotated["access"])).status_code == 200

    replay = refresh(client, pair["refresh"])
    assert replay.status_code == 401
    assert replay.get_json() == {"detail": "Token is invalid or expired", "code": "token_not_valid"}
    # Reuse means theft: the newer refresh and every access token die too.
    assert refresh(client, rotated["refresh"]).status_code == 401
    assert client.get(probes[DRF], headers=bearer(rotated["access"])).status_code == 401
    assert db.session.execute(
        db.select(db.func.count(RefreshToken.id)).where(RefreshToken.revoked_at.is_(None),
                                                        RefreshToken.used_at.is_(None))
    ).scalar() == 0
    # A fresh login still works afterwards.
    again = login(client, outbox, account)
    assert client.get(probes[DRF], headers=bearer(again["access"])).status_code == 200


def test_each_refresh_token_can_be_spent_once_in_a_chain(client, outbox, account):
    current = login(client, outbox, account)["refresh"]
    for _ in range(3):
        response = refresh(client, current)
        assert response.status_code == 200
        current = response.get_json()["refresh"]
    assert db.session.execute(db.select(db.func.count(RefreshToken.id))).scalar() == 4


def test_tokens_from_before_a_password_reset_are_refused(client, outbox, account, probes):
    before = login(client, outbox, account)
    client.post("/api/forget-password/", json={"email": account["email"]})
    code = last_code(outbox(), account["email"], subject="Reset your password")
    client.post("/api/verify-forget-password-otp/", json={"email": account["email"], "otp": code})
    assert client.post("/api/reset-password/", json={"email": account["email"],
                                                     "new_password": "BrandNew456!"}).status_code == 200
    assert client.get(probes[DRF], headers=bearer(before["access"])).status_code == 401
    assert refresh(client, before["refresh"]).status_code == 401
    # A stale device replaying its old refresh does not sign out the sessions made after the reset.
    after = login(client, outbox, {**account, "password": "BrandNew456!"})
    assert refresh(client, before["refresh"]).status_code == 401
    assert client.get(probes[DRF], headers=bearer(after["access"])).status_code == 200
    assert refresh(client, after["refresh"]).status_code == 200


def test_a_tampered_token_is_refused(client, outbox, account, probes):
    access = login(client, outbox, account)["access"]
    header, payload, signature = access.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(int(claims["sub"]) + 1)
    forged = ".".join([header, b64(claims), signature])
    response = client.get(probes[DRF], headers=bearer(forged))
    assert response.status_code == 401
    assert response.get_json()["code"] == "token_not_valid"


@pytest.mark.filterwarnings("ignore:The HMAC key")
def test_an_unsigned_alg_none_token_is_refused(client, account, probes, app):
    user = db.session.execute(db.select(User)).scalar_one()
    now = int(time.time())
    claims = {"typ": "access", "sub": str(user.id), "ver": user.token_version, "jti": "x", "iat": now,
              "exp": now + 600}
    unsigned = b64({"alg": "none", "typ": "JWT"}) + "." + b64(claims) + "."
    assert client.get(probes[DRF], headers=bearer(unsigned)).status_code == 401
    other_alg = jwt.encode(claims, app.config["SECRET_KEY"], algorithm="HS512")
    assert client.get(probes[DRF], headers=bearer(other_alg)).status_code == 401
    wrong_key = jwt.encode(claims, "some-other-secret-key-of-enough-length", algorithm="HS256")
    assert client.get(probes[DRF], headers=bearer(wrong_key)).status_code == 401
    right = jwt.encode(claims, app.config["SECRET_KEY"], algorithm="HS256")
    assert client.get(probes[DRF], headers=bearer(right)).status_code == 200  # the same claims, properly signed


def test_an_expired_access_token_is_refused(client, account, probes, app):
    user = db.session.execute(db.select(User)).scalar_one()
    app.config["JWT_ACCESS_MINUTES"] = -1
    expired = tokens.issue_access(user)
    response = client.get(probes[DRF], headers=bearer(expired))
    assert response.status_code == 401
    assert response.get_json()["messages"][0]["message"] == "Token is expired"


def test_an_expired_refresh_token_is_refused(client, account, app):
    user = db.session.execute(db.select(User)).scalar_one()
    app.config["JWT_REFRESH_DAYS"] = -1
    expired = tokens.issue_refresh(user)
    db.session.commit()
    assert refresh(client, expired).status_code == 401


def test_an_access_token_cannot_be_used_as_a_refresh_token_nor_the_reverse(client, outbox, account, probes):
    pair = login(client, outbox, account)
    assert refresh(client, pair["access"]).status_code == 401
    assert client.get(probes[DRF], headers=bearer(pair["refresh"])).status_code == 401


@pytest.mark.parametrize(
    "surface, missing, invalid",
    [
        (DRF, {"detail": "Authentication credentials were not provided."}, None),
        (V1, {"success": False, "message": "Authentication required"},
         {"success": False, "message": "Invalid or expired token"}),
        (JEWELLERY, {"success": False, "message": "Authentication required"},
         {"success": False, "message": "Invalid or expired token"}),
    ],
)
def test_authentication_failures_answer_in_each_surfaces_envelope(client, probes, surface, missing, invalid):
    response = client.get(probes[surface])
    assert response.status_code == 401 and response.get_json() == missing
    response = client.get(probes[surface], headers=bearer("garbage"))
    assert response.status_code == 401
    if invalid is None:
        assert response.get_json()["detail"] == "Given token not valid for any token type"
    else:
        assert response.get_json() == invalid
