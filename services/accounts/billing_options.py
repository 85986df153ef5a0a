"""A store's billing options, kept in Store.settings (JSON) and read by save_bill, the engine and every page.

    prices_include_tax        new products' default for Product.price_includes_tax (MRP pricing); default off
    round_off                 round each bill's grand total to the nearest rupee ("Round off" line); default off
    bill_discount_before_tax  spread bill discounts and coupons over the lines before tax (CGST Act s.15(3));
                              default off, which is the Billing v1 contract's arithmetic
    print_receipt_after_save  the till prints the 80 mm receipt by itself after each Save (a hidden frame that
                              opens the print dialog, or prints at once under Chrome's --kiosk-printing); default off
    scale_barcode             weighing-scale EAN-13 labels: {"prefix": "21", "item_digits": 5,
                              "value": "weight" | "price"} or None (off)
    hallmark_mandatory        selling a gold piece of 2 g net or more without a HUID is refused (jewellery
                              add-invoice); default ON, since BIS hallmarking is mandatory in most districts
    loyalty_per_100           loyalty points a customer earns per ₹100 paid on a bill (0: no loyalty scheme)
    loyalty_point_value       what a point is worth in rupees when redeemed at the till (0: points cannot be redeemed)

services.accounts.store_settings.update_store_settings is the one place they are changed (web page and API).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from models import Store

FLAGS = ("prices_include_tax", "round_off", "bill_discount_before_tax", "print_receipt_after_save",
         "hallmark_mandatory")
ON_FLAGS = ("hallmark_mandatory",)  # flags that are on unless the store turned them off
SCALE_KEYS = ("prefix", "item_digits", "value")
SCALE_VALUES = ("weight", "price")
SCALE_PREFIX = re.compile(r"^[0-9]{1,3}$")
ITEM_DIGITS = (4, 5, 6)
EAN13 = 13
LOYALTY = {"loyalty_per_100": Decimal(100), "loyalty_point_value": Decimal(1000)}  # setting -> its largest value


@dataclass(frozen=True)
class ScaleBarcode:
    prefix: str  # the EAN-13's first digits that mark a scale label, e.g. "21" (commonly 20-29)
    item_digits: int  # how many digits after the prefix name the item (its barcode/PLU), e.g. 5
    value: str  # "weight": the value digits are grams; "price": they are paise

    @property
    def value_digits(self) -> int:
        """Digits left for the weight or price: 13 less the prefix, the item code and the check digit."""
        return EAN13 - 1 - len(self.prefix) - self.item_digits

    def as_json(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "item_digits": self.item_digits, "value": self.value}


@dataclass(frozen=True)
class BillingOptions:
    prices_include_tax: bool = False
    round_off: bool = False
    bill_discount_before_tax: bool = False
    print_receipt_after_save: bool = False
    scale_barcode: Optional[ScaleBarcode] = None
    hallmark_mandatory: bool = True
    loyalty_per_100: Decimal = Decimal("0.00")
    loyalty_point_value: Decimal = Decimal("0.00")


def _decimal(raw: Any) -> Decimal:
    try:
        return Decimal(str(raw)) if raw is not None else Decimal("0.00")
    except InvalidOperation:
        return Decimal("0.00")


def billing_options(store: Store) -> BillingOptions:
    settings: dict[str, Any] = store.settings or {}
    scale = settings.get("scale_barcode")
    return BillingOptions(
        **{flag: bool(settings.get(flag, flag in ON_FLAGS)) for flag in FLAGS},
        scale_barcode=ScaleBarcode(str(scale["prefix"]), int(scale["item_digits"]), str(scale["value"]))
        if isinstance(scale, dict) else None,
        **{name: _decimal(settings.get(name)) for name in LOYALTY},
    )


def check_loyalty(name: str, raw: Any) -> tuple[Optional[Decimal], Optional[str]]:
    """A loyalty setting as given (a number or numeric text from 0 to its largest value, 2 decimals at most)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        return None, "Must be a number."
    try:
        value = Decimal(str(raw).strip() or "0")
    except InvalidOperation:
        return None, "Must be a number."
    if not value.is_finite() or not 0 <= value <= LOYALTY[name]:
        return None, f"Must be from 0 to {LOYALTY[name]}."
    if value.as_tuple().exponent < -2:
        return None, "At most 2 decimal places."
    return value.quantize(Decimal("0.01")), None


def check_scale_barcode(raw: Any) -> tuple[Optional[ScaleBarcode], dict[str, list[str]]]:
    """The scale label setting as given ({"prefix", "item_digits", "value"} or None for off), and its problems
    keyed "scale_barcode.<key>". item_digits may be an int or a string of digits (a web form sends text)."""
    if raw is None:
        return None, {}
    if not isinstance(raw, dict):
        return None, {"scale_barcode": ["Must be an object with prefix, item_digits and value, or null (off)."]}
    errors: dict[str, list[str]] = {}
    for key in raw:
        if key not in SCALE_KEYS:
            errors.setdefault(f"scale_barcode.{key}", []).append("Unknown field.")
    prefix, digits, value = raw.get("prefix"), raw.get("item_digits"), raw.get("value")
    if prefix is None or prefix == "":
        errors["scale_barcode.prefix"] = ["This field is required."]
    elif not isinstance(prefix, str) or not SCALE_PREFIX.match(prefix):
        errors["scale_barcode.prefix"] = ["Use 1 to 3 digits, e.g. 21 (scale labels commonly start with 20 to 29)."]
    if isinstance(digits, str) and digits.strip().isdigit():
        digits = int(digits)
    if digits is None or digits == "":
        errors["scale_barcode.item_digits"] = ["This field is required."]
    elif isinstance(digits, bool) or not isinstance(digits, int) or digits not in ITEM_DIGITS:
        errors["scale_barcode.item_digits"] = ["Must be 4, 5 or 6 (the digits of the item code)."]
    if value is None or value == "":
        errors["scale_barcode.value"] = ["This field is required."]
    elif value not in SCALE_VALUES:
        errors["scale_barcode.value"] = ['Must be "weight" (grams) or "price" (paise).']
    if errors:
        return None, errors
    return ScaleBarcode(prefix, digits, value), {}
