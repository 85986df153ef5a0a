"""Creating users with their first store, and the defaults every new store gets."""
from __future__ import annotations

from typing import Optional

from flask import current_app, has_app_context
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from extensions import db
from models import DEFAULT_CATEGORIES, Category, Membership, PaymentMethod, Store, User
from services.errors import ValidationError
from services.vocabulary import PAYMENT_METHOD_NAMES

MIN_PASSWORD_LENGTH = 8
USERNAME_TAKEN = "A user with that username already exists."


def password_hash_method() -> str:
    """werkzeug's hash method from PASSWORD_HASH_METHOD: scrypt, cheaper only under TestConfig."""
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=password_hash_method())


def ensure_payment_methods() -> list[PaymentMethod]:
    """The shared list of payment methods, created once."""
    existing = {m.name: m for m in db.session.execute(db.select(PaymentMethod)).scalars()}
    missing = [name for name in PAYMENT_METHOD_NAMES if name not in existing]
    if missing:
        try:
            with db.session.begin_nested():
                db.session.add_all(PaymentMethod(name=name) for name in missing)
        except IntegrityError:  # the first signups of a new database, at the same time: theirs are as good
            pass
        existing = {m.name: m for m in db.session.execute(db.select(PaymentMethod)).scalars()}
    return [existing[name] for name in PAYMENT_METHOD_NAMES]


def create_store(owner: User, name: str, business_kind: str = "general", **fields) -> Store:
    """A store with its owner's membership, default categories, and the payment methods in place."""
    store = Store(name=name, business_kind=business_kind, **fields)
    db.session.add(store)
    db.session.flush()
    db.session.add(Membership(user_id=owner.id, store_id=store.id, role="owner"))
    for category in DEFAULT_CATEGORIES:
        db.session.add(Category(store_id=store.id, name=category))
    ensure_payment_methods()
    if owner.current_store_id is None:
        owner.current_store_id = store.id
    db.session.flush()
    return store


def validate_new_account(username: str, email: str, password: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not username or not username.strip():
        errors["username"] = ["This field may not be blank."]
    elif db.session.execute(db.select(User.id).filter_by(username=username.strip())).first():
        errors["username"] = [USERNAME_TAKEN]
    if not email or "@" not in email:
        errors["email"] = ["Enter a valid email address."]
    elif db.session.execute(db.select(User.id).filter_by(email=email.strip().lower())).first():
        errors["email"] = ["user with this email already exists."]
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [f"Ensure this field has at least {MIN_PASSWORD_LENGTH} characters."]
    return errors


def create_owner(
    username: str,
    email: str,
    password: str,
    store_name: Optional[str] = None,
    business_kind: str = "general",
    phone_no: Optional[str] = None,
    business_name: Optional[str] = None,
    verified: bool = False,
) -> tuple[User, Store]:
    """A new user and their first store, named from business_name or "<username>'s shop"."""
    errors = validate_new_account(username, email, password)
    if errors:
        raise ValidationError("Invalid account details", errors)
    user = User(
        username=username.strip(),
        email=email.strip().lower(),
        password_hash=hash_password(password),
        phone_no=phone_no,
        business_name=business_name,
        is_verify=verified,
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError as exc:
        # Another signup took the username or email between the check above and this insert: answer as the
        # check would have (the other one has committed, so the check sees it now).
        errors = validate_new_account(username, email, password)
        raise ValidationError("Invalid account details", errors or {"username": [USERNAME_TAKEN]}) from exc
    name = store_name or business_name or f"{user.username}'s shop"
    store = create_store(user, name, business_kind=business_kind)
    return user, store
