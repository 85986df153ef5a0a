"""Coupons pages (issue 15)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("coupons", __name__, url_prefix="/coupons")
