"""Every documented NamastePMS error, validation edges in DRF's words, and that a refused request writes nothing."""
from __future__ import annotations

import pytest

from extensions import db
from models import AuditLog, Bill, Customer, Expense, Party, Product, StockMove

WIDGET = {"product_name": "Widget A", "category": 1, "unit_price": "99.99", "quantity": 100}
CUSTOMER = {"Category_type": "Customer", "name": "ABC Company", "email": "contact@abc.com",
            "phone_no": "+919876543210", "Customer_code": "CUST001"}
EXPENSE = {"amount": "5000.00", "date": "2026-02-01", "category": "Rent"}


def counts():
    return {model.__name__: db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()
            for model in (Product, StockMove, Party, Customer, Expense, Bill, AuditLog)}


@pytest.fixture
def stocked(shop):
    assert shop.post("/api/parties/", CUSTOMER).status_code == 201
    assert shop.post("/api/products/", WIDGET).status_code == 201
    assert shop.post("/api/products/", dict(WIDGET, product_name="Widget B", quantity=5)).status_code == 201
    return shop


def bill(invoice_number="INV-1", **overrides):
    body = {"invoice_number": invoice_number, "party": 1, "total_amount": "100.00",
            "items": [{"item": 1, "quantity": 1, "rate": "99.99"}]}
    body.update(overrides)
    return body


# --------------------------------------------------------------------------- documented errors


@pytest.mark.parametrize("method, path, status, body", [
    ("PUT", "/api/products/", 400, {"error": "Product ID is required"}),
    ("PUT", "/api/products/?id=abc", 400, {"error": "Invalid Product ID"}),
    ("PUT", "/api/products/?id=999", 404, {"error": "Product not found or you do not have permission to edit it."}),
    ("DELETE", "/api/products/", 400, {"error": "Product ID is required"}),
    ("DELETE", "/api/products/?id=999", 404,
     {"error": "Product not found or you do not have permission to delete it."}),
    ("GET", "/api/parties/?id=999", 404, {"error": "Party not found"}),
    ("PUT", "/api/parties/", 400, {"error": "Party ID is required"}),
    ("PUT", "/api/parties/?id=999", 404, {"error": "Party not found"}),
    ("DELETE", "/api/parties/", 400, {"error": "Party ID is required"}),
    ("DELETE", "/api/parties/?id=999", 404, {"error": "Party not found"}),
    ("PUT", "/api/expenses/", 400, {"error": "Expense ID is required"}),
    ("PUT", "/api/expenses/?id=x1", 400, {"error": "Invalid Expense ID"}),
    ("PUT", "/api/expenses/?id=999", 404, {"error": "Expense not found or you do not have permission to edit it."}),
    ("DELETE", "/api/expenses/", 400, {"error": "Expense ID is required"}),
    ("DELETE", "/api/expenses/?id=999", 404,
     {"error": "Expense not found or you do not have permission to delete it."}),
    ("PUT", "/api/billing/", 400, {"error": "Billing ID is required"}),
    ("PUT", "/api/billing/?id=-1", 400, {"error": "Invalid Billing ID"}),
    ("PUT", "/api/billing/?id=999", 404, {"error": "Billing not found or you do not have permission to edit it."}),
    ("DELETE", "/api/billing/", 400, {"error": "Billing ID is required"}),
    ("DELETE", "/api/billing/?id=999", 404,
     {"error": "Billing not found or you do not have permission to delete it."}),
])
def test_documented_id_errors_answer_verbatim(shop, method, path, status, body):
    response = shop.call(method, path, {} if method == "PUT" else None)
    assert response.status_code == status
    assert response.get_json() == body


def test_duplicate_product_name_answers_the_documented_error_and_writes_nothing(shop):
    shop.post("/api/products/", WIDGET)
    before = counts()
    response = shop.post("/api/products/", dict(WIDGET, product_name="widget a"))
    assert response.status_code == 400
    assert response.get_json() == {"error": "You already have a product with this name."}
    assert counts() == before


def test_renaming_a_product_onto_another_name_is_refused(shop):
    shop.post("/api/products/", WIDGET)
    shop.post("/api/products/", dict(WIDGET, product_name="Widget B"))
    response = shop.put("/api/products/?id=2", {"product_name": "Widget A"})
    assert response.get_json() == {"error": "You already have a product with this name."}


def test_invalid_party_category_answers_the_documented_error(shop):
    for body in ({"Category_type": "Vendor", "name": "X"}, {"name": "No type"}):
        response = shop.post("/api/parties/", body)
        assert response.status_code == 400
        assert response.get_json() == {"error": "Invalid Category. Must be 'Customer' or 'Supplier'"}


@pytest.mark.parametrize("change, message", [
    ({"email": "CONTACT@abc.com"}, "A customer with this email already exists."),
    ({"phone_no": "+919876543210"}, "A customer with this phone number already exists."),
    ({"Customer_code": "CUST001"}, "A customer with this code already exists."),
])
def test_duplicate_customer_errors_carry_the_existing_customer(shop, change, message):
    shop.post("/api/parties/", CUSTOMER)
    body = {"Category_type": "Customer", "name": "Other", **change}
    before = counts()
    response = shop.post("/api/parties/", body)
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["error"] == message
    assert answer["existing_customer"]["id"] == 1 and answer["existing_customer"]["name"] == "ABC Company"
    assert counts() == before


def test_duplicate_supplier_code_carries_the_existing_supplier(shop):
    shop.post("/api/parties/", {"Category_type": "Supplier", "name": "XYZ Suppliers", "code": "SUP001"})
    response = shop.post("/api/parties/", {"Category_type": "Supplier", "name": "Other", "code": "SUP001"})
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "A supplier with this code already exists.",
        "existing_supplier": {"id": 1, "party": 1, "name": "XYZ Suppliers", "code": "SUP001", "phone_no": None,
                              "email": None, "gstin": None, "address": None},
    }


def test_updating_a_customer_onto_anothers_phone_is_a_duplicate(shop):
    shop.post("/api/parties/", CUSTOMER)
    shop.post("/api/parties/", {"Category_type": "Customer", "name": "B", "phone_no": "+919800000001"})
    response = shop.put("/api/parties/?id=2", {"phone_no": "+919876543210"})
    assert response.get_json()["error"] == "A customer with this phone number already exists."
    assert response.get_json()["existing_customer"]["party"] == 1


def test_update_party_without_its_record_answers_no_related_record(shop):
    db.session.add(Party(store_id=shop.store.id, Category_type="Customer"))
    db.session.commit()
    response = shop.put("/api/parties/?id=1", {"name": "X"})
    assert response.status_code == 400
    assert response.get_json() == {"error": "No related customer or supplier found"}


@pytest.mark.parametrize("items", [[], None])
def test_billing_without_items_answers_the_documented_error(stocked, items):
    body = bill()
    if items is None:
        del body["items"]
    else:
        body["items"] = items
    before = counts()
    response = stocked.post("/api/billing/", body)
    assert response.status_code == 400
    assert response.get_json() == {"error": "At least one billing item is required."}
    assert counts() == before


def test_billing_with_insufficient_stock_names_the_product_and_writes_nothing(stocked):
    before = counts()
    body = bill(items=[{"item": 1, "quantity": 1, "rate": "1.00"}, {"item": 2, "quantity": 6, "rate": "1.00"}])
    response = stocked.post("/api/billing/", body)
    assert response.status_code == 400
    errors = response.get_json()["items"]
    assert errors[0] == {}
    assert "Widget B" in errors[1]["quantity"][0]
    assert counts() == before
    quantities = {p["id"]: p["quantity"] for p in stocked.get("/api/products/").get_json()["results"]}
    assert quantities == {1: 100, 2: 5}


def test_invoice_number_is_unique_per_store_but_free_in_another(stocked, make_shop):
    assert stocked.post("/api/billing/", bill()).status_code == 201
    response = stocked.post("/api/billing/", bill())
    assert response.status_code == 400
    assert response.get_json() == {"invoice_number": ["A bill with this invoice number already exists."]}
    rival = make_shop("rival")
    rival.post("/api/products/", dict(WIDGET, category=4))
    rival_product = rival.get("/api/products/").get_json()["results"][0]["id"]
    body = bill(party=None, items=[{"item": rival_product, "quantity": 1, "rate": "1.00"}])
    assert rival.post("/api/billing/", body).status_code == 201


def test_cancelled_bill_keeps_its_number_returns_stock_and_keeps_audit(stocked):
    stocked.post("/api/billing/", bill(items=[{"item": 1, "quantity": 7, "rate": "1.00"}]))
    assert stocked.get("/api/products/").get_json()["results"][0]["quantity"] == 93
    assert stocked.delete("/api/billing/?id=1").status_code == 200
    assert stocked.get("/api/products/").get_json()["results"][0]["quantity"] == 100
    assert stocked.delete("/api/billing/?id=1").status_code == 404
    assert stocked.put("/api/billing/?id=1", {"notes": "x"}).status_code == 404
    saved = db.session.get(Bill, 1)
    assert saved.cancelled_at is not None and saved.invoice_number == "INV-1"
    assert stocked.post("/api/billing/", bill()).get_json() == {
        "invoice_number": ["A bill with this invoice number already exists."]}
    actions = [a.action for a in db.session.execute(db.select(AuditLog).where(AuditLog.entity == "bill")).scalars()]
    assert actions == ["create", "cancel"]


def test_bill_items_and_number_cannot_be_changed_by_update(stocked):
    stocked.post("/api/billing/", bill())
    response = stocked.put("/api/billing/?id=1", {"invoice_number": "INV-2", "items": []})
    assert response.status_code == 400
    assert set(response.get_json()) == {"invoice_number", "items"}


# --------------------------------------------------------------------------- validation edges


@pytest.mark.parametrize("change, errors", [
    ({"unit_price": "abc"}, {"unit_price": ["A valid number is required."]}),
    ({"unit_price": True}, {"unit_price": ["A valid number is required."]}),
    ({"unit_price": "-1.00"}, {"unit_price": ["Ensure this value is greater than or equal to 0."]}),
    ({"unit_price": "1.999"}, {"unit_price": ["Ensure that there are no more than 2 decimal places."]}),
    ({"unit_price": "123456789.00"},
     {"unit_price": ["Ensure that there are no more than 10 digits in total."]}),
    ({"unit_price": "NaN"}, {"unit_price": ["A valid number is required."]}),
    ({"quantity": -1}, {"quantity": ["Ensure this value is greater than or equal to 0."]}),
    ({"quantity": 1.5}, {"quantity": ["A valid integer is required."]}),
    ({"quantity": "ten"}, {"quantity": ["A valid integer is required."]}),
    # stock is Numeric(12,3): 2147483647 (an INTEGER) was a 500 on PostgreSQL
    ({"quantity": 10**9}, {"quantity": ["Ensure this value is less than or equal to 999999999."]}),
    ({"category": 999}, {"category": ['Invalid pk "999" - object does not exist.']}),
    ({"category": "abc"}, {"category": ["Incorrect type. Expected pk value, received str."]}),
    ({"category": None}, {"category": ["This field may not be null."]}),
    ({"product_name": "x" * 101}, {"product_name": ["Ensure this field has no more than 100 characters."]}),
    ({"product_name": "   "}, {"product_name": ["This field may not be blank."]}),
    ({"product_name": "a\x00b"}, {"product_name": ["Null characters are not allowed."]}),
    ({"product_name": ["list"]}, {"product_name": ["Not a valid string."]}),
    ({"product_Img": "javascript:alert(1)"}, {"product_Img": ["Enter a valid URL."]}),
    ({"type": "gadget"}, {"type": ['"gadget" is not a valid choice.']}),
    ({"cgst_rate": "101"}, {"cgst_rate": ["Ensure this value is less than or equal to 100."]}),
    ({"hsn_code": "12"}, {"hsn_code": ["Enter a valid HSN code (4, 6 or 8 digits)."]}),
])
def test_product_validation_edges_answer_drf_field_errors(shop, change, errors):
    before = counts()
    response = shop.post("/api/products/", dict(WIDGET, **change))
    assert response.status_code == 400
    assert response.get_json() == errors
    assert counts() == before


def test_product_missing_fields_are_all_reported_at_once(shop):
    response = shop.post("/api/products/", {"description": "only this"})
    assert response.status_code == 400
    assert response.get_json() == {name: ["This field is required."]
                                   for name in ("product_name", "category", "unit_price", "quantity")}


def test_a_service_needs_no_quantity_and_has_no_stock(shop):
    body = {"product_name": "Haircut", "category": 3, "unit_price": "250.00", "type": "service"}
    response = shop.post("/api/products/", body)
    assert response.status_code == 201
    assert response.get_json()["product"]["quantity"] == 0
    response = shop.post("/api/products/", dict(body, product_name="Shave", quantity=5))
    assert response.get_json() == {"quantity": ["Only products track stock; services and memberships have none."]}


@pytest.mark.parametrize("body, errors", [
    ({"amount": "-5.00"}, {"amount": ["Ensure this value is greater than or equal to 0.01."]}),
    ({"amount": 12}, None),
    ({"date": "2026-02-30"}, {"date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ({"date": "01/02/2026"}, {"date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ({"date": 20260201}, {"date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ({"category": "Bribes"}, {"category": ['"Bribes" is not a valid choice.']}),
    ({"category": "rent"}, {"category": ['"rent" is not a valid choice.']}),
    ({"is_necessary": "maybe"}, {"is_necessary": ["Must be a valid boolean."]}),
    ({"description": "x" * 2001}, {"description": ["Ensure this field has no more than 2000 characters."]}),
])
def test_expense_validation_edges_answer_drf_field_errors(shop, body, errors):
    response = shop.post("/api/expenses/", dict(EXPENSE, **body))
    if errors is None:
        assert response.status_code == 201
        assert response.get_json()["expense"]["amount"] == "12.00"
    else:
        assert response.status_code == 400
        assert response.get_json() == errors
        assert shop.get("/api/expenses/").get_json()["count"] == 0


@pytest.mark.parametrize("body, errors", [
    ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
    ({"phone_no": "call me"}, {"phone_no": ["Enter a valid phone number."]}),
    ({"open_balance": "-1"}, {"open_balance": ["Ensure this value is greater than or equal to 0."]}),
    ({"loyalty_points": -3}, {"loyalty_points": ["Ensure this value is greater than or equal to 0."]}),
    ({"preferred_payment_method": 99}, {"preferred_payment_method": ['Invalid pk "99" - object does not exist.']}),
    ({"payment_method": "x"}, {"payment_method": ["Incorrect type. Expected pk value, received str."]}),
    ({"name": ""}, {"name": ["This field may not be blank."]}),
    ({"gender": "Robot"}, {"gender": ['"Robot" is not a valid choice.']}),
    ({"Customer_code": "C" * 51}, {"Customer_code": ["Ensure this field has no more than 50 characters."]}),
])
def test_customer_validation_edges_answer_drf_field_errors(shop, body, errors):
    response = shop.post("/api/parties/", {"Category_type": "Customer", "name": "A", **body})
    assert response.status_code == 400
    assert response.get_json() == errors
    assert shop.get("/api/parties/").get_json()["count"] == 0


def test_supplier_needs_a_code(shop):
    response = shop.post("/api/parties/", {"Category_type": "Supplier", "name": "XYZ"})
    assert response.get_json() == {"code": ["This field is required."]}


@pytest.mark.parametrize("field", ["preferred_payment_method", "payment_method"])
def test_customer_payment_method_may_be_sent_under_either_name_and_answers_payment_method(shop, field):
    response = shop.post("/api/parties/", {"Category_type": "Customer", "name": "A", field: 3})
    assert response.status_code == 201
    assert response.get_json()["customer"]["payment_method"] == 3
    assert shop.put("/api/parties/?id=1", {field: None}).get_json()["customer"]["payment_method"] is None


def test_party_type_cannot_change_on_update(shop):
    shop.post("/api/parties/", CUSTOMER)
    response = shop.put("/api/parties/?id=1", {"Category_type": "Supplier"})
    assert response.get_json() == {"Category_type": ["The party type cannot be changed."]}


@pytest.mark.parametrize("change, errors", [
    ({"invoice_status": "Overdue"}, {"invoice_status": ['"Overdue" is not a valid choice.']}),
    ({"payment_method": 42}, {"payment_method": ['Invalid pk "42" - object does not exist.']}),
    ({"party": 2}, {"party": ['Invalid pk "2" - object does not exist.']}),
    ({"due_date": "tomorrow"}, {"due_date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ({"paid_amount": "-1.00"}, {"paid_amount": ["Ensure this value is greater than or equal to 0."]}),
    ({"invoice_number": "N" * 51}, {"invoice_number": ["Ensure this field has no more than 50 characters."]}),
    ({"items": {"item": 1}}, {"items": ['Expected a list of items but got type "dict".']}),
    ({"items": ["x"]}, {"items": [{"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}]}),
    ({"items": [{"item": 1, "quantity": 0, "rate": "1"}]},
     {"items": [{"quantity": ["Ensure this value is greater than or equal to 1."]}]}),
    ({"items": [{"item": 1, "quantity": -2, "rate": "-1"}]},
     {"items": [{"quantity": ["Ensure this value is greater than or equal to 1."],
                 "rate": ["Ensure this value is greater than or equal to 0."]}]}),
    ({"items": [{"item": 999, "quantity": 1, "rate": "1"}]},
     {"items": [{"item": ['Invalid pk "999" - object does not exist.']}]}),
    ({"items": [{"quantity": 1}]},
     {"items": [{"item": ["This field is required."], "rate": ["This field is required."]}]}),
])
def test_billing_validation_edges_answer_drf_field_errors(stocked, change, errors):
    stocked.post("/api/parties/", {"Category_type": "Supplier", "name": "XYZ", "code": "S1"})
    before = counts()
    response = stocked.post("/api/billing/", bill(**change))
    assert response.status_code == 400
    assert response.get_json() == errors
    assert counts() == before


@pytest.mark.parametrize("raw, body", [
    ("", {"non_field_errors": ["No data provided"]}),
    ("[1, 2]", {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
])
def test_bodies_that_are_not_objects_are_refused(shop, raw, body):
    response = shop.client.post("/api/products/", data=raw, headers=shop.headers, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == body


def test_malformed_json_is_a_parse_error(shop):
    response = shop.client.post("/api/expenses/", data="{", headers=shop.headers, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["detail"].startswith("JSON parse error")


# --------------------------------------------------------------------------- categories, payment methods


def test_categories_list_create_and_refuse_duplicates(shop):
    names = [c["name"] for c in shop.get("/api/categories/").get_json()["results"]]
    assert names == ["General", "Groceries", "Services"]
    response = shop.post("/api/categories/", {"name": "Toys"})
    assert response.status_code == 201
    assert response.get_json() == {"message": "Category created successfully!", "category": {"id": 4, "name": "Toys"}}
    assert shop.post("/api/categories/", {"name": "toys"}).get_json() == {
        "error": "You already have a category with this name."}
    assert shop.post("/api/categories/", {"name": ""}).get_json() == {"name": ["This field may not be blank."]}


def test_payment_methods_are_the_shared_list(shop):
    page = shop.get("/api/payment-methods/").get_json()
    assert [m["name"] for m in page["results"]] == ["Cash", "Card", "UPI", "Wallet", "Bank Transfer", "Cheque"]
