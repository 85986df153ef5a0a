"""The OpenAPI document of all three surfaces and a vendored Swagger UI."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api_docs", __name__)
