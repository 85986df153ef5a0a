"""NamastePMS API (../shared/seeds/000_e4a737684d814818.txt), mounted at /api with DRF-style envelopes."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("namaste", __name__, url_prefix="/api")
