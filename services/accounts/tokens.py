"""JWT access and refresh tokens (PyJWT, HS256 from SECRET_KEY).

Claims: typ access|refresh, sub (user id as a string), ver (the user's token_version), jti, iat, exp.
Refresh tokens are recorded so a rotated (already used) one can be recognised when replayed.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

import jwt
from flask import current_app

from extensions import db
from models import RefreshToken, User

ALGORITHM = "HS256"


class TokenError(Exception):
    """The token is unusable; the message is what the client is told."""


@dataclass
class TokenClaims:
    user_id: int
    version: int
    jti: str
    typ: str
    expires_at: datetime


def _encode(user: User, typ: str, lifetime: timedelta) -> tuple[str, str, datetime]:
    now = datetime.now(timezone.utc)
    jti = uuid.uuid4().hex
    expires = now + lifetime
    payload = {
        "typ": typ,
        "sub": str(user.id),
        "ver": user.token_version,
        "jti": jti,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
    }
    return jwt.encode(payload, current_app.config["SECRET_KEY"], algorithm=ALGORITHM), jti, expires


def issue_access(user: User) -> str:
    token, _, _ = _encode(user, "access", timedelta(minutes=current_app.config["JWT_ACCESS_MINUTES"]))
    return token


def issue_refresh(user: User) -> str:
    """A new refresh token, recorded for rotation and reuse detection (flushes, does not commit)."""
    token, jti, expires = _encode(user, "refresh", timedelta(days=current_app.config["JWT_REFRESH_DAYS"]))
    db.session.add(RefreshToken(jti=jti, user_id=user.id, expires_at=expires))
    db.session.flush()
    return token


def decode(token: str, typ: str) -> TokenClaims:
    """Verify signature, expiry and type; raise TokenError otherwise. Only HS256 is accepted (no `alg: none`)."""
    try:
        payload = jwt.decode(
            token,
            current_app.config["SECRET_KEY"],
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub", "typ", "jti", "ver"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("Token is expired") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError("Token is invalid") from exc
    if payload.get("typ") != typ:
        raise TokenError("Token has wrong type")
    try:
        user_id = int(payload["sub"])
        version = int(payload["ver"])
    except (TypeError, ValueError) as exc:
        raise TokenError("Token is invalid") from exc
    return TokenClaims(
        user_id=user_id,
        version=version,
        jti=str(payload["jti"]),
        typ=typ,
        expires_at=datetime.fromtimestamp(payload["exp"], timezone.utc),
    )


def user_for_access_token(token: str) -> User:
    """The live user an access token speaks for, or TokenError (unknown, disabled, or token version bumped)."""
    claims = decode(token, "access")
    return live_user(db.session.get(User, claims.user_id), claims)


def live_user(user: Optional[User], claims: TokenClaims) -> User:
    """`user` (loaded by the caller for `claims.user_id`) if the token still speaks for it; TokenError otherwise."""
    if user is None or not user.is_active_account:
        raise TokenError("User not found")
    if user.token_version != claims.version:
        raise TokenError("Token is invalid")
    return user


class TokenReused(TokenError):
    """A refresh token that was already rotated came back: the family is revoked (the caller commits that)."""


def revoke_user_tokens(user: User) -> None:
    """End every token and web session of the user: bump token_version and revoke outstanding refresh rows."""
    user.token_version = (user.token_version or 0) + 1
    db.session.execute(
        db.update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(timezone.utc))
    )
    db.session.flush()


def rotate_refresh(token: str) -> tuple[User, str, str]:
    """Spend a refresh token once: (user, new access, new refresh). Replaying a spent one revokes the user's tokens.

    The spend is one conditional UPDATE, so two concurrent refreshes with the same token cannot both succeed.
    """
    claims = decode(token, "refresh")
    user = db.session.get(User, claims.user_id)
    if user is None or not user.is_active_account:
        raise TokenError("User not found")
    if user.token_version != claims.version:
        raise TokenError("Token is invalid")  # from before a password reset or a revocation: dead, not an alarm
    spent = db.session.execute(
        db.update(RefreshToken)
        .where(
            RefreshToken.jti == claims.jti,
            RefreshToken.user_id == user.id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=datetime.now(timezone.utc))
    ).rowcount
    if spent != 1:
        row = db.session.execute(db.select(RefreshToken).filter_by(jti=claims.jti)).scalar_one_or_none()
        if row is not None and row.used_at is not None:
            revoke_user_tokens(user)
            raise TokenReused("Token is blacklisted")
        raise TokenError("Token is blacklisted" if row is not None else "Token is invalid")
    return user, issue_access(user), issue_refresh(user)
