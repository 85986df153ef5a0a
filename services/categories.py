"""Product categories of a store (and the shared list of payment methods)."""
from __future__ import annotations

from typing import Any, Optional

from extensions import db
from models import Category, PaymentMethod, Store, User
from services import audit
from services.access import require_role
from services.field_parsers import Fields, RuleError, flush_unique
from services.scoping import find_in_store

NAME_TAKEN = "You already have a category with this name."


def categories_query(store: Store):
    return db.select(Category).where(Category.store_id == store.id).order_by(Category.id)


def get_category(store: Store, category_id: int) -> Optional[Category]:
    return find_in_store(Category, store, id=category_id)


def category_exists(store: Store, category_id: int) -> bool:
    return get_category(store, category_id) is not None


def create_category(store: Store, user: User, data: dict[str, Any]) -> Category:
    """A new category in the store (managers and owners); names are unique per store, ignoring case."""
    require_role(user, store, "manager")
    fields = Fields(data)
    fields.string("name", required=True, max_length=100, allow_blank=False)
    name = fields.check()["name"]
    taken = db.session.execute(
        db.select(Category.id).where(Category.store_id == store.id, db.func.lower(Category.name) == name.lower())
    ).first()
    if taken:
        raise RuleError(NAME_TAKEN, "name")
    category = Category(store_id=store.id, name=name)
    flush_unique(category, NAME_TAKEN, "name")
    audit.record("create", "category", category.id, store_id=store.id, user_id=user.id,
                 after=audit.snapshot(category, ("id", "name")))
    return category


def payment_methods_query():
    return db.select(PaymentMethod).order_by(PaymentMethod.id)


def payment_method_exists(method_id: int) -> bool:
    return db.session.get(PaymentMethod, method_id) is not None
