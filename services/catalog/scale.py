"""Weighing-scale labels: an EAN-13 printed by the shop's scale, read into a product and a quantity.

A label is 13 digits: the store's prefix (e.g. "21"), the item code (item_digits long: the product's barcode or
SKU, its PLU), the value (the rest before the check digit: grams for "weight" labels, paise for "price" labels)
and the EAN-13 check digit. The store's layout is services.accounts.billing_options.ScaleBarcode.

    parse_scale_barcode(code, layout)  -> ScaleReading or None (not a scale label); a wrong check digit raises
    scale_item(store, code)            -> (product, qty in the product's unit) or None; the till calls this
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

from models import Product, Store
from services.accounts.billing_options import ScaleBarcode, billing_options
from services.catalog.search import find_by_code
from services.catalog.units import MEASURED_UNITS
from services.errors import ValidationError

FIELD = "code"
QTY_PLACES = Decimal("0.001")
GRAMS_PER_UNIT = {"kg": 1000, "g": 1}  # units a weight label can be sold in


@dataclass(frozen=True)
class ScaleReading:
    item_code: str  # the label's item digits, as printed (leading zeros kept)
    value: str  # "weight" or "price"
    grams: Optional[int] = None  # weight labels
    price: Optional[Decimal] = None  # price labels: rupees, two decimals

    @property
    def kg(self) -> Optional[Decimal]:
        return (Decimal(self.grams) / 1000).quantize(QTY_PLACES) if self.grams is not None else None


def ean13_check_digit(first12: str) -> int:
    """The EAN-13 check digit of 12 digits: weights 1, 3, 1, 3... from the left."""
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(first12))
    return (10 - total % 10) % 10


def parse_scale_barcode(code: str, options: ScaleBarcode) -> Optional[ScaleReading]:
    """The label's item code and weight or price; None when the code is not a 13-digit label with the prefix.

    A label whose check digit is wrong (a misread or mistyped code) raises ValidationError rather than missing.
    """
    code = (code or "").strip()
    if len(code) != 13 or not code.isascii() or not code.isdigit() or not code.startswith(options.prefix):
        return None
    expected = ean13_check_digit(code[:12])
    if int(code[12]) != expected:
        raise ValidationError.field(FIELD, f"The scale label {code} has a wrong check digit (it should end in "
                                           f"{expected}): scan it again or type it carefully.")
    start = len(options.prefix)
    item_code = code[start:start + options.item_digits]
    number = int(code[start + options.item_digits:12])
    if number == 0:
        raise ValidationError.field(FIELD, f"The scale label {code} shows no {options.value}.")
    if options.value == "weight":
        return ScaleReading(item_code, "weight", grams=number)
    return ScaleReading(item_code, "price", price=(Decimal(number) / 100).quantize(Decimal("0.01")))


def _product_for(store: Store, item_code: str) -> Optional[Product]:
    """The item whose barcode or SKU is the label's item code, as printed or without its leading zeros (PLU 123
    prints as 00123)."""
    product = find_by_code(store, item_code)
    short = item_code.lstrip("0")
    if product is None and short and short != item_code:
        product = find_by_code(store, short)
    return product


def scale_item(store: Store, code: str) -> Optional[tuple[Product, Decimal]]:
    """A scale label scanned in this store: the product and its quantity in the product's unit (kg: 0.750).

    None when the store reads no scale labels, the code is not one, or an item has this very code as its barcode
    (it is scanned as itself). A wrong check digit, an unknown item code or a unit the label cannot measure raise
    ValidationError keyed "code".
    """
    layout = billing_options(store).scale_barcode
    if layout is None or find_by_code(store, code) is not None:
        return None
    reading = parse_scale_barcode(code, layout)
    if reading is None:
        return None
    product = _product_for(store, reading.item_code)
    if product is None:
        raise ValidationError.field(FIELD, f"No item has the scale code {reading.item_code} "
                                           f"(label {code.strip()}): give the item that barcode or SKU.")
    unit = (product.unit or "").strip().lower()
    if reading.grams is not None:
        if unit not in GRAMS_PER_UNIT:
            raise ValidationError.field(FIELD, f"{product.product_name} is sold by {unit or 'piece'}, not by "
                                               "weight: set its unit to kg or g.")
        qty = (Decimal(reading.grams) / GRAMS_PER_UNIT[unit]).quantize(QTY_PLACES)
    else:
        if unit not in MEASURED_UNITS:
            raise ValidationError.field(FIELD, f"{product.product_name} is sold by {unit or 'piece'}: a price "
                                               "label needs an item sold by kg, g, l, ml or m.")
        if product.unit_price <= 0:
            raise ValidationError.field(FIELD, f"{product.product_name} has no price, so the label's price "
                                               "cannot be turned into a quantity.")
        qty = (reading.price / product.unit_price).quantize(QTY_PLACES, rounding=ROUND_HALF_UP)
    if qty <= 0:
        raise ValidationError.field(FIELD, f"The scale label {code.strip()} comes to less than 0.001 "
                                           f"{unit} of {product.product_name}.")
    return product, qty
