"""NamastePMS billing honours Idempotency-Key like Billing v1: one bill per key, replays, conflicts, retries."""
from __future__ import annotations

from sqlalchemy import func, select

from extensions import db
from models import Bill, IdempotencyRecord, Product


def _bill_body(product_id: int, number: str = "INV-2026-001") -> dict:
    return {"invoice_number": number, "total_amount": "200.00", "sub_total": "200.00",
            "items": [{"item": product_id, "quantity": 2, "rate": "100.00"}]}


def _bills() -> int:
    return db.session.execute(select(func.count()).select_from(Bill)).scalar_one()


def test_the_same_key_and_body_saves_once_and_replays_the_first_answer(shop, make_product):
    product = make_product(shop.store, quantity=10)
    headers = {**shop.headers, "Idempotency-Key": "till-1-0001"}
    first = shop.client.post("/api/billing/", json=_bill_body(product.id), headers=headers)
    second = shop.client.post("/api/billing/", json=_bill_body(product.id), headers=headers)
    assert first.status_code == 201 and second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert _bills() == 1
    assert db.session.get(Product, product.id).quantity == 8


def test_the_same_key_with_another_body_is_a_409_in_drf_words(shop, make_product):
    product = make_product(shop.store, quantity=10)
    headers = {**shop.headers, "Idempotency-Key": "till-1-0002"}
    assert shop.client.post("/api/billing/", json=_bill_body(product.id), headers=headers).status_code == 201
    other = shop.client.post("/api/billing/", json=_bill_body(product.id, "INV-2026-002"), headers=headers)
    assert other.status_code == 409
    assert other.get_json() == {"detail": "Idempotency-Key was already used with a different request"}
    assert _bills() == 1


def test_a_refused_request_stores_nothing_so_the_corrected_retry_with_the_same_key_runs(shop, make_product):
    product = make_product(shop.store, quantity=1)
    headers = {**shop.headers, "Idempotency-Key": "till-1-0003"}
    refused = shop.client.post("/api/billing/", json=_bill_body(product.id), headers=headers)
    assert refused.status_code == 400
    assert db.session.execute(select(func.count()).select_from(IdempotencyRecord)).scalar_one() == 0
    corrected = {**_bill_body(product.id), "items": [{"item": product.id, "quantity": 1, "rate": "100.00"}]}
    assert shop.client.post("/api/billing/", json=corrected, headers=headers).status_code == 201
    assert _bills() == 1


def test_a_blank_key_is_a_field_error(shop, make_product):
    product = make_product(shop.store)
    response = shop.client.post("/api/billing/", json=_bill_body(product.id),
                                headers={**shop.headers, "Idempotency-Key": "   "})
    assert response.status_code == 400
    assert response.get_json() == {"Idempotency-Key": ["Must be 1 to 255 characters"]}
    assert _bills() == 0
