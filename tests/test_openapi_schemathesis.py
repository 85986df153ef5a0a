"""Schemathesis against the OpenAPI document, on every operation of the three surfaces.

Each operation is its own test (so a failure names it). Positive examples (MAX_EXAMPLES, fixed seed) run against
the signed-in owner's real store: Billing v1 gets that store's uid as `store_id`, and half the examples get a real
bill / held bill id; bodies get the real catalogue, customer, category, party and payment-method ids where they
name one; NamastePMS `?id=` is a real row half the time. Every answer must be no server error, a status the
document lists, and a body and content type matching that status's schema. Negative examples (data the
document calls invalid) must be refused with a 4xx. The test then checks that the operation really ran
(not every answer a 401/403), which is what went wrong before: every Billing v1 example was refused with 403.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from blueprints.api.openapi_spec import build_document
from extensions import db
from tests.fixtures_billing import cash_bill

MAX_EXAMPLES = 25  # per operation on SQLite, the run CI counts on
PG_EXAMPLES = 5  # PostgreSQL repeats a few per operation for what only it enforces (numeric overflow, types)
NEGATIVE_EXAMPLES = 10  # query parsing does not depend on the database: SQLite only
SCHEMA = schemathesis.openapi.from_dict(build_document())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
POSITIVE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
NEGATIVE_CHECKS = [not_a_server_error, status_code_conformance, negative_data_rejection]
# Public account forms answer 4xx to most generated users (no such user, wrong OTP): that is the contract.
REFUSED_ONLY = {"/api/verify-signup-otp/", "/api/login/", "/api/verify-login-otp/", "/api/forget-password/",
                "/api/verify-forget-password-otp/", "/api/reset-password/", "/api/token/refresh/"}
# A fixed seed, no example database, and no shrinking (a failure prints its request as it is).
SETTINGS = {"deadline": None, "derandomize": True, "database": None, "phases": [Phase.explicit, Phase.generate],
            "suppress_health_check": list(HealthCheck)}


@dataclass
class RealRows:
    """Ids of rows that exist in the test user's store, by the name of the parameter or field that takes them."""

    path: dict[str, str]
    query_id: dict[str, int]
    fields: dict[str, Any]
    item_uids: dict[str, str]
    statuses: Counter = field(default_factory=Counter)
    bodies: dict[str, Any] = field(default_factory=dict)  # a real, valid body for paths that name several rows
    queries: dict[str, dict[str, Any]] = field(default_factory=dict)
    path_for: dict[str, dict[str, str]] = field(default_factory=dict)  # another store for paths of one kind of store


def _created(response, *keys: str) -> Any:
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    for key in keys:
        data = data[key]
    return data


def _jewellery_rows(store, owner, make_piece, party) -> tuple[dict, dict, dict]:
    """Today's gold rate, a piece in stock and one sold: real bodies for the jewellery contract's paths."""
    import json

    from models import Bill
    from services.jewellery.invoices import InvoiceItem, InvoiceRequest, add_invoice
    from services.jewellery.rates import RateEntry, set_rates

    set_rates(store, owner, [RateEntry("gold", "22K", Decimal("7150.00"))])
    sold, stocked = make_piece(store, "Sold ring", huid="SOLD01"), make_piece(store, "Stocked ring", huid="STCK01")
    now = datetime.now(timezone.utc)
    bill = add_invoice(store, owner, InvoiceRequest("1", party, "cash", now, Decimal("1030.00"), Decimal("0"),
                                                    [InvoiceItem(sold.id, net_price=Decimal("1000.00"))]))
    db.session.commit()
    assert isinstance(bill, Bill)
    form = {"user_contact_id": str(party), "payment_mode": "Cash", "payment_date": now.isoformat(),
            "bill_total": "1030.00", "amount_paid": "0", "invoice_type": "1",
            "item": json.dumps([{"product_id": stocked.id, "net_price": "1000.00"}])}
    bodies = {"/product-detail-by-id": {"id": str(sold.id)}, "/add-invoice": form}
    return {"invoice_id": str(bill.id)}, bodies, {"/user-contact-invoice-history": {"user_contact_id": str(party)}}


@pytest.fixture
def real_rows(shop, make_product, make_customer, make_piece, make_store) -> RealRows:
    """One row of each kind in the shop's store, made through the API where the API makes them."""
    product = _created(shop.post("/api/products/", {"product_name": "Widget", "category": 1, "unit_price": "10.00",
                                                     "quantity": 50}), "product", "id")
    party = _created(shop.post("/api/parties/", {"Category_type": "Customer", "name": "Asha"}), "party", "id")
    expense = _created(shop.post("/api/expenses/", {"amount": "5.00", "date": "2026-02-12", "category": "Rent"}),
                       "expense", "id")
    namaste_bill = _created(shop.post("/api/billing/", {"invoice_number": "N-1", "items": [
        {"item": product, "quantity": 1, "rate": "10.00"}]}), "billing", "id")
    store = shop.store
    items = {kind: make_product(store, f"Real {kind}", unit_price="1000.00", type=kind, quantity=10 ** 6).uid
             for kind in ("product", "service", "membership")}
    ravi = make_customer(store, "Ravi")
    customer = ravi.uid
    jewellery_path, bodies, queries = _jewellery_rows(store, ravi_owner(store), make_piece, ravi.id)
    url = f"/api/v1/billing/{store.uid}/bills"
    bill = _created(shop.post(url, cash_bill(items["service"], item_type="service")), "data", "bill_id")
    held = _created(shop.post(url + "/hold", cash_bill(items["product"])), "data", "held_id")
    # The appointment book is a salon's: a salon where the shop's owner is a cashier (the reception).
    from models import Membership

    salon = make_store(business_kind="salon")
    db.session.add(Membership(user_id=ravi_owner(store).id, store_id=salon.id, role="cashier"))
    db.session.commit()
    return RealRows(
        path_for={"/api/v1/billing/{store_id}/appointments": {"store_id": salon.uid}},
        path={"store_id": store.uid, "bill_id": bill, "held_id": held, **jewellery_path},
        query_id={"/api/products/": product, "/api/parties/": party, "/api/expenses/": expense,
                  "/api/billing/": namaste_bill},
        fields={"category": 1, "item": product, "party": party, "payment_method": 1,
                "preferred_payment_method": 1, "customer_id": customer},
        item_uids=items, bodies=bodies, queries=queries,
    )


def ravi_owner(store):
    from models import Membership

    return db.session.execute(db.select(Membership).filter_by(store_id=store.id, role="owner")).scalars().first().user


def case_strategy(operation, rows: RealRows, mode: GenerationMode):
    """Examples with the real store; for ids in the path or `?id=`, half real rows and half generated ones."""
    names = re.findall(r"{(\w+)}", operation.path)
    given = {**rows.path, **rows.path_for.get(operation.path, {})}
    always = {name: given[name] for name in names if name == "store_id"}
    real = {name: given[name] for name in names}
    variants = [operation.as_strategy(mode, path_parameters=always or None)]
    if mode == GenerationMode.POSITIVE:  # the document's own examples (Billing v1's worked bill) as they stand
        variants += operation.get_strategies_from_examples(path_parameters=real or None)
    if real != always:
        variants.append(operation.as_strategy(mode, path_parameters=real))
    if mode == GenerationMode.POSITIVE and operation.path in rows.bodies:
        media = "multipart/form-data" if operation.path == "/add-invoice" else None
        variants.append(operation.as_strategy(mode, body=rows.bodies[operation.path], media_type=media))
    if mode == GenerationMode.POSITIVE and operation.path in rows.queries:
        variants.append(operation.as_strategy(mode, query=rows.queries[operation.path]))
    if operation.path in rows.query_id and operation.method.upper() in ("PUT", "DELETE"):
        variants.append(operation.as_strategy(mode, query={"id": rows.query_id[operation.path]}))
    return st.one_of(variants)


def with_real_ids(value: Any, rows: RealRows) -> Any:
    """The generated body with every catalogue / customer / category / party reference pointing at a real row."""
    if isinstance(value, list):
        return [with_real_ids(item, rows) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: with_real_ids(item, rows) for key, item in value.items()}
    for key in out.keys() & rows.fields.keys():
        # Integer ids (category, item, party ...) and the customer's uid; an expense's category is a word.
        if isinstance(out[key], int) and not isinstance(out[key], bool) or key == "customer_id":
            out[key] = rows.fields[key]
    if "line_no" in out and out.get("type") in rows.item_uids:
        out["id"] = rows.item_uids[out["type"]]
    return out


def exercised(path: str, statuses: Counter) -> bool:
    """True when some example got past authentication (and, unless the form refuses strangers, succeeded)."""
    if path in REFUSED_ONLY:  # public forms: a refusal of the generated stranger (or a bad token) is the answer
        return any(400 <= status < 500 and status != 403 for status in statuses)
    return any(200 <= status < 300 for status in statuses)


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_generated_requests_conform_to_the_document(app, backend, shop, real_rows, operation):
    """Valid examples: no 5xx, a documented status, a body matching its schema; and some of them succeed."""
    statuses: Counter = Counter()

    @given(case=case_strategy(operation, real_rows, GenerationMode.POSITIVE))
    @settings(max_examples=MAX_EXAMPLES if backend == "sqlite" else PG_EXAMPLES, **SETTINGS)
    def run(case):
        if isinstance(case.body, (dict, list)):
            case.body = with_real_ids(case.body, real_rows)
        response = case.call_and_validate(app=app, headers=shop.headers, checks=POSITIVE_CHECKS)
        statuses[response.status_code] += 1

    run()
    if backend == "sqlite":  # 25 examples there; PostgreSQL's 5 only look for what that database alone refuses
        assert exercised(operation.path, statuses), dict(statuses)


QUERY_OPERATIONS = [op for op in OPERATIONS if any(p.location == "query" for p in op.query)
                    and op.method.upper() == "GET"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("operation", QUERY_OPERATIONS, ids=lambda op: op.label)
def test_query_parameters_the_document_calls_invalid_are_refused(app, shop, real_rows, operation):
    """A page of 0, a limit of 101, a sort key not in the enum ...: each gets a documented 4xx, never a 200.

    Path and headers are fixed (the real store, the owner's token), so only the query is made invalid.
    """
    names = re.findall(r"{(\w+)}", operation.path)
    strategy = operation.as_strategy(GenerationMode.NEGATIVE, path_parameters={n: real_rows.path[n] for n in names}
                                     or None, headers=dict(shop.headers))

    @given(case=strategy)
    @settings(max_examples=NEGATIVE_EXAMPLES, **SETTINGS)
    def run(case):
        case.call_and_validate(app=app, headers=shop.headers, checks=NEGATIVE_CHECKS)

    run()


# --------------------------------------------------------------------------- the paging edges the document states


V1_PAGED = ["/bills", "/bills/held", "/catalog", "/customers"]


@pytest.mark.parametrize("path", V1_PAGED)
@pytest.mark.parametrize("query, field", [("page=2147483648", "page"), ("page=99999999999999999999", "page"),
                                          ("page=0", "page"), ("limit=0", "limit"), ("limit=101", "limit")])
def test_billing_v1_refuses_a_page_or_limit_outside_the_documented_range(shop, real_rows, path, query, field):
    response = shop.get(f"/api/v1/billing/{real_rows.path['store_id']}{path}?{query}")
    assert response.status_code == 400
    assert field in response.get_json()["errors"]
    largest = shop.get(f"/api/v1/billing/{real_rows.path['store_id']}{path}?page=2147483647&limit=100")
    data = largest.get_json()["data"]
    assert largest.status_code == 200 and data.get("items", data.get("held")) == []


def test_namaste_page_size_is_read_leniently_as_documented(shop, real_rows):
    """page_size=0 gives one result a page, 1000 gives 100, a word gives the default; nothing is refused."""
    for size, expected in (("0", 1), ("-5", 1), ("1000", 100), ("ten", 10)):
        response = shop.get(f"/api/categories/?page_size={size}")
        assert response.status_code == 200
        assert len(response.get_json()["results"]) == min(expected, response.get_json()["count"])
    assert shop.get("/api/categories/?page=2147483648").get_json() == {"detail": "Invalid page."}
