"""The jewellery contract's shapes, field by field (money and weights as strings, dates ISO)."""
from __future__ import annotations

from models import MetalRate
from services.jewellery.rates import RateBoardRow


def board_row_json(row: RateBoardRow) -> dict:
    quote = row.quote
    return {
        "metal": row.metal,
        "purity": row.purity,
        "fineness": row.fineness,
        "price_per_gram": f"{quote.price_per_gram:.2f}" if quote else None,
        "rate_date": quote.date.isoformat() if quote else None,
        "derived_from": quote.derived_from if quote else None,
    }


def rate_json(rate: MetalRate) -> dict:
    return {
        "date": rate.date.isoformat(),
        "metal": rate.metal,
        "purity": rate.purity_label,
        "price_per_gram": f"{rate.price_per_gram:.2f}",
    }
