"""NamastePMS request bodies into the domain's typed inputs, and the domain's errors into the contract's words.

The contract speaks DRF: field errors as {"field": ["message"]}, pk errors as 'Invalid pk "9" - object does not
exist.', the client's own key names (category, preferred_payment_method). The services speak the domain:
typed inputs (ProductInput, CustomerInput, ...) and field errors in their own words. This module is the one
place that translates between the two, so the services never see a request body.
"""
from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any, Iterator, Optional

from blueprints.api.namaste.fields import REQUIRED, Fields, RuleError, _shown
from extensions import db
from models import EXPENSE_CATEGORIES, GENDERS, PARTY_TYPES, PRODUCT_TYPES, Product, Store
from services.bounds import MAX_QTY, MAX_STOCK
from services.catalog import categories, products, units
from services.catalog.products import ProductInput
from services.errors import RuleBroken, ValidationError
from services.parties import parties
from services.parties.expenses import ExpenseInput
from services.parties.parties import CustomerInput, SupplierInput
from services.vocabulary import EXCHANGE_TILL_ONLY, is_exchange

INVALID_TYPE = "Invalid Category. Must be 'Customer' or 'Supplier'"
PAYMENT_METHOD_KEYS = ("preferred_payment_method", "payment_method", "payment_method_id")
# Domain messages that the contract words otherwise (DRF's unique validator).
CONTRACT_WORDS = {
    products.SKU_TAKEN: "product with this sku already exists.",
    products.BARCODE_TAKEN: "product with this barcode already exists.",
}


def _pk_missing(raw: Any) -> str:
    return f'Invalid pk "{_shown(raw)}" - object does not exist.'


def contract_errors(errors: dict[str, list[str]], body: dict[str, Any]) -> dict[str, list[str]]:
    """Domain field errors keyed and worded as the contract has them."""
    worded: dict[str, list[str]] = {}
    for key, messages in errors.items():
        if key == "category_id":
            worded["category"] = [_pk_missing(body.get("category"))]
        elif key == "payment_method_id":
            sent = next((k for k in PAYMENT_METHOD_KEYS if k in body), "payment_method_id")
            worded[sent] = [_pk_missing(body.get(sent))]
        else:
            worded[key] = [CONTRACT_WORDS.get(message, message) for message in messages]
    return worded


@contextlib.contextmanager
def in_contract_words(body: dict[str, Any]) -> Iterator[None]:
    """Run a service call; a field ValidationError it raises comes out keyed and worded as the contract has it.

    RuleBroken (duplicates, races) passes as it is: the blueprint answers it {"error": message}.
    """
    try:
        yield
    except RuleBroken:
        raise
    except ValidationError as exc:
        raise ValidationError(exc.message, contract_errors(exc.errors, body)) from exc


def _merge(fields: Fields, problems: dict[str, list[str]]) -> None:
    """Add the domain's field problems to the contract's, except where a field already failed to parse."""
    for key, messages in contract_errors(problems, fields.data).items():
        if key not in fields.errors:
            fields.errors[key] = messages


# --------------------------------------------------------------------------- products


def product(store: Store, body: dict[str, Any], existing: Optional[Product] = None) -> ProductInput:
    """A product body (all fields on POST, any on PUT) as a ProductInput, or every field's DRF error at once."""
    fields = Fields(body, partial=existing is not None)
    fields.string("product_name", required=True, max_length=100, allow_blank=False)
    fields.primary_key("category", required=True, allow_null=False)
    fields.decimal("unit_price", required=True, max_digits=10)
    fields.choice("type", PRODUCT_TYPES)
    fields.choice("unit", units.UNITS)  # extension: pcs (default), kg, g, l, ml, m
    fields.boolean("price_includes_tax")  # extension: MRP pricing; absent on create: the store's option
    stock_quantity(fields, fields.values.get("unit") or (existing.unit if existing is not None else units.PCS))
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
    values = dict(fields.values)
    if "category" in values:
        values["category_id"] = values.pop("category")
    data = ProductInput.of(**values)
    _merge(fields, products.product_problems(store, data, existing))
    if existing is None and data.type == "product" and "quantity" not in body and "quantity" not in fields.errors:
        fields.errors["quantity"] = [REQUIRED]  # the contract asks every new product for its opening stock
    fields.check()
    return data


def stock_quantity(fields: Fields, unit: str) -> None:
    """A product's `quantity`: a whole number in pieces (as the contract has it), up to 3 decimals in kg, g, l, ml
    and m; both within the stock column (Numeric(12,3): at most 9 digits before the point)."""
    if units.is_measured(unit):
        fields.decimal("quantity", max_digits=12, decimal_places=3)
    else:
        fields.integer("quantity", min_value=0, max_value=MAX_STOCK)


def line_quantity(fields: Fields, unit: str) -> None:
    """A bill item's `quantity`: at least 1 and whole in pieces, more than 0 with up to 3 decimals in a measured
    unit; at most MAX_QTY either way."""
    if units.is_measured(unit):
        fields.decimal("quantity", required=True, max_digits=9, decimal_places=3, min_value=units.THOUSANDTH,
                       max_value=Decimal(MAX_QTY))
    else:
        fields.integer("quantity", required=True, min_value=1, max_value=MAX_QTY)


# --------------------------------------------------------------------------- parties


def party_type(body: dict[str, Any]) -> str:
    """Customer or Supplier, as the body names it; the contract's own error otherwise."""
    value = body.get("Category_type", body.get("category_type"))
    if value not in PARTY_TYPES:
        raise RuleError(INVALID_TYPE, "Category_type")
    return value


def _phone(fields: Fields) -> None:
    fields.string("phone_no", max_length=20, allow_null=True)
    value = fields.values.get("phone_no")
    if value == "":
        fields.values["phone_no"] = None
    elif value and parties.e164_phone(value) is None:
        del fields.values["phone_no"]
        fields.errors["phone_no"] = [parties.BAD_PHONE]


def customer(body: dict[str, Any], partial: bool) -> CustomerInput:
    """A customer body as a CustomerInput (phone and email are normalised by the service), or DRF errors."""
    fields = Fields(body, partial=partial)
    fields.string("name", required=True, max_length=255, allow_blank=False)
    fields.email("email")
    _phone(fields)
    fields.string("Customer_code", max_length=50, allow_null=True)
    fields.text("address", allow_null=True)
    fields.string("gstin", max_length=15, allow_null=True)  # checked (state code, checksum) by the service
    fields.string("legal_name", max_length=255, allow_null=True)  # extension: a B2B buyer's registered name
    fields.choice("gender", GENDERS, allow_null=True)
    fields.decimal("open_balance")
    fields.decimal("credit_limmit")
    fields.primary_key("payment_method_id", aliases=PAYMENT_METHOD_KEYS[:2])
    fields.integer("loyalty_points", min_value=0)
    fields.string("referred_by", max_length=255, allow_null=True)
    fields.text("notes", allow_null=True)
    fields.boolean("is_active")
    if "payment_method_id" in fields.errors:  # name the field the client actually sent
        key = next(k for k in PAYMENT_METHOD_KEYS if k in body)
        fields.errors[key] = fields.errors.pop("payment_method_id")
        refuse_exchange(fields, body, (key,))
    method = fields.values.get("payment_method_id")
    if method is not None and not parties.payment_method_exists(method):
        _merge(fields, {"payment_method_id": ["Payment method not found."]})
    values = fields.check()
    for name in ("Customer_code", "gstin", "legal_name", "referred_by", "address"):
        if values.get(name) == "":
            values[name] = None
    if "notes" in values and values["notes"] is None:
        values["notes"] = ""
    return CustomerInput.of(**values)


def refuse_exchange(fields: Fields, body: dict[str, Any], keys: tuple[str, ...]) -> None:
    """A payment method sent as "exchange": old gold is the jewellery till's, so say that, and which methods (by
    their ids) this API takes, instead of DRF's bare "Expected pk value"."""
    for key in keys:
        if is_exchange(body.get(key)):
            methods = ", ".join(f"{method.id} ({method.name})"
                                for method in db.session.execute(categories.payment_methods_query()).scalars())
            fields.errors[key] = [f"{EXCHANGE_TILL_ONLY}. Expected the pk of a payment method: {methods}."]


def supplier(body: dict[str, Any], partial: bool) -> SupplierInput:
    """A supplier body as a SupplierInput, or DRF errors."""
    fields = Fields(body, partial=partial)
    fields.string("name", required=True, max_length=255, allow_blank=False)
    fields.string("code", required=True, max_length=50, allow_blank=False)
    _phone(fields)
    fields.email("email")
    fields.string("gstin", max_length=15, allow_null=True)
    fields.text("address", allow_null=True)
    fields.boolean("is_active")
    return SupplierInput.of(**fields.check())


def party_update(kind: str, body: dict[str, Any]):
    """The PUT body of a party of this kind; its type may be repeated but not changed."""
    sent_type = body.get("Category_type", body.get("category_type"))
    if sent_type is not None and sent_type != kind:
        raise ValidationError("Invalid input.", {"Category_type": ["The party type cannot be changed."]})
    return customer(body, partial=True) if kind == "Customer" else supplier(body, partial=True)


# --------------------------------------------------------------------------- expenses and categories


def expense(body: dict[str, Any], partial: bool) -> ExpenseInput:
    """An expense body as an ExpenseInput, or DRF errors."""
    fields = Fields(body, partial=partial)
    fields.decimal("amount", required=True, min_value=Decimal("0.01"))
    fields.date("date", required=True)
    fields.choice("category", EXPENSE_CATEGORIES, required=True)
    fields.text("description", allow_null=True)
    fields.boolean("is_necessary")
    return ExpenseInput.of(**fields.check())


def category_name(body: dict[str, Any]) -> str:
    fields = Fields(body)
    fields.string("name", required=True, max_length=100, allow_blank=False)
    return fields.check()["name"]

