"""Benchmark: median time to render a 20-line and a 200-line A4 tax invoice PDF, and the 80 mm receipt page.

Runs against a throwaway in-memory SQLite database with bills built directly through the models. Beside each PDF
render it times, in the same run, the baseline: plain xhtml2pdf (pisa.CreatePDF) on the same HTML, and prints our
render as a ratio of it (the machine may be shared; the ratio is what compares across runs), in wall time and in CPU
time (the process's own, steadier on a loaded machine). Then the cached path:
a repeat download of the signed link over HTTP (the request, the version digest and a file read:
services/documents/pdf_cache.py) and the same with If-None-Match (a 304).

Usage: .venv/bin/python bench/bench_documents.py [--runs-20 N] [--runs-200 N] [--runs-receipt N] [--runs-cached N]
                                                 [--json PATH]   (the figures also as JSON, for bench/report.py)
       .venv/bin/python bench/bench_documents.py --profile [--profile-top N]   (cProfile of one render of each)
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import json_argument, write_json  # noqa: E402  (bench/ is not a package)
from flask import current_app  # noqa: E402

from app import create_app  # noqa: E402
from config import TestConfig  # noqa: E402
from extensions import db  # noqa: E402
from models import Bill, BillItem, Payment  # noqa: E402
from services.accounts.stores import create_owner  # noqa: E402
from services.documents import invoices as documents  # noqa: E402

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


def medians(action, runs: int) -> tuple[float, float]:
    """Median wall and CPU (process) seconds of `action`, after one warm-up call (imports, fonts, templates). On a
    shared machine the CPU time is the steadier of the two: it leaves out the time other processes had the core."""
    action()
    walls, cpus = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return statistics.median(walls), statistics.median(cpus)


def median_seconds(action, runs: int) -> float:
    return medians(action, runs)[0]


@contextlib.contextmanager
def bench_store(tmp: str):
    """An app over an in-memory SQLite database (instance folder `tmp`) with one GST store that takes UPI; yields the
    store inside an app and request context."""
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
        yield store


def plain_xhtml2pdf(html: str, store):
    """The baseline: xhtml2pdf on the same HTML with the same resource mapping, nothing of ours around it."""
    from xhtml2pdf import pisa

    link_callback = documents.make_link_callback(store)

    def run():
        status = pisa.CreatePDF(html, dest=io.BytesIO(), encoding="utf-8", link_callback=link_callback)
        assert status.err == 0
    return run


def profile(action, label: str, top: int) -> None:
    action()  # warm up
    profiler = cProfile.Profile()
    profiler.enable()
    action()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    print(f"==== {label}: {stats.total_tt * 1000:.0f} ms under cProfile")
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-20", type=int, default=7, choices=range(1, 1001), metavar="1..1000")
    parser.add_argument("--runs-200", type=int, default=3, choices=range(1, 101), metavar="1..100")
    parser.add_argument("--runs-receipt", type=int, default=30, choices=range(1, 10001), metavar="1..10000")
    parser.add_argument("--runs-cached", type=int, default=50, choices=range(1, 10001), metavar="1..10000")
    parser.add_argument("--profile", action="store_true", help="cProfile one render of each bill instead")
    parser.add_argument("--profile-top", type=int, default=30)
    json_argument(parser)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, bench_store(tmp) as store:
        small, large = make_bill(store, 20, "INV202500001"), make_bill(store, 200, "INV202500002")

        def pdf(bill):
            def run():
                rendered = documents.render_invoice_pdf(bill)
                assert rendered.err == 0 and rendered.warn == 0, rendered.messages
            return run

        if args.profile:
            profile(pdf(small), "A4 invoice PDF, 20 lines", args.profile_top)
            profile(pdf(large), "A4 invoice PDF, 200 lines", args.profile_top)
            return

        client = current_app.test_client()
        links = {bill.id: f"/documents/shared/{documents.share_token(bill)}" for bill in (small, large)}

        def cached(bill):
            """A repeat download over HTTP (the signed link: token, bill, version, file read), after one render."""
            assert client.get(links[bill.id]).status_code == 200

            def run():
                response = client.get(links[bill.id])
                assert response.status_code == 200 and response.data.startswith(b"%PDF")
            return run

        etag = client.get(links[small.id]).headers["ETag"]

        def not_modified():
            assert client.get(links[small.id], headers={"If-None-Match": etag}).status_code == 304

        rows, figures = [], {}
        for label, bill, runs in (("20 lines", small, args.runs_20), ("200 lines", large, args.runs_200)):
            html = documents.render_invoice_html(bill, for_pdf=True)
            ours, ours_cpu = medians(pdf(bill), runs)
            plain, plain_cpu = medians(plain_xhtml2pdf(html, store), runs)
            figures[f"pdf_{label.split()[0]}"] = {
                "median_ms": ours * 1000, "cpu_ms": ours_cpu * 1000, "baseline_ms": plain * 1000,
                "baseline_cpu_ms": plain_cpu * 1000, "ratio": ours / plain, "cpu_ratio": ours_cpu / plain_cpu,
                "runs": runs}
            rows.append((f"A4 invoice PDF, {label} (render)", ours, runs,
                         f"{ours / plain:.2f}x plain xhtml2pdf; CPU {ours_cpu * 1000:.0f} ms, "
                         f"{ours_cpu / plain_cpu:.2f}x plain's"))
            rows.append(("  plain xhtml2pdf, same HTML (baseline)", plain, runs, f"CPU {plain_cpu * 1000:.0f} ms"))
        rows += [
            ("A4 invoice PDF, 20 lines, cached, HTTP GET", median_seconds(cached(small), args.runs_cached),
             args.runs_cached, "goal <= 5 ms"),
            ("A4 invoice PDF, 200 lines, cached, HTTP GET", median_seconds(cached(large), args.runs_cached),
             args.runs_cached, "goal <= 5 ms"),
            ("  the same, If-None-Match: 304", median_seconds(not_modified, args.runs_cached), args.runs_cached,
             ""),
            ("80 mm receipt page (HTML + QR), 20 lines",
             median_seconds(lambda: documents.render_receipt_html(small), args.runs_receipt), args.runs_receipt, ""),
        ]
    for label, seconds, runs, note in rows:
        print(f"{label:<44} median {seconds * 1000:8.1f} ms over {runs:>3} runs  {note}")
    for key, (_, seconds, runs, _) in zip(("pdf_20_cached", "pdf_200_cached", "pdf_304", "receipt"), rows[-4:]):
        figures[key] = {"median_ms": seconds * 1000, "runs": runs}
    for lines in ("20", "200"):  # what a repeat download saves: the render of the same bill
        figures[f"pdf_{lines}_cached"]["render_ms"] = figures[f"pdf_{lines}"]["median_ms"]
    write_json(args.json, "bench_documents", figures, {"runs_20": args.runs_20, "runs_200": args.runs_200,
                                                       "runs_cached": args.runs_cached})


if __name__ == "__main__":
    main()
