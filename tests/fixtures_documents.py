"""Bills made directly through the models for the document tests (independent of the billing service), and helpers
that read PDFs back with poppler-utils (pdftotext, pdfinfo, pdftoppm, pdfimages) and QR codes with zbarimg.

Imported by the document test modules (`from tests.fixtures_documents import ...`), not a conftest plugin.
"""
from __future__ import annotations

import base64
import re
import shutil
import subprocess
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Optional

import pytest

from extensions import db
from models import Bill, BillItem, Payment

CENT = Decimal("0.01")
MONEY_RE = re.compile(r"₹[0-9,]+\.[0-9]{2}")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def price_line(rate: str, qty: int = 1, discount_type: str = "flat", discount_value: str = "0",
               cgst: str = "9", sgst: str = "9") -> dict[str, Decimal]:
    """The DESIGN pricing rule for one line, written out independently of services/billing/bills.py."""
    base = _money(Decimal(rate) * qty)
    if discount_type == "percent":
        discount = _money(base * Decimal(discount_value) / 100)
    else:
        discount = min(_money(Decimal(discount_value)), base)
    taxable = base - discount
    cgst_amount = _money(taxable * Decimal(cgst) / 100)
    sgst_amount = _money(taxable * Decimal(sgst) / 100)
    return {"base_amount": base, "discount_amount": discount, "taxable_amount": taxable,
            "cgst_amount": cgst_amount, "sgst_amount": sgst_amount,
            "line_total": taxable + cgst_amount + sgst_amount}


@pytest.fixture
def make_bill(app):
    """make_bill(store, lines=[{name, rate, qty, hsn_code, discount_type, discount_value, cgst, sgst, **jewellery}],
    kind="sale", party=None, payments=["100.00", ...], discount="0", cancelled=False, **bill fields) -> Bill."""
    counter = {"n": 0}

    def factory(store, lines: Optional[list[dict[str, Any]]] = None, kind: str = "sale", party=None,
                payments: tuple[str, ...] | list[str] = (), discount: str = "0", cancelled: bool = False,
                **fields) -> Bill:
        counter["n"] += 1
        lines = lines if lines is not None else [{"name": "Tata Salt 1kg", "rate": "28.00", "qty": 2}]
        bill = Bill(
            store_id=store.id, kind=kind, source="pos",
            invoice_number=fields.pop("invoice_number", f"INV2025{counter['n']:05d}"),
            fy=2025, seq=counter["n"], invoice_date=fields.pop("invoice_date", date(2025, 9, 26)),
            billing_timestamp=datetime(2025, 9, 26, 6, 0, tzinfo=timezone.utc),
            party_id=party.id if party is not None else None, **fields,
        )
        if kind == "sale" and party is not None and party.customer is not None:  # as save_bill snapshots the buyer
            bill.buyer_gstin = fields.get("buyer_gstin", party.customer.gstin)
            bill.buyer_state = fields.get("buyer_state", party.customer.state_code)
        sub_total = cgst_total = sgst_total = Decimal("0.00")
        for number, spec in enumerate(lines, start=1):
            spec = dict(spec)
            cgst, sgst = spec.pop("cgst", "9"), spec.pop("sgst", "9")
            rate, qty = spec.pop("rate"), spec.pop("qty", 1)
            discount_type, discount_value = spec.pop("discount_type", "flat"), spec.pop("discount_value", "0")
            amounts = price_line(rate, qty, discount_type, discount_value, cgst, sgst)
            bill.items.append(BillItem(
                line_no=number, name=spec.pop("name"), hsn_code=spec.pop("hsn_code", "2501"),
                unit=spec.pop("unit", "pcs"), qty=qty, rate=Decimal(rate), discount_type=discount_type,
                discount_value=Decimal(discount_value), cgst_rate=Decimal(cgst), sgst_rate=Decimal(sgst),
                type="product", **amounts, **spec,
            ))
            sub_total += amounts["line_total"]
            cgst_total += amounts["cgst_amount"]
            sgst_total += amounts["sgst_amount"]
        total = max(sub_total - Decimal(discount), Decimal("0.00"))
        paid = sum((Decimal(amount) for amount in payments), Decimal("0.00"))
        for amount in payments:
            bill.payments.append(Payment(
                mode="upi" if len(bill.payments) % 2 == 0 else "cash", amount=Decimal(amount), reference="UPI-TXN-1",
                timestamp=datetime(2025, 9, 26, 6, 5, tzinfo=timezone.utc)))
        bill.sub_total, bill.discount = sub_total, Decimal(discount)
        bill.cgst_amount, bill.sgst_amount, bill.tax = cgst_total, sgst_total, cgst_total + sgst_total
        bill.total_amount, bill.paid_amount, bill.due_amount = total, paid, total - paid
        bill.status = "paid" if bill.due_amount == 0 else ("partial" if paid > 0 else "unpaid")
        if cancelled:
            bill.cancelled_at = datetime(2025, 9, 27, 5, 0, tzinfo=timezone.utc)
            bill.cancel_reason = "Customer returned the goods"
        db.session.add(bill)
        db.session.commit()
        return bill

    return factory


# --------------------------------------------------------------------------- reading documents back


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: apt-get install poppler-utils zbar-tools (.ci/run does)")
    return path


def pdf_text(data: bytes, page: Optional[int] = None) -> str:
    """The PDF's text in drawing order (pdftotext -raw keeps a wrapped table cell together); one page if given."""
    args = [need("pdftotext"), "-raw", "-enc", "UTF-8"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run(args + ["-", "-"], input=data, capture_output=True, check=True).stdout.decode("utf-8")


def pdf_pages(data: bytes) -> int:
    info = subprocess.run([need("pdfinfo"), "-"], input=data, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def pdf_page_size(data: bytes) -> tuple[float, float]:
    """Width and height of the first page in points (A4 portrait is 595 x 842)."""
    info = subprocess.run([need("pdfinfo"), "-"], input=data, capture_output=True, check=True).stdout.decode()
    width, height = re.search(r"^Page size:\s+([0-9.]+) x ([0-9.]+)", info, re.M).groups()
    return float(width), float(height)


def pdf_image_count(data: bytes, tmp_path: Path) -> int:
    source = tmp_path / "images.pdf"
    source.write_bytes(data)
    listing = subprocess.run([need("pdfimages"), "-list", str(source)], capture_output=True, check=True).stdout.decode()
    return max(0, len(listing.strip().splitlines()) - 2)


def pdf_fonts(data: bytes, tmp_path: Path) -> str:
    source = tmp_path / "fonts.pdf"
    source.write_bytes(data)
    return subprocess.run([need("pdffonts"), str(source)], capture_output=True, check=True).stdout.decode()


def decode_qr_png(png: bytes, tmp_path: Path) -> list[str]:
    """Every QR code zbarimg finds in a PNG, as text."""
    image = tmp_path / "qr-image.png"
    image.write_bytes(png)
    result = subprocess.run([need("zbarimg"), "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
                            capture_output=True)
    # zbarimg exits 4 when it found no code at all.
    assert result.returncode in (0, 4), result.stderr.decode(errors="replace")
    return [line for line in result.stdout.decode("utf-8").splitlines() if line]


def decode_pdf_qr(data: bytes, tmp_path: Path, page: int = 1) -> list[str]:
    """Rasterise one page of the PDF (pdftoppm, 200 dpi) and read its QR codes back."""
    source = tmp_path / "qr.pdf"
    source.write_bytes(data)
    subprocess.run([need("pdftoppm"), "-r", "200", "-f", str(page), "-l", str(page), "-png", "-singlefile",
                    str(source), str(tmp_path / "qr-page")], check=True, capture_output=True)
    return decode_qr_png((tmp_path / "qr-page.png").read_bytes(), tmp_path)


def data_uri_images(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def money_in(text: str) -> set[str]:
    return set(MONEY_RE.findall(text))


def login(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
