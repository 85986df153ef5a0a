"""The catalogue: creating, changing and removing a store's products, services and memberships.

Stock is never set directly: a change of `quantity` writes the StockMove that explains it, so a product's
quantity always equals the sum of its moves. A product that appears on a bill is archived rather than deleted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Optional, Sequence

from sqlalchemy.exc import IntegrityError

from extensions import db
from models import PRODUCT_TYPES, BillItem, Product, StockMove, Store, User
from services import audit
from services.accounts.access import require_role
from services.accounts.billing_options import billing_options
from services.bounds import MAX_MONEY, MAX_STOCK
from services.catalog import stock, units
from services.catalog.categories import category_exists, existing_categories
from services.errors import Duplicate, FieldErrors, NotFound, RuleBroken, ValidationError
from services.inputs import Given
from services.scoping import find_in_store

NAME_TAKEN = "You already have a product with this name."
SKU_TAKEN = "A product with this SKU already exists in this store."
BARCODE_TAKEN = "A product with this barcode already exists in this store."
CATEGORY_MISSING = "Category not found in this store."
FIELD_REQUIRED = "This field is required."
REQUIRED = ("product_name", "unit_price")  # a category is the NamastePMS contract's requirement, not the domain's
DETAIL_COLUMNS = frozenset({
    "trade_type", "huid", "hsn", "size", "remark", "comment", "image", "additional_image", "gross_weight",
    "less_weight", "net_weight", "fine_weight", "wastage", "tounch", "rate", "making_type", "making_charge",
    "metal_value", "cutting_enabled", "charges_json", "tax_json", "custom_fields", "bill_display_settings",
    "attributes",
})
PRICE_AND_STOCK_FIELDS = ("unit_price", "quantity", "cgst_rate", "sgst_rate", "type", "unit", "price_includes_tax")
MAX_DURATION = 1440  # a service's length in minutes (the product table's check)
_HSN = re.compile(r"^\d{4}(\d{2}){0,2}$")


def products_query(store: Store):
    """The store's live catalogue in a stable order (archived products are history, not catalogue)."""
    return db.select(Product).where(Product.store_id == store.id, Product.archived.is_(False)).order_by(Product.id)


def get_product(store: Store, product_id: int, for_update: bool = False) -> Optional[Product]:
    return find_in_store(Product, store, id=product_id, live=True, for_update=for_update)


@dataclass
class ProductInput(Given):
    """A catalogue item as the domain takes it; `fields_set` names the fields given (all of them on create)."""

    product_name: Optional[str] = None
    category_id: Optional[int] = None
    unit_price: Optional[Decimal] = None
    type: str = "product"
    quantity: Optional[Decimal] = None  # whole for pcs, up to 3 decimals for measured units
    product_Img: Optional[str] = None
    description: Optional[str] = None
    sku: Optional[str] = None
    barcode: Optional[str] = None
    hsn_code: Optional[str] = None
    cgst_rate: Optional[Decimal] = None
    sgst_rate: Optional[Decimal] = None
    low_stock_threshold: Optional[int] = None
    duration_minutes: Optional[int] = None  # a service's usual length (the appointment book's default)
    unit: Optional[str] = None
    price_includes_tax: Optional[bool] = None  # None on create: the store's prices_include_tax option
    details: dict[str, Any] = field(default_factory=dict)  # jewellery columns (DETAIL_COLUMNS), as given
    fields_set: frozenset[str] = frozenset()


def require_editor(store: Store, user: User, names) -> None:
    """Anyone may describe a product; prices, taxes, type and stock are for managers and owners."""
    require_role(user, store, "manager" if any(n in names for n in PRICE_AND_STOCK_FIELDS) else "cashier")


def product_problems(store: Store, data: ProductInput, product: Optional[Product] = None, *,
                     categories: Optional[set[int]] = None) -> FieldErrors:
    """The field rules of a catalogue item (store's category, price, rates, HSN, stock only for products).
    `categories`: the store's category ids among those a batch names, looked up once (else a query here)."""
    errors = FieldErrors()
    for name in REQUIRED:  # on create every one; on update none may be taken away
        if (product is None and not data.given(name)) or (data.given(name) and getattr(data, name) is None):
            errors.add(name, FIELD_REQUIRED)
    if data.given("product_name") and data.product_name is not None and not data.product_name.strip():
        errors.add("product_name", "A product needs a name.")
    if data.given("category_id") and data.category_id is not None and not (
            data.category_id in categories if categories is not None else category_exists(store, data.category_id)):
        errors.add("category_id", CATEGORY_MISSING)
    if data.unit_price is not None and data.unit_price < 0:
        errors.add("unit_price", "A price cannot be negative.")
    elif data.unit_price is not None and data.unit_price > MAX_MONEY:
        errors.add("unit_price", f"A price can be at most {MAX_MONEY}.")
    if data.low_stock_threshold is not None and not 0 <= data.low_stock_threshold <= MAX_STOCK:
        errors.add("low_stock_threshold", f"The low-stock level must be from 0 to {MAX_STOCK}.")
    if data.duration_minutes is not None and not 0 < data.duration_minutes <= MAX_DURATION:
        errors.add("duration_minutes", f"The length must be from 1 to {MAX_DURATION} minutes.")
    for name in ("cgst_rate", "sgst_rate"):
        rate = getattr(data, name)
        if rate is not None and not 0 <= rate <= 100:
            errors.add(name, "Tax rate must be from 0 to 100.")
    if data.type not in PRODUCT_TYPES:
        errors.add("type", "Must be one of: " + ", ".join(PRODUCT_TYPES))
    if data.hsn_code and not _HSN.match(data.hsn_code):
        errors.add("hsn_code", "Enter a valid HSN code (4, 6 or 8 digits).")
    kind = data.type if data.given("type") else (product.type if product is not None else "product")
    if kind != "product" and data.given("quantity") and data.quantity:
        errors.add("quantity", "Only products track stock; services and memberships have none.")
    if data.given("quantity") and data.quantity is not None and data.quantity < 0:
        errors.add("quantity", "Stock cannot be negative.")
    unit = data.unit if data.given("unit") and data.unit is not None else (product.unit if product else units.PCS)
    if data.given("unit") and data.unit is not None and data.unit not in units.UNITS:
        errors.add("unit", "Must be one of: " + ", ".join(units.UNITS))
    elif not units.is_measured(unit):
        stock_now = data.quantity if data.given("quantity") and data.quantity is not None else (
            product.quantity if product is not None else 0)
        if Decimal(stock_now) != Decimal(stock_now).to_integral_value():
            errors.add("quantity", f"Stock in {unit} must be a whole number.")
    elif data.given("quantity") and data.quantity is not None and Decimal(data.quantity).as_tuple().exponent < -3:
        errors.add("quantity", "At most 3 decimal places.")
    return errors


def _is_piece(values: dict[str, Any], product: Optional[Product]) -> bool:
    """A jewellery piece (it has a gross weight): pieces share names, each told apart by its tag and HUID."""
    details = values.get("details") or {}
    if "gross_weight" in details:
        return details["gross_weight"] is not None
    return product is not None and product.gross_weight is not None


def _repeated(values: list) -> bool:
    return len(set(values)) < len(values)


def _taken(store: Store, column, values: list, product: Optional[Product], *where) -> bool:
    """Whether another of the store's products holds any of `values` in `column` (one query for them all)."""
    if not values:
        return False
    query = db.select(Product.id).where(Product.store_id == store.id, column.in_(values), *where)
    if product is not None:
        query = query.where(Product.id != product.id)
    return db.session.execute(query.limit(1)).first() is not None


def _check_unique(store: Store, batch: list[dict[str, Any]], product: Optional[Product] = None) -> None:
    """Names are unique among the store's catalogue items other than pieces; SKUs and barcodes among all. `batch`
    is the values of one item (or an import's many new ones: one query a column for them all, and none may repeat
    another of the batch); `product` is the item being changed, which may keep its own."""
    names = [v["product_name"].lower() for v in batch if v.get("product_name") and not _is_piece(v, product)]
    if _repeated(names) or _taken(store, db.func.lower(Product.product_name), names, product,
                                  Product.gross_weight.is_(None)):
        raise Duplicate(NAME_TAKEN, "product_name")
    errors = FieldErrors()
    for name, message in (("sku", SKU_TAKEN), ("barcode", BARCODE_TAKEN)):
        values = [v[name] for v in batch if v.get(name)]
        if _repeated(values) or _taken(store, getattr(Product, name), values, product):
            errors.add(name, message)
    errors.raise_if()


def _move_stock(product: Product, user: User, delta: Decimal, note: str) -> None:
    """Change stock by `delta` through services.catalog.stock; a count that ran short is a rule broken on quantity."""
    try:
        stock.adjust(product, delta, user_id=user.id, note=note)
    except stock.InsufficientStock as exc:
        raise RuleBroken("The stock of this product changed while you were editing it; please retry.",
                         "quantity") from exc


def _assign(product: Product, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "details":
            for column, detail in value.items():
                if column not in DETAIL_COLUMNS:
                    raise ValueError(f"Product has no detail column {column!r}")
                setattr(product, column, detail)
        elif name != "quantity":
            setattr(product, name, value)


def _flush_unique() -> None:
    """Flush in a savepoint. Losing a race on a unique name, SKU or barcode (another request wrote it since the
    check) gives the check's own error for the field the database names."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        text = str(exc.orig).lower()  # the driver's message names the constraint's columns or the constraint
        for name, message in (("barcode", BARCODE_TAKEN), ("sku", SKU_TAKEN)):
            if name in text:
                raise ValidationError(message, {name: [message]}) from exc
        raise Duplicate(NAME_TAKEN, "product_name") from exc


def create_product(store: Store, user: User, data: ProductInput) -> Product:
    """A new catalogue item with its opening stock (managers and owners)."""
    return create_products(store, user, [data])[0]


def create_products(store: Store, user: User, items: Sequence[ProductInput], *, reason: str = "adjust",
                    note: str = "opening stock") -> list[Product]:
    """New catalogue items, each with its opening stock written as a stock move of `reason` (managers and owners).

    All or none: the first problem raises (an import that wants each row's own problems tries its rows one at a
    time). The store's checks (categories, names, SKUs, barcodes) are one query each for all the items, and the
    items are written in one flush: an import writes its rows a batch at a time through here."""
    require_role(user, store, "manager")
    categories = existing_categories(store, {data.category_id for data in items
                                             if data.given("category_id") and data.category_id is not None})
    for data in items:
        product_problems(store, data, categories=categories).raise_if()
    batch = [data.changes() for data in items]
    prices_include_tax = None
    for values in batch:
        if values.get("price_includes_tax") is None:
            if prices_include_tax is None:
                prices_include_tax = billing_options(store).prices_include_tax
            values["price_includes_tax"] = prices_include_tax
    _check_unique(store, batch)
    products = []
    for values in batch:
        product = Product(store_id=store.id, user_id=user.id, type="product")
        _assign(product, values)
        stock.opening(product, values.get("quantity") or 0)
        products.append(product)
    db.session.add_all(products)
    _flush_unique()
    stock.opening_moves(products, reason=reason, user_id=user.id, note=note)
    for product in products:
        audit.record("create", "product", product.id, store_id=store.id, user_id=user.id,
                     after=audit.snapshot(product))
    db.session.flush()
    return products


def update_product(store: Store, user: User, product: Product, data: ProductInput) -> Product:
    """A partial update of the given fields; prices, taxes, type and stock are for managers and owners."""
    require_editor(store, user, data.fields_set)
    product_problems(store, data, product).raise_if()
    values = data.changes()
    _check_unique(store, [values], product)
    product = get_product(store, product.id, for_update=True)  # the stock must not move under us
    before = audit.snapshot(product)
    target = values.get("quantity", product.quantity) if values.get("type", product.type) == "product" else 0
    delta = target - product.quantity
    _move_stock(product, user, delta, note="set by update")
    _assign(product, values)
    _flush_unique()  # a concurrent rename to the same name, SKU or barcode
    audit.record("update", "product", product.id, store_id=store.id, user_id=user.id,
                 before=before, after=audit.snapshot(product))
    return product


def archive_product(store: Store, user: User, product: Product) -> Product:
    """Take a product out of the catalogue (the till no longer finds it); its bills, stock and name stay."""
    require_role(user, store, "manager")
    return _set_archived(store, user, product, True)


def restore_product(store: Store, user: User, product: Product) -> Product:
    """Bring an archived product back into the catalogue as it was."""
    require_role(user, store, "manager")
    return _set_archived(store, user, product, False)


def _set_archived(store: Store, user: User, product: Product, archived: bool) -> Product:
    if product.store_id != store.id:
        raise NotFound("Product not found")
    if product.archived == archived:
        return product  # archiving twice (a double click) changes nothing and records nothing
    product.archived = archived
    db.session.flush()
    audit.record("archive" if archived else "restore", "product", product.id, store_id=store.id, user_id=user.id,
                 before={"archived": not archived}, after={"archived": archived})
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
