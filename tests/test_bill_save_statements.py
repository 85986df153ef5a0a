"""What one Billing v1 save runs (issue 17, docs/performance.md "Bill save"): each look-up once, the stock of every
line in one conditional UPDATE, the moves in one INSERT, nothing read again for the response."""
from __future__ import annotations

import re
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from extensions import db

LINES = 5


@contextmanager
def recorded():
    """The statements run inside the block, each as one line of SQL."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(re.sub(r"\s+", " ", statement))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


@pytest.fixture
def five_line_bill(make_user, make_product, make_customer, api_headers):
    """A store's owner, five stocked products and a known customer; the bench's 5-line body for them."""
    from services.accounts.access import current_store_for

    owner = make_user("counter")
    store = current_store_for(owner)
    products = [make_product(store, f"Item {i}", unit_price="99.50", quantity=100) for i in range(LINES)]
    make_customer(store, "Bench Customer", "+919800012345")
    body = {"customer": {"name": "Bench Customer", "contact_no": "+919800012345"},
            "items": [{"line_no": i + 1, "type": "product", "id": p.uid, "qty": 1, "discount_type": "percent",
                       "discount_value": 5, "cgst": 9, "sgst": 9} for i, p in enumerate(products)],
            "payment_mode": "none", "payment_amount": 0, "payments": [],
            "billing_timestamp": "2025-09-26T11:29:00.000Z"}
    return f"/api/v1/billing/{store.uid}/bills", body, api_headers(owner)


def _count(seen: list[str], pattern: str) -> int:
    return sum(1 for sql in seen if re.search(pattern, sql, re.IGNORECASE))


def test_a_five_line_save_looks_each_thing_up_once_and_takes_stock_in_one_update(client, five_line_bill):
    url, body, headers = five_line_bill
    client.post(url, json=body, headers=headers)  # the counter row and compiled statements exist from here
    with recorded() as seen:
        response = client.post(url, json=body, headers=headers)
    assert response.status_code == 201
    assert _count(seen, r'FROM "?user"? LEFT OUTER JOIN \(membership JOIN store') == 1  # the user and the store
    assert _count(seen, r'FROM "?user"? WHERE|FROM store') == 0
    assert _count(seen, r"FROM party JOIN customer") == 1  # place of supply, perks and the bill's party share it
    assert _count(seen, r"FROM party WHERE|FROM customer WHERE") == 0  # nothing reloaded for the response
    assert _count(seen, r"^UPDATE product") == 1
    assert _count(seen, r"^INSERT INTO stock_move") == 1
    # Everything else: products, memberships, counter, bill, items (one per row on SQLite), audit chain (3).
    items = 1 if db.engine.dialect.name == "postgresql" else LINES
    assert len(seen) == 12 + (items - 1)


def test_an_idempotency_key_claim_does_not_make_the_save_reload_the_user_or_the_store(client, five_line_bill):
    url, body, headers = five_line_bill
    client.post(url, json=body, headers=headers)
    with recorded() as seen:
        response = client.post(url, json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201
    assert _count(seen, r'FROM "?user"? LEFT OUTER JOIN \(membership JOIN store') == 1
    assert _count(seen, r'FROM "?user"? WHERE|FROM store') == 0
