"""The OpenAPI document of all three surfaces (/api/openapi.json) and a vendored Swagger UI (/api/docs)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from blueprints.api.common import json_response
from blueprints.api.openapi_spec import build_document

bp = Blueprint("api_docs", __name__)

SWAGGER_UI_VERSION = "5.35.0"


@bp.route("/api/openapi.json", methods=["GET"])
def openapi_document():
    """The OpenAPI 3.1 document, built from blueprints/api/openapi_spec.py."""
    document = build_document()
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        document["servers"] = [{"url": base.rstrip("/")}]
    return json_response(document)


@bp.route("/api/docs", methods=["GET"])
def swagger_ui():
    """Swagger UI reading /api/openapi.json; every file comes from static/vendor (no CDN)."""
    return render_template("api/docs.html", version=SWAGGER_UI_VERSION)
