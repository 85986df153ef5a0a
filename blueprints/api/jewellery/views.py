"""The jewellery API (docs/contracts/001_bc50bf4c3035272a.txt) will live here, at the contract's root paths.

Only the (empty) blueprint exists so far; no jewellery route is served yet.
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("jewellery", __name__)
