"""Accounts: one-time codes, signup, login, password reset and change, staff invitations and roles.

The NamastePMS API and the web pages both call these functions. A refusal that must still be written
(a counted wrong try, a fresh code, a revoked token family) raises RefusalWithWrites: the view commits
before it answers, every other refusal rolls back.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Optional

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from werkzeug.security import check_password_hash

from extensions import db
from models import DEFAULT_TIMEZONE, OTP_PURPOSES, ROLES, Membership, OneTimeCode, Store, User
from services import audit
from services.accounts.access import current_store_for, membership_for, require_role
from services.accounts.stores import (
    MIN_PASSWORD_LENGTH,
    create_owner,
    hash_password,
    password_hash_method,
    validate_new_account,
)
from services.accounts.tokens import revoke_user_tokens
from services.errors import DomainError, NotFound, ValidationError
from services.mail import send_mail
from services.scoping import get_in_store

USER_NOT_FOUND = "User not found"
INVALID_CREDENTIALS = "Invalid credentials"
NOT_VERIFIED = "Email not verified. A new OTP has been sent to your email."
ACCOUNT_DISABLED = "This account is disabled."
NO_OTP = "No OTP found"
OTP_EXPIRED = "OTP expired"
INVALID_OTP = "Invalid OTP"
OTP_LOCKED = "Too many wrong attempts. Please request a new OTP."
OTP_NOT_VERIFIED = "OTP not verified"

PURPOSE_WORDS = {
    "signup": ("Verify your email", "verify your email address"),
    "login": ("Your login code", "log in"),
    "reset": ("Reset your password", "reset your password"),
}
OTP_SHAPE = re.compile(r"^[0-9]{6}$")


class AccountError(DomainError):
    """A refusal the NamastePMS contract words as {"error": message}."""

    keep_writes = False


class RefusalWithWrites(AccountError):
    """A refusal whose writes must be committed anyway (a counted wrong try, a fresh signup code)."""

    keep_writes = True


def _now() -> datetime:
    """The clock of this module (tests move it)."""
    return datetime.now(timezone.utc)


# --------------------------------------------------------------------------- small helpers


def normalise_email(value: Optional[str]) -> str:
    return (value or "").strip().lower()


def email_error(value: str) -> Optional[str]:
    """DRF's words for an address that is not one (no DNS lookups: shops run on flaky networks)."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return "Enter a valid email address."
    return None


def password_error(password: Optional[str]) -> Optional[str]:
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        return f"Ensure this field has at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > 128:
        return "Ensure this field has no more than 128 characters."
    return None


def find_user(email: Optional[str]) -> Optional[User]:
    address = normalise_email(email)
    if not address:
        return None
    return db.session.execute(db.select(User).filter_by(email=address)).scalar_one_or_none()


def _user_or_404(email: str) -> User:
    user = find_user(email)
    if user is None:
        raise AccountError(USER_NOT_FOUND, status=404)
    return user


_dummy_hashes: dict[str, str] = {}  # one per hash method, so the dummy costs what a real check costs


def _equal_work(password: str) -> None:
    """Spend the same hashing work for an unknown email as for a known one (no timing oracle)."""
    method = password_hash_method()
    if method not in _dummy_hashes:
        _dummy_hashes[method] = hash_password(secrets.token_urlsafe(16))
    check_password_hash(_dummy_hashes[method], password or "")


def _shop_name(user: User) -> str:
    store = current_store_for(user)
    return store.name if store else "your shop"


# --------------------------------------------------------------------------- one-time codes


def _hash_code(user_id: int, purpose: str, code: str) -> str:
    # Keyed with SECRET_KEY: a leaked table alone does not let anyone try the million codes offline.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{user_id}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def issue_code(user: User, purpose: str) -> str:
    """A fresh 6-digit code for the purpose; every older unspent code of that purpose is voided (flushes)."""
    if purpose not in OTP_PURPOSES:
        raise ValueError(f"unknown OTP purpose {purpose!r}")
    now = _now()
    db.session.execute(
        db.update(OneTimeCode)
        .where(
            OneTimeCode.user_id == user.id,
            OneTimeCode.purpose == purpose,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.voided_at.is_(None),
        )
        .values(voided_at=now)
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    ttl = timedelta(minutes=current_app.config.get("OTP_TTL_MINUTES", 10))
    db.session.add(OneTimeCode(
        user_id=user.id, purpose=purpose, code_hash=_hash_code(user.id, purpose, code), expires_at=now + ttl,
    ))
    db.session.flush()
    return code


def send_code(user: User, purpose: str, shop_name: Optional[str] = None) -> None:
    """Issue a code and mail it as text and HTML, naming the shop and what the code is for."""
    code = issue_code(user, purpose)
    subject, action = PURPOSE_WORDS[purpose]
    context = {
        "user": user, "code": code, "action": action, "shop_name": shop_name or _shop_name(user),
        "minutes": current_app.config.get("OTP_TTL_MINUTES", 10),
    }
    # The body is only ever logged in outbox mode (no MAIL_SERVER: development); with a mail server it never is.
    send_mail(
        user.email, subject,  # never the code in the subject: subjects are logged
        render_template("mail/otp.txt", **context), html=render_template("mail/otp.html", **context),
    )


def _pending_code(user: User, purpose: str) -> Optional[OneTimeCode]:
    return db.session.execute(
        db.select(OneTimeCode)
        .where(
            OneTimeCode.user_id == user.id,
            OneTimeCode.purpose == purpose,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.voided_at.is_(None),
            OneTimeCode.verified_at.is_(None),
        )
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def check_code(user: User, purpose: str, code: str) -> OneTimeCode:
    """Spend the user's newest pending code of this purpose, or refuse (wrong tries are counted atomically).

    A reset code is marked verified (reset_password spends it); signup and login codes are spent here.
    """
    otp = _pending_code(user, purpose)
    if otp is None:
        raise AccountError(NO_OTP)
    now = _now()
    if otp.expires_at <= now:
        raise AccountError(OTP_EXPIRED)
    limit = current_app.config.get("OTP_MAX_ATTEMPTS", 5)
    if otp.attempts >= limit:
        raise AccountError(OTP_LOCKED)
    if not hmac.compare_digest(otp.code_hash, _hash_code(user.id, purpose, code or "")):
        counted = db.session.execute(
            db.update(OneTimeCode)
            .where(OneTimeCode.id == otp.id, OneTimeCode.attempts < limit)
            .values(attempts=OneTimeCode.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.expire(otp, ["attempts"])
        if counted != 1:
            raise AccountError(OTP_LOCKED)
        raise RefusalWithWrites(INVALID_OTP)
    stamp = {"verified_at": now} if purpose == "reset" else {"used_at": now}
    spent = db.session.execute(
        db.update(OneTimeCode)
        .where(
            OneTimeCode.id == otp.id,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.voided_at.is_(None),
            OneTimeCode.verified_at.is_(None),
            OneTimeCode.attempts < limit,
        )
        .values(**stamp)
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent != 1:  # a concurrent request spent or voided it first: single use
        raise AccountError(NO_OTP)
    db.session.expire(otp)
    return otp


# --------------------------------------------------------------------------- signup and login


def signup(
    username: str, email: str, password: str, phone_no: Optional[str] = None,
    business_name: Optional[str] = None, business_kind: str = "general",
) -> tuple[User, Store]:
    """A new unverified user with their first store; the signup code is mailed."""
    errors = validate_new_account(username, normalise_email(email), password)
    if "email" not in errors and (message := email_error(normalise_email(email))):
        errors["email"] = [message]
    if phone_no and len(phone_no) > 15:
        errors["phone_no"] = ["Ensure this field has no more than 15 characters."]
    if business_name and len(business_name) > 255:
        errors["business_name"] = ["Ensure this field has no more than 255 characters."]
    if username and len(username) > 150:
        errors["username"] = ["Ensure this field has no more than 150 characters."]
    if business_kind not in ("general", "jewellery", "salon"):
        errors["business_kind"] = [f'"{business_kind}" is not a valid choice.']
    if errors:
        raise ValidationError("Invalid account details", errors)
    user, store = create_owner(
        username=username, email=normalise_email(email), password=password, business_kind=business_kind,
        phone_no=phone_no or None, business_name=business_name or None,
    )
    send_code(user, "signup", store.name)
    return user, store


def verify_signup(email: str, code: str) -> User:
    user = _user_or_404(email)
    check_code(user, "signup", code)
    user.is_verify = True
    return user


def resend_signup_code(email: str) -> User:
    user = _user_or_404(email)
    if user.is_verify:
        raise AccountError(NO_OTP)
    send_code(user, "signup")
    return user


def login(email: str, password: str) -> User:
    """Check the password and mail a login code. An unverified user gets a fresh signup code and a 403."""
    user = find_user(email)
    if user is None:
        _equal_work(password)
        raise AccountError(USER_NOT_FOUND, status=404)
    if not check_password_hash(user.password_hash, password or ""):
        raise AccountError(INVALID_CREDENTIALS, status=401)
    if not user.is_active_account:
        raise AccountError(ACCOUNT_DISABLED, status=403)
    if not user.is_verify:
        send_code(user, "signup")
        raise RefusalWithWrites(NOT_VERIFIED, status=403)
    send_code(user, "login")
    return user


def resend_login_code(user: User) -> None:
    """A new login code for someone who already passed the password step (the web keeps that in the session)."""
    if not user.is_active_account or not user.is_verify:
        raise AccountError(ACCOUNT_DISABLED, status=403)
    send_code(user, "login")


def verify_login(email: str, code: str) -> User:
    user = _user_or_404(email)
    check_code(user, "login", code)
    if not user.is_active_account:
        raise AccountError(ACCOUNT_DISABLED, status=403)
    user.last_login_at = _now()
    return user


# --------------------------------------------------------------------------- passwords


def start_reset(email: str) -> User:
    user = _user_or_404(email)
    send_code(user, "reset")
    return user


def verify_reset(email: str, code: str) -> User:
    """Mark the reset code verified. Reading the mailed code also proves the mailbox, so the email is verified."""
    user = _user_or_404(email)
    check_code(user, "reset", code)
    user.is_verify = True
    return user


def reset_password(email: str, new_password: str, field: str = "new_password") -> User:
    """Set the password after a verified reset code (within the code lifetime); every older session dies."""
    if message := password_error(new_password):
        raise ValidationError(message, {field: [message]})
    user = _user_or_404(email)
    window = timedelta(minutes=current_app.config.get("OTP_TTL_MINUTES", 10))
    otp = db.session.execute(
        db.select(OneTimeCode)
        .where(
            OneTimeCode.user_id == user.id,
            OneTimeCode.purpose == "reset",
            OneTimeCode.verified_at.is_not(None),
            OneTimeCode.verified_at > _now() - window,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.voided_at.is_(None),
        )
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if otp is None:
        raise AccountError(OTP_NOT_VERIFIED)
    spent = db.session.execute(
        db.update(OneTimeCode)
        .where(OneTimeCode.id == otp.id, OneTimeCode.used_at.is_(None))
        .values(used_at=_now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent != 1:
        raise AccountError(OTP_NOT_VERIFIED)
    _set_password(user, new_password, "reset")
    return user


def change_password(user: User, current_password: str, new_password: str, confirm: Optional[str] = None) -> None:
    """A signed-in user's own change: the current password is required; other sessions and tokens end."""
    errors: dict[str, list[str]] = {}
    if not check_password_hash(user.password_hash, current_password or ""):
        errors["current_password"] = ["Your current password is not correct."]
    if message := password_error(new_password):
        errors["new_password"] = [message]
    elif confirm is not None and confirm != new_password:
        errors["confirm_password"] = ["The two passwords do not match."]
    if errors:
        raise ValidationError("Could not change the password", errors)
    _set_password(user, new_password, "change")


def _set_password(user: User, password: str, how: str) -> None:
    user.password_hash = hash_password(password)
    revoke_user_tokens(user)
    audit.record("password_" + how, "user", user.id, user_id=user.id)
    store = current_store_for(user)
    context = {"user": user, "shop_name": store.name if store else "your shop", "how": how, "at": _now(),
               "zone": store.zone.key if store else DEFAULT_TIMEZONE}
    send_mail(
        user.email, "Your password was changed",
        render_template("mail/password_changed.txt", **context),
        html=render_template("mail/password_changed.html", **context),
    )


def end_web_sessions(user: User) -> None:
    """Logout: every web session and remember-me cookie of the user stops signing in; API tokens stay."""
    user.session_version = User.session_version + 1  # in SQL, so two logouts at once both count
    db.session.flush()


# --------------------------------------------------------------------------- stores, staff and roles


def switch_store(user: User, store_id: int) -> Store:
    """Make another of the user's stores the current one (web pages and NamastePMS act on it)."""
    if membership_for(user, store_id) is None:
        raise NotFound("Store not found.")
    user.current_store_id = store_id
    db.session.flush()
    return db.session.get(Store, store_id)


def members_of(store: Store) -> list[Membership]:
    return list(db.session.execute(
        db.select(Membership).join(User).where(Membership.store_id == store.id).order_by(Membership.id)
    ).scalars())


def _unique_username(email: str) -> str:
    base = re.sub(r"[^a-z0-9_.]+", "_", email.split("@", 1)[0].lower())[:40] or "staff"
    name, n = base, 1
    while db.session.execute(db.select(User.id).filter_by(username=name)).first():
        n += 1
        name = f"{base}{n}"
    return name


def invite_member(actor: User, store: Store, email: str, role: str, accept_url: str) -> Membership:
    """The owner adds someone by email; a new person sets their password through the reset flow."""
    require_role(actor, store, "owner")
    address = normalise_email(email)
    errors: dict[str, list[str]] = {}
    if message := email_error(address):
        errors["email"] = [message]
    if role not in ROLES:
        errors["role"] = [f'"{role}" is not a valid choice.']
    user = None if errors else find_user(address)
    if user is not None and membership_for(user, store) is not None:
        errors["email"] = ["This person already works in this store."]
    if errors:
        raise ValidationError("Could not invite", errors)
    new_account = user is None
    if new_account:
        user = User(
            username=_unique_username(address), email=address,
            password_hash=hash_password(secrets.token_urlsafe(32)),  # unusable until they reset it
            is_verify=False, current_store_id=store.id,
        )
        db.session.add(user)
        db.session.flush()
    membership = Membership(user_id=user.id, store_id=store.id, role=role)
    db.session.add(membership)
    db.session.flush()
    audit.record("invite", "membership", membership.id, store_id=store.id, user_id=actor.id,
                 after={"email": address, "role": role})
    context = {"store": store, "role": role, "actor": actor, "new_account": new_account, "accept_url": accept_url}
    send_mail(address, f"You have been added to {store.name}",
              render_template("mail/invite.txt", **context), html=render_template("mail/invite.html", **context))
    return membership


def _member_of_store(store: Store, membership_id: int) -> Membership:
    return get_in_store(Membership, store, id=membership_id, message="Not found.")


def _owner_count(store: Store) -> int:
    return db.session.execute(
        db.select(db.func.count(Membership.id)).filter_by(store_id=store.id, role="owner")
    ).scalar_one()


def change_role(actor: User, store: Store, membership_id: int, role: str) -> Membership:
    require_role(actor, store, "owner")
    membership = _member_of_store(store, membership_id)
    if role not in ROLES:
        raise ValidationError.field("role", f'"{role}" is not a valid choice.')
    if membership.role == "owner" and role != "owner" and _owner_count(store) <= 1:
        raise ValidationError.field("role", "A store needs at least one owner.")
    before = membership.role
    membership.role = role
    db.session.flush()
    audit.record("role", "membership", membership.id, store_id=store.id, user_id=actor.id,
                 before={"role": before}, after={"role": role})
    return membership


def remove_member(actor: User, store: Store, membership_id: int) -> None:
    require_role(actor, store, "owner")
    membership = _member_of_store(store, membership_id)
    if membership.role == "owner" and _owner_count(store) <= 1:
        raise ValidationError.field("role", "A store needs at least one owner.")
    user = membership.user
    audit.record("remove", "membership", membership.id, store_id=store.id, user_id=actor.id,
                 before={"user_id": user.id, "role": membership.role})
    db.session.delete(membership)
    if user.current_store_id == store.id:
        user.current_store_id = None
    db.session.flush()
