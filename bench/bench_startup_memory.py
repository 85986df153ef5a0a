"""Benchmark: where a worker's start-up memory goes (issue 17: one gunicorn worker at most 120 MB RSS).

Builds the app as a gunicorn worker does (`create_app()`) in a fresh process and charges every megabyte of RSS to
the top-level package whose import made it: an import hook reads VmRSS before and after each first import of a
package and keeps the growth that its own nested imports of other packages did not already claim (so the rows add
up to the total). Then, in the same process, what the first use of each heavy part adds (the job queue a save
enqueues to, amount in words, an XLSX export, a barcode image, an invoice PDF render), each charged the same way.
Also prints the heavy libraries that `create_app()` left loaded (none should be).

RSS is not a timing: the figures hold on a loaded machine too. Not a test.

    .venv/bin/python bench/bench_startup_memory.py [--top 25] [--no-use]
"""
from __future__ import annotations

import argparse
import builtins
import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The libraries a worker should load only when a request needs them (tests/test_lazy_imports.py holds the list too).
HEAVY = ("reportlab", "xhtml2pdf", "html5lib", "PIL", "openpyxl", "barcode", "boto3", "botocore", "segno",
         "num2words", "svglib", "lxml", "pypdf", "arabic_reshaper", "bidi", "cryptography")


OWN = ("services", "blueprints")


def rss_kb() -> int:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit("no VmRSS")


def group(module: str) -> str:
    """The row a module's memory goes to: its top-level package, or for our own packages the package below it."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] in OWN else parts[0]


class Ledger:
    """RSS growth charged to the outermost first import of each top-level package (exclusive of nested packages)."""

    def __init__(self) -> None:
        self.charged: dict[str, int] = {}
        self.stack: list[list[int]] = []  # per open package import: [rss before, kB charged to nested packages]
        self.original = builtins.__import__

    def install(self) -> None:
        ledger = self

        def hooked(name, globals=None, locals=None, fromlist=(), level=0):
            full = name
            if level:
                package = (globals or {}).get("__package__") or ""
                full = importlib.util.resolve_name("." * level + name, package) if package else name
            new = [m for m in [full] + [f"{full}.{f}" for f in fromlist or () if f != "*"] if m not in sys.modules]
            if not full or not new:
                return ledger.original(name, globals, locals, fromlist, level)
            frame = [rss_kb(), 0]
            ledger.stack.append(frame)
            try:
                return ledger.original(name, globals, locals, fromlist, level)
            finally:
                ledger.stack.pop()
                total = rss_kb() - frame[0]
                key = group(new[0])
                ledger.charged[key] = ledger.charged.get(key, 0) + total - frame[1]
                if ledger.stack:
                    ledger.stack[-1][1] += total

        builtins.__import__ = hooked

    def uninstall(self) -> None:
        builtins.__import__ = self.original


def table(rows: dict[str, int], top: int, total_kb: int) -> None:
    shown = sorted(rows.items(), key=lambda item: -item[1])[:top]
    for name, kb in shown:
        print(f"  {name:<28} {kb / 1024:7.1f} MB")
    rest = sum(rows.values()) - sum(kb for _, kb in shown)
    print(f"  {'(smaller packages)':<28} {rest / 1024:7.1f} MB")
    print(f"  {'(outside any import)':<28} {(total_kb - sum(rows.values())) / 1024:7.1f} MB")


def heavy_loaded() -> list[str]:
    return sorted({name.partition(".")[0] for name in sys.modules} & set(HEAVY))


def first_uses() -> list[tuple[str, Callable[[], object]]]:
    """What a request may do first in a worker: each loads its own libraries."""
    from decimal import Decimal

    def job_queue():  # a save enqueues its PDF's prerender: the first save imports jobs.py and Huey
        import jobs

        return jobs.huey

    def words():
        from services.formatting import amount_in_words

        return amount_in_words(Decimal("123456.50"))

    def xlsx():
        from services.reports.tables import Column, Table, to_xlsx

        return to_xlsx(Table("Sheet", [Column("a", "A"), Column("b", "B")], [["1", Decimal("2.50")]]))

    def label():
        from services.catalog.labels import barcode_image

        return barcode_image("8901234567890")

    def invoice_pdf():  # the libraries of a render (xhtml2pdf, ReportLab, html5lib, PIL) and the UPI QR
        import io

        from xhtml2pdf import pisa

        from services.documents.invoices import qr_png_data_uri

        html = (f"<html><body><p>Tax invoice</p><img src='{qr_png_data_uri('upi://pay?pa=shop@upi')}'>"
                "<table><tr><td>One</td><td>1.00</td></tr></table></body></html>")
        return pisa.CreatePDF(html, dest=io.BytesIO())

    return [("job queue", job_queue), ("amount in words", words), ("XLSX export", xlsx), ("barcode image", label),
            ("invoice PDF", invoice_pdf)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-use", action="store_true", help="only create_app, no first uses")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    os.environ.setdefault("INSTANCE_PATH", tmp)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.db")
    os.environ.setdefault("SECRET_KEY", "bench")

    start = rss_kb()
    ledger = Ledger()
    ledger.install()
    from app import create_app

    app = create_app()
    ledger.uninstall()
    built = rss_kb()
    print(f"Interpreter before any import of ours: {start / 1024:.1f} MB RSS")
    print(f"After create_app(): {built / 1024:.1f} MB RSS (+{(built - start) / 1024:.1f} MB), "
          f"{len(sys.modules)} modules")
    print("Charged to the first import of each top-level package:")
    table(ledger.charged, args.top, built - start)
    print("Heavy libraries loaded by create_app():", ", ".join(heavy_loaded()) or "none")
    if args.no_use:
        return
    print("\nFirst use in the same worker (each after the ones above it):")
    with app.app_context():
        for label, use in first_uses():
            before = rss_kb()
            ledger = Ledger()
            ledger.install()
            try:
                use()
            finally:
                ledger.uninstall()
            grown = rss_kb() - before
            parts = ", ".join(f"{name} {kb / 1024:.1f}" for name, kb in
                              sorted(ledger.charged.items(), key=lambda item: -item[1])[:5] if kb >= 256)
            print(f"  {label:<18} +{grown / 1024:6.1f} MB   ({parts or 'no new package over 0.25 MB'})")
    print(f"After the first uses: {rss_kb() / 1024:.1f} MB RSS")


if __name__ == "__main__":
    main()
