"""Exporting a store's live products and their stock to CSV or XLSX, in the import template's columns (an export
can be edited and imported back in update mode).

Spreadsheet formula injection: a TEXT cell (name, SKU, category, description...) that starts with `=`, `+`, `-`,
`@`, a tab or a carriage return is written with a leading `'`, so a spreadsheet shows it as text and never runs it.
Numbers (price, rates, stock, threshold) come from numeric columns, never from typed text, and are written as
numbers (an XLSX number cell; in CSV their plain digits); a negative number cannot be a formula, so it is left as is.
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any, Iterator

from sqlalchemy.orm import joinedload

from extensions import db
from models import Product, Store, User
from services.accounts.access import require_role
from services.catalog.products import products_query
from services.catalog.units import qty_out

HEADERS = ["Name", "SKU", "Barcode", "Category", "Type", "Unit", "Price", "Price includes GST", "CGST %", "SGST %",
           "HSN", "Stock", "Low stock at", "Description"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet could run as a formula gets a leading apostrophe; numbers and None pass."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def _rows(store: Store) -> Iterator[list[Any]]:
    query = products_query(store).options(joinedload(Product.category)).execution_options(yield_per=1000)
    for p in db.session.execute(query).scalars():
        yield [neutralise(v) for v in (
            p.product_name, p.sku, p.barcode, p.category.name if p.category else None, p.type, p.unit,
            Decimal(p.unit_price), "yes" if p.price_includes_tax else "no", Decimal(p.cgst_rate),
            Decimal(p.sgst_rate), p.hsn_code, qty_out(p.quantity) if p.tracks_stock else None,
            p.low_stock_threshold, p.description)]


def export_csv(store: Store, user: User) -> str:
    """The store's products as CSV text (UTF-8 with a BOM is the caller's choice of encoding)."""
    require_role(user, store, "manager")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for row in _rows(store):
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def export_xlsx(store: Store, user: User) -> bytes:
    """The store's products as an XLSX workbook (write-only mode: memory stays flat for large catalogues)."""
    require_role(user, store, "manager")
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Products")
    sheet.append(HEADERS)
    for row in _rows(store):
        sheet.append(row)  # Decimals are written as number cells
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_csv(headers: list[str], example: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerow(example)
    return out.getvalue()


def template_xlsx(headers: list[str], example: list[str]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Products")
    sheet.append(headers)
    sheet.append(example)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
