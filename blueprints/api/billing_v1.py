"""Billing v1 API (../shared/seeds/002_af1ec0be52e1f232.txt), mounted at /api/v1."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("billing_v1", __name__, url_prefix="/api/v1")
