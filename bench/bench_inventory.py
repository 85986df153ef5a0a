"""Benchmark: server time of the inventory's products page and its search with 100,000 products, SQLite and PostgreSQL.

As a signed-in owner through the Flask test client (routing, login, the query, the templates; no network), the
HTMX requests the page makes: page 1 of the list, a later page, search as you type for a common and a rare term (and
a barcode, no match), each filter (category, low stock, out of stock, kind), each sort, and the low-stock page.
Beside them, in the same run, the baseline: /healthz (the same stack answering a trivial SELECT 1). Prints p50 and
p95 in milliseconds. The catalogue is bench_pos's (100,000 items, "Tata Basmati 000123"), with 20 categories, a
low-stock level on every 100th item (half of them below it) and every 50th item out of stock. Not a test.

    .venv/bin/python bench/bench_inventory.py [--products 100000] [--runs 30] [--pg URL] [--no-sqlite] [--json PATH]

SQLite runs on a temporary file. With --pg the PostgreSQL database given is EMPTIED (tables dropped); after the
bulk load its product table and the search tables kept from it are vacuumed and analysed, as autovacuum would do in
a running shop. With --json the figures are also written as JSON (for bench/report.py).
"""
from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_pos import BRANDS, WORDS, build_app, build_catalogue  # noqa: E402  (bench/ is not a package)
from benchlib import (  # noqa: E402
    figure,
    finish,
    fresh_owner,
    json_argument,
    measure,
    signed_in_client,
    stats,
    write_json,
)

HX = {"HX-Request": "true"}
TARGET_P95_MS = 30.0



def seed_shape(store, owner, count: int) -> int:
    """Categories, low-stock levels and empty shelves over the bulk catalogue; returns a category id to filter."""
    from sqlalchemy import update

    from extensions import db
    from models import Category, Product

    categories = [Category(store_id=store.id, name=f"Bench category {n:02d}") for n in range(20)]
    db.session.add_all(categories)
    db.session.flush()
    first = db.session.execute(db.select(db.func.min(Product.id)).where(Product.store_id == store.id)).scalar_one()
    for n, category in enumerate(categories):
        db.session.execute(update(Product).where(Product.store_id == store.id, (Product.id - first) % 20 == n)
                           .values(category_id=category.id))
    db.session.execute(update(Product).where(Product.store_id == store.id, (Product.id - first) % 100 == 0)
                       .values(low_stock_threshold=10, quantity=5))
    db.session.execute(update(Product).where(Product.store_id == store.id, (Product.id - first) % 200 == 50)
                       .values(low_stock_threshold=10))
    db.session.execute(update(Product).where(Product.store_id == store.id, (Product.id - first) % 50 == 25)
                       .values(quantity=0))
    db.session.commit()
    return categories[7].id


def interactions(catalogue, category_id: int) -> dict[str, str]:
    n = len(catalogue) // 3
    _, sku, barcode = catalogue[n]
    name = f"{BRANDS[n % len(BRANDS)]} {WORDS[(n // 10) % len(WORDS)]} {n:06d}"
    rare = name[len(BRANDS[n % len(BRANDS)]) + 3:-1]  # "sala 03333": ten items
    return {
        "list page 1": "/inventory",
        "list page 40": "/inventory?page=40",
        "search common 'tata'": "/inventory?q=tata",
        "search common 'masala'": "/inventory?q=masala",
        f"search rare '{rare}'": f"/inventory?q={rare}",
        "search barcode": f"/inventory?q={barcode}",
        "search no match 'xyzzy'": "/inventory?q=xyzzy",
        "filter category": f"/inventory?category={category_id}",
        "filter low stock": "/inventory?stock=low",
        "filter out of stock": "/inventory?stock=out",
        "filter kind service (none)": "/inventory?type=service",
        "search 'tata' + category": f"/inventory?q=tata&category={category_id}",
        "sort price": "/inventory?sort=price",
        "sort stock": "/inventory?sort=stock",
        "sort recently changed": "/inventory?sort=updated",
        "low-stock page": "/inventory/low-stock",
    }



def bench(label: str, url: str, instance: Path, args) -> dict[str, list[float]]:
    is_pg = url.startswith("postgresql")
    app = build_app(url, instance)
    with app.app_context():
        from extensions import db

        owner, store = fresh_owner("Bench Store", "general")
        db.session.commit()
        started = time.perf_counter()
        catalogue = build_catalogue(store, owner, args.products)
        category_id = seed_shape(store, owner, args.products)
        if is_pg:  # what autovacuum does in a running shop after a bulk load and update (this server has it off)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE product")
                connection.exec_driver_sql("VACUUM ANALYZE product_search")
                connection.exec_driver_sql("VACUUM ANALYZE product_trigram")
        else:
            with db.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
        print(f"\n{label}: {len(catalogue):,} products in {time.perf_counter() - started:.1f} s")
        user_id = owner.get_id()

    urls = {"baseline /healthz": "/healthz", "full page /inventory (no HTMX)": "/inventory",
            **interactions(catalogue, category_id)}
    # The 100,000 rows the load read back are the bench's, not the server's: let them go before measuring, or
    # every full garbage collection of the measured requests walks them.
    del catalogue
    gc.collect()
    samples = measure(signed_in_client(app, user_id), urls, args.runs,
                      lambda name: {} if name.startswith(("baseline", "full")) else HX)
    print(f"{label}: server time per request, {args.products:,} products, {args.runs} runs each "
          f"(target p95 <= {TARGET_P95_MS:.0f} ms)")
    for name, values in samples.items():
        print(figure(name, values, 34, TARGET_P95_MS))
    finish(app, is_pg)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (its tables are dropped)")
    parser.add_argument("--no-sqlite", action="store_true")
    json_argument(parser)
    args = parser.parse_args()
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            figures["sqlite"] = bench("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), args)
        if args.pg:
            figures["pg"] = bench("PostgreSQL", args.pg, Path(tmp), args)
    write_json(args.json, "bench_inventory", {f"inventory_{backend}": summary(samples)
                                              for backend, samples in figures.items()},
               {"products": args.products, "runs": args.runs, "target_p95_ms": TARGET_P95_MS})


def summary(samples: dict[str, list[float]]) -> dict:
    """The worst request's figures (by p95), every request's, and the /healthz baseline beside them."""
    interactions = {name: stats(values) for name, values in samples.items() if not name.startswith("baseline")}
    worst = max(interactions, key=lambda name: interactions[name]["p95_ms"])
    return {**interactions[worst], "worst": worst, "interactions": interactions,
            "over": sorted(name for name, figures in interactions.items() if figures["p95_ms"] > TARGET_P95_MS),
            "baseline_p50_ms": stats(samples["baseline /healthz"])["p50_ms"],
            "baseline_p95_ms": stats(samples["baseline /healthz"])["p95_ms"]}


if __name__ == "__main__":
    main()
