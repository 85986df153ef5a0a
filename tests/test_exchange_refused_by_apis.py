"""Old-gold exchange is the jewellery till's (services/jewellery/exchange.py): Billing v1, NamastePMS and the jewellery
contract's add-invoice refuse the mode "exchange" with a 400 in their own envelope that says so and names the modes
they take, and write nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Bill, Party, Payment, StockMove
from services.vocabulary import EXCHANGE_TILL_ONLY
from tests.fixtures_billing import cash_bill
from tests.test_jewellery_contract_invoices import add, invoice_form

V1_MODES = "Must be one of: cash, card, upi, wallet"


def counts() -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(db.session.execute(select(func.count()).select_from(model)).scalar_one()
                 for model in (Bill, Payment, StockMove, Party))


PAYMENT = {"amount": 250.00, "reference": "OG1", "timestamp": "2025-09-26T11:30:00.000Z"}


@pytest.mark.parametrize("changes, field, message", [
    ({"payment_mode": "exchange", "payments": [{"mode": "exchange", **PAYMENT}]}, "payment_mode",
     f"{EXCHANGE_TILL_ONLY}. {V1_MODES}, split, none"),
    ({"payment_mode": "cash", "payments": [{"mode": "Exchange", **PAYMENT}]}, "payments[0].mode",
     f"{EXCHANGE_TILL_ONLY}. {V1_MODES}"),
], ids=["payment_mode", "payments.mode"])
def test_billing_v1_refuses_exchange_saying_it_is_the_tills(client, billing_shop, changes, field, message):
    before = counts()
    body = cash_bill(billing_shop.shampoo.uid, payment_amount=250.00, **changes)
    response = client.post(f"{billing_shop.url}/bills", json=body, headers=billing_shop.headers)
    assert response.status_code == 400, response.get_json()
    answer = response.get_json()
    assert answer["success"] is False and answer["errors"][field] == [message], answer
    assert counts() == before


def test_billing_v1_still_names_the_modes_for_any_other_word(client, billing_shop):
    body = cash_bill(billing_shop.shampoo.uid, payment_amount=250.00, payment_mode="cash",
                     payments=[{"mode": "cheque", **PAYMENT}])
    response = client.post(f"{billing_shop.url}/bills", json=body, headers=billing_shop.headers)
    assert response.get_json()["errors"]["payments[0].mode"] == [V1_MODES]


NAMASTE_METHODS = "1 (Cash), 2 (Card), 3 (UPI), 4 (Wallet), 5 (Bank Transfer), 6 (Cheque)"


def test_namaste_billing_refuses_exchange_as_a_payment_method(shop):
    assert shop.post("/api/parties/", {"Category_type": "Customer", "name": "ABC"}).status_code == 201
    assert shop.post("/api/products/", {"product_name": "Widget", "category": 1, "unit_price": "99.99",
                                        "quantity": 5}).status_code == 201
    before = counts()
    body = {"invoice_number": "INV-1", "party": 1, "total_amount": "100.00", "payment_method": "exchange",
            "items": [{"item": 1, "quantity": 1, "rate": "99.99"}]}
    response = shop.post("/api/billing/", body)
    assert response.status_code == 400
    assert response.get_json() == {"payment_method": [
        f"{EXCHANGE_TILL_ONLY}. Expected the pk of a payment method: {NAMASTE_METHODS}."]}
    assert counts() == before
    other = shop.post("/api/billing/", {**body, "payment_method": "x"}).get_json()  # DRF's words otherwise
    assert other == {"payment_method": ["Incorrect type. Expected pk value, received str."]}


@pytest.mark.parametrize("field", ["preferred_payment_method", "payment_method"])
def test_namaste_customer_refuses_exchange_as_a_preferred_payment_method(shop, field):
    before = counts()
    response = shop.post("/api/parties/", {"Category_type": "Customer", "name": "A", field: "EXCHANGE"})
    assert response.status_code == 400
    assert response.get_json() == {field: [
        f"{EXCHANGE_TILL_ONLY}. Expected the pk of a payment method: {NAMASTE_METHODS}."]}
    assert counts() == before


@pytest.mark.parametrize("mode, message", [
    ("exchange", f"payment_mode: {EXCHANGE_TILL_ONLY}; one of Cash, Card, UPI, Wallet"),
    (" Exchange ", f"payment_mode: {EXCHANGE_TILL_ONLY}; one of Cash, Card, UPI, Wallet"),
    ("Cheque", "payment_mode must be one of Cash, Card, UPI, Wallet, not 'Cheque'"),
    ("", "payment_mode is required: one of Cash, Card, UPI, Wallet"),
])
def test_add_invoice_refuses_exchange_saying_it_is_the_tills(client, jeweller, make_piece, make_customer, mode,
                                                               message):
    ring, buyer = make_piece(jeweller.store, "Kundan Ring"), make_customer(jeweller.store, "Meena Shah")
    before = counts()
    response = add(client, jeweller.headers, invoice_form(ring, buyer, payment_mode=mode))
    assert response.status_code == 400
    assert response.get_json() == {"success": False, "message": f"Failed to add invoice: {message}"}
    assert counts() == before
    db.session.refresh(ring)
    assert ring.quantity == 1
