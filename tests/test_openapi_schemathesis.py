"""Schemathesis against the OpenAPI document: generated requests to every operation cause no server error, and
the NamastePMS answers match the document's response schemas and status codes.

Each operation is its own test (so a failure names it), with a bounded number of examples (MAX_EXAMPLES) and a
fixed seed, so the whole run stays well under a minute per database.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from blueprints.api.openapi_spec import build_document

MAX_EXAMPLES = 8
SCHEMA = schemathesis.openapi.from_dict(build_document())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def checks_for(path: str) -> list:
    checks = [not_a_server_error]
    if path.startswith("/api/") and not path.startswith("/api/v1/") and path != "/api/docs":
        checks += [response_schema_conformance, status_code_conformance]
    return checks


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_generated_requests_cause_no_server_error(app, shop, operation):
    shop.post("/api/products/", {"product_name": "Widget", "category": 1, "unit_price": "10.00", "quantity": 50})
    shop.post("/api/parties/", {"Category_type": "Customer", "name": "Asha"})
    checks = checks_for(operation.path)

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(app=app, headers=shop.headers, checks=checks)

    run()
