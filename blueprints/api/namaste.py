"""NamastePMS API (docs/contracts/000_e4a737684d814818.txt), mounted at /api with DRF-style envelopes.

Each resource is one URL with a query-string `id` for PUT and DELETE, as the contract has it. Views parse and
authorise; the services in services/ validate and write; the view commits once. Every query is scoped to the
caller's current store, so another store's id answers exactly like a missing one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Optional

from flask import Blueprint, g, request

from blueprints.api.common import (
    DRF,
    ApiError,
    api_login_required,
    drf_page,
    idempotent_response,
    json_response,
    money_str,
    read_json,
)
from extensions import db
from models import Bill, BillItem, Category, Customer, Expense, Party, PaymentMethod, Product, Supplier
from services import categories, expenses, namaste_bills, parties, products
from services.field_parsers import RuleError, parse_id_arg
from services.parties import DuplicateCustomer, DuplicateSupplier

bp = Blueprint("namaste", __name__, url_prefix="/api")


@bp.errorhandler(RuleError)
def rule_error(exc: RuleError):
    """A rule the whole request broke: {"error": message}, plus the existing record for duplicates."""
    body: dict[str, Any] = {"error": exc.message, **exc.extra}
    if isinstance(exc, DuplicateCustomer) and exc.existing.customer is not None:
        body["existing_customer"] = customer_json(exc.existing.customer)
    if isinstance(exc, DuplicateSupplier) and exc.existing.supplier is not None:
        body["existing_supplier"] = supplier_json(exc.existing.supplier)
    db.session.rollback()
    return json_response(body, 400)


# --------------------------------------------------------------------------- serialisers (explicit fields)


def drf_datetime(value: Optional[datetime]) -> Optional[str]:
    """ISO 8601 as DRF writes it: UTC with a Z, microseconds only when there are some."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def product_json(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "user": product.user_id,
        "product_name": product.product_name,
        "category": product.category_id,
        "product_Img": product.product_Img,
        "unit_price": money_str(product.unit_price),
        "quantity": product.quantity,
        "description": product.description,
        "uid": product.uid,
        "type": product.type,
        "sku": product.sku,
        "barcode": product.barcode,
        "hsn_code": product.hsn_code,
        "cgst_rate": money_str(product.cgst_rate),
        "sgst_rate": money_str(product.sgst_rate),
        "low_stock_threshold": product.low_stock_threshold,
    }


def party_json(party: Party) -> dict[str, Any]:
    return {
        "id": party.id,
        "Category_type": party.Category_type,
        "is_active": party.is_active,
        "is_updated_at": drf_datetime(party.is_updated_at),
    }


def party_detail_json(party: Party) -> dict[str, Any]:
    body = party_json(party)
    if party.customer is not None:
        body["customer"] = customer_json(party.customer)
    if party.supplier is not None:
        body["supplier"] = supplier_json(party.supplier)
    return body


def customer_json(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "party": customer.party_id,
        "name": customer.name,
        "email": customer.email,
        "phone_no": customer.phone_no,
        "Customer_code": customer.Customer_code,
        "address": customer.address,
        "open_balance": money_str(customer.open_balance),
        "credit_limmit": money_str(customer.credit_limmit),
        "payment_method": customer.payment_method_id,
        "loyalty_points": customer.loyalty_points,
        "referred_by": customer.referred_by,
        "notes": customer.notes,
        "gender": customer.gender,
        "gstin": customer.gstin,
    }


def supplier_json(supplier: Supplier) -> dict[str, Any]:
    return {
        "id": supplier.id,
        "party": supplier.party_id,
        "name": supplier.name,
        "code": supplier.code,
        "phone_no": supplier.phone_no,
        "email": supplier.email,
        "gstin": supplier.gstin,
        "address": supplier.address,
    }


def expense_json(expense: Expense) -> dict[str, Any]:
    return {
        "id": expense.id,
        "user": expense.user_id,
        "amount": money_str(expense.amount),
        "description": expense.description,
        "date": expense.date.isoformat(),
        "category": expense.category,
        "is_necessary": expense.is_necessary,
    }


def bill_json(bill: Bill) -> dict[str, Any]:
    return {
        "id": bill.id,
        "user": bill.user_id,
        "invoice_number": bill.invoice_number,
        "invoice_date": bill.invoice_date.isoformat() if bill.invoice_date else None,
        "due_date": bill.due_date.isoformat() if bill.due_date else None,
        "payment_method": bill.payment_method_id,
        "invoice_status": namaste_bills.invoice_status(bill),
        "party": bill.party_id,
        "phone": bill.phone,
        "VAt_number": bill.VAt_number,
        "address": bill.address,
        "notes": bill.notes,
        "paid_amount": money_str(bill.paid_amount),
        "due_amount": money_str(bill.due_amount),
        "total_amount": money_str(bill.total_amount),
        "discount": money_str(bill.discount),
        "tax": money_str(bill.tax),
        "sub_total": money_str(bill.sub_total),
        "uid": bill.uid,
        "status": bill.status,
        "items": [bill_item_json(item) for item in bill.items],
    }


def bill_item_json(item: BillItem) -> dict[str, Any]:
    return {"id": item.id, "billing": item.bill_id, "item": item.product_id, "quantity": item.qty,
            "rate": money_str(item.rate)}


def category_json(category: Category) -> dict[str, Any]:
    return {"id": category.id, "name": category.name}


def payment_method_json(method: PaymentMethod) -> dict[str, Any]:
    return {"id": method.id, "name": method.name}


# --------------------------------------------------------------------------- helpers


def load_by_id(label: str, loader: Callable[[Any, int], Any], not_found: str, invalid: Optional[str] = None):
    """The store's record named by ?id=, or the contract's 400/404 in its own words."""
    raw = request.args.get("id")
    if raw is None or raw.strip() == "":
        raise ApiError(400, "", body={"error": f"{label} ID is required"})
    pk = parse_id_arg(raw.strip())
    if pk is None and invalid is not None:
        raise ApiError(400, "", body={"error": invalid})
    found = loader(g.store, pk) if pk is not None else None
    if found is None:
        raise ApiError(404, "", body={"error": not_found})
    return found


def saved(status: int, message: str, **things: Any):
    """Commit the request's one transaction and answer {"message": ..., <thing>: {...}}."""
    db.session.commit()
    return json_response({"message": message, **things}, status)


def deleted(message: str):
    db.session.commit()
    return json_response({"message": message}, 200)


# --------------------------------------------------------------------------- one shape for three resources


@dataclass(frozen=True)
class Resource:
    """A contract resource served at one URL: list, create, PUT ?id= and DELETE ?id=."""

    label: str  # "Product": used in "Product ID is required" and "Product created successfully!"
    key: str  # the response key: "product"
    query: Callable[[Any], Any]
    get: Callable[[Any, int], Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any]
    serialize: Callable[[Any], dict[str, Any]]
    guard: Optional[Callable[[Any, Any], None]] = None  # extra role check for the whole resource
    idempotent: bool = False  # POST honours Idempotency-Key (DESIGN: accepted on NamastePMS billing too)


def serve(resource: Resource):
    """The contract's four verbs on one URL, with its messages word for word."""
    store, user = g.store, g.api_user
    if resource.guard is not None:
        resource.guard(user, store)
    if request.method == "GET":
        return json_response(drf_page(resource.query(store), resource.serialize))
    if request.method == "POST":
        payload = read_json(DRF)

        def run():
            thing = resource.create(store, user, payload)
            body = {"message": f"{resource.label} created successfully!", resource.key: resource.serialize(thing)}
            return 201, body, thing.id if resource.idempotent else None

        if resource.idempotent:
            return idempotent_response(store, payload, run)
        status, body, _ = run()
        db.session.commit()
        return json_response(body, status)
    verb = "edit" if request.method == "PUT" else "delete"
    thing = load_by_id(resource.label, resource.get,
                       f"{resource.label} not found or you do not have permission to {verb} it.",
                       f"Invalid {resource.label} ID")
    if request.method == "PUT":
        thing = resource.update(store, user, thing, read_json(DRF))
        return saved(200, f"{resource.label} updated successfully!", **{resource.key: resource.serialize(thing)})
    resource.delete(store, user, thing)
    return deleted(f"{resource.label} deleted successfully!")


PRODUCTS = Resource("Product", "product", products.products_query, products.get_product, products.create_product,
                    products.update_product, products.delete_product, product_json)
EXPENSES = Resource("Expense", "expense", expenses.expenses_query, expenses.get_expense, expenses.create_expense,
                    expenses.update_expense, expenses.delete_expense, expense_json, guard=expenses.can_see_expenses)
BILLING = Resource("Billing", "billing", namaste_bills.bills_query, namaste_bills.get_bill, namaste_bills.create_bill,
                   namaste_bills.update_bill, namaste_bills.cancel_bill, bill_json, idempotent=True)


@bp.route("/products/", methods=["GET", "POST", "PUT", "DELETE"])
@api_login_required(DRF)
def products_view():
    """List, create, update (?id=) and delete (?id=) the store's products."""
    return serve(PRODUCTS)


@bp.route("/expenses/", methods=["GET", "POST", "PUT", "DELETE"])
@api_login_required(DRF)
def expenses_view():
    """List, create, update (?id=) and delete (?id=) the store's expenses (managers and owners)."""
    return serve(EXPENSES)


@bp.route("/billing/", methods=["GET", "POST", "PUT", "DELETE"])
@api_login_required(DRF)
def billing_view():
    """List, create (through the billing service), update (?id=) and cancel (DELETE ?id=) the store's bills."""
    return serve(BILLING)


# --------------------------------------------------------------------------- parties


def _category_type_filter() -> Optional[str]:
    raw = request.args.get("category_type")
    if not raw:
        return None
    for kind in ("Customer", "Supplier"):
        if raw.lower() == kind.lower():
            return kind
    raise ApiError(400, "", body={
        "category_type": [f"Select a valid choice. {raw} is not one of the available choices."]
    })


@bp.route("/parties/", methods=["GET", "POST", "PUT", "DELETE"])
@api_login_required(DRF)
def parties_view():
    """List (or get by ?id=), create, update and delete the store's customers and suppliers."""
    store, user = g.store, g.api_user
    if request.method == "GET" and "id" not in request.args:
        query = parties.parties_query(store, _category_type_filter())
        return json_response(drf_page(query, party_detail_json))
    if request.method == "POST":
        party = parties.create_party(store, user, read_json(DRF))
        return saved(201, f"{party.Category_type} created successfully!", **_party_parts(party))
    party = load_by_id("Party", parties.get_party, "Party not found")
    if request.method == "GET":
        return json_response(party_detail_json(party))
    if request.method == "PUT":
        party = parties.update_party(store, user, party, read_json(DRF))
        return saved(200, f"{party.Category_type} updated successfully!", **_party_parts(party))
    parties.delete_party(store, user, party)
    return deleted("Party deleted successfully!")


def _party_parts(party: Party) -> dict[str, Any]:
    if party.Category_type == "Customer":
        return {"party": party_json(party), "customer": customer_json(party.customer)}
    return {"party": party_json(party), "supplier": supplier_json(party.supplier)}


# --------------------------------------------------------------------------- categories and payment methods


@bp.route("/categories/", methods=["GET", "POST"])
@api_login_required(DRF)
def categories_view():
    """The store's product categories; managers and owners may add one."""
    if request.method == "GET":
        return json_response(drf_page(categories.categories_query(g.store), category_json))
    category = categories.create_category(g.store, g.api_user, read_json(DRF))
    return saved(201, "Category created successfully!", category=category_json(category))


@bp.route("/payment-methods/", methods=["GET"])
@api_login_required(DRF)
def payment_methods_view():
    """The shared list of payment methods, whose ids customers and bills refer to."""
    return json_response(drf_page(categories.payment_methods_query(), payment_method_json))
