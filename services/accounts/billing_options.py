"""A store's billing options, kept in Store.settings (JSON) and read by save_bill, the engine and every page.

    prices_include_tax        new products' default for Product.price_includes_tax (MRP pricing); default off
    round_off                 round each bill's grand total to the nearest rupee ("Round off" line); default off
    bill_discount_before_tax  spread bill discounts and coupons over the lines before tax (CGST Act s.15(3));
                              default off, which is the Billing v1 contract's arithmetic
    scale_barcode             weighing-scale EAN-13 labels: {"prefix": "21", "item_digits": 5,
                              "value": "weight" | "price"} or None (off)

services.accounts.store_settings.update_store_settings is the one place they are changed (web page and API).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from models import Store

FLAGS = ("prices_include_tax", "round_off", "bill_discount_before_tax")


@dataclass(frozen=True)
class ScaleBarcode:
    prefix: str  # the EAN-13's first digits that mark a scale label, e.g. "21" (commonly 20-29)
    item_digits: int  # how many digits after the prefix name the item (its barcode/PLU), e.g. 5
    value: str  # "weight": the value digits are grams; "price": they are paise


@dataclass(frozen=True)
class BillingOptions:
    prices_include_tax: bool = False
    round_off: bool = False
    bill_discount_before_tax: bool = False
    scale_barcode: Optional[ScaleBarcode] = None


def billing_options(store: Store) -> BillingOptions:
    settings: dict[str, Any] = store.settings or {}
    scale = settings.get("scale_barcode")
    return BillingOptions(
        **{flag: bool(settings.get(flag, False)) for flag in FLAGS},
        scale_barcode=ScaleBarcode(str(scale["prefix"]), int(scale["item_digits"]), str(scale["value"]))
        if isinstance(scale, dict) else None,
    )
