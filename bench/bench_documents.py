"""Benchmark: median time to render a 20-line and a 200-line A4 tax invoice PDF, and the 80 mm receipt page.

Runs against a throwaway in-memory SQLite database with bills built directly through the models.
Usage: .venv/bin/python bench/bench_documents.py [--runs-20 N] [--runs-200 N] [--runs-receipt N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from config import TestConfig  # noqa: E402
from extensions import db  # noqa: E402
from models import Bill, BillItem, Payment  # noqa: E402
from services import documents  # noqa: E402
from services.accounts.stores import create_owner  # noqa: E402

CENT = Decimal("0.01")


def make_bill(store, lines: int, number: str) -> Bill:
    """A sale of `lines` lines at mixed GST rates, half paid (so the UPI QR is drawn)."""
    bill = Bill(store_id=store.id, kind="sale", invoice_number=number, invoice_date=date(2025, 9, 26),
                billing_timestamp=datetime(2025, 9, 26, 6, 0, tzinfo=timezone.utc), customer_name="Benchmark Customer")
    total = Decimal("0.00")
    for n in range(1, lines + 1):
        rate, qty, gst = Decimal(f"{n * 7 % 900 + 10}.50"), 1 + n % 4, Decimal(("0", "2.5", "6", "9")[n % 4])
        taxable = rate * qty
        tax = (taxable * gst / 100).quantize(CENT)
        bill.items.append(BillItem(line_no=n, name=f"Catalogue item number {n:03d}", hsn_code="2106", qty=qty,
                                   rate=rate, cgst_rate=gst, sgst_rate=gst, base_amount=taxable,
                                   taxable_amount=taxable, cgst_amount=tax, sgst_amount=tax,
                                   line_total=taxable + 2 * tax))
        total += taxable + 2 * tax
    paid = (total / 2).quantize(CENT)
    bill.payments.append(Payment(mode="cash", amount=paid))
    bill.sub_total = bill.total_amount = total
    bill.paid_amount, bill.due_amount, bill.status = paid, total - paid, "partial"
    db.session.add(bill)
    db.session.commit()
    return bill


def median_seconds(action, runs: int) -> float:
    action()  # warm up: imports, font registration, template compilation
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-20", type=int, default=7, choices=range(1, 1001), metavar="1..1000")
    parser.add_argument("--runs-200", type=int, default=3, choices=range(1, 101), metavar="1..100")
    parser.add_argument("--runs-receipt", type=int, default=30, choices=range(1, 10001), metavar="1..10000")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        class BenchConfig(TestConfig):
            def __init__(self) -> None:
                super().__init__()
                self.INSTANCE_PATH = tmp
                self.UPLOAD_FOLDER = str(Path(tmp) / "uploads")

        app = create_app(BenchConfig)
        with app.app_context(), app.test_request_context():
            db.create_all()
            _, store = create_owner("bench", "bench@example.com", "Password123!", store_name="Benchmark Stores",
                                    verified=True)
            store.gstin, store.state_code, store.upi_id = "27AAPFU0939F1ZV", "27", "bench@okaxis"
            db.session.commit()
            small, large = make_bill(store, 20, "INV202500001"), make_bill(store, 200, "INV202500002")

            def pdf(bill):
                def run():
                    rendered = documents.render_invoice_pdf(bill)
                    assert rendered.err == 0 and rendered.warn == 0, rendered.messages
                return run

            results = [
                ("A4 invoice PDF, 20 lines", median_seconds(pdf(small), args.runs_20), args.runs_20),
                ("A4 invoice PDF, 200 lines", median_seconds(pdf(large), args.runs_200), args.runs_200),
                ("80 mm receipt page (HTML + QR), 20 lines",
                 median_seconds(lambda: documents.render_receipt_html(small), args.runs_receipt), args.runs_receipt),
            ]
    for label, seconds, runs in results:
        print(f"{label:<44} median {seconds * 1000:8.1f} ms over {runs} runs")


if __name__ == "__main__":
    main()
