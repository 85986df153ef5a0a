"""View decorators: the one role check for web pages, and the rate limits shared by the web and API sign-in.

Rate limits (Flask-Limiter) apply per client IP across all sign-in endpoints and per account (the email
being signed in), with counters shared between the web pages and the API. Each limit can be changed in
the configuration; RATELIMIT_ENABLED=false turns them all off.
"""
from __future__ import annotations

import functools
from typing import Callable

import simplejson
from flask import abort, current_app, g, request, session
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from extensions import limiter
from services.accounts.access import current_membership_for, has_role

# --------------------------------------------------------------------------- roles


def role_required(minimum: str) -> Callable:
    """Signed in, working in a store, with at least this role there (owner > manager > cashier); else 403.

    Sets g.store and g.membership for the view. Services check the role again (they are the rule).
    """

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            membership = current_membership_for(current_user)
            if membership is None or not has_role(membership.role, minimum):
                abort(403, description="Your role in this store does not allow this page.")
            g.store, g.membership = membership.store, membership
            return view(*args, **kwargs)

        return wrapped

    return decorator


# --------------------------------------------------------------------------- rate limits

LIMIT_DEFAULTS = {
    "RATELIMIT_AUTH_PER_IP": "60 per 10 minutes",  # every sign-in endpoint together, per client address
    "RATELIMIT_LOGIN_PER_ACCOUNT": "10 per 10 minutes",  # password checks per email
    "RATELIMIT_OTP_PER_ACCOUNT": "10 per 10 minutes",  # code checks and resets per email (plus 5 tries a code)
    "RATELIMIT_MAIL_PER_ACCOUNT": "5 per 10 minutes",  # signup, forgotten password and resend mails per email
}
THROTTLED = "Too many attempts. Please wait a few minutes and try again."
PENDING_KEYS = ("pending_login", "pending_signup", "pending_reset")


def _limit(name: str) -> Callable[[], str]:
    return lambda: current_app.config.get(name) or LIMIT_DEFAULTS[name]


def account_key() -> str:
    """The account a sign-in request is about: the email in the JSON body or form, or the one pending in the
    web session; the client address when there is none."""
    email = None
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        email = request.form.get("email")
    else:
        try:
            body = simplejson.loads(request.get_data(cache=True) or b"null")
        except (ValueError, UnicodeDecodeError):
            body = None
        if isinstance(body, dict) and isinstance(body.get("email"), str):
            email = body["email"]
    for key in PENDING_KEYS:
        if not email and isinstance(session.get(key), dict):
            email = session[key].get("email")
    if not email or not email.strip():
        return "ip:" + (get_remote_address() or "unknown")
    return "account:" + email.strip().lower()


def _shared(name: str, scope: str, key_func: Callable | None = None):
    # POSTs only: showing a form never uses up attempts.
    return limiter.shared_limit(
        _limit(name), scope=scope, key_func=key_func, methods=["POST"], error_message=THROTTLED
    )


auth_per_ip = _shared("RATELIMIT_AUTH_PER_IP", "auth-ip")
login_per_account = _shared("RATELIMIT_LOGIN_PER_ACCOUNT", "auth-login", account_key)
otp_per_account = _shared("RATELIMIT_OTP_PER_ACCOUNT", "auth-otp", account_key)
mail_per_account = _shared("RATELIMIT_MAIL_PER_ACCOUNT", "auth-mail", account_key)
