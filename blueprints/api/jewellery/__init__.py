"""Jewellery API (../shared/seeds/001_bc50bf4c3035272a.txt): views here; parse.py and serialize.py join them as the
contract's routes land, as in blueprints/api/namaste and blueprints/api/billing_v1."""
from blueprints.api.jewellery.views import bp

__all__ = ["bp"]
