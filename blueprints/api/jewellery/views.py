"""Jewellery bill and invoice API (../shared/seeds/001_bc50bf4c3035272a.txt), at the contract's root paths."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("jewellery", __name__)
