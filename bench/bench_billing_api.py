"""Benchmark: 5-line bills saved through the real Billing v1 HTTP API under gunicorn, on SQLite and PostgreSQL.

Beside each, a baseline in the same run executes the same SQL statements a save performs (the user with the store
joined, catalogue read, customer and membership look-ups, counter UPDATE ... RETURNING, the bill insert, the items as
one multi-row insert (one per item on SQLite, as the save), one conditional stock UPDATE for all products, the stock
moves as one multi-row insert, the audit chain's head and row, one commit) directly through the driver (sqlite3 /
psycopg), and the ratio of the two is printed.
bench/profile_bill_save.py lists the statements a save runs; this list follows it (docs/performance.md, "Bill save").
Not a test: it prints figures. Bounded: BILLS requests per backend (default 300), so it ends in a couple of minutes.

    .venv/bin/python bench/bench_billing_api.py [--bills 300] [--clients 4] [--workers 2] [--pg URL | --no-pg]
                                                [--json PATH]   (the figures also as JSON, for bench/report.py)

The PostgreSQL database given (default $BENCH_DATABASE_URL) is EMPTIED (schema dropped) and rebuilt by the migration.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import json_argument, psycopg_dsn, write_json  # noqa: E402  (bench/ is not a package)

SECRET = "bench-secret-key-long-enough-for-hs256-signing"
LINES = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_env(database_url: str, instance: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET, "INSTANCE_PATH": str(instance),
            "RATELIMIT_ENABLED": "false", "MAIL_OUTBOX": str(instance / "outbox")}


def build_schema(database_url: str, instance: Path) -> None:
    if database_url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(psycopg_dsn(database_url), autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT,
                   env=run_env(database_url, instance), check=True, capture_output=True)


def seed(database_url: str, instance: Path) -> dict:
    """A store, an owner's token, five stocked products and one customer, written through the app's models."""
    os.environ.update(run_env(database_url, instance))
    from app import create_app
    from config import Config
    from extensions import db

    app = create_app(Config)
    with app.app_context():
        info = seed_store("bench")
        db.session.remove()
        db.engine.dispose()
    return info


def seed_store(name: str) -> dict:
    """Inside an app context: an owner with a store, five stocked products, committed; what a save needs of them."""
    from extensions import db
    from models import Product, StockMove
    from services.accounts.stores import create_owner
    from services.accounts.tokens import issue_access

    owner, store = create_owner(name, f"{name}@example.com", "Password123!", store_name=name.title(), verified=True)
    products = [Product(store_id=store.id, product_name=f"Item {i}", unit_price=Decimal("99.50") + i,
                        quantity=10**7, cgst_rate=Decimal(9), sgst_rate=Decimal(9)) for i in range(LINES)]
    db.session.add_all(products)
    db.session.flush()
    db.session.add_all(StockMove(store_id=store.id, product_id=p.id, delta=10**7, reason="import")
                       for p in products)
    db.session.commit()
    return {"token": issue_access(owner), "store_uid": store.uid, "store_id": store.id, "user_id": owner.id,
            "product_uids": [p.uid for p in products], "product_ids": [p.id for p in products]}


def bill_body(info: dict) -> dict:
    items = [{"line_no": i + 1, "type": "product", "id": uid, "qty": 1, "discount_type": "percent",
              "discount_value": 5, "cgst": 9, "sgst": 9} for i, uid in enumerate(info["product_uids"])]
    return {"customer": {"name": "Bench Customer", "contact_no": "+919800012345"}, "items": items,
            "payment_mode": "none", "payment_amount": 0, "payments": [],
            "billing_timestamp": "2025-09-26T11:29:00.000Z"}


def start_gunicorn(database_url: str, instance: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = (instance / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--timeout", "60", "app:create_app()"],
        cwd=ROOT, env=run_env(database_url, instance), stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start; see " + str(instance / "gunicorn.log"))


def timed_runs(count: int, clients: int, one) -> tuple[float, list[float]]:
    """Run `one()` count times from `clients` threads; wall seconds and each call's latency."""
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = iter(range(count))

    def worker():
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            started = time.perf_counter()
            one()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(worker) for _ in range(clients)]:
            future.result()
    return time.perf_counter() - started, latencies


def http_bench(url: str, info: dict, bills: int, clients: int) -> tuple[float, list[float]]:
    data = json.dumps(bill_body(info)).encode()
    endpoint = f"{url}/api/v1/billing/{info['store_uid']}/bills"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {info['token']}"}

    def one():
        request = urllib.request.Request(endpoint, data=data, method="POST", headers=headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            if response.status != 201:
                raise RuntimeError(f"unexpected status {response.status}")
            response.read()

    one()  # warm up (creates the customer and the counter row)
    return timed_runs(bills, clients, one)


# --------------------------------------------------------------------------- the driver baseline

STATEMENTS = {
    # The token's user with, joined, the store and the caller's role (one statement, as member_store runs it).
    "user_store": "SELECT \"user\".*, store.*, membership.role FROM \"user\" LEFT OUTER JOIN (membership JOIN store "
                  "ON store.id = membership.store_id AND store.uid = :store_uid) ON membership.user_id = \"user\".id "
                  "WHERE \"user\".id = :user_id",
    "products": "SELECT * FROM product WHERE store_id = :store_id AND archived = :false AND uid IN ({uids})",
    "customer": "SELECT party.*, customer.* FROM party JOIN customer ON customer.party_id = party.id "
                "WHERE customer.store_id = :store_id AND customer.phone_no = :phone",
    "memberships": "SELECT * FROM customer_membership WHERE store_id = :store_id AND party_id = :party_id "
                   "AND status = 'active' AND starts_on <= :today AND ends_on >= :today ORDER BY ends_on, id",
    "counter": "UPDATE invoice_counter SET next_value = next_value + 1 WHERE store_id = :store_id AND series = 'INV' "
               "AND fy = :fy RETURNING next_value",
    "bill": "INSERT INTO bill (uid, store_id, user_id, kind, source, invoice_number, series, fy, seq, invoice_date, "
            "status, party_id, customer_name, phone, payment_mode, sub_total, discount, tax, cgst_amount, sgst_amount, "
            "additional_charges, total_amount, paid_amount, due_amount, billing_timestamp, created_at, updated_at) "
            "VALUES (:uid, :store_id, :user_id, 'sale', 'v1', :number, 'INV', :fy, :seq, :today, 'unpaid', :party_id, "
            ":name, :phone, 'none', :sub_total, 0, :tax, :cgst, :sgst, 0, :sub_total, 0, :sub_total, :now, :now, :now) "
            "RETURNING id",
    # The items in one multi-row INSERT (PostgreSQL; SQLite: one each), one conditional UPDATE for the stock, one
    # multi-row INSERT for the moves.
    "items": "INSERT INTO bill_item (bill_id, line_no, product_id, type, name, unit, qty, rate, discount_type, "
             "discount_value, cgst_rate, sgst_rate, base_amount, discount_amount, taxable_amount, cgst_amount, "
             "sgst_amount, line_total, show_size_in_bill) VALUES {rows}",
    "item_row": "(:bill_id, :line_no{i}, :product_id{i}, 'product', :name{i}, 'pcs', 1, :rate{i}, 'percent', 5, 9, 9, "
                ":base{i}, :discount{i}, :taxable{i}, :cgst{i}, :sgst{i}, :total{i}, :false)",
    "stock": "UPDATE product SET quantity = round(quantity + CASE product.id {cases} END, 3), "
             "updated_at = :now{locked} WHERE {where} AND round(quantity + CASE product.id {cases} END, 3) >= 0 "
             "RETURNING product.id",
    "moves": "INSERT INTO stock_move (store_id, product_id, delta, reason, bill_id, user_id, at) VALUES {rows}",
    "move_row": "(:store_id, :product_id{i}, -1, 'sale', :bill_id, :user_id, :now)",
    "audit_head": "UPDATE audit_chain_head SET seq = seq + 1 WHERE chain = :store_id RETURNING seq, hash",
    "audit_hash": "UPDATE audit_chain_head SET hash = :hash WHERE chain = :store_id",
    "audit": "INSERT INTO audit_log (store_id, user_id, action, entity, entity_id, \"after\", at, chain, seq, "
             "prev_hash, hash) VALUES (:store_id, :user_id, 'create', 'bill', :uid, :after, :now, :store_id, :seq, "
             ":prev, :hash)",
}


class Driver:
    """One connection of the raw driver with the app's settings (SQLite: WAL, busy timeout, legacy transactions)."""

    def __init__(self, database_url: str):
        self.pg = database_url.startswith("postgresql")
        if self.pg:
            import psycopg

            self.conn = psycopg.connect(psycopg_dsn(database_url))
        else:
            self.conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=15, check_same_thread=False)
            for pragma in ("foreign_keys=ON", "busy_timeout=15000", "journal_mode=WAL", "synchronous=NORMAL"):
                self.conn.execute(f"PRAGMA {pragma}")

    def run(self, name: str, params: dict, **fmt):
        sql = STATEMENTS[name].format(**fmt)
        if self.pg:
            sql = re.sub(r":(\w+)", r"%(\1)s", sql)
            params = {k: (v.replace(tzinfo=None) if isinstance(v, datetime) else v) for k, v in params.items()}
        else:
            params = {k: (str(v) if isinstance(v, (Decimal, datetime)) else v) for k, v in params.items()}
            if "now" in params:
                params["now"] = params["now"].replace("+00:00", "")
        cursor = self.conn.execute(sql, params)
        return cursor

    def save_bill(self, info: dict) -> None:
        from services.billing.numbering import financial_year, format_number
        from services.billing.pricing import LineInput, price_bill

        now = datetime.now(timezone.utc)
        today = now.date().isoformat() if not self.pg else now.date()
        base = {"store_id": info["store_id"], "user_id": info["user_id"], "false": False, "now": now}
        self.run("user_store", {**base, "store_uid": info["store_uid"]}).fetchall()
        uid_params = {f"u{i}": u for i, u in enumerate(info["product_uids"])}
        placeholders = ", ".join(f":u{i}" for i in range(LINES))
        products = self.run("products", {**base, **uid_params}, uids=placeholders).fetchall()
        assert len(products) == LINES
        party = self.run("customer", {**base, "phone": "+919800012345"}).fetchone()
        self.run("memberships", {**base, "party_id": party[0], "today": today}).fetchall()
        fy = financial_year(now)
        after = self.run("counter", {**base, "fy": fy}).fetchone()[0]
        lines = [LineInput(Decimal("99.50") + i, 1, "percent", Decimal(5), Decimal(9), Decimal(9))
                 for i in range(LINES)]
        priced = price_bill(lines)
        uid = str(uuid.uuid4())
        bill_id = self.run("bill", {
            **base, "uid": uid, "number": format_number("INV", fy, after - 1), "fy": fy, "seq": after - 1,
            "today": today, "party_id": party[0], "name": "Bench Customer", "phone": "+919800012345",
            "sub_total": priced.totals.sub_total, "tax": priced.totals.tax_amount,
            "cgst": priced.totals.cgst_amount, "sgst": priced.totals.sgst_amount,
        }).fetchone()[0]
        rows, values = [], {**base, "bill_id": bill_id}
        for i, (product_id, amounts) in enumerate(zip(info["product_ids"], priced.lines)):
            rows.append(STATEMENTS["item_row"].format(i=i))
            values.update({f"product_id{i}": product_id, f"line_no{i}": i + 1, f"name{i}": f"Item {i}",
                           f"rate{i}": Decimal("99.50") + i, f"base{i}": amounts.base_amount,
                           f"discount{i}": amounts.discount_amount, f"taxable{i}": amounts.taxable_amount,
                           f"cgst{i}": amounts.cgst_amount, f"sgst{i}": amounts.sgst_amount,
                           f"total{i}": amounts.line_total})
        if self.pg:
            self.run("items", values, rows=", ".join(rows))
        else:  # as the save does on SQLite (docs/performance.md, "Bill save"): one INSERT per item
            for row in rows:
                self.run("items", values, rows=row)
        ids = sorted(info["product_ids"])
        cases = " ".join(f"WHEN {int(product_id)} THEN -1" for product_id in ids)
        in_list = ", ".join(str(int(product_id)) for product_id in ids)
        # PostgreSQL locks the rows in id order first, as the app does (services.catalog.stock._take_all).
        locked = (f" FROM (SELECT id FROM product WHERE id IN ({in_list}) ORDER BY id FOR UPDATE) AS locked"
                  if self.pg else "")
        where = "product.id = locked.id" if self.pg else f"product.id IN ({in_list})"
        if len(self.run("stock", base, cases=cases, where=where, locked=locked).fetchall()) != LINES:
            raise RuntimeError("stock ran out")
        moves = {**base, "bill_id": bill_id, **{f"product_id{i}": product_id for i, product_id in enumerate(ids)}}
        self.run("moves", moves, rows=", ".join(STATEMENTS["move_row"].format(i=i) for i in range(LINES)))
        seq, prev = self.run("audit_head", base).fetchone()
        digest = uuid.uuid4().hex * 2  # stands for the row's sha256 (the hashing is Python, not SQL)
        self.run("audit_hash", {**base, "hash": digest})
        self.run("audit", {**base, "uid": uid, "after": json.dumps({"invoice_number": after - 1}), "seq": seq,
                           "prev": prev, "hash": digest})
        self.conn.commit()


def driver_bench(database_url: str, info: dict, bills: int, clients: int) -> tuple[float, list[float]]:
    drivers = [Driver(database_url) for _ in range(clients)]
    pool = list(drivers)
    lock = threading.Lock()

    def one():
        with lock:
            driver = pool.pop()
        try:
            driver.save_bill(info)
        finally:
            with lock:
                pool.append(driver)

    one()
    result = timed_runs(bills, clients, one)
    for driver in drivers:
        driver.conn.close()
    return result


# --------------------------------------------------------------------------- report


def summary(label: str, wall: float, latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    row = {"label": label, "rate": len(latencies) / wall, "p50": statistics.median(ordered) * 1000, "p95": p95 * 1000}
    print(f"  {label:<34} {row['rate']:8.1f} bills/s   p50 {row['p50']:7.2f} ms   p95 {row['p95']:7.2f} ms"
          f"   ({len(latencies)} bills in {wall:.1f} s)")
    return row


def bench_backend(name: str, database_url: str, instance: Path, args) -> dict:
    print(f"\n{name}: {LINES}-line bills, {args.clients} concurrent clients, gunicorn --workers {args.workers}")
    build_schema(database_url, instance)
    info = seed(database_url, instance)
    process, url = start_gunicorn(database_url, instance, args.workers)
    try:
        api = summary("HTTP API (gunicorn)", *http_bench(url, info, args.bills, args.clients))
    finally:
        process.terminate()
        process.wait(timeout=10)
    raw = summary(f"driver baseline ({args.workers} connections)",
                  *driver_bench(database_url, info, args.bills, args.workers))
    print(f"  ratio API / baseline: throughput {api['rate'] / raw['rate']:.2f}x, "
          f"p50 latency {api['p50'] / raw['p50']:.1f}x")
    return {"rate": api["rate"], "p50_ms": api["p50"], "p95_ms": api["p95"], "baseline_rate": raw["rate"],
            "baseline_p50_ms": raw["p50"], "baseline_p95_ms": raw["p95"], "ratio": api["rate"] / raw["rate"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bills", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="PostgreSQL URL of a database the bench may EMPTY (default $BENCH_DATABASE_URL)")
    parser.add_argument("--no-pg", action="store_true")
    json_argument(parser)
    args = parser.parse_args()
    args.bills = min(args.bills, 2000)  # keep the run bounded
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_instance = Path(tmp) / "sqlite"
        sqlite_instance.mkdir()
        figures["save_sqlite"] = bench_backend("SQLite (WAL file)", f"sqlite:///{sqlite_instance / 'bench.db'}",
                                               sqlite_instance, args)
        if args.pg and not args.no_pg:
            pg_instance = Path(tmp) / "pg"
            pg_instance.mkdir()
            figures["save_pg"] = bench_backend("PostgreSQL", args.pg, pg_instance, args)
        elif not args.no_pg:
            print("\nPostgreSQL skipped: pass --pg URL or set BENCH_DATABASE_URL")
    write_json(args.json, "bench_billing_api", figures,
               {"bills": args.bills, "clients": args.clients, "workers": args.workers, "lines": LINES})


if __name__ == "__main__":
    main()
