"""The inventory's web forms and their parsing into the catalogue's ProductInput.

The forms carry CSRF and keep what was typed; text is turned into numbers here (a surface's job), and every rule
(price not negative, rates 0-100, unique SKU and barcode, HSN shape, stock in the unit) is
services.catalog.products's: `product_input` hands on what it could read and `parse_errors` what it could not.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from models import PRODUCT_TYPES
from services.billing.fields import to_decimal
from services.catalog.units import UNITS
from services.errors import FieldErrors

DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}
IMAGE_KW = {"accept": "image/jpeg,image/png,image/webp"}
GST_SLABS = ("0", "5", "12", "18", "28", "3")
TYPE_CHOICES = [SelectChoice(kind, kind.capitalize()) for kind in PRODUCT_TYPES]
UNIT_LABELS = {"pcs": "Pieces", "kg": "Kilograms", "g": "Grams", "l": "Litres", "ml": "Millilitres", "m": "Metres"}
UNIT_CHOICES = [SelectChoice(unit, f"{UNIT_LABELS.get(unit, unit)} ({unit})") for unit in UNITS]
# form field -> ProductInput field, where they differ (gst_rate is split into cgst_rate and sgst_rate)
SERVICE_NAMES = {"name": "product_name", "price": "unit_price", "category": "category_id", "image": "product_Img",
                 "opening_stock": "quantity", "low_stock": "low_stock_threshold", "hsn": "hsn_code",
                 "duration": "duration_minutes"}
FORM_NAMES = {v: k for k, v in SERVICE_NAMES.items()} | {"cgst_rate": "gst_rate", "sgst_rate": "gst_rate"}


class ProductForm(FlaskForm):
    """Every field of a catalogue item (opening stock only when adding)."""

    name = StringField("Name", render_kw={"maxlength": 100, "autocomplete": "off"})
    type = SelectField("Kind", choices=TYPE_CHOICES, default="product")
    unit = SelectField("Sold in", choices=UNIT_CHOICES, default="pcs")
    price = StringField("Price (₹)", render_kw=DECIMAL)
    price_includes_tax = BooleanField("The price includes GST (MRP)")
    gst_rate = StringField("GST rate (%)", render_kw={**DECIMAL, "list": "gst-slabs"})
    hsn = StringField("HSN", render_kw={"inputmode": "numeric", "maxlength": 8})
    barcode = StringField("Barcode", render_kw={"maxlength": 64, "autocomplete": "off"})
    sku = StringField("SKU", render_kw={"maxlength": 50, "autocomplete": "off"})
    category = SelectField("Category", choices=[])
    low_stock = StringField("Low-stock level (blank: no alert)", render_kw={"inputmode": "numeric"})
    duration = StringField("Service length (minutes; the appointment book's default)",
                           render_kw={"inputmode": "numeric", "autocomplete": "off"})
    description = TextAreaField("Description", render_kw={"rows": 2})
    opening_stock = StringField("Opening stock", render_kw=DECIMAL)
    image = FileField("Photo (JPEG, PNG or WebP, at most 5 MB)", render_kw=IMAGE_KW)


def category_choices(categories) -> list[SelectChoice]:
    return [SelectChoice("", "None")] + [SelectChoice(str(c.id), c.name) for c in categories]


def _text(raw: Any) -> Optional[str]:
    return (raw or "").strip() or None


def _number(raw: Any, name: str, errors: FieldErrors, whole: bool = False) -> Optional[Decimal | int]:
    text = _text(raw)
    if text is None:
        return None
    number = to_decimal(text)
    if number is None or (whole and number != number.to_integral_value()):
        errors.add(name, "Enter a whole number." if whole else "Enter a number.")
        return None
    return int(number) if whole else number


def read_fields(raw: dict[str, Any], names: tuple[str, ...]) -> tuple[dict[str, Any], FieldErrors]:
    """The given form fields as ProductInput values, and the parse errors of those that are not numbers."""
    errors, values = FieldErrors(), {}
    for name in names:
        value = raw.get(name)
        if name in ("price", "opening_stock"):
            number = _number(value, name, errors)
            if name not in errors:  # a blank price is None (the service says it is required); blank stock is 0
                values[SERVICE_NAMES[name]] = number if number is not None or name == "price" else Decimal(0)
        elif name == "gst_rate":
            rate = _number(value, name, errors)
            if rate is None and not _text(value) and name not in errors:
                rate = Decimal(0)
            if rate is not None:
                half = rate / 2
                if half.as_tuple().exponent < -2 and half != half.quantize(Decimal("0.01")):
                    errors.add(name, "CGST and SGST (half the rate each) take at most 2 decimals.")
                else:
                    values["cgst_rate"] = values["sgst_rate"] = half
        elif name == "low_stock":
            number = _number(value, name, errors, whole=True)
            if name not in errors:
                values["low_stock_threshold"] = number
        elif name == "duration":  # blank keeps the length it has (30 minutes for a new item)
            number = _number(value, name, errors, whole=True)
            if number is not None:
                values["duration_minutes"] = number
        elif name == "category":
            text = _text(value)
            if text is not None and not (text.isdigit() and len(text) < 10):
                errors.add(name, "Choose a category from the list.")
            else:
                values["category_id"] = int(text) if text is not None else None
        elif name == "price_includes_tax":
            values[name] = value in ("y", "on", "true", "1", True)
        elif name in ("name", "description"):
            values[SERVICE_NAMES.get(name, name)] = (value or "").strip() if name == "name" else _text(value)
        elif name in ("type", "unit"):
            values[name] = _text(value) or ("product" if name == "type" else "pcs")
        else:  # sku, barcode, hsn: blank means none
            values[SERVICE_NAMES.get(name, name)] = _text(value)
    return values, errors


def form_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Service field names -> form field names; one message once (CGST and SGST share the GST box)."""
    shown: dict[str, list[str]] = {}
    for key, messages in errors.items():
        name = FORM_NAMES.get(key, key)
        for message in messages:
            if message not in shown.setdefault(name, []):
                shown[name].append(message)
    return shown
