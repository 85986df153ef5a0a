"""The OpenAPI document: every JSON route is in it, its schemas are the real ones, and Swagger UI is vendored."""
from __future__ import annotations

import re

import pytest

from blueprints.api.common import JEWELLERY, surface_for

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def documented_routes(app) -> set[tuple[str, str]]:
    """(path in OpenAPI form, method) for every route under /api and the jewellery root paths."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/") or surface_for(rule.rule) == JEWELLERY):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - IGNORED_METHODS:
            routes.add((path, method.lower()))
    return routes


def test_every_api_route_is_in_the_document(client, app):
    document = client.get("/api/openapi.json").get_json()
    routes = documented_routes(app)
    assert ("/api/products/", "get") in routes  # the walk really sees the API
    missing = sorted((path, method) for path, method in routes if method not in document["paths"].get(path, {}))
    assert missing == [], f"routes missing from blueprints/api/openapi_spec.py: {missing}"


def test_the_document_lists_no_route_that_does_not_exist(client, app):
    document = client.get("/api/openapi.json").get_json()
    routes = documented_routes(app)
    extra = sorted((path, method) for path, operations in document["paths"].items() for method in operations
                   if (path, method) not in routes)
    assert extra == []


def test_document_is_openapi_3_1_with_bearer_auth_and_public_auth_endpoints(client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["paths"]["/api/login/"]["post"]["security"] == []
    assert "security" not in document["paths"]["/api/products/"]["get"]


def test_namaste_schemas_carry_the_contract_fields(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert set(schemas["Product"]["required"]) == {"id", "user", "product_name", "category", "product_Img",
                                                   "unit_price", "quantity", "description"}
    assert set(schemas["ProductCreate"]["required"]) == {"product_name", "category", "unit_price", "quantity"}
    assert "credit_limmit" in schemas["Customer"]["properties"]
    assert schemas["ExpenseCreate"]["properties"]["category"]["enum"][0] == "Rent"
    assert schemas["Billing"]["properties"]["invoice_status"]["enum"] == ["Paid", "Unpaid", "Pending", "Draft"]
    assert schemas["BillingCreate"]["properties"]["items"]["minItems"] == 1


def test_swagger_ui_is_served_from_vendored_files_only(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "/static/vendor/swagger-ui/swagger-ui.css" in html
    assert 'data-spec-url="/api/openapi.json"' in html
    assert "http://" not in html and "https://" not in html
    for asset in ("vendor/swagger-ui/swagger-ui-bundle.js", "vendor/swagger-ui/swagger-ui.css", "js/swagger-init.js"):
        assert client.get(f"/static/{asset}").status_code == 200
    assert "validatorUrl: null" in client.get("/static/js/swagger-init.js").get_data(as_text=True)


@pytest.mark.parametrize("app_config_overrides", [{"PUBLIC_BASE_URL": "https://shop.example.in/"}])
def test_document_names_the_public_server_when_configured(client):
    assert client.get("/api/openapi.json").get_json()["servers"] == [{"url": "https://shop.example.in"}]
