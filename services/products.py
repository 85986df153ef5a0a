"""The catalogue: creating, changing and removing a store's products, services and memberships.

Stock is never set directly: a change of `quantity` writes the StockMove that explains it, so a product's
quantity always equals the sum of its moves. A product that appears on a bill is archived rather than deleted.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy.exc import IntegrityError

from extensions import db
from models import PRODUCT_TYPES, BillItem, Product, StockMove, Store, User
from services import audit, stock
from services.access import require_role
from services.categories import category_exists
from services.errors import ValidationError
from services.field_parsers import Fields, RuleError, flush_unique
from services.scoping import find_in_store

NAME_TAKEN = "You already have a product with this name."
PRICE_AND_STOCK_FIELDS = ("unit_price", "quantity", "cgst_rate", "sgst_rate", "type")
_HSN = re.compile(r"^\d{4}(\d{2}){0,2}$")


def products_query(store: Store):
    """The store's live catalogue in a stable order (archived products are history, not catalogue)."""
    return db.select(Product).where(Product.store_id == store.id, Product.archived.is_(False)).order_by(Product.id)


def get_product(store: Store, product_id: int, for_update: bool = False) -> Optional[Product]:
    return find_in_store(Product, store, id=product_id, live=True, for_update=for_update)


def _parse(store: Store, data: dict[str, Any], partial: bool) -> dict[str, Any]:
    fields = Fields(data, partial=partial)
    fields.string("product_name", required=True, max_length=100, allow_blank=False)
    fields.primary_key("category", lambda pk: category_exists(store, pk), required=True, allow_null=False)
    fields.decimal("unit_price", required=True, max_digits=10)
    fields.choice("type", PRODUCT_TYPES)
    fields.integer("quantity", min_value=0)
    fields.url("product_Img")
    fields.text("description", allow_null=True)
    fields.string("sku", max_length=50, allow_null=True)
    fields.string("barcode", max_length=64, allow_null=True)
    fields.string("hsn_code", max_length=8, allow_null=True)
    fields.decimal("cgst_rate", max_digits=5, max_value=Decimal("100"))
    fields.decimal("sgst_rate", max_digits=5, max_value=Decimal("100"))
    fields.integer("low_stock_threshold", min_value=0, allow_null=True)
    for name in ("sku", "barcode", "hsn_code"):
        if fields.values.get(name) == "":
            fields.values[name] = None
    if fields.values.get("hsn_code") and not _HSN.match(fields.values["hsn_code"]):
        fields.fail("hsn_code", "Enter a valid HSN code (4, 6 or 8 digits).")
    kind = fields.values.get("type", "product")
    if not partial and kind == "product" and "quantity" not in data:
        fields.fail("quantity", "This field is required.")
    if kind != "product" and fields.values.get("quantity"):
        fields.fail("quantity", "Only products track stock; services and memberships have none.")
    return fields.check()


def _check_unique(store: Store, values: dict[str, Any], exclude_id: Optional[int] = None) -> None:
    def taken(column, value) -> bool:
        query = db.select(Product.id).where(Product.store_id == store.id, column == value)
        if exclude_id is not None:
            query = query.where(Product.id != exclude_id)
        return db.session.execute(query.limit(1)).first() is not None

    if "product_name" in values and taken(db.func.lower(Product.product_name), values["product_name"].lower()):
        raise RuleError(NAME_TAKEN, "product_name")
    errors = {}
    for name in ("sku", "barcode"):
        if values.get(name) and taken(getattr(Product, name), values[name]):
            errors[name] = [f"product with this {name} already exists."]
    if errors:
        raise ValidationError("Invalid input.", errors)


def _move_stock(product: Product, user: User, delta: int, note: str) -> None:
    """Change stock by `delta` through services.stock, in this API's words when it ran short."""
    try:
        stock.adjust(product, delta, user_id=user.id, note=note)
    except stock.InsufficientStock as exc:
        raise RuleError("The stock of this product changed while you were editing it; please retry.",
                        "quantity") from exc


def _assign(product: Product, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "category":
            product.category_id = value
        elif name != "quantity":
            setattr(product, name, value)


def create_product(store: Store, user: User, data: dict[str, Any]) -> Product:
    """A new catalogue item with its opening stock (managers and owners)."""
    require_role(user, store, "manager")
    values = _parse(store, data, partial=False)
    _check_unique(store, values)
    product = Product(store_id=store.id, user_id=user.id, quantity=0)
    _assign(product, values)
    flush_unique(product, NAME_TAKEN, "product_name")
    if product.tracks_stock:
        _move_stock(product, user, values.get("quantity", 0), note="opening stock")
    db.session.flush()
    audit.record("create", "product", product.id, store_id=store.id, user_id=user.id, after=audit.snapshot(product))
    return product


def update_product(store: Store, user: User, product: Product, data: dict[str, Any]) -> Product:
    """A partial update; prices, taxes, type and stock are for managers and owners."""
    require_role(user, store, "manager" if any(n in data for n in PRICE_AND_STOCK_FIELDS) else "cashier")
    values = _parse(store, data, partial=True)
    _check_unique(store, values, exclude_id=product.id)
    product = get_product(store, product.id, for_update=True)  # the stock must not move under us
    before = audit.snapshot(product)
    target = values.get("quantity", product.quantity) if values.get("type", product.type) == "product" else 0
    delta = target - product.quantity
    _move_stock(product, user, delta, note="set by update")
    _assign(product, values)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # a concurrent rename to the same name
        raise RuleError(NAME_TAKEN, "product_name") from exc
    audit.record("update", "product", product.id, store_id=store.id, user_id=user.id,
                 before=before, after=audit.snapshot(product))
    return product


def delete_product(store: Store, user: User, product: Product) -> str:
    """Delete a product, or archive it when bills name it (their history stays intact); returns which."""
    require_role(user, store, "manager")
    before = audit.snapshot(product)
    on_bills = db.session.execute(db.select(BillItem.id).where(BillItem.product_id == product.id).limit(1)).first()
    if on_bills:
        # Free the name, SKU and barcode for a new product; the audit row keeps what they were.
        product.archived = True
        suffix = f" (archived #{product.id})"
        product.product_name = product.product_name[: 100 - len(suffix)] + suffix
        product.sku = None
        product.barcode = None
        db.session.flush()
        audit.record("archive", "product", product.id, store_id=store.id, user_id=user.id,
                     before=before, after=audit.snapshot(product))
        return "archived"
    db.session.execute(db.delete(StockMove).where(StockMove.product_id == product.id))
    db.session.delete(product)
    db.session.flush()
    audit.record("delete", "product", before["id"], store_id=store.id, user_id=user.id, before=before)
    return "deleted"
