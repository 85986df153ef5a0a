"""Benchmark: the report pages' server time with many bills: 100,000 on SQLite and (with --pg) 1,000,000 on
PostgreSQL, seeded in bulk (PostgreSQL: COPY) over the last 12 months, 2 lines and 1 payment a bill; about 1 in 20
bills to a registered buyer (B2B), 1 in 10 inter-state, 1 in 50 cancelled.

As a signed-in owner through the Flask test client (routing, login, the queries, the templates; no network): GSTR-1
and GSTR-3B of last month, the sales register of one day and of a whole month, the day book of a day, top products
and sales by staff over 30 days, profit and loss of a month, the stock summary and the home page's dashboard.
Beside them, in the same run, the baseline: /healthz. Prints p50 and p95 in milliseconds. Not a test.

    .venv/bin/python bench/bench_reports.py [--bills 100000] [--runs 10] [--pg URL] [--pg-bills 1000000]
                                            [--no-sqlite]

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
from benchlib import figure, finish, fresh_owner, measure, signed_in_client  # noqa: E402

STATES = ["27", "29", "07", "33"]  # the store is in 27 (Maharashtra)
CHUNK = 20_000



def rows(store_id: int, user_id: int, party_ids: list[int], product_ids: list[int], count: int, today: date):
    """(bill, items, payments) rows for `count` bills spread over the last 365 days, oldest first."""
    rng = random.Random(11)
    start = datetime.combine(today - timedelta(days=365), datetime.min.time(), tzinfo=timezone.utc)
    span = 365 * 86400
    item_id = payment_id = 0
    for n in range(1, count + 1):
        moment = start + timedelta(seconds=span * n // (count + 1))
        inter = n % 10 == 0
        b2b = n % 20 == 0
        lines, sub, tax_c, tax_i = [], Decimal(0), Decimal(0), Decimal(0)
        for line_no in (1, 2):
            rate = Decimal(rng.choice([5, 12, 18]))
            price = Decimal(rng.randint(20, 900))
            qty = rng.randint(1, 3)
            taxable = price * qty
            tax = (taxable * rate / 100).quantize(Decimal("0.01"))
            half = (tax / 2).quantize(Decimal("0.01"))
            cgst = sgst = Decimal(0) if inter else half
            igst = tax if inter else Decimal(0)
            item_id += 1
            lines.append((item_id, n, line_no, product_ids[(n * 2 + line_no) % len(product_ids)], "product",
                          f"Bench item {(n * 2 + line_no) % len(product_ids)}", "1006", "pcs", qty, 0, price, False,
                          "flat", 0, rate / 2 if not inter else 0, rate / 2 if not inter else 0, rate if inter else 0,
                          taxable, 0, taxable, cgst, sgst, igst, 0, taxable + cgst + sgst + igst, False,
                          Decimal("0.8") * price))
            sub += taxable
            tax_c += cgst + sgst
            tax_i += igst
        total = sub + tax_c + tax_i
        cancelled = moment if n % 50 == 0 else None
        local_day = (moment + timedelta(hours=5, minutes=30)).date()
        fy = local_day.year if local_day.month >= 4 else local_day.year - 1
        bill = (n, str(uuid.uuid4()), store_id, user_id, "sale", "pos", f"INV{n:08d}", "INV", fy, n, local_day,
                "paid", party_ids[n % len(party_ids)] if b2b else None, f"Buyer {n % 997}",
                STATES[n % len(STATES)] if inter else "27", "cash" if n % 3 else "upi", sub, 0, tax_c + tax_i,
                tax_c / 2, tax_c / 2, tax_i, 0, 0, 0, 0, total, total, 0, moment, moment, cancelled, moment, moment)
        payment_id += 1
        payment = (payment_id, n, "cash" if n % 3 else "upi", total, moment, 0, user_id, moment)
        yield bill, lines, payment


BILL_COLUMNS = ("id", "uid", "store_id", "user_id", "kind", "source", "invoice_number", "series", "fy", "seq",
                "invoice_date", "status", "party_id", "customer_name", "place_of_supply", "payment_mode", "sub_total",
                "discount", "tax", "cgst_amount", "sgst_amount", "igst_amount", "round_off", "credited_amount",
                "refunded_amount", "additional_charges", "total_amount", "paid_amount", "due_amount",
                "billing_timestamp", "payment_timestamp", "cancelled_at", "created_at", "updated_at")
ITEM_COLUMNS = ("id", "bill_id", "line_no", "product_id", "type", "name", "hsn_code", "unit", "qty", "returned_qty",
                "rate", "price_includes_tax", "discount_type", "discount_value", "cgst_rate", "sgst_rate",
                "igst_rate", "base_amount", "discount_amount", "taxable_amount", "cgst_amount", "sgst_amount",
                "igst_amount", "bill_discount_amount", "line_total", "show_size_in_bill", "unit_cost")
PAYMENT_COLUMNS = ("id", "bill_id", "mode", "amount", "timestamp", "interest_paid", "user_id", "created_at")


def _naive(value):
    return value.astimezone(timezone.utc).replace(tzinfo=None) if isinstance(value, datetime) else value


def seed(db, store, owner, count: int, is_pg: bool) -> None:
    from sqlalchemy import insert, select

    from models import Bill, BillItem, Payment, Product
    from services.catalog.products import ProductInput, create_products
    from services.parties.parties import CustomerInput, create_customer

    create_products(store, owner, [ProductInput.of(product_name=f"Bench item {n}", unit_price=Decimal(100),
                                                   quantity=Decimal(1000), hsn_code="1006",
                                                   cgst_rate=Decimal("2.5"), sgst_rate=Decimal("2.5"))
                                   for n in range(500)])
    parties = [create_customer(store, None, CustomerInput.of(
        name=f"Registered buyer {n}", phone_no=f"+9198700{n:05d}", gstin=None)).id for n in range(20)]
    db.session.commit()
    product_ids = list(db.session.execute(select(Product.id).where(Product.store_id == store.id)).scalars())
    today = store.local_today()
    source = rows(store.id, owner.id, parties, product_ids, count, today)
    if is_pg:
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            items, payments = [], []
            with cursor.copy(f"COPY bill ({', '.join(BILL_COLUMNS)}) FROM STDIN") as bills:
                for bill, lines, payment in source:
                    bills.write_row([_naive(v) for v in bill])
                    items.extend(lines)
                    payments.append(payment)
            with cursor.copy(f"COPY bill_item ({', '.join(ITEM_COLUMNS)}) FROM STDIN") as copy:
                for item in items:
                    copy.write_row(item)
            with cursor.copy(f"COPY payment ({', '.join(PAYMENT_COLUMNS)}) FROM STDIN") as copy:
                for payment in payments:
                    copy.write_row([_naive(v) for v in payment])
            for table in ("bill", "bill_item", "payment"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
        return
    batch_bills, batch_items, batch_payments = [], [], []

    def flush():
        db.session.execute(insert(Bill.__table__), batch_bills)
        db.session.execute(insert(BillItem.__table__), batch_items)
        db.session.execute(insert(Payment.__table__), batch_payments)
        db.session.commit()
        batch_bills.clear(), batch_items.clear(), batch_payments.clear()

    for bill, lines, payment in source:
        batch_bills.append(dict(zip(BILL_COLUMNS, bill)))
        batch_items.extend(dict(zip(ITEM_COLUMNS, line)) for line in lines)
        batch_payments.append(dict(zip(PAYMENT_COLUMNS, payment)))
        if len(batch_bills) >= CHUNK:
            flush()
    if batch_bills:
        flush()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")



def bench(label: str, url: str, instance: Path, count: int, runs: int) -> None:
    is_pg = url.startswith("postgresql")
    app = build_app(url, instance)
    with app.app_context():
        from extensions import db

        owner, store = fresh_owner("Bench Store", "general")
        store.state_code, store.gstin = "27", "27AAPFU0939F1ZV"
        db.session.commit()
        started = time.perf_counter()
        seed(db, store, owner, count, is_pg)
        print(f"\n{label}: {count:,} bills seeded in {time.perf_counter() - started:.1f} s")
        today = store.local_today()
        user_id = owner.get_id()
    last_month = (today.replace(day=1) - timedelta(days=1))
    period = f"{last_month.month:02d}{last_month.year}"
    month_from, month_to = last_month.replace(day=1).isoformat(), last_month.isoformat()
    day = (today - timedelta(days=3)).isoformat()
    urls = {
        "baseline /healthz": "/healthz",
        "GSTR-1, last month": f"/reports/gstr1?period={period}",
        "GSTR-3B, last month": f"/reports/gstr3b?period={period}",
        "sales register, one day": f"/reports/sales-register?from={day}&to={day}",
        "sales register, last month": f"/reports/sales-register?from={month_from}&to={month_to}",
        "day book, one day": f"/reports/day-book?from={day}&to={day}",
        "top products, 30 days": "/reports/top-products",
        "sales by staff, 30 days": "/reports/sales-by-staff",
        "profit and loss, last month": f"/reports/profit-and-loss?from={month_from}&to={month_to}",
        "stock summary": "/reports/stock-summary",
        "dashboard (home page)": "/",
    }
    samples = measure(signed_in_client(app, user_id), urls, runs)
    print(f"{label}: server time per request, {count:,} bills (~{count // 365:,} a day), {runs} runs each")
    for name, values in samples.items():
        print(figure(name, values, 30))
    finish(app, is_pg)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bills", type=int, default=100_000)
    parser.add_argument("--pg-bills", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (its tables are dropped)")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            bench("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), args.bills, args.runs)
        if args.pg:
            bench("PostgreSQL", args.pg, Path(tmp), args.pg_bills, args.runs)


if __name__ == "__main__":
    main()
