"""Benchmark: a store with 1,000,000 products and 1,000,000 bills (with their items and payments) on PostgreSQL,
loaded with COPY, then the pages issue 17 names measured against their goals: the catalogue (list and search, p95 at
most 20 ms), the bills list with filters and its total (p95 at most 50 ms) and a GSTR-1 month (at most 2 s).

The load goes through PostgreSQL's COPY (psycopg's `cursor.copy`), table by table: products (the product_search
trigger keeps the search table as the app would), customers, bills spread over twelve months of one financial
year, two items each, a payment for every paid bill, and the invoice counter at the last number. It prints the
seconds each table took. Then, as a signed-in owner through the Flask test client (as bench_inventory.py), each
page's p50 and p95 beside /healthz, and with --explain the plan of each bills page's statements (EXPLAIN ANALYZE).

    .venv/bin/python bench/bench_million.py --pg URL [--products 1000000] [--bills 1000000] [--runs 20]
                                            [--explain] [--keep]

The PostgreSQL database given is EMPTIED (schema dropped) and rebuilt by the migration; with --keep it is left
loaded (and a second run with --reuse measures it again without loading). Not a test.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_billing_api import build_schema, psycopg_dsn, run_env  # noqa: E402  (bench/ is not a package)
from bench_pos import BRANDS, WORDS, build_app  # noqa: E402
from benchlib import figure, json_argument, measure, signed_in_client, stats, write_json  # noqa: E402

HX = {"HX-Request": "true"}
FY = 2025  # April 2025 to March 2026
CUSTOMERS = 20_000
GOALS = {"catalogue": 20.0, "bills": 50.0, "gstr1": 2000.0}


def owner_and_store(url: str, instance: Path) -> dict:
    os.environ.update(run_env(url, instance))
    app = build_app(url, instance)
    with app.app_context():
        from extensions import db
        from services.accounts.stores import create_owner

        owner, store = create_owner("millionowner", "owner@million.test", "Password123!", store_name="Million Store",
                                    verified=True)
        db.session.commit()
        info = {"store_id": store.id, "user_id": owner.id, "login_id": owner.get_id()}
        db.session.remove()
        db.engine.dispose()
    return info


def copy_rows(cursor, table: str, columns: list[str], rows) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def load(url: str, info: dict, products: int, bills: int) -> None:
    import psycopg

    rng = random.Random(17)
    store, user = info["store_id"], info["user_id"]
    now = datetime(2026, 3, 31, 12, 0)
    from services.catalog import search_index

    with psycopg.connect(psycopg_dsn(url)) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        # As a bulk loader would: the search triggers off during COPY, then the search table and the postings
        # filled from product in one statement each (the triggers' own backfill statements).
        cur.execute("ALTER TABLE product DISABLE TRIGGER USER")
        copy_rows(cur, "product", [
            "uid", "store_id", "user_id", "product_name", "type", "unit", "unit_price", "price_includes_tax",
            "cgst_rate", "sgst_rate", "quantity", "archived", "duration_minutes", "created_at", "updated_at",
            "cutting_enabled", "sku", "barcode", "hsn_code"],
            ((str(uuid.uuid4()), store, user, f"{BRANDS[n % 10]} {WORDS[(n // 10) % 20]} {n:07d}", "product", "pcs",
              Decimal(rng.randrange(1000, 90000)) / 100, False, Decimal("2.50"), Decimal("2.50"), 1_000_000, False,
              30, now, now, False, f"SKU-{n:07d}", f"89{n:011d}", "1006") for n in range(products)))
        cur.execute("ALTER TABLE product ENABLE TRIGGER USER")
        conn.commit()
        print(f"  products: {products:,} in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        cur.execute(search_index.PG_DDL[-1])  # product_search from product
        cur.execute(search_index.PG_POSTINGS_DDL[-1])  # product_trigram from product
        conn.commit()
        print(f"  search table and postings: {time.perf_counter() - started:.0f} s")

        started = time.perf_counter()
        copy_rows(cur, "party", ["uid", "store_id", "category_type", "is_active", "is_updated_at", "created_at"],
                  ((str(uuid.uuid4()), store, "Customer", True, now, now) for _ in range(CUSTOMERS)))
        cur.execute("SELECT id FROM party WHERE store_id = %s ORDER BY id", (store,))
        parties = [row[0] for row in cur.fetchall()]
        copy_rows(cur, "customer", ["party_id", "store_id", "name", "phone_no", "open_balance", "credit_limmit",
                                    "loyalty_points", "notes"],
                  ((party, store, f"Customer {n:05d}", f"+9198{n:08d}", 0, 0, 0, "")
                   for n, party in enumerate(parties)))
        conn.commit()
        print(f"  customers: {CUSTOMERS:,} in {time.perf_counter() - started:.0f} s")

        started = time.perf_counter()
        cur.execute("SELECT min(id) FROM product WHERE store_id = %s", (store,))
        first_product = cur.fetchone()[0]
        start_day = date(FY, 4, 1)
        rates = (Decimal("2.50"), Decimal("6.00"), Decimal("9.00"))

        def bill_rows():
            for n in range(bills):
                day = start_day + timedelta(days=n * 365 // bills)
                at = datetime.combine(day, datetime.min.time()) + timedelta(hours=9, seconds=n % 36000)
                party = parties[n % len(parties)] if n % 3 else None
                taxable = Decimal(rng.randrange(10000, 500000)) / 100
                rate = rates[n % 3]
                tax = (taxable * rate / 100).quantize(Decimal("0.01"))
                total = taxable + 2 * tax
                paid = n % 5 != 0
                yield (str(uuid.uuid4()), store, user, "sale", "pos", f"INV{FY}{n + 1:05d}", "INV", FY, n + 1, day,
                       "paid" if paid else "unpaid", party, f"Customer {n % len(parties):05d}" if party else None,
                       f"+9198{n % len(parties):08d}" if party else None,
                       taxable, 0, 2 * tax, tax, tax, 0, total, total if paid else 0, 0 if paid else total,
                       "cash" if paid else "none", at, at, at)

        copy_rows(cur, "bill", [
            "uid", "store_id", "user_id", "kind", "source", "invoice_number", "series", "fy", "seq", "invoice_date",
            "status", "party_id", "customer_name", "phone", "sub_total", "discount", "tax", "cgst_amount",
            "sgst_amount", "additional_charges", "total_amount", "paid_amount", "due_amount", "payment_mode",
            "billing_timestamp", "created_at", "updated_at"], bill_rows())
        conn.commit()
        print(f"  bills: {bills:,} in {time.perf_counter() - started:.0f} s")

        started = time.perf_counter()
        cur.execute("SELECT id, sub_total, cgst_amount, total_amount, status, created_at FROM bill "
                    "WHERE store_id = %s ORDER BY id", (store,))
        saved = cur.fetchall()

        def item_rows():
            for index, (bill_id, taxable, *_) in enumerate(saved):
                half = (taxable / 2).quantize(Decimal("0.01"))
                rate = rates[index % 3]
                for line, amount in ((1, half), (2, taxable - half)):
                    tax = (amount * rate / 100).quantize(Decimal("0.01"))
                    product = first_product + (index * 2 + line) % products
                    yield (bill_id, line, product, "product", f"Item {product}", "pcs", 1, amount, False, "percent", 0,
                           rate, rate, amount, 0, amount, tax, tax, amount + 2 * tax, False)

        items = copy_rows(cur, "bill_item", [
            "bill_id", "line_no", "product_id", "type", "name", "unit", "qty", "rate", "price_includes_tax",
            "discount_type", "discount_value", "cgst_rate", "sgst_rate", "base_amount", "discount_amount",
            "taxable_amount", "cgst_amount", "sgst_amount", "line_total", "show_size_in_bill"], item_rows())
        conn.commit()
        print(f"  bill items: {items:,} in {time.perf_counter() - started:.0f} s")

        started = time.perf_counter()
        payments = copy_rows(cur, "payment", ["bill_id", "mode", "amount", "timestamp", "interest_paid", "created_at"],
                             ((bill_id, "cash", total, at, 0, at) for bill_id, _t, _c, total, status, at in saved
                              if status == "paid"))
        cur.execute("INSERT INTO invoice_counter (store_id, series, fy, next_value) VALUES (%s, 'INV', %s, %s)",
                    (store, FY, bills + 1))
        conn.commit()
        print(f"  payments: {payments:,} in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with psycopg.connect(psycopg_dsn(url), autocommit=True) as conn:
        for table in ("product", "product_search", "product_trigram", "party", "customer", "bill", "bill_item",
                      "payment"):
            conn.execute(f"VACUUM ANALYZE {table}")
    print(f"  vacuum analyze: {time.perf_counter() - started:.0f} s")


def pages(store_id: int) -> dict[str, tuple[str, str]]:
    """name -> (goal group, URL)."""
    return {
        "catalogue list page 1": ("catalogue", "/inventory"),
        "catalogue list page 400": ("catalogue", "/inventory?page=400"),
        "catalogue search 'tata'": ("catalogue", "/inventory?q=tata"),
        "catalogue search rare": ("catalogue", "/inventory?q=0765432"),
        "catalogue search barcode": ("catalogue", "/inventory?q=8900000765432"),
        "till search 'masala'": ("catalogue", "/pos/search?q=masala"),
        "bills list page 1": ("bills", "/bills"),
        "bills list unpaid": ("bills", "/bills?status=unpaid"),
        "bills list a month": ("bills", "/bills?from=2025-09-01&to=2025-09-30"),
        "bills list by amount": ("bills", "/bills?sort=amount_desc"),
        "bills list unpaid by amount": ("bills", "/bills?status=unpaid&sort=amount_desc"),
        "bills list page 50": ("bills", "/bills?page=50"),
        "bills search customer": ("bills", "/bills?q=Customer%2001234"),
        "bills search phone": ("bills", "/bills?q=9800001234"),
        "bills search invoice number": ("bills", f"/bills?q=INV{FY}500000"),  # bill 500,000's number
        "GSTR-1 September": ("gstr1", "/reports/gstr1?period=092025"),
    }


def explain(app, client, chosen: dict[str, tuple[str, str]]) -> None:
    """Each bills page's statements on the bill table, as the app ran them (caught with a cursor event), with
    EXPLAIN (ANALYZE, BUFFERS)."""
    from sqlalchemy import event

    from extensions import db

    with app.app_context():
        engine = db.engine
    for name, (group, url) in chosen.items():
        if group != "bills":
            continue
        caught: list = []

        def keep(conn, cursor, statement, parameters, context, executemany, caught=caught):
            if "FROM bill" in statement and statement.lstrip().upper().startswith(("SELECT", "WITH")):
                caught.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", keep)
        try:
            client.get(url, headers=HX)
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        with app.app_context(), engine.connect() as connection:
            for statement, parameters in caught:
                kind = {"SELECT COUNT": "count", "WITH": "matches counted and ordered"}.get(
                    next((k for k in ("SELECT COUNT", "WITH") if statement.lstrip().upper().startswith(k)), ""),
                    "rows")
                print(f"\n  EXPLAIN {name} ({kind}): {url}")
                for (line,) in connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters):
                    print("    " + line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="PostgreSQL URL (its schema is dropped unless --reuse); default $BENCH_DATABASE_URL")
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--bills", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--keep", action="store_true", help="leave the database loaded")
    parser.add_argument("--reuse", action="store_true", help="measure a database a --keep run left")
    json_argument(parser)  # --json PATH: the figures also as JSON, for bench/report.py
    args = parser.parse_args()
    if not args.pg:  # this one needs a PostgreSQL database it may empty
        print("bench_million: skipped (give --pg URL or set BENCH_DATABASE_URL; that database is emptied)")
        write_json(args.json, "bench_million", {}, skipped="no PostgreSQL URL given")
        return
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        marker = Path(tempfile.gettempdir()) / "bench_million.login"
        if args.reuse:
            store_id, user_id, login_id = marker.read_text().split("|")
            info = {"store_id": int(store_id), "user_id": int(user_id), "login_id": login_id}
        else:
            started = time.perf_counter()
            build_schema(args.pg, instance)
            info = owner_and_store(args.pg, instance)
            print(f"\nPostgreSQL: loading {args.products:,} products and {args.bills:,} bills with COPY")
            load(args.pg, info, args.products, args.bills)
            print(f"  load in all: {time.perf_counter() - started:.0f} s")
            marker.write_text(f"{info['store_id']}|{info['user_id']}|{info['login_id']}")
        app = build_app(args.pg, instance)
        chosen = pages(info["store_id"])
        urls = {"baseline /healthz": "/healthz", **{name: url for name, (_, url) in chosen.items()}}
        client = signed_in_client(app, info["login_id"])
        samples = measure(client, urls, args.runs,
                          lambda name: {} if name.startswith(("baseline", "GSTR")) else HX)
        print(f"\nPostgreSQL: server time per request, {args.products:,} products, {args.bills:,} bills, "
              f"{args.runs} runs each")
        for name, values in samples.items():
            goal = GOALS[chosen[name][0]] if name in chosen else None
            print(figure(name, values, 30, goal) + (f"   (goal p95 <= {goal:.0f} ms)" if goal else ""))
        write_json(args.json, "bench_million",
                   {name: {**stats(values), "group": chosen[name][0] if name in chosen else "baseline",
                           "goal_p95_ms": GOALS[chosen[name][0]] if name in chosen else None}
                    for name, values in samples.items()},
                   {"products": args.products, "bills": args.bills, "runs": args.runs})
        if args.explain:
            explain(app, client, chosen)
        with app.app_context():
            from extensions import db

            db.engine.dispose()
        if not args.keep and not args.reuse:
            import psycopg

            with psycopg.connect(psycopg_dsn(args.pg), autocommit=True) as conn:
                conn.execute("DROP SCHEMA public CASCADE")
                conn.execute("CREATE SCHEMA public")


if __name__ == "__main__":
    main()
