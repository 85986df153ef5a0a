"""Units a product is sold in, and the one rule for a quantity in them.

Pieces (`pcs`) are whole; measured units (kg, g, l, ml, m) take up to three decimals. Stock, bill-line quantities
and stock moves are Numeric(12,3) for all of them, and each surface shows a piece count as a whole number.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional, Union

from services.bounds import MAX_QTY
from services.vocabulary import MEASURED_UNITS, PCS, UNITS

THOUSANDTH = Decimal("0.001")

__all__ = ["MEASURED_UNITS", "PCS", "UNITS", "is_measured", "qty_problem", "qty_out"]


def is_measured(unit: Optional[str]) -> bool:
    return unit in MEASURED_UNITS


def qty_problem(value: Any, unit: Optional[str]) -> Optional[str]:
    """Why `value` cannot be a line quantity in `unit`, or None. Numbers only (parsing is the surface's job)."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return "Must be a number"
    number = Decimal(value)
    if not number.is_finite():
        return "Must be a number"
    if is_measured(unit):
        if number <= 0:
            return "Quantity must be more than 0"
        if number.as_tuple().exponent < -3 and number != number.quantize(THOUSANDTH):
            return f"At most 3 decimal places for a quantity in {unit}"
    else:
        if number != number.to_integral_value():
            return "Quantity must be a whole number of at least 1"  # pieces are whole (1.5 pcs is refused)
        if number < 1:
            return "Quantity must be a whole number of at least 1"
    if number > MAX_QTY:
        return f"Quantity must be at most {MAX_QTY}"
    return None


def qty_out(value: Union[int, Decimal, None], unit: Optional[str] = PCS) -> Union[int, Decimal, None]:
    """A quantity as the surfaces show it: an int for whole pieces, else a Decimal with its three decimals trimmed
    of trailing zeros (0.750 kg -> 0.75; stock 12.000 kg -> 12)."""
    if value is None:
        return None
    number = Decimal(value)
    if number == number.to_integral_value():
        return int(number)
    return number.quantize(THOUSANDTH).normalize()
