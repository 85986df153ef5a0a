"""Benchmark: server time of the purchases area's interactions (issue 14) over a large catalogue.

Prints p50 and p95 (milliseconds) for: the scan box's search (/purchases/products), adding a line by a scanned
code to a purchase of up to 20 lines (/purchases/new/lines, the whole form posted and re-priced), re-pricing a
20-line purchase after a typed change, saving a 20-line purchase (save_bill: PUR number, stock, costs; one commit),
and the purchases list with its stock value. In-process WSGI (no network), so the figures are the server's own.
Not a test: it prints figures. Reuses bench_pos's app and bulk catalogue.

    .venv/bin/python bench/bench_purchases.py [--products 100000] [--rounds 100] [--pg URL]

Default database: a temporary SQLite file. With --pg the PostgreSQL database given is EMPTIED (tables dropped).
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_pos import WORDS, build_app, build_catalogue, report, timed  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

LINES = 20


def form(lines, supplier_id: int, key: str, invoice: str) -> MultiDict:
    data = [("idempotency_key", key), ("supplier_id", str(supplier_id)), ("supplier_invoice_no", invoice)]
    for product_id, qty, cost in lines:
        data += [("product_id", str(product_id)), ("qty", str(qty)), ("cost", cost), ("gst", "5")]
    return MultiDict(data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (its tables are dropped)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        url = args.pg or f"sqlite:///{instance / 'bench.db'}"
        app = build_app(url, instance)
        with app.app_context():
            from extensions import db
            from services.accounts.stores import create_owner
            from services.parties.parties import SupplierInput, create_supplier

            db.drop_all()
            db.create_all()
            owner, store = create_owner(username="benchowner", email="owner@bench.test", password="Password123!",
                                        store_name="Bench Store", business_kind="general", verified=True)
            supplier_id = create_supplier(store, None, SupplierInput.of(name="Bench Supplier", code="BS")).id
            db.session.commit()
            started = time.perf_counter()
            catalogue = build_catalogue(store, owner, args.products)
            print(f"{'PostgreSQL' if args.pg else 'SQLite'}: {len(catalogue):,} products inserted in "
                  f"{time.perf_counter() - started:.1f} s")
            user_id = owner.get_id()

        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True
        hx = {"HX-Request": "true"}
        rng = random.Random(11)
        client.get("/purchases/new")  # warm up

        terms = [rng.choice(WORDS).lower() for _ in range(args.rounds)]
        search = [timed(lambda term=term: client.get("/purchases/products", query_string={"code": term}, headers=hx))
                  for term in terms]
        scans, reprices, saves = [], [], []
        lines: list[tuple[int, int, str]] = []
        for round_no in range(args.rounds):
            product_id, _, barcode = rng.choice(catalogue)
            body = form(lines, supplier_id, f"k{round_no}", f"B{round_no}")
            body.add("code", barcode)
            scans.append(timed(lambda body=body: client.post("/purchases/new/lines", data=body, headers=hx)))
            lines.append((product_id, rng.randrange(1, 50), f"{rng.randrange(100, 90000) / 100:.2f}"))
            if len(lines) == LINES:
                body = form(lines, supplier_id, f"k{round_no}", f"B{round_no}")
                reprices.append(timed(lambda body=body: client.post("/purchases/new/lines", data=body, headers=hx)))
                start = time.perf_counter()
                response = client.post("/purchases/new", data=body)
                if response.status_code != 303:
                    raise SystemExit(f"save: {response.status_code} {response.get_data(as_text=True)[:500]}")
                saves.append((time.perf_counter() - start) * 1000)
                lines = []
        listing = [timed(lambda: client.get("/purchases", query_string={"q": "B1"}, headers=hx))
                   for _ in range(max(args.rounds // 5, 5))]
        page = [timed(lambda: client.get("/purchases")) for _ in range(max(args.rounds // 5, 5))]

        print(f"Server time per interaction ({args.products:,}-product catalogue, in-process WSGI):")
        report("search from the scan box", search)
        report(f"add by scanned code (0-{LINES - 1} lines)", scans)
        report(f"re-price {LINES} lines", reprices if len(reprices) > 1 else reprices * 2)
        report(f"save a {LINES}-line purchase", saves if len(saves) > 1 else saves * 2)
        report(f"list search fragment ({len(saves)} purchases)", listing)
        report(f"list page with the stock value ({len(saves) * LINES} costed)", page)
        with app.app_context():
            from extensions import db

            if args.pg:
                db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()
