"""NamastePMS API (docs/contracts/000_e4a737684d814818.txt), mounted at /api with DRF-style envelopes.

Each resource is one URL with a query-string `id` for PUT and DELETE, as the contract has it. Views parse and
authorise; the services in services/ validate and write; the view commits once. Every query is scoped to the
caller's current store, so another store's id answers exactly like a missing one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from flask import Blueprint, g, request

from blueprints.api.common import (
    DRF,
    ApiError,
    api_login_required,
    drf_page,
    idempotent_response,
    json_response,
    read_json,
)
from blueprints.api.namaste import bills as namaste_bills
from blueprints.api.namaste import parse
from blueprints.api.namaste.fields import parse_id_arg
from blueprints.api.namaste.serialize import (
    bill_json,
    category_json,
    customer_json,
    expense_json,
    party_detail_json,
    party_json,
    payment_method_json,
    product_json,
    supplier_json,
)
from extensions import db
from models import Party
from services.catalog import categories, products
from services.errors import Duplicate, RuleBroken
from services.parties import expenses, parties

bp = Blueprint("namaste", __name__, url_prefix="/api")


@bp.errorhandler(RuleBroken)
def rule_error(exc: RuleBroken):
    """A rule the whole request broke: {"error": message}, plus the existing record for duplicates."""
    body: dict[str, Any] = {"error": exc.message}
    existing = exc.existing if isinstance(exc, Duplicate) else None
    if isinstance(existing, Party) and existing.customer is not None:
        body["existing_customer"] = customer_json(existing.customer)
    if isinstance(existing, Party) and existing.supplier is not None:
        body["existing_supplier"] = supplier_json(existing.supplier)
    db.session.rollback()
    return json_response(body, 400)


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


def _create_product(store, user, body):
    products.require_editor(store, user, products.PRICE_AND_STOCK_FIELDS)  # a cashier hears 403 before any 400
    data = parse.product(store, body)
    with parse.in_contract_words(body):
        return products.create_product(store, user, data)


def _update_product(store, user, product, body):
    products.require_editor(store, user, body)  # a cashier hears 403 before any 400
    data = parse.product(store, body, existing=product)
    with parse.in_contract_words(body):
        return products.update_product(store, user, product, data)


def _create_expense(store, user, body):
    return expenses.create_expense(store, user, parse.expense(body, partial=False))


def _update_expense(store, user, expense, body):
    return expenses.update_expense(store, user, expense, parse.expense(body, partial=True))


PRODUCTS = Resource("Product", "product", products.products_query, products.get_product, _create_product,
                    _update_product, products.delete_product, product_json)
EXPENSES = Resource("Expense", "expense", expenses.expenses_query, expenses.get_expense, _create_expense,
                    _update_expense, expenses.delete_expense, expense_json, guard=expenses.can_see_expenses)
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
        party = _create_party(store, user, read_json(DRF))
        return saved(201, f"{party.Category_type} created successfully!", **_party_parts(party))
    party = load_by_id("Party", parties.get_party, "Party not found")
    if request.method == "GET":
        return json_response(party_detail_json(party))
    if request.method == "PUT":
        party = _update_party(store, user, party, read_json(DRF))
        return saved(200, f"{party.Category_type} updated successfully!", **_party_parts(party))
    parties.delete_party(store, user, party)
    return deleted("Party deleted successfully!")


def _create_party(store, user, body: dict[str, Any]) -> Party:
    if parse.party_type(body) == "Customer":
        data = parse.customer(body, partial=False)
        with parse.in_contract_words(body):
            return parties.create_customer(store, user, data)
    return parties.create_supplier(store, user, parse.supplier(body, partial=False))


def _update_party(store, user, party: Party, body: dict[str, Any]) -> Party:
    record = party.customer if party.Category_type == "Customer" else party.supplier
    if record is None:
        raise RuleBroken(parties.NO_RECORD)
    data = parse.party_update(party.Category_type, body)
    with parse.in_contract_words(body):
        return parties.update_party(store, user, party, data)


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
    categories.require_writer(g.store, g.api_user)  # a cashier hears 403 before any 400
    category = categories.create_category(g.store, g.api_user, parse.category_name(read_json(DRF)))
    return saved(201, "Category created successfully!", category=category_json(category))


@bp.route("/payment-methods/", methods=["GET"])
@api_login_required(DRF)
def payment_methods_view():
    """The shared list of payment methods, whose ids customers and bills refer to."""
    return json_response(drf_page(categories.payment_methods_query(), payment_method_json))
