"""The OpenAPI 3.1 document of every JSON route: one function per surface, each adding its paths and schemas.

To document a new endpoint, add it to its surface's function (or add a function and list it in SURFACES):
`doc.path("/api/thing/", "get", operation(...))` and `doc.schema("Thing", {...})`. tests/test_openapi.py fails
while any route under /api (or a jewellery root path) is missing here; tests/test_openapi_schemathesis.py runs
schemathesis against the result.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from models import EXPENSE_CATEGORIES, GENDERS, INVOICE_STATUSES, PRODUCT_TYPES
from services.accounts.billing_options import FLAGS
from services.bounds import MAX_ID, MAX_QTY
from services.vocabulary import (
    BILL_PAYMENT_MODES,
    BILL_SORTS,
    BILL_STATUSES,
    DISCOUNT_TYPES,
    PAYMENT_MODES,
    REFUND_MODES,
    UNITS,
)

JSON = "application/json"
INT32_MAX = MAX_ID  # every Integer id and page number


class Document:
    """The document being built, with small helpers so each surface reads like a table of its endpoints."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {
            "openapi": "3.1.0",
            "info": {
                "title": "Shop API",
                "version": "1.0.0",
                "description": "NamastePMS (/api), Billing v1 (/api/v1) and the jewellery API (root paths), "
                               "served over one set of models. Choices where the contracts are silent: docs/api.md.",
            },
            "paths": {},
            "components": {
                "schemas": {},
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            },
            "security": [{"bearerAuth": []}],
            "tags": [],
        }

    def path(self, url: str, method: str, operation: dict[str, Any]) -> None:
        self.data["paths"].setdefault(url, {})[method] = operation

    def schema(self, name: str, schema: dict[str, Any]) -> dict[str, str]:
        self.data["components"]["schemas"][name] = schema
        return ref(name)

    def tag(self, name: str, description: str) -> None:
        self.data["tags"].append({"name": name, "description": description})


# --------------------------------------------------------------------------- building blocks


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], required: Iterable[str] = (), extra: bool = True, **more: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **more}
    if required:
        schema["required"] = list(required)
    if not extra:
        schema["additionalProperties"] = False
    return schema


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def string(max_length: Optional[int] = None, min_length: Optional[int] = None, **more: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", **more}
    if max_length is not None:
        schema["maxLength"] = max_length
    if min_length is not None:
        schema["minLength"] = min_length
    return schema


def integer(minimum: Optional[int] = None, maximum: int = INT32_MAX) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", "maximum": maximum}
    if minimum is not None:
        schema["minimum"] = minimum
    return schema


def enum(values: Iterable[str]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def query_choice(values: Iterable[str]) -> dict[str, Any]:
    """A query filter: one of the values, or empty (`?type=`), which the server reads as no filter."""
    return {"type": "string", "enum": [*values, ""]}


MONEY_OUT = {"type": "string", "pattern": r"^\d+\.\d{2}$", "examples": ["99.99"]}
RATE_OUT = {"type": "string", "pattern": r"^\d+\.\d{2}$", "examples": ["9.00"]}
DATE = {"type": "string", "format": "date", "examples": ["2026-02-12"]}
DATETIME = {"type": "string", "format": "date-time", "examples": ["2026-02-12T10:30:00Z"]}
# Lists counted up to a cap (services.paging.paginate_capped): `total` is exact unless this is false.
TOTAL_EXACT = {"type": "boolean", "description": "Extension: false when the count stopped 10,000 rows past the page; "
               "`total` is then a lower bound (there are at least that many)"}
PK = integer(1)
NULLABLE_TEXT = nullable(string(2000))


def money_in(max_whole_digits: int = 10, minimum: str = "0") -> dict[str, Any]:
    """A non-negative decimal as a string ("99.99") or a JSON number; at most 2 decimal places."""
    pattern = rf"^\d{{1,{max_whole_digits}}}(\.\d{{1,2}})?$"
    return {"anyOf": [
        {"type": "string", "pattern": pattern},
        {"type": "number", "minimum": float(minimum), "maximum": 10 ** (max_whole_digits - 2), "multipleOf": 0.01},
    ], "examples": ["99.99"]}


def stock_in(description: str) -> dict[str, Any]:
    """A NamastePMS stock quantity: whole for pcs, up to 3 decimals for kg, g, l, ml, m (extension), at most
    999999999 (the stock column is Numeric(12,3)); a string of digits or a number."""
    return {"anyOf": [
        integer(0, 999_999_999),
        {"type": "string", "pattern": r"^\d{1,9}(\.\d{1,3})?$"},
        {"type": "number", "minimum": 0, "maximum": 999_999_999, "multipleOf": 0.001},
    ], "examples": [100, "12.5"], "description": description}


QUANTITY_OUT = {"type": "number", "minimum": 0, "examples": [100, 12.5],
                "description": "A whole number for pcs; up to 3 decimals for kg, g, l, ml, m"}


def body(schema: dict[str, Any], required: bool = True, example: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"required": required, "content": {JSON: media}}


def response(description: str, schema: Optional[dict[str, Any]] = None, media: str = JSON) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if schema is not None:
        answer["content"] = {media: {"schema": schema}}
    return answer


def operation(summary: str, tag: str, responses: dict[str, Any], *, request: Optional[dict[str, Any]] = None,
              parameters: Optional[list[dict[str, Any]]] = None, public: bool = False, op_id: str = "",
              description: str = "") -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    if op_id:
        op["operationId"] = op_id
    if description:
        op["description"] = description
    if request is not None:
        op["requestBody"] = request
    if parameters:
        op["parameters"] = parameters
    if public:
        op["security"] = []
    return op


def query(name: str, schema: dict[str, Any], description: str = "", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def path_param(name: str, schema: Optional[dict[str, Any]] = None, description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or string(), "description": description}


# --------------------------------------------------------------------------- NamastePMS (DRF style)


def _drf_common(doc: Document) -> None:
    doc.schema("DrfDetail", obj({"detail": string()}, ["detail"]))
    doc.schema("DrfError", obj({"error": string()}, ["error"]))
    doc.schema("DrfMessage", obj({"message": string()}, ["message"]))
    doc.schema("DrfFieldErrors", {
        "type": "object",
        "description": 'Field errors as DRF writes them: {"field": ["message"]}; nested lists for items.',
        "additionalProperties": {"type": ["array", "object", "string"]},
    })


DRF_400 = response("Validation errors object, or {\"error\": ...}",
                   {"anyOf": [ref("DrfError"), ref("DrfFieldErrors"), ref("DrfDetail")]})
DRF_401 = response("Missing or invalid Bearer token", {"type": "object", "required": ["detail"]})
DRF_403 = response("The caller's role may not do this", ref("DrfDetail"))
DRF_404_PAGE = response("Invalid page.", ref("DrfDetail"))


def _page(item: dict[str, Any]) -> dict[str, Any]:
    return obj({
        "count": integer(0),
        "next": nullable(string(format="uri")),
        "previous": nullable(string(format="uri")),
        "results": {"type": "array", "items": item},
    }, ["count", "next", "previous", "results"])


PAGING = [
    query("page", integer(1), "Page number (default 1); a page past the end answers 404 Invalid page."),
    # The server reads page_size leniently (as DRF does), so the document may not promise a refusal: 0 and
    # negatives answer one result per page, more than 100 answers 100, anything not a whole number the default.
    query("page_size", {"type": "string", "examples": ["10"]},
          "Results per page: a whole number, clamped to 1..100; anything else gives the default (10)"),
]


def _crud(doc: Document, url: str, tag: str, label: str, item: str, create: str, update: str, *,
          required_id_detail: bool = False, list_params: Optional[list] = None, created_schema: dict,
          updated_schema: dict) -> None:
    """GET list, POST, PUT ?id=, DELETE ?id= of one NamastePMS resource."""
    id_param = query("id", PK, f"{label} ID", required=True)
    missing = response("Not found (another store's id answers the same)", ref("DrfError"))
    doc.path(url, "get", operation(
        f"List {tag.lower()}", tag, {"200": response("A page", _page(ref(item))), "401": DRF_401,
                                     "403": DRF_403, "404": DRF_404_PAGE, "400": DRF_400},
        parameters=PAGING + (list_params or []), op_id=f"list_{tag.lower()}"))
    doc.path(url, "post", operation(
        f"Create a {label.lower()}", tag, {"201": response("Created", created_schema), "400": DRF_400,
                                          "401": DRF_401, "403": DRF_403},
        request=body(ref(create)), op_id=f"create_{label.lower()}"))
    doc.path(url, "put", operation(
        f"Update a {label.lower()} (partial)", tag, {"200": response("Updated", updated_schema), "400": DRF_400,
                                                     "401": DRF_401, "403": DRF_403, "404": missing},
        request=body(ref(update)), parameters=[id_param], op_id=f"update_{label.lower()}"))
    doc.path(url, "delete", operation(
        f"Delete a {label.lower()}", tag, {"200": response("Deleted", ref("DrfMessage")), "400": DRF_400,
                                          "401": DRF_401, "403": DRF_403, "404": missing},
        parameters=[id_param], op_id=f"delete_{label.lower()}"))


def namaste(doc: Document) -> None:
    """Products, parties, expenses, billing, categories and payment methods (docs/contracts/000_...)."""
    _drf_common(doc)
    for name, text in (("Products", "The store's catalogue"), ("Parties", "Customers and suppliers"),
                       ("Expenses", "Money going out"), ("Billing", "Bills with client totals"),
                       ("Catalogue settings", "Categories and payment methods")):
        doc.tag(name, text)

    product_fields = {
        "product_name": string(100, 1),
        "category": PK,
        "unit_price": money_in(8),
        "quantity": stock_in("Stock: a whole number for pcs, up to 3 decimals for kg, g, l, ml, m"),
        "product_Img": nullable(string(500, pattern=r"^(https?://[^\s/$.?#]\S*|/\S*)$")),
        "description": NULLABLE_TEXT,
        "type": enum(PRODUCT_TYPES),
        "sku": nullable(string(50)),
        "barcode": nullable(string(64)),
        "hsn_code": nullable(string(8, pattern=r"^\d{4}(\d{2}){0,2}$")),
        "cgst_rate": money_in(3),
        "sgst_rate": money_in(3),
        "low_stock_threshold": nullable(integer(0)),
        "unit": {**enum(UNITS), "description": "Extension: the unit it is sold in (default pcs)"},
        "price_includes_tax": {"type": "boolean", "description": "Extension: the price is MRP (includes GST); "
                                                                "default on create: the store's prices_include_tax"},
    }
    doc.schema("ProductCreate", obj(product_fields, ["product_name", "category", "unit_price", "quantity"]))
    doc.schema("ProductUpdate", obj(product_fields))
    doc.schema("Product", obj({
        "id": PK, "user": nullable(PK), "product_name": string(), "category": nullable(PK),
        "product_Img": nullable(string()), "unit_price": MONEY_OUT, "quantity": QUANTITY_OUT,
        "description": nullable(string()), "uid": string(format="uuid"), "type": enum(PRODUCT_TYPES),
        "sku": nullable(string()), "barcode": nullable(string()), "hsn_code": nullable(string()),
        "cgst_rate": RATE_OUT, "sgst_rate": RATE_OUT, "low_stock_threshold": nullable(integer(0)),
        "unit": enum(UNITS), "price_includes_tax": {"type": "boolean"},
    }, ["id", "user", "product_name", "category", "product_Img", "unit_price", "quantity", "description"]))
    product_saved = obj({"message": string(), "product": ref("Product")}, ["message", "product"])
    _crud(doc, "/api/products/", "Products", "Product", "Product", "ProductCreate", "ProductUpdate",
          created_schema=product_saved, updated_schema=product_saved)

    phone = nullable(string(20, pattern=r"^\+?\d[\d -]{4,18}\d$"))
    email = nullable(string(254, format="email"))
    customer_fields = {
        "Category_type": enum(["Customer"]), "name": string(255, 1, pattern=r"\S"), "email": email, "phone_no": phone,
        "Customer_code": nullable(string(50)), "address": NULLABLE_TEXT, "gstin": nullable(string(15)),
        "legal_name": nullable(string(255)),
        "gender": nullable(enum(GENDERS)), "open_balance": money_in(), "credit_limmit": money_in(),
        "preferred_payment_method": nullable(PK), "payment_method": nullable(PK), "loyalty_points": integer(0),
        "referred_by": nullable(string(255)), "notes": NULLABLE_TEXT, "is_active": {"type": "boolean"},
    }
    supplier_fields = {
        "Category_type": enum(["Supplier"]), "name": string(255, 1, pattern=r"\S"),
        "code": string(50, 1, pattern=r"\S"), "phone_no": phone, "email": email, "gstin": nullable(string(15)),
        "address": NULLABLE_TEXT, "is_active": {"type": "boolean"},
    }
    doc.schema("CustomerCreate", obj(customer_fields, ["Category_type", "name"]))
    doc.schema("SupplierCreate", obj(supplier_fields, ["Category_type", "name", "code"]))
    doc.schema("PartyCreate", {"oneOf": [ref("CustomerCreate"), ref("SupplierCreate")]})
    doc.schema("PartyUpdate", {"anyOf": [
        obj({k: v for k, v in customer_fields.items() if k != "Category_type"}),
        obj({k: v for k, v in supplier_fields.items() if k != "Category_type"}),
    ], "description": "Fields of the party's own type; Category_type cannot change."})
    doc.schema("Party", obj({
        "id": PK, "Category_type": enum(["Customer", "Supplier"]), "is_active": {"type": "boolean"},
        "is_updated_at": DATETIME,
    }, ["id", "Category_type", "is_active", "is_updated_at"]))
    doc.schema("Customer", obj({
        "id": PK, "party": PK, "name": string(), "email": nullable(string()), "phone_no": nullable(string()),
        "Customer_code": nullable(string()), "address": nullable(string()), "open_balance": MONEY_OUT,
        "credit_limmit": MONEY_OUT, "payment_method": nullable(PK), "loyalty_points": integer(0),
        "referred_by": nullable(string()), "notes": string(), "gender": nullable(string()),
        "gstin": nullable(string()), "legal_name": nullable(string()),
    }, ["id", "party", "name", "email", "phone_no", "Customer_code", "address", "open_balance", "credit_limmit",
        "payment_method", "loyalty_points", "referred_by", "notes"]))
    doc.schema("Supplier", obj({
        "id": PK, "party": PK, "name": string(), "code": string(), "phone_no": nullable(string()),
        "email": nullable(string()), "gstin": nullable(string()), "address": nullable(string()),
    }, ["id", "party", "name", "code"]))
    doc.schema("PartyDetail",
               {"allOf": [ref("Party"), obj({"customer": ref("Customer"), "supplier": ref("Supplier")})]})
    party_saved = obj({"message": string(), "party": ref("Party"), "customer": ref("Customer"),
                       "supplier": ref("Supplier")}, ["message", "party"])
    _crud(doc, "/api/parties/", "Parties", "Party", "PartyDetail", "PartyCreate", "PartyUpdate",
          created_schema=party_saved, updated_schema=party_saved,
          list_params=[query("category_type", query_choice(["Customer", "Supplier"]), "Filter by type")])
    parties_get = doc.data["paths"]["/api/parties/"]["get"]
    parties_get["summary"] = "List parties, or get one with ?id="
    parties_get["parameters"].append(query("id", PK, "A party ID: answers that party with its customer/supplier"))
    parties_get["responses"]["200"] = response("A page of parties, or one party when ?id= is given",
                                               {"anyOf": [_page(ref("PartyDetail")), ref("PartyDetail")]})
    parties_get["responses"]["404"] = response("Invalid page, or Party not found",
                                               {"anyOf": [ref("DrfDetail"), ref("DrfError")]})

    expense_amount = money_in(minimum="0.01")
    expense_amount["anyOf"][0]["not"] = {"pattern": r"^0+(\.0+)?$"}  # at least 0.01, as the server checks
    expense_fields = {
        "amount": expense_amount, "date": DATE, "category": enum(EXPENSE_CATEGORIES), "description": NULLABLE_TEXT,
        "is_necessary": {"type": "boolean"},
    }
    doc.schema("ExpenseCreate", obj(expense_fields, ["amount", "date", "category"]))
    doc.schema("ExpenseUpdate", obj(expense_fields))
    doc.schema("Expense", obj({
        "id": PK, "user": nullable(PK), "amount": MONEY_OUT, "description": nullable(string()), "date": DATE,
        "category": enum(EXPENSE_CATEGORIES), "is_necessary": {"type": "boolean"},
    }, ["id", "user", "amount", "description", "date", "category", "is_necessary"]))
    expense_saved = obj({"message": string(), "expense": ref("Expense")}, ["message", "expense"])
    _crud(doc, "/api/expenses/", "Expenses", "Expense", "Expense", "ExpenseCreate", "ExpenseUpdate",
          created_schema=expense_saved, updated_schema=expense_saved)

    amounts = {name: money_in() for name in ("paid_amount", "due_amount", "total_amount", "discount", "tax",
                                               "sub_total")}
    header = {
        "invoice_number": string(50, 1, pattern=r"\S"), "invoice_date": nullable(DATE), "due_date": nullable(DATE),
        "payment_method": nullable(PK), "invoice_status": enum(INVOICE_STATUSES), "party": nullable(PK),
        "phone": nullable(string(20)), "VAt_number": nullable(string(50)), "address": NULLABLE_TEXT,
        "notes": NULLABLE_TEXT, **amounts,
    }
    line_qty = {"anyOf": [integer(1, MAX_QTY), {"type": "number", "minimum": 0.001, "maximum": MAX_QTY,
                                                 "multipleOf": 0.001}], "examples": [1],
                "description": "A whole number of at least 1 for pcs; more than 0 with up to 3 decimals for kg, g, "
                               "l, ml, m (extension)"}
    doc.schema("BillingItemCreate", obj({"item": PK, "quantity": line_qty, "rate": money_in()},
                                        ["item", "quantity", "rate"]))
    doc.schema("BillingCreate", obj({**header, "items": {"type": "array", "minItems": 1,
                                                         "items": ref("BillingItemCreate")}},
                                    ["invoice_number", "items"]))
    doc.schema("BillingUpdate", obj(header, description="Header fields only; the items and the number of a saved "
                                                        "bill stay as they are."))
    doc.schema("BillingItem", obj({"id": PK, "billing": PK, "item": nullable(PK), "quantity": QUANTITY_OUT,
                                   "rate": MONEY_OUT}, ["id", "billing", "item", "quantity", "rate"]))
    doc.schema("Billing", obj({
        "id": PK, "user": nullable(PK), "invoice_number": string(), "invoice_date": nullable(DATE),
        "due_date": nullable(DATE), "payment_method": nullable(PK), "invoice_status": enum(INVOICE_STATUSES),
        "party": nullable(PK), "phone": nullable(string()), "VAt_number": nullable(string()),
        "address": nullable(string()), "notes": nullable(string()),
        **{name: MONEY_OUT for name in amounts}, "uid": string(format="uuid"),
        "status": enum(BILL_STATUSES), "items": {"type": "array", "items": ref("BillingItem")},
    }, ["id", "user", "invoice_number", "invoice_date", "due_date", "payment_method", "invoice_status", "party",
        "phone", "VAt_number", "address", "notes", *amounts]))
    billing_saved = obj({"message": string(), "billing": ref("Billing")}, ["message", "billing"])
    _crud(doc, "/api/billing/", "Billing", "Billing", "Billing", "BillingCreate", "BillingUpdate",
          created_schema=billing_saved, updated_schema=billing_saved)
    doc.data["paths"]["/api/billing/"]["delete"]["description"] = (
        "Cancels the bill: it leaves the lists, keeps its number, its stock comes back, the audit stays.")

    doc.schema("Category", obj({"id": PK, "name": string()}, ["id", "name"]))
    doc.schema("PaymentMethod", obj({"id": PK, "name": string()}, ["id", "name"]))
    tag = "Catalogue settings"
    doc.path("/api/categories/", "get", operation(
        "List the store's categories", tag, {"200": response("A page", _page(ref("Category"))), "401": DRF_401,
                                             "404": DRF_404_PAGE}, parameters=PAGING, op_id="list_categories"))
    doc.path("/api/categories/", "post", operation(
        "Create a category (managers and owners)", tag,
        {"201": response("Created", obj({"message": string(), "category": ref("Category")})), "400": DRF_400,
         "401": DRF_401, "403": DRF_403},
        request=body(obj({"name": string(100, 1, pattern=r"\S")}, ["name"])), op_id="create_category"))
    doc.path("/api/payment-methods/", "get", operation(
        "List the payment methods", tag, {"200": response("A page", _page(ref("PaymentMethod"))),
                                          "401": DRF_401, "404": DRF_404_PAGE},
        parameters=PAGING, op_id="list_payment_methods"))


# --------------------------------------------------------------------------- NamastePMS accounts


def accounts(doc: Document) -> None:
    """Signup, OTP login and password reset (the NamastePMS contract's Authentication section)."""
    doc.tag("Accounts", "Signup, email OTP, JWT")
    email = string(254, format="email")
    otp = string(6, 6, pattern=r"^\d{6}$")
    message = response("Done", ref("DrfMessage"))
    failure = response("Refused", {"anyOf": [ref("DrfError"), ref("DrfFieldErrors"), ref("DrfDetail")]})
    not_found = response("User not found", ref("DrfError"))
    throttled = response("Too many attempts", ref("DrfDetail"))
    forms = {
        "/api/signup/": ("Create an account (sends a signup OTP)", obj({
            "username": string(150, 1), "email": email, "password": string(128, 8),
            "phone_no": nullable(string(15)), "business_name": nullable(string(255)),
        }, ["username", "email", "password"]), {"201": message, "400": failure}),
        "/api/verify-signup-otp/": ("Verify the signup OTP", obj({"email": email, "otp": otp}, ["email", "otp"]),
                                    {"200": message, "400": failure, "404": not_found}),
        "/api/login/": ("Check credentials and mail a login OTP", obj({"email": email, "password": string(128)},
                                                                      ["email", "password"]),
                        {"200": message, "400": failure, "401": response("Invalid credentials", ref("DrfError")),
                         "404": not_found}),
        "/api/verify-login-otp/": ("Verify the login OTP and receive tokens", obj({"email": email, "otp": otp},
                                                                                 ["email", "otp"]),
                                   {"200": response("Tokens", obj({"message": string(), "refresh": string(),
                                                                   "access": string()},
                                                                  ["message", "refresh", "access"])),
                                    "400": failure, "404": not_found}),
        "/api/forget-password/": ("Mail a password-reset OTP", obj({"email": email}, ["email"]),
                                  {"200": message, "400": failure, "404": not_found}),
        "/api/verify-forget-password-otp/": ("Verify the password-reset OTP", obj({"email": email, "otp": otp},
                                                                                  ["email", "otp"]),
                                             {"200": message, "400": failure, "404": not_found}),
        "/api/reset-password/": ("Set a new password after the OTP", obj({"email": email,
                                                                          "new_password": string(128, 8)},
                                                                         ["email", "new_password"]),
                                 {"200": message, "400": failure, "404": not_found}),
        "/api/token/refresh/": ("Rotate a refresh token into a new access (and refresh) token",
                                obj({"refresh": string(4096, 1)}, ["refresh"]),
                                {"200": response("Tokens", obj({"access": string(), "refresh": string()},
                                                               ["access"])),
                                 "400": failure, "401": response("Token invalid", {"type": "object"})}),
    }
    for url, (summary, schema, answers) in forms.items():
        answers = dict(answers, **{"429": throttled})
        doc.path(url, "post", operation(summary, "Accounts", answers, request=body(schema), public=True,
                                        op_id=url.strip("/").replace("/", "_").replace("-", "_")))


# --------------------------------------------------------------------------- Billing v1


def billing_v1(doc: Document) -> None:
    """Store-scoped POS bills (docs/contracts/002_...): {"success", "message", "data"} envelopes."""
    doc.tag("Billing v1", "Store-scoped POS bills with computed GST totals")
    failure = doc.schema("V1Failure", obj({"success": {"const": False}, "message": string(),
                                           "errors": {"type": "object"}}, ["success", "message"]))

    def ok(data: dict[str, Any]) -> dict[str, Any]:
        return obj({"success": {"const": True}, "message": string(), "data": data}, ["success", "data"])

    errors = {"400": response("Invalid input", failure), "401": response("Not signed in", failure),
              "403": response("Not a member of this store", failure), "404": response("Not found", failure)}
    store = path_param("store_id", string(format="uuid"), "The store's uid")
    money = {"type": "number", "minimum": 0, "maximum": 10 ** 10}
    payment_fields = {"mode": enum(PAYMENT_MODES),
                      "amount": {"type": "number", "exclusiveMinimum": 0},
                      "reference": nullable(string(100)), "timestamp": DATETIME}
    held_payment = obj(payment_fields, ["mode", "amount"])
    payment = obj(payment_fields, ["mode", "amount", "timestamp"])
    # Indian retail extensions (issue 11): a fractional qty for measured units, place_of_supply, a B2B customer.
    qty = {"type": "number", "exclusiveMinimum": 0, "maximum": INT32_MAX, "multipleOf": 0.001,
           "description": "Whole for pcs; up to 3 decimals for kg, g, l, ml, m (extension)"}
    state_code = string(2, 2, pattern=r"^\d{2}$", description="GST state code, e.g. 29 (extension)")
    number = {"type": "number"}
    item = obj({"line_no": integer(1), "type": enum(PRODUCT_TYPES), "id": string(format="uuid"),
                "staff_id": nullable(string(format="uuid")), "qty": qty,
                "discount_type": enum(DISCOUNT_TYPES), "discount_value": money,
                "cgst": {"type": "number", "minimum": 0, "maximum": 100},
                "sgst": {"type": "number", "minimum": 0, "maximum": 100}},
               ["line_no", "type", "id", "qty", "discount_type", "discount_value", "cgst", "sgst"])
    customer = obj({"name": string(255, 1), "gender": enum(GENDERS), "contact_no": string(pattern=r"^\+[1-9]\d{7,14}$"),
                    "address": string(2000), "email": string(254, format="email"),
                    "gstin": nullable(string(description="B2B buyer's GSTIN: 15 characters, state code and "
                                                         "checksum validated (extension)")),
                    "legal_name": nullable(string(255))}, ["name", "contact_no"])
    bill_fields = {
        "customer_id": string(format="uuid"), "customer": customer, "coupon_code": nullable(string(50)),
        "coupon_codes": {"type": "array", "items": string(50)}, "referral_code": nullable(string(50)),
        "items": {"type": "array", "minItems": 1, "items": item}, "discount": money,
        "payment_mode": enum(BILL_PAYMENT_MODES), "payment_amount": money,
        "payments": {"type": "array", "items": payment}, "billing_timestamp": DATETIME,
        "payment_timestamp": nullable(DATETIME), "place_of_supply": nullable(state_code),
    }
    one_customer = {"oneOf": [{"required": ["customer_id"]}, {"required": ["customer"]}]}  # exactly one of the two
    bill_request = doc.schema("V1BillRequest", obj(bill_fields, ["items", "payment_mode", "payment_amount",
                                                                 "billing_timestamp"], **one_customer))
    held_fields = {**bill_fields, "payments": {"type": "array", "items": held_payment}}
    hold_request = doc.schema("V1HoldRequest", obj(held_fields, ["items"], **one_customer,
                                                   description="As Save Bill; payments and timestamps optional, "
                                                               "payment_mode defaults to none"))
    saved_bill = doc.schema("V1Bill", obj({
        "bill_id": string(format="uuid"), "invoice_number": string(), "created_at": DATETIME,
        "customer": nullable(obj({"id": string(), "name": string(), "phoneNumber": nullable(string()),
                                  "address": nullable(string())})),
        "items": {"type": "array", "items": obj({
            "line_no": integer(1), "type": enum(PRODUCT_TYPES), "id": nullable(string()), "name": string(),
            "staff_id": nullable(string()), "qty": number, "discount_type": enum(DISCOUNT_TYPES),
            **{name: number for name in ("discount_value", "cgst_rate", "sgst_rate", "cgst_amount", "sgst_amount",
                                         "base_amount", "discount_amount", "line_total", "igst_rate", "igst_amount",
                                         "taxable_amount", "membership_discount")},
            "unit": string(12), "price_includes_tax": {"type": "boolean"},
        })},
        "totals": obj({
            **{name: number for name in ("sub_total", "discount", "tax_amount", "cgst_amount", "sgst_amount",
                                         "grand_total", "paid", "dues", "igst_amount", "round_off",
                                         "taxable_amount", "credited", "refunded")},
            "place_of_supply": nullable(string(2)),
        }),
        "payments": {"type": "array", "items": {"type": "object"}},
        "status": enum(BILL_STATUSES), "cancelled_at": nullable(DATETIME),
        "credit_notes": {"type": "array", "items": obj({"id": string(format="uuid"), "number": string(),
                                                        "grand_total": number, "created_at": DATETIME})},
    }, ["bill_id", "invoice_number", "created_at", "items", "totals", "payments"]))
    bill_row = obj({"bill_id": string(), "invoice_number": string(), "created_at": DATETIME,
                    "customer_name": nullable(string()), "customer_phone": nullable(string()), "grand_total": number,
                    "paid": number, "dues": number, "status": enum(BILL_STATUSES)})
    example = {  # the contract's worked example: 1000.00 at 10 % off, 9 % + 9 %, bill discount 50, paid 612 + 400
        "customer": {"name": "John Doe", "gender": "Male", "contact_no": "+919876543210", "address": "123 Main St"},
        "referral_code": "REF123",
        "items": [{"line_no": 1, "type": "service", "id": "b3f1c2d4-0000-4000-8000-000000000001", "staff_id": None,
                   "qty": 1, "discount_type": "percent", "discount_value": 10, "cgst": 9, "sgst": 9}],
        "discount": 50.00, "payment_mode": "split", "payment_amount": 1012.00,
        "payments": [
            {"mode": "upi", "amount": 612.00, "reference": "UPI-TXN-123", "timestamp": "2025-09-26T11:30:00.000Z"},
            {"mode": "cash", "amount": 400.00, "reference": None, "timestamp": "2025-09-26T11:31:00.000Z"},
        ],
        "billing_timestamp": "2025-09-26T11:29:00.000Z", "payment_timestamp": "2025-09-26T11:31:00.000Z",
    }
    idem = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": string(255, 1)}
    conflict = {"409": response("Idempotency-Key conflict", failure)}
    paging = [query("page", integer(1)), query("limit", integer(1, 100))]
    doc.path("/api/v1/stores", "get", operation(
        "The caller's stores", "Billing v1",
        {"200": response("Stores", ok(obj({"stores": {"type": "array", "items": obj({
            "id": string(format="uuid"), "name": string(), "role": string()})}}))),
         "401": errors["401"]}, op_id="v1_stores"))
    scale = nullable(obj({"prefix": string(pattern=r"^[0-9]{1,3}$", examples=["21"]),
                          "item_digits": {"type": "integer", "enum": [4, 5, 6]},
                          "value": enum(("weight", "price"))}, ["prefix", "item_digits", "value"], extra=False,
                         description="Weighing-scale EAN-13 labels: prefix, item code digits, then grams (weight) "
                                     "or paise (price); null is off"))
    flags = {name: {"type": "boolean"} for name in FLAGS}
    store_settings = doc.schema("V1StoreSettings", obj({
        "id": string(format="uuid"), "name": string(255), "address": nullable(string()),
        "phone": nullable(string(20)), "gstin": nullable(string(15)), "state_code": nullable(string(2)),
        "upi_id": nullable(string(100)), "invoice_prefix": string(6), "business_kind": string(), **flags,
        "scale_barcode": scale}))
    store_patch = doc.schema("V1StoreSettingsPatch", obj({
        "id": string(format="uuid", description="read-only: accepted only unchanged"),
        "business_kind": string(description="read-only: accepted only unchanged"),
        "name": string(255, 1), "address": nullable(string(2000)),
        "phone": nullable(string(20, pattern=r"^\+?[0-9][0-9 -]{6,18}[0-9]$")),
        "gstin": nullable(string(15)), "state_code": nullable(string(2)), "upi_id": nullable(string(100)),
        "invoice_prefix": string(6, pattern=r"^[A-Za-z0-9/-]{0,6}$"), **flags, "scale_barcode": scale},
        extra=False, description="Only the fields sent change; unknown fields are a 400"))
    owner_errors = {**errors, "403": response("Not the store's owner, not a member, or no such store", failure)}
    owner_errors.pop("404")
    store_path = [path_param("store_id", string(format="uuid"), "The store's uid")]
    doc.path("/api/v1/stores/{store_id}", "get", operation(
        "A store's settings and billing options (owner only)", "Billing v1",
        {"200": response("Settings", ok(store_settings)), **owner_errors}, parameters=store_path,
        op_id="v1_store_settings"))
    doc.path("/api/v1/stores/{store_id}", "patch", operation(
        "Change a store's settings and billing options (owner only)", "Billing v1",
        {"200": response("Saved", ok(store_settings)), **owner_errors},
        request=body(store_patch, example={"round_off": True, "scale_barcode": {
            "prefix": "21", "item_digits": 5, "value": "weight"}}),
        parameters=store_path, op_id="v1_update_store_settings"))
    doc.path("/api/v1/billing/{store_id}/bills", "post", operation(
        "Save a bill (computed totals, invoice number, stock)", "Billing v1",
        {"201": response("Saved", ok(saved_bill)), **errors, **conflict},
        request=body(bill_request, example=example), parameters=[store, idem], op_id="v1_save_bill"))
    doc.path("/api/v1/billing/{store_id}/bills", "get", operation(
        "List bills", "Billing v1",
        {"200": response("Bills", ok(obj({"items": {"type": "array", "items": bill_row},
                                          "page": integer(1), "limit": integer(1), "total": integer(0),
                                          "total_exact": TOTAL_EXACT}))),
         **errors},
        parameters=[store, *paging, query("from", DATETIME), query("to", DATETIME), query("q", string(200)),
                    query("sort", query_choice(BILL_SORTS)),
                    query("status", query_choice(BILL_STATUSES))], op_id="v1_list_bills"))
    doc.path("/api/v1/billing/{store_id}/bills/{bill_id}", "get", operation(
        "One bill, as the save response", "Billing v1", {"200": response("The bill", ok(saved_bill)), **errors},
        parameters=[store, path_param("bill_id", string(format="uuid"))], op_id="v1_bill_detail"))
    doc.path("/api/v1/billing/{store_id}/bills/{bill_id}/pdf", "get", operation(
        "The bill's A4 tax invoice", "Billing v1",
        {"200": response("PDF", {"type": "string", "contentMediaType": "application/pdf"}, "application/pdf"),
         **errors}, parameters=[store, path_param("bill_id", string(format="uuid"))], op_id="v1_bill_pdf"))
    # Returns and credit notes (extension, issue 11).
    qty = {"anyOf": [{"type": "number", "exclusiveMinimum": 0, "maximum": 999999, "multipleOf": 0.001},
                     {"type": "string", "pattern": r"^\d{1,6}(\.\d{1,3})?$"}]}
    return_request = doc.schema("V1ReturnRequest", obj({
        "items": {"type": "array", "minItems": 1, "items": obj({"line_no": integer(1), "qty": qty},
                                                               ["line_no", "qty"], extra=False)},
        "refund_mode": nullable(enum(REFUND_MODES)), "reason": nullable(string(255)),
    }, ["items"], extra=False))
    number = {"type": "number"}
    credit_note = doc.schema("V1CreditNote", obj({
        "credit_note_id": string(format="uuid"), "number": string(), "bill_id": string(format="uuid"),
        "invoice_number": string(), "created_at": DATETIME, "note_date": DATE, "reason": nullable(string()),
        "refund_mode": enum(REFUND_MODES),
        "items": {"type": "array", "items": obj({name: number for name in (
            "qty", "rate", "taxable_amount", "cgst_rate", "cgst_amount", "sgst_rate", "sgst_amount", "igst_rate",
            "igst_amount", "line_total", "membership_discount")} | {"line_no": integer(1), "name": string(),
                                                                     "unit": string()})},
        "totals": obj({name: number for name in (
            "sub_total", "discount", "taxable_amount", "cgst_amount", "sgst_amount", "igst_amount", "tax_amount",
            "round_off", "grand_total", "refund_amount", "dues_reduced")}),
        "bill": obj({"status": enum(BILL_STATUSES), "dues": number, "credited": number, "refunded": number}),
    }, ["credit_note_id", "number", "bill_id", "invoice_number", "items", "totals"]))
    doc.path("/api/v1/billing/{store_id}/bills/{bill_id}/returns", "post", operation(
        "Return lines of a sale: a credit note (managers and owners)", "Billing v1",
        {"201": response("Credit note created", ok(credit_note)), **errors, **conflict},
        request=body(return_request, example={"items": [{"line_no": 1, "qty": 1}], "refund_mode": "cash",
                                              "reason": "Damaged"}),
        parameters=[store, path_param("bill_id", string(format="uuid")), idem], op_id="v1_create_return",
        description="Extension (docs/api.md, Returns): the credit reduces the bill's dues first; the rest is paid "
                    "back in refund_mode. 403 for cashiers."))
    doc.path("/api/v1/billing/{store_id}/bills/hold", "post", operation(
        "Hold a bill (no invoice number)", "Billing v1",
        {"201": response("Held", ok(obj({"held_id": string(format="uuid"), "created_at": DATETIME}))),
         **errors, **conflict}, request=body(hold_request, example=example),
        parameters=[store, idem], op_id="v1_hold_bill"))
    doc.path("/api/v1/billing/{store_id}/bills/held", "get", operation(
        "List held bills", "Billing v1",
        {"200": response("Held bills", ok(obj({"held": {"type": "array", "items": obj({
            "held_id": string(), "created_at": DATETIME, "customer_summary": nullable(string()),
            "amount_estimate": {"type": "number"}})}}))), **errors},
        parameters=[store, *paging], op_id="v1_list_held"))
    doc.path("/api/v1/billing/{store_id}/bills/held/{held_id}", "get", operation(
        "A held bill's payload and the next invoice number", "Billing v1",
        {"200": response("Held bill", ok(obj({"held": obj({"payload": {"type": "object"},
                                                           "suggested_number": string()})}))), **errors},
        parameters=[store, path_param("held_id", string(format="uuid"))], op_id="v1_held_detail"))
    doc.path("/api/v1/billing/{store_id}/catalog", "get", operation(
        "Search the catalogue", "Billing v1",
        {"200": response("Items", ok(obj({"items": {"type": "array", "items": obj({
            "id": string(), "type": enum(PRODUCT_TYPES), "name": string(), "price": {"type": "number"},
            "cgst": {"type": "number"}, "sgst": {"type": "number"}, "stock": nullable(number),
            "sku": nullable(string()), "barcode": nullable(string()), "unit": enum(UNITS),
            "price_includes_tax": {"type": "boolean"}})}}))), **errors},
        parameters=[store, query("q", string(200)), query("type", query_choice(PRODUCT_TYPES)), *paging],
        op_id="v1_catalog"))
    doc.path("/api/v1/billing/{store_id}/customers", "get", operation(
        "Search customers", "Billing v1",
        {"200": response("Customers", ok(obj({"items": {"type": "array", "items": obj({
            "id": string(), "name": string(), "phoneNumber": nullable(string()), "email": nullable(string()),
            "address": nullable(string()), "gstin": nullable(string()), "legal_name": nullable(string())})},
            "page": integer(1), "limit": integer(1), "total": integer(0), "total_exact": TOTAL_EXACT}))),
         **errors},
        parameters=[store, query("q", string(200)), *paging], op_id="v1_customers"))
    # GST returns (extension, issue 15): the portal's GSTR-1 JSON for a month.
    doc.path("/api/v1/billing/{store_id}/reports/gstr1", "get", operation(
        "GSTR-1 for a month, as the GST portal's offline tool takes it (owners and managers)", "Billing v1",
        {"200": response("The portal document", ok(obj({"gstin": string(), "fp": string(6, 6)}))),
         **{k: v for k, v in errors.items() if k != "404"},
         "403": response("Not an owner or manager of this store, not a member, or no such store", failure)},
        parameters=[store, query("period", string(6, 6, pattern=r"^(0[1-9]|1[0-2])20(1[7-9]|[2-9][0-9])$"),
                                 "The month as MMYYYY (2017 to 2099), e.g. 042026", required=True)],
        op_id="v1_gstr1", description="Extension (docs/api.md, GST returns): b2b, b2cl, b2cs, nil, cdnr, cdnur, "
                                      "hsn (hsn_b2b, hsn_b2c) and doc_issue; empty sections left out."))
    # The salon's appointment book (extension, issue 16): one day, read-only.
    clock = string(5, 5, pattern=r"^\d{2}:\d{2}$")
    doc.path("/api/v1/billing/{store_id}/appointments", "get", operation(
        "A salon's appointments of one day, with their services, staff and times", "Billing v1",
        {"200": response("The day's book", ok(obj({
            "day": string(format="date"), "timezone": string(), "opens": clock, "closes": clock,
            "staff": {"type": "array", "items": obj({"id": string(), "name": string(),
                                                     "active": {"type": "boolean"}})},
            "appointments": {"type": "array", "items": obj({
                "id": string(), "status": enum(("booked", "arrived", "done", "no-show", "cancelled")),
                "customer": obj({"id": string(), "name": string()}), "bill_id": nullable(string()),
                "notes": string(),
                "services": {"type": "array", "items": obj({
                    "id": string(), "name": string(), "staff_id": string(), "staff": string(),
                    "starts_at": DATETIME, "ends_at": DATETIME, "cancelled": {"type": "boolean"}})}})}}))),
         **errors},
        parameters=[store, query("day", string(10, 10, format="date"),
                                 "The day as YYYY-MM-DD (2000 to 2099); default today in the store's time zone")],
        op_id="v1_appointments", description="Extension (docs/api.md, The appointment book): salons only (another "
                                              "kind of store: 404); every member; read-only."))


# --------------------------------------------------------------------------- jewellery


def jewellery(doc: Document) -> None:
    """The jewellery contract's root paths (docs/contracts/001_...). Add each route here as it is built."""
    doc.tag("Jewellery", "Jewellery pieces and invoices at the contract's root paths")
    failure = doc.schema("JewelleryError", obj({"success": {"const": False}, "message": string()},
                                               ["success", "message"]))
    metals = enum(["gold", "silver"])
    rate_row = obj({"metal": metals, "purity": string(), "fineness": integer(1, 999),
                    "price_per_gram": nullable(MONEY_OUT), "rate_date": nullable(DATE),
                    "derived_from": nullable(string())}, ["metal", "purity", "fineness", "price_per_gram"])
    set_rate = obj({"date": DATE, "metal": metals, "purity": string(), "price_per_gram": MONEY_OUT},
                   ["date", "metal", "purity", "price_per_gram"])
    board = doc.schema("MetalRates", obj({
        "date": DATE, "rates": {"type": "array", "items": rate_row}, "history": {"type": "array", "items": set_rate},
        "saved": {"type": "array", "items": set_rate}}, ["date", "rates", "history"]))
    entry = obj({"metal": string(20, examples=["gold"]), "purity": string(20, examples=["22K"]),
                 "price_per_gram": money_in()}, ["metal", "purity", "price_per_gram"])
    errors = {"400": response("Bad input (nothing written)", failure),
              "401": response("No or bad Bearer token", failure)}
    doc.path("/metal-rates", "get", operation(
        "Metal rates in force on a day (default today) and the history of rates set (extension)", "Jewellery",
        {"200": response("Rates", obj({"success": {"const": True}, "data": board}, ["success", "data"])), **errors},
        parameters=[query("date", DATE, "The day whose rates are shown (default the store's today)"),
                    query("from", DATE, "History from (default 29 days before `to`)"),
                    query("to", DATE, "History to (default `date`)"),
                    query("metal", string(20), "History of one metal"),
                    query("purity", string(20), "History of one purity (with metal)")],
        op_id="jewellery_metal_rates"))
    doc.path("/metal-rates", "post", operation(
        "Set today's metal rates (owners and managers; extension)", "Jewellery",
        {"201": response("Saved", obj({"success": {"const": True}, "message": string(), "data": board},
                                      ["success", "message", "data"])),
         "403": response("Cashiers may not set rates", failure), **errors},
        request=body({"anyOf": [entry, obj({"rates": {"type": "array", "items": entry, "minItems": 1,
                                                      "maxItems": 50}}, ["rates"])]},
                     example={"rates": [{"metal": "gold", "purity": "24K", "price_per_gram": "7800.00"},
                                        {"metal": "gold", "purity": "22K", "price_per_gram": "7150.00"}]}),
        op_id="jewellery_set_metal_rates"))
    _jewellery_contract(doc, failure, errors)


WEIGHT_OUT = {"type": "string", "pattern": r"^\d+\.\d{3}$", "examples": ["10.500"]}
ROW_ID = {"anyOf": [integer(1), {"type": "string", "pattern": r"^[0-9]{1,9}$"}], "examples": ["12"]}
LIST_DAY = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            "examples": ["2026-11-26"]}


def form_body(schema: dict[str, Any], example: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"required": True, "content": {"multipart/form-data": media}}


def _jewellery_contract(doc: Document, failure: dict[str, Any], errors: dict[str, Any]) -> None:
    """The contract's seven paths (docs/api.md, "The contract's seven paths")."""
    missing = {"404": response("No such record in the caller's store (another shop's id answers the same)",
                               failure)}
    money_or_null, weight_or_null = nullable(MONEY_OUT), nullable(WEIGHT_OUT)
    piece = doc.schema("JewelleryPiece", obj({
        "id": string(), "type": enum(["sale", "purchase"]), "name": string(), "huid": nullable(string()),
        "gross_weight": weight_or_null, "less_weight": weight_or_null, "net_weight": weight_or_null,
        "fine_weight": weight_or_null, "making_charge": money_or_null, "metal_value": money_or_null,
        "cutting_enabled": {"type": "boolean"}, "interest_enabled": {"type": "boolean"},
        "payment_history": {"type": "array", "items": obj({
            "amount": MONEY_OUT, "date": DATE, "interest_paid": MONEY_OUT, "remaining_balance": MONEY_OUT})},
    }, ["id", "type", "name", "payment_history"]))
    item_out = obj({"product_id": nullable(integer(1)), "product": obj({"name": string()}),
                    "gross_weight": weight_or_null, "net_weight": weight_or_null, "net_price": money_or_null})
    invoice = doc.schema("JewelleryInvoice", obj({
        "id": string(), "invoice_type": enum(["1", "2"]), "user_contact_id": nullable(string()),
        "customer_name": nullable(string()), "payment_date": nullable(string()), "bill_total": MONEY_OUT,
        "amount_paid": MONEY_OUT, "items": {"type": "array", "items": item_out}, "created_at": string(),
        "updated_at": string(), "invoice_number": string(), "total": MONEY_OUT,
    }, ["id", "invoice_type", "bill_total", "amount_paid", "items", "created_at"]))
    history = obj({"id": string(), "invoice_type": enum(["1", "2"]), "payment_date": nullable(string()),
                   "bill_total": MONEY_OUT, "amount_paid": MONEY_OUT, "created_at": string()},
                  ["id", "invoice_type", "bill_total", "amount_paid", "created_at"])

    def ok(data: dict[str, Any], message: bool = False) -> dict[str, Any]:
        props = {"success": {"const": True}, "data": data}
        if message:
            props["message"] = string()
        return obj(props, ["success", "data"])

    text = string(2000)
    doc.path("/product-detail-by-id", "post", operation(
        "A piece with the interest and payment history of the bill that sold (or bought) it", "Jewellery",
        {"200": response("The piece", ok(piece)), **errors, **missing},
        request=body(obj({"id": ROW_ID}, ["id"]), example={"id": "1"}), op_id="jewellery_product_detail"))
    piece_form = obj({name: text for name in (
        "id", "type", "name", "huid", "hsn_id", "size", "remark", "comment", "gross_weight", "less_weight",
        "net_weight", "wastage", "tounch", "fine_weight", "rate", "making_type", "making_charge", "metal_value",
        "cutting_enabled", "interest_enabled", "interest_type", "interest_rate", "interest_amount", "bill_date",
        "payment_date", "interest_start_date", "grace_period_enabled", "grace_period_days", "interest_notes",
        "charges_json", "tax_json", "custom_fields", "bill_display_settings", "payment_history", "metal", "purity")}
        | {"image": string(format="binary"), "additional_image": string(format="binary")})
    doc.path("/update-product", "post", operation(
        "Create (no or an empty id) or update a jewellery piece; derived values are the server's", "Jewellery",
        {"200": response("Updated", ok(piece, True)), "201": response("Created", ok(piece, True)),
         "403": response("The caller's role may not change prices or stock", failure), **errors, **missing},
        request=form_body(piece_form, example={
            "type": "sale", "name": "22K Ring (example)", "gross_weight": "10.500", "less_weight": "0.500",
            "tounch": "91.60", "wastage": "2.00", "rate": '{"label": "Gold 22K", "value": "gold-22K"}',
            "making_type": '{"label": "Per Gram (PG)", "value": "PG"}', "making_charge": "450.00"}),
        op_id="jewellery_update_product"))
    invoice_form = obj({name: text for name in (
        "user_contact_id", "payment_mode", "payment_date", "bill_total", "amount_paid", "tax", "additional_charges",
        "total", "invoice_type", "item", "interest_enabled", "interest_type", "interest_rate", "interest_start_date",
        "grace_period_enabled", "grace_period_days", "interest_notes")},
        ["user_contact_id", "payment_mode", "payment_date", "bill_total", "amount_paid", "invoice_type", "item"])
    doc.path("/add-invoice", "post", operation(
        "A sale (\"1\") or purchase (\"2\") invoice, priced by the server", "Jewellery",
        {"201": response("Saved", ok(invoice, True)), **errors,
         "403": response("The caller's role may not do this", failure),
         "409": response("Idempotency-Key in flight or reused with another request", failure)},
        request=form_body(invoice_form),
        parameters=[{"name": "Idempotency-Key", "in": "header", "required": False, "schema": string(255, 1)}],
        op_id="jewellery_add_invoice"))
    doc.path("/get-invoice-home", "get", operation(
        "The store's invoices, newest first (by default the newest 50)", "Jewellery",
        {"200": response("Invoices", ok({"type": "array", "items": invoice})), **errors},
        parameters=[query("limit", integer(1, 200), "Extension: how many (default 50)"),
                    query("offset", integer(0, 1_000_000), "Extension: how many to skip (default 0)"),
                    query("from", LIST_DAY, "Extension: invoices dated from"),
                    query("to", LIST_DAY, "Extension: invoices dated to")],
        op_id="jewellery_invoice_home"))
    doc.path("/user-contact-invoice-history", "get", operation(
        "A contact's invoices, newest first", "Jewellery",
        {"200": response("Invoices", ok({"type": "array", "items": history})), **errors},
        parameters=[query("user_contact_id", {"type": "string", "pattern": r"^[0-9]{1,9}$"}, "The contact's id",
                          required=True)],
        op_id="jewellery_contact_history"))
    doc.path("/invoice/{invoice_id}/pdf", "get", operation(
        "A signed link to the invoice's PDF that opens without a Bearer header and expires", "Jewellery",
        {"200": response("The link", ok(obj({"pdf_url": string(format="uri")}, ["pdf_url"]))), **errors,
         **missing},
        parameters=[path_param("invoice_id", {"type": "string", "pattern": r"^[0-9]{1,9}$"})],
        op_id="jewellery_invoice_pdf"))
    doc.path("/api/logs/create", "post", operation(
        "Keep the app's log entry for a product or invoice action in the audit log", "Jewellery",
        {"201": response("Kept", obj({"success": {"const": True}, "message": string()}, ["success", "message"])),
         **errors},
        request=body(obj({
            "userName": string(255), "productName": string(255), "id": string(255), "type": string(255),
            "amount": {"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$"}, "invoiceId": string(255),
            "action": enum(["CREATE", "UPDATE", "DELETE"]), "entityType": enum(["PRODUCT", "INVOICE"]),
            "timestamp": DATETIME,
            "metadata": obj({"customerName": string(255), "status": string(255), "items": {
                "type": "array", "maxItems": 200, "items": obj({"name": string(255), "quantity": {"type": "number"},
                                                                "price": string(20)}, extra=False)}},
                            extra=False)}, ["action", "entityType", "timestamp"], extra=False),
            example={"userName": "Meena", "productName": "Kundan Ring", "id": "12", "action": "CREATE",
                     "entityType": "PRODUCT", "timestamp": "2026-11-26T10:00:00.000Z"}),
        op_id="jewellery_create_log"))


# --------------------------------------------------------------------------- the document itself


def documentation(doc: Document) -> None:
    doc.tag("Documentation", "This document and its viewer")
    doc.path("/api/openapi.json", "get", operation(
        "This OpenAPI document", "Documentation", {"200": response("OpenAPI 3.1", {"type": "object"})},
        public=True, op_id="openapi_document"))
    doc.path("/api/docs", "get", operation(
        "Swagger UI for this document (served from static/, no CDN)", "Documentation",
        {"200": response("HTML page", {"type": "string"}, "text/html")}, public=True, op_id="swagger_ui"))


SURFACES: list[Callable[[Document], None]] = [namaste, accounts, billing_v1, jewellery, documentation]


def build_document() -> dict[str, Any]:
    doc = Document()
    for surface in SURFACES:
        surface(doc)
    return doc.data
