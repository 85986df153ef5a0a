"""Product categories of a store (and the shared list of payment methods)."""
from __future__ import annotations

from typing import Optional

from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Category, PaymentMethod, Store, User
from services import audit
from services.accounts.access import require_role
from services.errors import Duplicate, ValidationError
from services.scoping import find_in_store

NAME_TAKEN = "You already have a category with this name."


def categories_query(store: Store):
    return db.select(Category).where(Category.store_id == store.id).order_by(Category.id)


def get_category(store: Store, category_id: int) -> Optional[Category]:
    return find_in_store(Category, store, id=category_id)


def category_exists(store: Store, category_id: int) -> bool:
    return get_category(store, category_id) is not None


def require_writer(store: Store, user: User) -> None:
    """Categories are added by managers and owners."""
    require_role(user, store, "manager")


def create_category(store: Store, user: User, name: str) -> Category:
    """A new category in the store (managers and owners); names are unique per store, ignoring case."""
    require_writer(store, user)
    name = (name or "").strip()
    if not name:
        raise ValidationError.field("name", "A category needs a name.")
    taken = db.session.execute(
        db.select(Category.id).where(Category.store_id == store.id, db.func.lower(Category.name) == name.lower())
    ).first()
    if taken:
        raise Duplicate(NAME_TAKEN, "name")
    category = Category(store_id=store.id, name=name)
    try:
        with db.session.begin_nested():
            db.session.add(category)
            db.session.flush()
    except IntegrityError as exc:  # the same name added at the same moment
        raise Duplicate(NAME_TAKEN, "name") from exc
    audit.record("create", "category", category.id, store_id=store.id, user_id=user.id,
                 after=audit.snapshot(category, ("id", "name")))
    return category


def payment_methods_query():
    return db.select(PaymentMethod).order_by(PaymentMethod.id)


def payment_method_exists(method_id: int) -> bool:
    return db.session.get(PaymentMethod, method_id) is not None
