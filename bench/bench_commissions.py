"""Benchmark: the commission report's server time with a year of salon bills: 50,000 bill items (25,000 bills of
two services each) spread over the last 365 days for 10 staff members, seeded in bulk (PostgreSQL: COPY). Every
line has its staff member and its stamped commission; 1 bill in 50 is cancelled and 1 in 40 is on credit (unpaid),
so the report's filters have rows to leave out.

As a signed-in owner through the Flask test client (routing, login, the query, the templates; no network): the
report for last month and for the whole year (the page: summary and the first 200 lines), each also for one staff
member (`?staff=`), and the year's CSV and XLSX downloads. Beside them, in the same run, the baseline: /healthz (the
same stack answering a trivial SELECT 1). Prints p50 and p95 in milliseconds. Not a test.

    .venv/bin/python bench/bench_commissions.py [--items 50000] [--runs 10] [--pg URL] [--no-sqlite]

SQLite runs on a temporary file. With --pg the PostgreSQL database given is EMPTIED (tables dropped).
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_pos import build_app  # noqa: E402  (bench/ is not a package)
from bench_reports import BILL_COLUMNS, ITEM_COLUMNS, _naive  # noqa: E402
from benchlib import figure, finish, fresh_owner, measure, signed_in_client  # noqa: E402

STAFF = 10
SERVICES = [("Haircut", 500), ("Hair Spa", 1200), ("Facial", 800), ("Manicure", 450), ("Pedicure", 600),
            ("Hair Colour", 2200), ("Threading", 80), ("Waxing", 700)]
CHUNK = 20_000
SALON_ITEM_COLUMNS = ITEM_COLUMNS + ("staff_id", "commission_amount")
CENT = Decimal("0.01")



def rows(store_id: int, user_id: int, product_ids: list[int], staff_ids: list[int], bills: int, today: date):
    """(bill, items) rows for `bills` bills of two services each over the last 365 days, oldest first."""
    rng = random.Random(16)
    start = datetime.combine(today - timedelta(days=365), datetime.min.time(), tzinfo=timezone.utc)
    span = 365 * 86400
    item_id = 0
    for n in range(1, bills + 1):
        moment = start + timedelta(seconds=span * n // (bills + 1))
        lines, sub, tax = [], Decimal(0), Decimal(0)
        for line_no in (1, 2):
            index = rng.randrange(len(SERVICES))
            name, price = SERVICES[index]
            price = Decimal(price)
            taxable = price
            half = (taxable * Decimal("0.09")).quantize(CENT)
            staff_id = staff_ids[(n + line_no) % len(staff_ids)]
            commission = (taxable * Decimal("0.10")).quantize(CENT)
            item_id += 1
            lines.append((item_id, n, line_no, product_ids[index], "service", name, "999721", "pcs", 1, 0, price,
                          False, "flat", 0, Decimal(9), Decimal(9), 0, taxable, 0, taxable, half, half, 0, 0,
                          taxable + 2 * half, False, None, staff_id, commission))
            sub += taxable + 2 * half
            tax += 2 * half
        cancelled = moment if n % 50 == 0 else None
        unpaid = n % 40 == 0
        local_day = (moment + timedelta(hours=5, minutes=30)).date()
        fy = local_day.year if local_day.month >= 4 else local_day.year - 1
        paid = Decimal(0) if unpaid else sub
        bill = (n, str(uuid.uuid4()), store_id, user_id, "sale", "pos", f"INV{n:08d}", "INV", fy, n, local_day,
                "cancelled" if cancelled else ("unpaid" if unpaid else "paid"), None, f"Client {n % 997}", "27",
                "upi" if n % 2 else "cash", sub, 0, tax, tax / 2, tax / 2, 0, 0, 0, 0, 0, sub, paid, sub - paid,
                moment, moment, cancelled, moment, moment)
        yield bill, lines


def seed(db, store, owner, bills: int, is_pg: bool) -> list[int]:
    """The salon's services, 10 staff members with a 10 % default rule each, and the bills; returns the staff ids."""
    from sqlalchemy import insert, select

    from models import Bill, BillItem, CommissionRule, Product, Staff
    from services.catalog.products import ProductInput, create_products

    create_products(store, owner, [ProductInput.of(product_name=name, unit_price=Decimal(price), type="service",
                                                   hsn_code="999721", cgst_rate=Decimal(9), sgst_rate=Decimal(9))
                                   for name, price in SERVICES])
    staff = [Staff(store_id=store.id, name=f"Stylist {n:02d}", role="stylist") for n in range(STAFF)]
    db.session.add_all(staff)
    db.session.flush()
    db.session.add_all(CommissionRule(store_id=store.id, staff_id=member.id, kind="percent", value=Decimal(10))
                       for member in staff)
    db.session.commit()
    product_ids = list(db.session.execute(select(Product.id).where(Product.store_id == store.id)
                                          .order_by(Product.id)).scalars())
    staff_ids = [member.id for member in staff]
    source = rows(store.id, owner.id, product_ids, staff_ids, bills, store.local_today())
    if is_pg:
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            items = []
            with cursor.copy(f"COPY bill ({', '.join(BILL_COLUMNS)}) FROM STDIN") as copy:
                for bill, lines in source:
                    copy.write_row([_naive(v) for v in bill])
                    items.extend(lines)
            with cursor.copy(f"COPY bill_item ({', '.join(SALON_ITEM_COLUMNS)}) FROM STDIN") as copy:
                for item in items:
                    copy.write_row(item)
            for table in ("bill", "bill_item"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            raw.commit()
        finally:
            raw.close()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE bill")  # as autovacuum would after a bulk load
            connection.exec_driver_sql("VACUUM ANALYZE bill_item")
        return staff_ids
    batch_bills, batch_items = [], []

    def flush():
        db.session.execute(insert(Bill.__table__), batch_bills)
        db.session.execute(insert(BillItem.__table__), batch_items)
        db.session.commit()
        batch_bills.clear(), batch_items.clear()

    for bill, lines in source:
        batch_bills.append(dict(zip(BILL_COLUMNS, bill)))
        batch_items.extend(dict(zip(SALON_ITEM_COLUMNS, line)) for line in lines)
        if len(batch_bills) >= CHUNK:
            flush()
    if batch_bills:
        flush()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    return staff_ids



def bench(label: str, url: str, instance: Path, items: int, runs: int) -> None:
    is_pg = url.startswith("postgresql")
    app = build_app(url, instance)
    with app.app_context():
        from extensions import db

        owner, store = fresh_owner("Bench Salon", "salon")
        store.state_code = "27"
        db.session.commit()
        started = time.perf_counter()
        staff_ids = seed(db, store, owner, items // 2, is_pg)
        print(f"\n{label}: {items:,} bill items ({items // 2:,} bills, {STAFF} staff) seeded in "
              f"{time.perf_counter() - started:.1f} s")
        today = store.local_today()
        user_id = owner.get_id()
    last_month = today.replace(day=1) - timedelta(days=1)
    month = f"from={last_month.replace(day=1).isoformat()}&to={last_month.isoformat()}"
    year = f"from={(today - timedelta(days=364)).isoformat()}&to={today.isoformat()}"
    one = staff_ids[3]
    urls = {
        "baseline /healthz": "/healthz",
        "report, last month": f"/reports/commissions?{month}",
        "report, last month, one staff": f"/reports/commissions?{month}&staff={one}",
        "report, the year": f"/reports/commissions?{year}",
        "report, the year, one staff": f"/reports/commissions?{year}&staff={one}",
        "CSV, the year": f"/reports/commissions?{year}&download=csv",
        "XLSX, the year": f"/reports/commissions?{year}&download=xlsx",
        "XLSX, the year, one staff": f"/reports/commissions?{year}&staff={one}&download=xlsx",
    }
    samples = measure(signed_in_client(app, user_id), urls, runs)
    print(f"{label}: server time per request, {items:,} bill items over a year (~{items // 365:,} a day), "
          f"{runs} runs each")
    for name, values in samples.items():
        print(figure(name, values, 32))
    finish(app, is_pg)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (its tables are dropped)")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            bench("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), args.items, args.runs)
        if args.pg:
            bench("PostgreSQL", args.pg, Path(tmp), args.items, args.runs)


if __name__ == "__main__":
    main()
