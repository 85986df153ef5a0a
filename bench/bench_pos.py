"""Benchmark: server time of the till's HTMX interactions with a 100,000-item catalogue.

Prints p50 and p95 (milliseconds) for: live search (/pos/search, name fragments, SKUs and barcodes), adding a line
by scanning a barcode (/pos/scan), adding a picked result (/pos/lines) and changing a quantity (/pos/lines/<i>).
Each request goes through the whole Flask app in process (routing, login, the draft row, the pricing engine,
templates, the database) but not a network, so the figures are the server's own time. Not a test: it prints
figures. Bounded: --rounds requests per interaction (default 200); the catalogue is built with bulk inserts.

    .venv/bin/python bench/bench_pos.py [--products 100000] [--rounds 200] [--pg URL] [--json PATH]

Default database: a temporary SQLite file. With --pg the PostgreSQL database given is EMPTIED (tables dropped).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import json_argument, stats, write_json  # noqa: E402  (bench/ is not a package)

WORDS = ["Basmati", "Atta", "Sunflower", "Mustard", "Toor", "Moong", "Masala", "Biscuit", "Soap", "Shampoo", "Tea",
         "Coffee", "Sugar", "Salt", "Ghee", "Paneer", "Noodles", "Detergent", "Namkeen", "Pickle"]
BRANDS = ["Tata", "Amul", "Fortune", "Aashirvaad", "Parle", "Britannia", "Haldiram", "Dabur", "Patanjali", "Lux"]


def build_app(database_url: str, instance: Path):
    from app import create_app
    from config import Config, engine_options

    class BenchConfig(Config):
        def __init__(self) -> None:
            super().__init__()
            self.SECRET_KEY = "bench-secret-key-long-enough-for-hs256-signing"
            self.SQLALCHEMY_DATABASE_URI = database_url
            self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(database_url)
            self.INSTANCE_PATH = str(instance)
            self.MAIL_OUTBOX = str(instance / "outbox")
            self.RATELIMIT_ENABLED = False
            self.WTF_CSRF_ENABLED = False  # the token check is not what is measured

    return create_app(BenchConfig)


def build_catalogue(store, owner, count: int) -> list[tuple[int, str, str]]:
    """`count` products in bulk inserts of 5,000; returns (id, sku, barcode) of each."""
    from sqlalchemy import insert, select

    from extensions import db
    from models import Product

    rng = random.Random(7)
    rows = []
    for n in range(count):
        rows.append({
            "uid": str(uuid.uuid4()), "store_id": store.id, "user_id": owner.id, "type": "product",
            "product_name": f"{BRANDS[n % len(BRANDS)]} {WORDS[(n // 10) % len(WORDS)]} {n:06d}",
            "sku": f"SKU-{n:06d}", "barcode": f"890{n:010d}", "unit": "pcs",
            "unit_price": Decimal(rng.randrange(1000, 90000)) / 100, "cgst_rate": Decimal("2.50"),
            "sgst_rate": Decimal("2.50"), "quantity": 1_000_000, "archived": False,
        })
        if len(rows) == 5000:
            db.session.execute(insert(Product), rows)
            rows = []
    if rows:
        db.session.execute(insert(Product), rows)
    db.session.commit()
    return [tuple(r) for r in db.session.execute(
        select(Product.id, Product.sku, Product.barcode).where(Product.store_id == store.id))]


def timed(call) -> float:
    start = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"unexpected {response.status_code}: {response.get_data(as_text=True)[:500]}")
    return elapsed


def report(name: str, samples: list[float]) -> None:
    cuts = statistics.quantiles(samples, n=100)
    print(f"  {name:<34} n={len(samples):<4} p50 {statistics.median(samples):7.1f} ms   p95 {cuts[94]:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (its tables are dropped)")
    json_argument(parser)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        url = args.pg or f"sqlite:///{instance / 'bench.db'}"
        app = build_app(url, instance)
        with app.app_context():
            from extensions import db
            from models import Membership
            from services.accounts.stores import create_owner

            db.drop_all()
            db.create_all()
            owner, store = create_owner(username="benchowner", email="owner@bench.test", password="Password123!",
                                        store_name="Bench Store", business_kind="general", verified=True)
            cashier, _ = create_owner(username="benchcashier", email="cashier@bench.test", password="Password123!",
                                      store_name="Cashier Own", business_kind="general", verified=True)
            db.session.add(Membership(user_id=cashier.id, store_id=store.id, role="cashier"))
            cashier.current_store_id = store.id
            db.session.commit()
            started = time.perf_counter()
            catalogue = build_catalogue(store, owner, args.products)
            print(f"{'PostgreSQL' if args.pg else 'SQLite'}: {len(catalogue):,} products inserted in "
                  f"{time.perf_counter() - started:.1f} s")
            user_id = cashier.get_id()

        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_id
            session["_fresh"] = True
        hx = {"HX-Request": "true"}
        rng = random.Random(11)
        client.get("/pos")  # warm up: the draft row, templates

        terms = []
        for _ in range(args.rounds):
            _, sku, barcode = rng.choice(catalogue)
            terms.append(rng.choice([rng.choice(WORDS).lower(), rng.choice(BRANDS), sku, barcode,
                                     f"{rng.choice(BRANDS)} {rng.choice(WORDS)}"]))
        search = [timed(lambda term=term: client.get("/pos/search", query_string={"q": term}, headers=hx))
                  for term in terms]
        slowest = sorted(zip(search, terms), reverse=True)[:3]

        scans, picks, quantities = [], [], []
        for round_no in range(args.rounds):
            if round_no % 20 == 0:  # a bill of at most 40 lines, then a fresh one (not timed)
                client.post("/pos/clear", headers=hx)
            product_id, _, barcode = rng.choice(catalogue)
            scans.append(timed(lambda barcode=barcode: client.post("/pos/scan", data={"q": barcode}, headers=hx)))
            picks.append(timed(lambda pid=product_id: client.post("/pos/lines", data={"product_id": pid}, headers=hx)))
            index = round_no % 20
            quantities.append(timed(lambda index=index: client.post(
                f"/pos/lines/{index}", data={"qty": str(rng.randrange(1, 9)), "discount_type": "percent",
                                             "discount_value": "0", "cgst": "2.5", "sgst": "2.5"}, headers=hx)))

        print(f"Server time per HTMX interaction ({args.products:,}-product catalogue, in-process WSGI):")
        report("search (name / SKU / barcode)", search)
        print("    slowest searches: " + ", ".join(f"{term!r} {ms:.0f} ms" for ms, term in slowest))
        report("add line by barcode (scan)", scans)
        report("add line picked from results", picks)
        report("change quantity", quantities)
        backend = "pg" if args.pg else "sqlite"
        write_json(args.json, "bench_pos", {f"pos_search_{backend}": stats(search), f"pos_scan_{backend}": stats(scans),
                                            f"pos_pick_{backend}": stats(picks),
                                            f"pos_quantity_{backend}": stats(quantities)},
                   {"products": args.products, "rounds": args.rounds})
        with app.app_context():
            from extensions import db

            if args.pg:
                db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()
