"""Every example request and response of the NamastePMS contract (products, parties, expenses), replayed as written.

The JSON below is copied from docs/contracts/000_e4a737684d814818.txt. Responses may carry extra fields (the
design allows them), so each documented field is compared exactly and extra ones are ignored. Timestamps in the
examples are illustrations; they are checked for format, not value.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")

PRODUCT_REQUEST = {
    "product_name": "Widget A",
    "category": 1,
    "unit_price": "99.99",
    "quantity": 100,
    "product_Img": "https://example.com/image.jpg",
    "description": "A high-quality widget",
}
PRODUCT_CREATED = {
    "message": "Product created successfully!",
    "product": {
        "id": 1,
        "user": 1,
        "product_name": "Widget A",
        "category": 1,
        "product_Img": "https://example.com/image.jpg",
        "unit_price": "99.99",
        "quantity": 100,
        "description": "A high-quality widget",
    },
}
PRODUCT_UPDATE = {"unit_price": "89.99", "quantity": 150}
PRODUCT_UPDATED = {
    "message": "Product updated successfully!",
    "product": {
        "id": 1,
        "user": 1,
        "product_name": "Widget A",
        "category": 1,
        "product_Img": "https://example.com/image.jpg",
        "unit_price": "89.99",
        "quantity": 150,
        "description": "A high-quality widget",
    },
}
CUSTOMER_REQUEST = {
    "Category_type": "Customer",
    "name": "ABC Company",
    "email": "contact@abc.com",
    "phone_no": "+919876543210",
    "Customer_code": "CUST001",
    "address": "123 Main Street",
    "open_balance": "5000.00",
    "credit_limmit": "50000.00",
}
CUSTOMER_CREATED = {
    "message": "Customer created successfully!",
    "party": {"id": 1, "Category_type": "Customer", "is_active": True, "is_updated_at": "2026-02-12T10:30:00Z"},
    "customer": {
        "id": 1,
        "party": 1,
        "name": "ABC Company",
        "email": "contact@abc.com",
        "phone_no": "+919876543210",
        "Customer_code": "CUST001",
        "address": "123 Main Street",
        "open_balance": "5000.00",
        "credit_limmit": "50000.00",
        "payment_method": None,
        "loyalty_points": 0,
        "referred_by": None,
        "notes": "",
    },
}
SUPPLIER_REQUEST = {"Category_type": "Supplier", "name": "XYZ Suppliers", "code": "SUP001"}
SUPPLIER_CREATED = {
    "message": "Supplier created successfully!",
    "party": {"id": 2, "Category_type": "Supplier", "is_active": True, "is_updated_at": "2026-02-12T10:30:00Z"},
    "supplier": {"id": 1, "party": 2, "name": "XYZ Suppliers", "code": "SUP001"},
}
CUSTOMER_UPDATE = {"name": "ABC Corporation", "credit_limmit": "75000.00", "loyalty_points": 150}
CUSTOMER_UPDATED = {
    "message": "Customer updated successfully!",
    "party": {"id": 1, "Category_type": "Customer", "is_active": True, "is_updated_at": "2026-02-12T12:00:00Z"},
    "customer": {
        "id": 1,
        "party": 1,
        "name": "ABC Corporation",
        "email": "contact@abc.com",
        "phone_no": "+919876543210",
        "Customer_code": "CUST001",
        "address": "123 Main Street",
        "open_balance": "5000.00",
        "credit_limmit": "75000.00",
        "payment_method": None,
        "loyalty_points": 150,
        "referred_by": None,
        "notes": "",
    },
}
CUSTOMER_DETAIL_FULL_REQUEST = {
    "Category_type": "Customer",
    "name": "ABC Company",
    "email": "contact@abc.com",
    "phone_no": "+919876543210",
    "Customer_code": "CUST001",
    "address": "123 Main Street",
    "open_balance": "5000.00",
    "credit_limmit": "50000.00",
    "preferred_payment_method": 1,
    "loyalty_points": 100,
    "referred_by": "Jane Doe",
    "notes": "VIP customer",
}
CUSTOMER_DETAIL = {
    "id": 1,
    "Category_type": "Customer",
    "is_active": True,
    "is_updated_at": "2026-02-12T10:30:00Z",
    "customer": {
        "id": 1,
        "party": 1,
        "name": "ABC Company",
        "email": "contact@abc.com",
        "phone_no": "+919876543210",
        "Customer_code": "CUST001",
        "address": "123 Main Street",
        "open_balance": "5000.00",
        "credit_limmit": "50000.00",
        "payment_method": 1,
        "loyalty_points": 100,
        "referred_by": "Jane Doe",
        "notes": "VIP customer",
    },
}
SUPPLIER_DETAIL = {
    "id": 2,
    "Category_type": "Supplier",
    "is_active": True,
    "is_updated_at": "2026-02-12T10:30:00Z",
    "supplier": {"id": 1, "party": 2, "name": "XYZ Suppliers", "code": "SUP001"},
}
EXPENSE_REQUEST = {
    "amount": "5000.00",
    "date": "2026-02-01",
    "category": "Rent",
    "description": "Office rent for February",
    "is_necessary": True,
}
EXPENSE_CREATED = {
    "message": "Expense created successfully!",
    "expense": {
        "id": 1,
        "user": 1,
        "amount": "5000.00",
        "description": "Office rent for February",
        "date": "2026-02-01",
        "category": "Rent",
        "is_necessary": True,
    },
}
EXPENSE_UPDATE = {"amount": "5500.00", "description": "Office rent for February (revised)"}
EXPENSE_UPDATED = {
    "message": "Expense updated successfully!",
    "expense": {
        "id": 1,
        "user": 1,
        "amount": "5500.00",
        "description": "Office rent for February (revised)",
        "date": "2026-02-01",
        "category": "Rent",
        "is_necessary": True,
    },
}


def assert_documented(actual, expected, path="$"):
    """Every documented field has the documented value (timestamps: the format); extra fields are allowed."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), path
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} missing"
            assert_documented(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, str) and ISO_Z.match(expected):
        assert isinstance(actual, str) and ISO_Z.match(actual), f"{path}: {actual!r}"
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def test_create_product_example_answers_the_documented_body(shop):
    response = shop.post("/api/products/", PRODUCT_REQUEST)
    assert response.status_code == 201
    assert_documented(response.get_json(), PRODUCT_CREATED)


def test_list_products_example_pages_with_absolute_next_link(shop):
    for index in range(25):
        body = dict(PRODUCT_REQUEST, product_name="Widget A" if index == 0 else f"Widget {index}")
        assert shop.post("/api/products/", body).status_code == 201
    response = shop.get("/api/products/")
    assert response.status_code == 200
    page = response.get_json()
    assert page["count"] == 25
    assert page["next"] == "http://localhost/api/products/?page=2"
    assert page["previous"] is None
    assert len(page["results"]) == 10
    assert_documented(page["results"][0], PRODUCT_CREATED["product"])


def test_update_product_example_answers_the_documented_body(shop):
    shop.post("/api/products/", PRODUCT_REQUEST)
    response = shop.put("/api/products/?id=1", PRODUCT_UPDATE)
    assert response.status_code == 200
    assert_documented(response.get_json(), PRODUCT_UPDATED)


def test_delete_product_example_answers_the_documented_message(shop):
    shop.post("/api/products/", PRODUCT_REQUEST)
    response = shop.delete("/api/products/?id=1")
    assert response.status_code == 200
    assert response.get_json() == {"message": "Product deleted successfully!"}
    assert shop.get("/api/products/").get_json()["count"] == 0


def test_create_customer_example_answers_the_documented_body(shop):
    response = shop.post("/api/parties/", CUSTOMER_REQUEST)
    assert response.status_code == 201
    assert_documented(response.get_json(), CUSTOMER_CREATED)


def test_create_supplier_example_answers_the_documented_body(shop):
    shop.post("/api/parties/", CUSTOMER_REQUEST)
    response = shop.post("/api/parties/", SUPPLIER_REQUEST)
    assert response.status_code == 201
    assert_documented(response.get_json(), SUPPLIER_CREATED)


def test_get_party_by_id_examples_answer_customer_and_supplier_details(shop):
    assert shop.post("/api/parties/", CUSTOMER_DETAIL_FULL_REQUEST).status_code == 201
    assert shop.post("/api/parties/", SUPPLIER_REQUEST).status_code == 201
    assert_documented(shop.get("/api/parties/?id=1").get_json(), CUSTOMER_DETAIL)
    assert_documented(shop.get("/api/parties/?id=2").get_json(), SUPPLIER_DETAIL)


def test_list_parties_example_shows_the_party_fields(shop):
    shop.post("/api/parties/", CUSTOMER_REQUEST)
    page = shop.get("/api/parties/").get_json()
    assert page["count"] == 1 and page["next"] is None and page["previous"] is None
    assert_documented(page["results"][0], CUSTOMER_CREATED["party"])


def test_update_customer_example_answers_the_documented_body_and_moves_is_updated_at(shop):
    created = shop.post("/api/parties/", CUSTOMER_REQUEST).get_json()
    response = shop.put("/api/parties/?id=1", CUSTOMER_UPDATE)
    assert response.status_code == 200
    body = response.get_json()
    assert_documented(body, CUSTOMER_UPDATED)

    def when(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    assert when(body["party"]["is_updated_at"]) > when(created["party"]["is_updated_at"])
    assert when(body["party"]["is_updated_at"]) <= datetime.now(timezone.utc)


def test_delete_party_example_answers_the_documented_message(shop):
    shop.post("/api/parties/", CUSTOMER_REQUEST)
    response = shop.delete("/api/parties/?id=1")
    assert response.status_code == 200
    assert response.get_json() == {"message": "Party deleted successfully!"}
    assert shop.get("/api/parties/?id=1").status_code == 404


def test_create_expense_example_answers_the_documented_body(shop):
    response = shop.post("/api/expenses/", EXPENSE_REQUEST)
    assert response.status_code == 201
    assert_documented(response.get_json(), EXPENSE_CREATED)


def test_list_expenses_example_shows_the_expense(shop):
    shop.post("/api/expenses/", EXPENSE_REQUEST)
    page = shop.get("/api/expenses/").get_json()
    assert page["count"] == 1
    assert_documented(page["results"][0], EXPENSE_CREATED["expense"])


def test_update_expense_example_answers_the_documented_body(shop):
    shop.post("/api/expenses/", EXPENSE_REQUEST)
    response = shop.put("/api/expenses/?id=1", EXPENSE_UPDATE)
    assert response.status_code == 200
    assert_documented(response.get_json(), EXPENSE_UPDATED)


def test_delete_expense_example_answers_the_documented_message(shop):
    shop.post("/api/expenses/", EXPENSE_REQUEST)
    response = shop.delete("/api/expenses/?id=1")
    assert response.status_code == 200
    assert response.get_json() == {"message": "Expense deleted successfully!"}
    assert shop.get("/api/expenses/").get_json()["count"] == 0


@pytest.mark.parametrize("path", ["/api/products/", "/api/parties/", "/api/expenses/", "/api/billing/",
                                  "/api/categories/", "/api/payment-methods/"])
def test_every_endpoint_needs_a_bearer_token(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.get_json() == {"detail": "Authentication credentials were not provided."}


BILLING_REQUEST = {
    "invoice_number": "INV-2026-001",
    "invoice_date": "2026-02-12",
    "due_date": "2026-03-12",
    "party": 1,
    "phone": "+919876543210",
    "address": "123 Main Street",
    "invoice_status": "Unpaid",
    "sub_total": "12800.00",
    "discount": "500.00",
    "tax": "2700.00",
    "total_amount": "15000.00",
    "due_amount": "15000.00",
    "notes": "Payment due in 30 days",
    "items": [
        {"item": 1, "quantity": 10, "rate": "99.99"},
        {"item": 2, "quantity": 5, "rate": "199.99"},
    ],
}
BILLING_CREATED = {
    "message": "Billing created successfully!",
    "billing": {
        "id": 1,
        "user": 1,
        "invoice_number": "INV-2026-001",
        "invoice_date": "2026-02-12",
        "due_date": "2026-03-12",
        "payment_method": None,
        "invoice_status": "Unpaid",
        "party": 1,
        "phone": "+919876543210",
        "VAt_number": None,
        "address": "123 Main Street",
        "notes": "Payment due in 30 days",
        "paid_amount": "0.00",
        "due_amount": "15000.00",
        "total_amount": "15000.00",
        "discount": "500.00",
        "tax": "2700.00",
        "sub_total": "12800.00",
    },
}
BILLING_UPDATE = {"invoice_status": "Paid", "paid_amount": "15000.00", "due_amount": "0.00"}
BILLING_UPDATED = {
    "message": "Billing updated successfully!",
    "billing": dict(BILLING_CREATED["billing"], invoice_status="Paid", paid_amount="15000.00", due_amount="0.00"),
}
BILLING_LISTED = {
    "id": 1,
    "user": 1,
    "invoice_number": "INV-2026-001",
    "invoice_date": "2026-02-12",
    "due_date": "2026-03-12",
    "payment_method": 1,
    "invoice_status": "Unpaid",
    "party": 1,
    "phone": "+919876543210",
    "VAt_number": "VATIN12345",
    "address": "123 Main Street",
    "notes": "Payment due in 30 days",
    "paid_amount": "0.00",
    "due_amount": "15000.00",
    "total_amount": "15000.00",
    "discount": "500.00",
    "tax": "2700.00",
    "sub_total": "12800.00",
}


@pytest.fixture
def billing_shop(shop):
    """The contract's world: customer party 1 and products 1 and 2 with stock to sell."""
    assert shop.post("/api/parties/", CUSTOMER_REQUEST).status_code == 201
    assert shop.post("/api/products/", PRODUCT_REQUEST).status_code == 201
    second = dict(PRODUCT_REQUEST, product_name="Widget B", unit_price="199.99", quantity=20)
    assert shop.post("/api/products/", second).status_code == 201
    return shop


def test_create_billing_example_answers_the_documented_body_and_moves_stock(billing_shop):
    response = billing_shop.post("/api/billing/", BILLING_REQUEST)
    assert response.status_code == 201
    assert_documented(response.get_json(), BILLING_CREATED)
    quantities = {p["id"]: p["quantity"] for p in billing_shop.get("/api/products/").get_json()["results"]}
    assert quantities == {1: 90, 2: 15}


def test_list_billings_example_shows_the_bill_with_payment_method_and_vat(billing_shop):
    body = dict(BILLING_REQUEST, payment_method=1, VAt_number="VATIN12345")
    assert billing_shop.post("/api/billing/", body).status_code == 201
    page = billing_shop.get("/api/billing/").get_json()
    assert page["count"] == 1 and page["next"] is None and page["previous"] is None
    assert_documented(page["results"][0], BILLING_LISTED)


def test_update_billing_example_answers_the_documented_body(billing_shop):
    billing_shop.post("/api/billing/", BILLING_REQUEST)
    response = billing_shop.put("/api/billing/?id=1", BILLING_UPDATE)
    assert response.status_code == 200
    assert_documented(response.get_json(), BILLING_UPDATED)
    assert response.get_json()["billing"]["status"] == "paid"


def test_delete_billing_example_answers_the_documented_message(billing_shop):
    billing_shop.post("/api/billing/", BILLING_REQUEST)
    response = billing_shop.delete("/api/billing/?id=1")
    assert response.status_code == 200
    assert response.get_json() == {"message": "Billing deleted successfully!"}
    assert billing_shop.get("/api/billing/").get_json()["count"] == 0
