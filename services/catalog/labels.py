"""Barcode labels: an A4 sheet of price labels (name, price, barcode) and in-house EAN-13s for items without one.

The sheet is 3 x 8 labels (70 x 37 mm, the common A4 label stock), drawn with reportlab (which comes with
xhtml2pdf); each barcode is python-barcode's rendering (EAN-13 when the item's barcode is a valid EAN-13, else
Code 128 of its barcode or SKU), never hand-drawn bars.

In-house EAN-13 (`assign_barcode`): GS1 keeps prefixes 20-29 for numbers used inside one shop. A code is
    PP SSS NNNNNNN C
PP the in-house prefix: "29", or the next of 28, 27 ... 20, 04 that cannot be read as the store's weighing-scale
label (services/catalog/scale.py: a code starting with the scale prefix would be parsed as weight or price), SSS
the store id mod 1000, NNNNNNN the product id (or, once taken, the next free number), C the EAN-13 check digit.
Unique in the store (the product table's unique barcode, and a conditional UPDATE for a concurrent assigner).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from sqlalchemy import select, update

from extensions import db
from models import Product, Store, User, utcnow
from services import audit
from services.accounts.access import require_role
from services.accounts.billing_options import billing_options
from services.catalog.scale import ean13_check_digit
from services.errors import Conflict, FieldErrors, ValidationError
from services.formatting import inr

if TYPE_CHECKING:
    from reportlab.pdfgen import canvas

# ReportLab and python-barcode (with PIL) are imported by the functions that draw, so a worker that never prints
# labels does not carry them (docs/performance.md "One worker's memory"). ReportLab's mm and A4, the same arithmetic
# (tests/test_lazy_imports.py holds them equal):
mm = 72.0 / 2.54 * 0.1
A4 = (210 * mm, 297 * mm)
COLUMNS, ROWS = 3, 8
LABEL_W, LABEL_H = 70 * mm, 37 * mm
TOP_MARGIN = (A4[1] - ROWS * LABEL_H) / 2
LEFT_MARGIN = (A4[0] - COLUMNS * LABEL_W) / 2
MAX_LABELS = 2400  # 100 sheets
IN_HOUSE_PREFIXES = ("29", "28", "27", "26", "25", "24", "23", "22", "21", "20", "04")
FONT = "NotoSans"
FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"


# --------------------------------------------------------------------------- EAN-13


def is_ean13(code: Optional[str]) -> bool:
    """13 digits with a right check digit."""
    return (code is not None and len(code) == 13 and code.isascii() and code.isdigit()
            and int(code[12]) == ean13_check_digit(code[:12]))


def in_house_prefix(store: Store) -> str:
    """The first in-house prefix that a scale label of this store can never start with (nor be started by)."""
    layout = billing_options(store).scale_barcode
    scale = layout.prefix if layout is not None else None
    for prefix in IN_HOUSE_PREFIXES:
        if scale is None or not (prefix.startswith(scale) or scale.startswith(prefix)):
            return prefix
    raise ValidationError.field("barcode", "No in-house prefix is free of the scale label prefix")  # pragma: no cover


def in_house_code(prefix: str, store_id: int, number: int) -> str:
    """PP SSS NNNNNNN plus the check digit."""
    first12 = f"{prefix}{store_id % 1000:03d}{number:07d}"
    return first12 + str(ean13_check_digit(first12))


def _taken(store: Store, code: str) -> bool:
    return db.session.execute(
        select(Product.id).where(Product.store_id == store.id, Product.barcode == code).limit(1)).first() is not None


def assign_barcode(store: Store, user: User, product: Product) -> str:
    """Give an item without a barcode an in-house EAN-13 (owners and managers); returns it."""
    require_role(user, store, "manager")
    if product.barcode:
        raise Conflict(f"{product.product_name} already has the barcode {product.barcode}")
    prefix = in_house_prefix(store)
    number = product.id % 10**7
    code = in_house_code(prefix, store.id, number)
    while _taken(store, code):  # typed by hand earlier, or another item's number after wrapping
        number = (number + 1) % 10**7
        code = in_house_code(prefix, store.id, number)
    # Conditional: an item given a barcode meanwhile (another manager, the products page) keeps it.
    result = db.session.execute(update(Product).where(Product.id == product.id, Product.barcode.is_(None))
                                .values(barcode=code, updated_at=utcnow()))
    if result.rowcount != 1:
        raise Conflict(f"{product.product_name} was given a barcode meanwhile")
    db.session.expire(product, ["barcode", "updated_at"])
    audit.record("assign_barcode", "product", product.id, store_id=store.id, user_id=user.id,
                 before={"barcode": None}, after={"barcode": code})
    db.session.flush()
    return code


# --------------------------------------------------------------------------- the sheet


@dataclass(frozen=True)
class LabelRequest:
    product: Product
    copies: int


def label_problems(requests: list[LabelRequest]) -> FieldErrors:
    """Every problem at once, keyed "copies-<product id>" (or "products")."""
    errors = FieldErrors()
    if not any(r.copies > 0 for r in requests):
        errors.add("products", "Choose at least one item and how many labels")
    if sum(max(r.copies, 0) for r in requests) > MAX_LABELS:
        errors.add("products", f"At most {MAX_LABELS} labels at a time")
    for r in requests:
        if r.copies < 0:
            errors.add(f"copies-{r.product.id}", "Must be 0 or more")
        elif r.copies and not (r.product.barcode or r.product.sku):
            errors.add(f"copies-{r.product.id}", f"{r.product.product_name} has no barcode or SKU: give it one first")
    return errors


def symbology(code: str) -> str:
    return "ean13" if is_ean13(code) else "code128"


# Two pixels per bar module (0.2 mm at 254 dpi): the image stays small (a sheet of 240 different codes is drawn in
# about a second) and the PDF scales it up without blurring a bar edge (no interpolation).
MODULE_MM = 0.2
MODULE_DPI = 254


def barcode_image(code: str):
    """python-barcode's rendering of the code (EAN-13 if valid, else Code 128): a 1-bit PIL image, two pixels a
    module, without the human-readable text (the label prints the code itself)."""
    import barcode
    from barcode.writer import ImageWriter

    symbol = barcode.get(symbology(code), code, writer=ImageWriter(mode="1"))
    return symbol.render({"module_width": MODULE_MM, "module_height": 12.0, "quiet_zone": 3.0, "write_text": False,
                          "dpi": MODULE_DPI})


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONTS / "NotoSans-Regular.ttf")))
    return FONT


def _fit(text: str, font: str, size: float, width: float) -> str:
    from reportlab.pdfbase import pdfmetrics

    while text and pdfmetrics.stringWidth(text, font, size) > width:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text


def label_sheet(store: Store, requests: list[LabelRequest]) -> bytes:
    """The A4 PDF: each item's labels in the order given, 24 to a page; refused with every problem at once."""
    from reportlab.pdfgen import canvas

    label_problems(requests).raise_if()
    font = _font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(f"Labels · {store.name}")
    slot = 0
    for index, request in enumerate(requests):
        if not request.copies:
            continue
        # Each item's label is drawn once, as a form XObject, and placed on every slot it fills.
        name = f"label{index}"
        pdf.beginForm(name, lowerx=0, lowery=0, upperx=LABEL_W, uppery=LABEL_H)
        _draw_label(pdf, font, request.product)
        pdf.endForm()
        for _ in range(request.copies):
            if slot and slot % (COLUMNS * ROWS) == 0:
                pdf.showPage()
            column, row = slot % COLUMNS, (slot // COLUMNS) % ROWS
            pdf.saveState()
            pdf.translate(LEFT_MARGIN + column * LABEL_W, A4[1] - TOP_MARGIN - (row + 1) * LABEL_H)
            pdf.doForm(name)
            pdf.restoreState()
            slot += 1
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _draw_label(pdf: canvas.Canvas, font: str, product: Product) -> None:
    """One label with its lower left corner at (0, 0): name, price, the barcode image and the code in figures."""
    from reportlab.lib.utils import ImageReader

    code = product.barcode or product.sku
    pad = 4 * mm
    width = LABEL_W - 2 * pad
    pdf.setFont(font, 9)
    pdf.drawString(pad, LABEL_H - pad - 6, _fit(product.product_name, font, 9, width))
    suffix = "" if product.unit == "pcs" else f" / {product.unit}"
    tax = " incl. GST" if product.price_includes_tax else ""
    pdf.setFont(font, 11)
    pdf.drawString(pad, LABEL_H - pad - 19, f"{inr(Decimal(product.unit_price))}{suffix}{tax}")
    pdf.drawImage(ImageReader(barcode_image(code)), pad, pad + 9, width=width, height=16 * mm,
                  preserveAspectRatio=True, anchor="c")
    pdf.setFont(font, 8)
    pdf.drawCentredString(LABEL_W / 2, pad, code)
