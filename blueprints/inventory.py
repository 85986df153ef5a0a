"""Inventory pages: the products list (live search, filters, sort, pages; HTMX with pushed URLs and plain GET
without JavaScript), inline edit of a row, the add/edit form, archive and restore, categories and low stock.

Everyone in the store may look (cashiers included); owners and managers change things. The rules are
services.catalog's (products.create_product / update_product / archive_product / restore_product, categories,
listing); these views parse the forms, call them, put their field errors beside the fields (422, nothing
written) and commit once.
"""
from __future__ import annotations

from typing import Callable, Optional

from flask import Blueprint, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.decorators import role_required
from blueprints.htmx import push_clean_url, render_page_or_fragment
from blueprints.inventory_forms import ProductForm, category_choices, form_errors, read_fields
from blueprints.paging import page_arg
from extensions import db
from models import PRODUCT_TYPES, Category, Product
from services.accounts.access import has_role
from services.accounts.billing_options import billing_options
from services.catalog import categories as category_service
from services.catalog import listing
from services.catalog import products as product_service
from services.documents import uploads
from services.errors import FieldErrors, ValidationError
from services.scoping import get_in_store

bp = Blueprint("inventory", __name__, url_prefix="/inventory")

PAGE_SIZE = 20
INLINE_FIELDS = ("price", "gst_rate", "low_stock", "category")
FORM_FIELDS = ("name", "type", "unit", "price", "price_includes_tax", "gst_rate", "hsn", "barcode", "sku",
               "category", "low_stock", "duration", "description")


def _can_edit() -> bool:
    return has_role(g.membership.role, "manager")


def _categories() -> list[Category]:
    return list(db.session.execute(category_service.categories_query(g.store).order_by(None).order_by(
        Category.name, Category.id)).scalars())


def _product(product_id: int) -> Product:
    """One of the store's products, live or archived; another shop's id is the same 404 as a missing one."""
    return get_in_store(Product, g.store, id=product_id, message="Product not found")


# --------------------------------------------------------------------------- the list


def _filters() -> tuple[listing.ProductFilters, dict, dict]:
    """The list's query string, checked: (filters, the query string to keep, errors beside the fields)."""
    args, errors = request.args, {}
    q = args.get("q", "").strip()[:100]
    category = args.get("category", "").strip()
    category_id = None
    if category:
        if category.isdigit() and len(category) < 10:
            category_id = int(category)
        else:
            errors["category"], category = ["Choose a category from the list."], ""
    kind = args.get("type", "")
    if kind and kind not in PRODUCT_TYPES:
        errors["type"], kind = ["Choose product, service or membership."], ""
    stock = args.get("stock", "")
    if stock and stock not in listing.STOCK_FILTERS:
        errors["stock"], stock = ["Choose low stock or out of stock."], ""
    sort = args.get("sort", listing.DEFAULT_SORT)
    if sort not in listing.SORTS:
        errors["sort"], sort = ["Choose an order from the list."], listing.DEFAULT_SORT
    archived = args.get("archived") == "1"
    kept = {"q": q, "category": category, "type": kind, "stock": stock,
            "archived": "1" if archived else "", "sort": "" if sort == listing.DEFAULT_SORT else sort}
    filters = listing.ProductFilters(q=q, category_id=category_id, type=kind or None, stock=stock or None,
                                     archived=archived, sort=sort)
    return filters, {k: v for k, v in kept.items() if v}, errors


ROW_LINKS = ("inventory.edit", "inventory.edit_row", "inventory.archive", "inventory.restore", "stock.adjust",
             "stock.history")
_ID_MARKER = 918273645546372819  # stands for the product id while a row link's URL is built


def _row_links() -> dict[str, Callable[[int], str]]:
    """Each link of a row (those whose page exists) as product id -> URL: url_for builds each URL once a page,
    around a marker id, instead of six times a row."""
    links = {}
    for endpoint in ROW_LINKS:
        if endpoint in current_app.view_functions:
            head, _, tail = url_for(endpoint, product_id=_ID_MARKER).partition(str(_ID_MARKER))
            links[endpoint] = lambda product_id, head=head, tail=tail: f"{head}{int(product_id)}{tail}"
    return links


def _row_context(categories: Optional[list[Category]] = None) -> dict:
    """What a row needs: the role, the category names (one query, not one per row) and its links."""
    categories = _categories() if categories is None else categories
    return {"can_edit": _can_edit(), "category_names": {c.id: c.name for c in categories},
            "row_link": _row_links()}


@bp.get("")
@role_required("cashier")
def index():
    """The store's products: search as you type (name, SKU, barcode), filters, sort, pages."""
    filters, args, errors = _filters()
    page = page_arg()
    found = listing.list_products(g.store, filters, page, PAGE_SIZE)
    categories = _categories()
    response = render_page_or_fragment("inventory/index.html", "inventory/_rows.html", found=found, filters=filters,
                                       args=args, errors=errors, categories=categories, sorts=listing.SORTS,
                                       stock_filters=listing.STOCK_FILTERS, types=PRODUCT_TYPES,
                                       **_row_context(categories))
    return push_clean_url(response, "inventory.index", page, **args)


@bp.get("/low-stock")
@role_required("cashier")
def low_stock():
    """Products at or below their low-stock level (tracked products with a level), the furthest below first."""
    found = listing.low_stock(g.store, page_arg(), PAGE_SIZE)
    return render_page_or_fragment("inventory/low_stock.html", "inventory/_low_stock_rows.html", found=found,
                                   **_row_context())


# --------------------------------------------------------------------------- inline edit of a row


def _row(product: Product, status: int = 200):
    return make_response(render_template("inventory/_row.html", product=product, **_row_context()), status)


def _row_form(product: Product, values: dict, errors: dict, status: int = 200):
    return make_response(render_template("inventory/_row_form.html", product=product, values=values,
                                         errors=errors, categories=_categories()), status)


@bp.get("/<int:product_id>/row")
@role_required("cashier")
def row(product_id: int):
    """One row of the list as it is (what Cancel of an inline edit shows again)."""
    return _row(_product(product_id))


@bp.get("/<int:product_id>/row/edit")
@role_required("manager")
def edit_row(product_id: int):
    """The row as a small form: price, GST rate, low-stock level and category."""
    product = _product(product_id)
    values = {"price": f"{product.unit_price:f}", "gst_rate": f"{(product.cgst_rate + product.sgst_rate):f}",
              "low_stock": "" if product.low_stock_threshold is None else str(product.low_stock_threshold),
              "category": "" if product.category_id is None else str(product.category_id)}
    return _row_form(product, values, {})


@bp.post("/<int:product_id>/row")
@role_required("manager")
def save_row(product_id: int):
    """Save the inline edit through update_product; the row again, or its form with messages (422)."""
    product = _product(product_id)
    raw = {name: request.form.get(name, "") for name in INLINE_FIELDS}
    values, parse_errors = read_fields(raw, INLINE_FIELDS)
    data = product_service.ProductInput.of(**values)
    if parse_errors:  # what could be read is still checked, so every mistake shows at once
        problems = product_service.product_problems(g.store, data, product)
        return _row_form(product, raw, form_errors({**problems, **parse_errors}), 422)
    try:
        product_service.update_product(g.store, current_user, product, data)
    except ValidationError as exc:
        db.session.rollback()
        return _row_form(_product(product_id), raw, form_errors(exc.errors or {"price": [exc.message]}), 422)
    db.session.commit()
    return _row(product)


# --------------------------------------------------------------------------- the add / edit form


@bp.route("/new", methods=["GET", "POST"])
@role_required("manager")
def new():
    """Add a product, service or membership with every field, its opening stock and a photo."""
    return _product_form(None)


@bp.route("/<int:product_id>/edit", methods=["GET", "POST"])
@role_required("manager")
def edit(product_id: int):
    """Change every field of a product (stock changes are the stock pages', not this form's)."""
    return _product_form(_product(product_id))


def _fill(form: ProductForm, product: Product) -> None:
    form.name.data, form.type.data, form.unit.data = product.product_name, product.type, product.unit
    form.price.data = f"{product.unit_price:f}"
    form.price_includes_tax.data = product.price_includes_tax
    form.gst_rate.data = f"{(product.cgst_rate + product.sgst_rate).normalize():f}"
    form.hsn.data, form.barcode.data, form.sku.data = product.hsn_code, product.barcode, product.sku
    form.category.data = "" if product.category_id is None else str(product.category_id)
    form.low_stock.data = "" if product.low_stock_threshold is None else str(product.low_stock_threshold)
    form.duration.data = str(product.duration_minutes)
    form.description.data = product.description


def _product_form(product: Optional[Product]):
    form = ProductForm()
    form.category.choices = category_choices(_categories())
    if request.method == "GET":
        if product is not None:
            _fill(form, product)
        else:
            form.price_includes_tax.data = billing_options(g.store).prices_include_tax
        return render_template("inventory/form.html", form=form, product=product)
    if form.validate_on_submit():
        saved = _save_form(form, product)
        if saved is not None:
            db.session.commit()
            flash(f"{saved.product_name} saved.", "success")
            return redirect(url_for(".index", q=saved.sku or saved.barcode or saved.product_name), 303)
    return render_template("inventory/form.html", form=form, product=product), 422


def _save_form(form: ProductForm, product: Optional[Product]) -> Optional[Product]:
    """The form through create_product / update_product; None after putting the errors beside the fields."""
    names = FORM_FIELDS + (("opening_stock",) if product is None else ())
    raw = {name: getattr(form, name).data for name in names}
    values, errors = read_fields(raw, names)
    image, stored = form.image.data, None
    if image is not None and getattr(image, "filename", ""):
        try:
            data, kind = uploads.read_image(image.stream, "image")
        except ValidationError as exc:
            for message in exc.errors.get("image", [exc.message]):
                errors.add("image", message)
        else:
            stored = uploads.save_image(g.store.uid, data, kind, prefix="product")
            values["product_Img"] = "/uploads/" + stored
    data_in = product_service.ProductInput.of(**values)
    try:
        if errors:
            errors = FieldErrors({**product_service.product_problems(g.store, data_in, product), **errors})
            errors.raise_if()
        if product is None:
            return product_service.create_product(g.store, current_user, data_in)
        return product_service.update_product(g.store, current_user, product, data_in)
    except ValidationError as exc:
        db.session.rollback()
        uploads.remove(stored)  # nothing half-written: not even the photo
        shown = form_errors(exc.errors or {"name": [exc.message]})
        for name, messages in shown.items():
            field = getattr(form, name, None)
            if field is None or name == "non_field_errors":
                form.form_errors.extend(messages)
            else:
                field.errors = list(field.errors) + messages
        return None


# --------------------------------------------------------------------------- archive and restore


@bp.post("/<int:product_id>/archive")
@role_required("manager")
def archive(product_id: int):
    """Take a product out of the catalogue (the till stops finding it); bills and stock keep it."""
    return _set_archived(product_id, True)


@bp.post("/<int:product_id>/restore")
@role_required("manager")
def restore(product_id: int):
    """Bring an archived product back into the catalogue."""
    return _set_archived(product_id, False)


def _set_archived(product_id: int, archived: bool):
    product = _product(product_id)
    change = product_service.archive_product if archived else product_service.restore_product
    change(g.store, current_user, product)
    db.session.commit()
    flash(f"{product.product_name} {'archived' if archived else 'restored'}.", "success")
    return redirect(url_for(".index", archived="1") if not archived else url_for(".index"), 303)


# --------------------------------------------------------------------------- categories


def _categories_page(errors: Optional[dict] = None, typed: Optional[dict] = None, status: int = 200):
    categories = _categories()
    counts = dict(db.session.execute(
        db.select(Product.category_id, db.func.count(Product.id)).where(
            Product.store_id == g.store.id, Product.category_id.is_not(None)).group_by(Product.category_id)).all())
    return render_template("inventory/categories.html", categories=categories, counts=counts,
                           errors=errors or {}, typed=typed or {}), status


@bp.get("/categories")
@role_required("manager")
def categories():
    """The store's categories with how many products each holds: add, rename, merge."""
    return _categories_page()


def _category_action(action, key: str, typed: str, message: str):
    """Run a category change; a refusal shows beside the box it came from (`key`), 422, nothing written."""
    try:
        action()
    except ValidationError as exc:
        db.session.rollback()
        messages = [m for ms in exc.errors.values() for m in ms] or [exc.message]
        return _categories_page({key: messages}, {key: typed}, 422)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".categories"), 303)


@bp.post("/categories")
@role_required("manager")
def add_category():
    """Add a category; a name the store already has (case aside) is refused beside the box."""
    name = request.form.get("name", "")
    return _category_action(lambda: category_service.create_category(g.store, current_user, name),
                            "new", name, f"Category {name.strip()} added.")


@bp.post("/categories/<int:category_id>/rename")
@role_required("manager")
def rename_category(category_id: int):
    """Rename a category; another category's name is refused."""
    category = get_in_store(Category, g.store, id=category_id, message="Category not found")
    name = request.form.get("name", "")
    return _category_action(lambda: category_service.rename_category(g.store, current_user, category, name),
                            f"rename-{category_id}", name, f"Category renamed to {name.strip()}.")


@bp.post("/categories/<int:category_id>/merge")
@role_required("manager")
def merge_category(category_id: int):
    """Move this category's products into another and delete it."""
    source = get_in_store(Category, g.store, id=category_id, message="Category not found")
    raw = request.form.get("target_id", "").strip()
    target = category_service.get_category(g.store, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    key = f"merge-{category_id}"
    if target is None:
        return _categories_page({key: ["Choose the category to merge into."]}, {}, 422)
    message = f"{source.name} merged into {target.name}."
    return _category_action(lambda: category_service.merge_categories(g.store, current_user, source, target),
                            key, raw, message)
