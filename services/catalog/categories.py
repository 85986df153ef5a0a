"""Product categories of a store (and the shared list of payment methods)."""
from __future__ import annotations

from typing import Optional

from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Category, PaymentMethod, Product, Store, User
from services import audit
from services.accounts.access import require_role
from services.bounds import MAX_ID
from services.errors import Duplicate, ValidationError
from services.scoping import find_in_store

NAME_TAKEN = "You already have a category with this name."


def categories_query(store: Store):
    return db.select(Category).where(Category.store_id == store.id).order_by(Category.id)


def get_category(store: Store, category_id: int) -> Optional[Category]:
    return find_in_store(Category, store, id=category_id)


def category_exists(store: Store, category_id: int) -> bool:
    return get_category(store, category_id) is not None


def existing_categories(store: Store, category_ids: set) -> set[int]:
    """Which of `category_ids` are the store's categories (one query for a batch; none for no ids)."""
    ids = {i for i in category_ids if isinstance(i, int) and 0 < i <= MAX_ID}
    if not ids:
        return set()
    query = db.select(Category.id).where(Category.store_id == store.id, Category.id.in_(ids))
    return set(db.session.execute(query).scalars())


def require_writer(store: Store, user: User) -> None:
    """Categories are added by managers and owners."""
    require_role(user, store, "manager")


def create_category(store: Store, user: User, name: str) -> Category:
    """A new category in the store (managers and owners); names are unique per store, ignoring case."""
    require_writer(store, user)
    name = (name or "").strip()
    if not name:
        raise ValidationError.field("name", "A category needs a name.")
    if len(name) > 100:
        raise ValidationError.field("name", "At most 100 characters.")
    if _name_taken(store, name):
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


def _name_taken(store: Store, name: str, exclude_id: Optional[int] = None) -> bool:
    query = db.select(Category.id).where(Category.store_id == store.id, db.func.lower(Category.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Category.id != exclude_id)
    return db.session.execute(query.limit(1)).first() is not None


def rename_category(store: Store, user: User, category: Category, name: str) -> Category:
    """A new name for a category (managers and owners); refused when another category of the store has it."""
    require_writer(store, user)
    name = (name or "").strip()
    if not name:
        raise ValidationError.field("name", "A category needs a name.")
    if len(name) > 100:
        raise ValidationError.field("name", "At most 100 characters.")
    if _name_taken(store, name, exclude_id=category.id):
        raise Duplicate(NAME_TAKEN, "name")
    before = audit.snapshot(category, ("id", "name"))
    category.name = name
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Duplicate(NAME_TAKEN, "name") from exc
    audit.record("update", "category", category.id, store_id=store.id, user_id=user.id, before=before,
                 after=audit.snapshot(category, ("id", "name")))
    return category


def merge_categories(store: Store, user: User, source: Category, target: Category) -> int:
    """Move every product of `source` into `target` and delete `source`; returns how many products moved."""
    require_writer(store, user)
    if source.store_id != store.id or target.store_id != store.id:
        raise ValidationError.field("target_id", "Category not found in this store.")
    if source.id == target.id:
        raise ValidationError.field("target_id", "Choose a different category to merge into.")
    moved = db.session.execute(
        db.update(Product).where(Product.store_id == store.id, Product.category_id == source.id)
        .values(category_id=target.id).execution_options(synchronize_session=False)).rowcount
    before = audit.snapshot(source, ("id", "name"))
    db.session.delete(source)
    db.session.flush()
    audit.record("merge", "category", before["id"], store_id=store.id, user_id=user.id, before=before,
                 after={"into": target.id, "name": target.name, "products_moved": moved})
    return moved


def payment_methods_query():
    return db.select(PaymentMethod).order_by(PaymentMethod.id)


def payment_method_exists(method_id: int) -> bool:
    return db.session.get(PaymentMethod, method_id) is not None
