"""The jewellery contract's own examples, read from docs/contracts/001_bc50bf4c3035272a.txt: each JSON request example
sent verbatim (its placeholders as written) is refused in the contract's error envelope saying what is wrong; the same
requests with values of the documented types answer the documented success shapes, key by key and type by type; and
every error body the contract lists is reached, with its message first."""
from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, Bill, Product

CONTRACT = Path(__file__).resolve().parent.parent / "docs" / "contracts" / "001_bc50bf4c3035272a.txt"
D = Decimal


def contract_examples() -> list[Any]:
    """Every ```json block of the contract in order, its // comments and the commas they leave dangling removed."""
    blocks = re.findall(r"```json\n(.*?)\n```", CONTRACT.read_text(encoding="utf-8"), flags=re.S)
    cleaned = [re.sub(r",(\s*[}\]])", r"\1", re.sub(r"//[^\n]*", "", block)) for block in blocks]
    return [json.loads(block) for block in cleaned]


EXAMPLES = contract_examples()
(DETAIL_REQUEST, DETAIL_OK, DETAIL_ERROR, UPDATE_OK, UPDATE_ERROR, ITEM, ADD_OK, ADD_ERROR, HOME_OK, HOME_ERROR,
 HISTORY_OK, HISTORY_ERROR, PDF_OK, PDF_ERROR, LOG_REQUEST, LOG_OK, LOG_ERROR) = EXAMPLES


def test_the_contract_has_the_seventeen_json_examples_this_file_reads():
    assert len(EXAMPLES) == 17
    assert DETAIL_REQUEST == {"id": "string"} and LOG_REQUEST["action"] == "CREATE | UPDATE | DELETE"
    assert ITEM["product_id"] == "number" and LOG_OK == {"success": True, "message": "Log created successfully"}


def conforms(documented: Any, actual: Any, where: str = "data") -> list[str]:
    """Where `actual` differs from the documented shape: every documented key present, "boolean" a bool, "string" a
    string (or null: an optional field left unset), "number" a number or a numeric string (the contract's notes:
    money and weights are strings), an object or array of objects checked inside."""
    problems = []
    if isinstance(documented, dict):
        if actual is None:
            return []
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        for key, shape in documented.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += conforms(shape, actual[key], f"{where}.{key}")
    elif isinstance(documented, list):
        if not isinstance(actual, list):
            return [f"{where}: expected an array, got {actual!r}"]
        for index, row in enumerate(actual):
            problems += conforms(documented[0], row, f"{where}[{index}]") if documented else []
    elif documented == "boolean":
        problems += [] if isinstance(actual, bool) else [f"{where}: expected a boolean, got {actual!r}"]
    elif documented == "number":
        ok = isinstance(actual, (int, float)) and not isinstance(actual, bool) or \
            isinstance(actual, str) and re.fullmatch(r"-?\d+(\.\d+)?", actual)
        problems += [] if ok else [f"{where}: expected a number, got {actual!r}"]
    elif isinstance(documented, str):  # "string", "sale | purchase", "1 | 2", "Per Gram (PG) | Per Piece (PP)"
        if actual is not None and not isinstance(actual, str):
            problems.append(f"{where}: expected a string, got {actual!r}")
        elif actual is not None and " | " in documented and documented.split(" | ") != ["string"]:
            choices = [choice.strip() for choice in documented.split("|")]
            if actual not in choices and where.rsplit(".", 1)[-1] != "label":
                problems.append(f"{where}: {actual!r} is not one of {choices}")
    else:
        problems += [] if documented == actual else [f"{where}: expected {documented!r}, got {actual!r}"]
    return problems


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "gold").save(buffer, "PNG")
    return buffer.getvalue()


def counts() -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(db.session.execute(select(func.count()).select_from(model)).scalar_one()
                 for model in (Product, Bill, AuditLog))


# --------------------------------------------------------------------------- the examples sent verbatim


def multipart(client, path: str, headers: dict, form: dict):
    return client.post(path, headers=headers, data=form, content_type="multipart/form-data")


def test_the_detail_request_verbatim_is_a_400_saying_the_id_is_not_an_id(client, jeweller):
    response = client.post("/product-detail-by-id", headers=jeweller.headers, json=DETAIL_REQUEST)
    assert response.status_code == 400
    assert response.get_json() == {"success": False, "message": "Failed to get product detail by id: id must be a "
                                                                "record id (a whole number), not 'string'"}


def test_the_log_request_verbatim_is_a_400_naming_the_placeholder_action(client, jeweller):
    before = counts()
    response = client.post("/api/logs/create", headers=jeweller.headers, json=LOG_REQUEST)
    assert response.status_code == 400
    body = response.get_json()
    assert set(body) == {"success", "message"} and body["success"] is False
    assert body["message"].startswith(f"{LOG_ERROR['message']}: ") and "action must be one of CREATE, UPDATE, " \
                                                                       "DELETE" in body["message"], body
    assert counts() == before


def test_the_item_example_verbatim_is_a_400_naming_a_placeholder_that_is_not_a_number(client, jeweller, make_customer):
    buyer = make_customer(jeweller.store, "Meena Shah")
    before = counts()
    form = {"user_contact_id": str(buyer.id), "payment_mode": "Cash", "payment_date": "2026-11-26T10:00:00.000Z",
            "bill_total": "0", "amount_paid": "0", "total": "0", "invoice_type": "1", "item": json.dumps([ITEM])}
    response = multipart(client, "/add-invoice", jeweller.headers, form)
    assert response.status_code == 400
    # the first of its placeholders the parser reads is net_price's
    assert response.get_json() == {"success": False, "message": "Failed to add invoice: item[0].net_price must be a "
                                                                "number, not 'number'"}
    assert counts() == before


# --------------------------------------------------------------------------- the examples with typed values


@pytest.fixture
def sold(client, jeweller, make_customer):
    """A piece created through update-product with every parameter of its table (images included), sold on credit
    with interest through add-invoice, and a later payment."""
    from services.billing.bills import DraftPayment, record_payment

    today = jeweller.store.local_today()
    start = today - timedelta(days=60)
    form = {
        "id": "", "type": "sale", "name": "22K Bridal Ring", "huid": "AB12CD",
        "hsn_id": json.dumps({"value": "7113", "label": "7113 - Jewellery", "variation": [
            {"id": "1", "name": "Ring", "price": 0}]}),
        "size": "14", "remark": "bridal", "comment": "showcase 2",
        "image": (io.BytesIO(png()), "ring.png"), "additional_image": (io.BytesIO(png()), "side.png"),
        "gross_weight": "10.500", "less_weight": "0.500", "net_weight": "10.000", "wastage": "2.00",
        "tounch": "91.60", "fine_weight": "9.360",
        "rate": json.dumps({"label": "Gold 22K", "value": "gold-22K", "price": "7150.00"}),
        "making_type": json.dumps({"label": "Per Gram (PG)", "value": "PG"}), "making_charge": "450.00",
        "metal_value": "71500.00", "cutting_enabled": "false",
        "interest_enabled": "true", "interest_type": json.dumps({"label": "Flat", "value": "1"}),
        "interest_rate": "2.00", "interest_amount": "999999.00", "bill_date": start.isoformat(),
        "payment_date": f"{start.isoformat()}T06:30:00.000Z", "interest_start_date": start.isoformat(),
        "grace_period_enabled": "true", "grace_period_days": "10", "interest_notes": "2 % a month after 10 days",
        "charges_json": json.dumps([{"name": "Polish", "amount": "150.00"}]),
        "tax_json": json.dumps([{"name": "CGST", "amount": "1.5"}, {"name": "SGST", "amount": "1.5"}]),
        "custom_fields": json.dumps([{"label": "Design", "value": "Peacock", "unit": {"label": "", "value": ""},
                                      "showInBill": True}]),
        "bill_display_settings": json.dumps({"showSizeInBill": True, "showHuidInBill": True}),
        "payment_history": json.dumps([{"amount": "1.00", "date": "2026-01-01", "interest_paid": "0.00",
                                        "remaining_balance": "0.00"}]),
    }
    created = multipart(client, "/update-product", jeweller.headers, form)
    assert created.status_code == 201, created.get_json()
    piece_id = created.get_json()["data"]["id"]
    buyer = make_customer(jeweller.store, "Meena Shah")
    item = {"product_id": int(piece_id), "hsn_id": 7113, "tounch": 91.6, "wastage": 2, "gross_weight": 10.5,
            "net_price": 80000, "fine_weight": 9.36, "size": "14", "show_size_in_bill": True}
    invoice = {"user_contact_id": str(buyer.id), "payment_mode": "Cash",
               "payment_date": f"{start.isoformat()}T06:30:00.000Z", "bill_total": "82400.00",
               "amount_paid": "2400.00", "tax": "3", "additional_charges": "0", "total": "80000.00",
               "invoice_type": "1", "item": json.dumps([item])}
    added = multipart(client, "/add-invoice", jeweller.headers, invoice)
    assert added.status_code == 201, added.get_json()
    bill = db.session.get(Bill, int(added.get_json()["data"]["id"]))
    record_payment(jeweller.store, jeweller.owner, bill, DraftPayment("cash", D("10000.00")))
    db.session.commit()
    return {"piece_id": piece_id, "created": created.get_json(), "added": added.get_json(), "buyer": buyer,
            "bill": bill}


def test_update_product_answers_the_documented_shape(sold):
    body = sold["created"]
    assert body["success"] is True and body["data"]["type"] == "sale"
    assert conforms(UPDATE_OK["data"], body["data"]) == []
    assert conforms(DETAIL_OK["data"], body["data"]) == []


def test_product_detail_answers_the_documented_shape_with_the_servers_figures(client, jeweller, sold):
    response = client.post("/product-detail-by-id", headers=jeweller.headers, json={"id": sold["piece_id"]})
    body = response.get_json()
    assert response.status_code == 200 and set(body) == {"success", "data"} and body["success"] is True
    assert conforms(DETAIL_OK["data"], body["data"]) == []
    data = body["data"]
    assert data["image"]["fileName"] == "ring.png" and data["additional_image"]["fileName"] == "side.png"
    assert data["hsn_id"]["variation"] == [{"id": "1", "name": "Ring", "price": 0}]
    # the bill's interest, not the client's: 80000.00 owed after the 2400.00 paid at the sale, 10 grace days, then
    # 2 % a month on 80000.00 for 50 days to today = 2666.666.. -> 2666.67, which today's 10000.00 pays first
    assert data["interest_amount"] == "2666.67" and data["interest_amount"] != "999999.00"
    assert [row["interest_paid"] for row in data["payment_history"]] == ["0.00", "2666.67"]
    assert data["payment_history"][-1]["remaining_balance"] == data["remaining_balance"] == "72666.67"


def test_add_invoice_and_the_lists_answer_the_documented_shapes(client, jeweller, sold):
    added = sold["added"]
    assert added["message"] == ADD_OK["message"] and conforms(ADD_OK["data"], added["data"]) == []
    assert added["data"]["invoice_type"] == "1" and added["data"]["user_contact_id"] == str(sold["buyer"].id)
    home = client.get("/get-invoice-home", headers=jeweller.headers).get_json()
    assert set(home) == {"success", "data"} and home["success"] is True and len(home["data"]) == 1
    assert conforms(HOME_OK["data"], home["data"]) == []
    history = client.get(f"/user-contact-invoice-history?user_contact_id={sold['buyer'].id}",
                         headers=jeweller.headers).get_json()
    assert set(history) == {"success", "data"} and conforms(HISTORY_OK["data"], history["data"]) == []
    assert [row["id"] for row in history["data"]] == [added["data"]["id"]]
    pdf = client.get(f"/invoice/{added['data']['id']}/pdf", headers=jeweller.headers).get_json()
    assert set(pdf) == {"success", "data"} and conforms(PDF_OK["data"], pdf["data"]) == []


def test_the_log_request_with_typed_values_answers_exactly_the_documented_body(client, jeweller):
    for action in ("CREATE", "UPDATE", "DELETE"):
        for entity in ("PRODUCT", "INVOICE"):
            body = {**LOG_REQUEST, "action": action, "entityType": entity, "amount": "82500.00",
                    "timestamp": "2026-11-26T10:00:00.000Z",
                    "metadata": {**LOG_REQUEST["metadata"], "items": [{"name": "Ring", "quantity": 1,
                                                                       "price": "80000.00"}]}}
            response = client.post("/api/logs/create", headers=jeweller.headers, json=body)
            assert response.status_code == 201 and response.get_json() == LOG_OK


# --------------------------------------------------------------------------- every documented error body


@pytest.mark.parametrize("documented, method, path, payload", [
    (DETAIL_ERROR, "json", "/product-detail-by-id", DETAIL_REQUEST),
    (UPDATE_ERROR, "form", "/update-product", {"id": "999999", "name": "Ring"}),
    (ADD_ERROR, "form", "/add-invoice", {"invoice_type": "3"}),
    (HOME_ERROR, "get", "/get-invoice-home?limit=0", None),
    (HISTORY_ERROR, "get", "/user-contact-invoice-history", None),
    (PDF_ERROR, "get", "/invoice/999999/pdf", None),
    (LOG_ERROR, "json", "/api/logs/create", LOG_REQUEST),
], ids=["detail", "update", "add", "home", "history", "pdf", "log"])
def test_every_documented_error_body_is_reached_with_its_message_first(client, jeweller, documented, method, path,
                                                                        payload):
    before = counts()
    if method == "json":
        response = client.post(path, headers=jeweller.headers, json=payload)
    elif method == "form":
        response = multipart(client, path, jeweller.headers, payload)
    else:
        response = client.get(path, headers=jeweller.headers)
    body = response.get_json()
    assert response.status_code in (400, 404) and set(body) == set(documented) == {"success", "message"}
    assert body["success"] is False and body["message"].startswith(f"{documented['message']}: "), body
    assert counts() == before
