"""Creating users with their first store, and the defaults every new store gets."""
from __future__ import annotations

from typing import Optional

from werkzeug.security import generate_password_hash

from extensions import db
from models import DEFAULT_CATEGORIES, Category, Membership, PaymentMethod, Store, User
from services.errors import ValidationError
from services.vocabulary import PAYMENT_METHOD_NAMES

MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def ensure_payment_methods() -> list[PaymentMethod]:
    """The shared list of payment methods, created once."""
    existing = {m.name: m for m in db.session.execute(db.select(PaymentMethod)).scalars()}
    for name in PAYMENT_METHOD_NAMES:
        if name not in existing:
            existing[name] = PaymentMethod(name=name)
            db.session.add(existing[name])
    db.session.flush()
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
        errors["username"] = ["A user with that username already exists."]
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
    db.session.add(user)
    db.session.flush()
    name = store_name or business_name or f"{user.username}'s shop"
    store = create_store(user, name, business_kind=business_kind)
    return user, store
