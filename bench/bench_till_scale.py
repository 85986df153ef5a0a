"""Benchmark: server time of each till interaction with 100,000 products, on SQLite and on PostgreSQL.

As a signed-in cashier through the Flask test client (routing, login, the till session, pricing, templates, the
database; no network): search (/pos/search) for several kinds of term, add a line by scanning a barcode and by
Enter on a name (/pos/scan), change a quantity (/pos/lines/<i>) and save (/pos/save, the F9 path). Prints p50 and
p95 in milliseconds per interaction and backend, and beside the search the baseline of the same run: the plain
contains-match without the trigram index (SQLite: no FTS5 look-up; PostgreSQL: the pg_trgm indexes dropped for
the baseline and built again after), timed the same way. Not a test: it prints figures.

    .venv/bin/python bench/bench_till_scale.py [--products 100000] [--runs 30] [--pg URL] [--no-sqlite] [--json PATH]

With --json the figures are also written as JSON (for bench/report.py).

SQLite runs on a temporary file. With --pg the PostgreSQL database given is EMPTIED (tables dropped).
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_pos import BRANDS, WORDS, build_app, build_catalogue  # noqa: E402  (bench/ is not a package)
from benchlib import json_argument, stats, write_json  # noqa: E402

HX = {"HX-Request": "true"}
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def search_terms(catalogue: list[tuple[int, str, str]]) -> dict[str, str]:
    """One term of each kind, against bench_pos's names ("Tata Basmati 000123"), SKUs and barcodes."""
    n = len(catalogue) // 3
    _, sku, barcode = catalogue[n]
    name = f"{BRANDS[n % len(BRANDS)]} {WORDS[(n // 10) % len(WORDS)]} {n:06d}"  # as build_catalogue names it
    rare = name[len(BRANDS[n % len(BRANDS)]) + 3:-1]  # "sala 03333": ten items
    return {
        "common prefix 'tata'": "tata",
        "common word 'masala'": "masala",
        f"rare infix '{rare}'": rare,
        "barcode part": barcode[-7:],
        "exact barcode": barcode,
        "exact SKU": sku,
        "no match 'xyzzy'": "xyzzy",
        "2 letters 'ta' (no trigram)": "ta",
    }


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[94] if len(samples) > 1 else samples[0]


def line(name: str, samples: list[float], baseline: list[float] | None = None) -> str:
    text = f"  {name:<30} n={len(samples):<4} p50 {statistics.median(samples):7.1f} ms  p95 {p95(samples):7.1f} ms"
    if baseline:
        text += f"   | plain ILIKE p50 {statistics.median(baseline):7.1f} ms  p95 {p95(baseline):7.1f} ms"
    return text


def timed(call, status: int = 200) -> tuple[float, object]:
    start = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != status:
        body = response.get_data(as_text=True)
        errors = re.findall(r"class=\"[^\"]*(?:error|flash)[^\"]*\"[^>]*>([^<]+)", body)
        raise SystemExit(f"unexpected {response.status_code}: {errors or body[:500]}")
    return elapsed, response


def time_searches(client, terms: dict[str, str], runs: int) -> dict[str, list[float]]:
    for term in terms.values():  # warm up each statement once
        client.get("/pos/search", query_string={"q": term}, headers=HX)
    samples: dict[str, list[float]] = {name: [] for name in terms}
    for _ in range(runs):
        for name, term in terms.items():
            samples[name].append(timed(lambda term=term: client.get("/pos/search", query_string={"q": term},
                                                                    headers=HX))[0])
    return samples


def plain_search(app, is_pg: bool):
    """The search as it was: the contains-match alone (on PostgreSQL also without the pg_trgm indexes), with no walk
    of the postings and no narrow search table."""
    from services.catalog import search, search_index

    class Plain:
        def __enter__(self):
            self.saved = search.catalogue_match, search.page_by_postings, search.has_words_path
            search.catalogue_match = lambda term, **_: search._contains_term(term)
            search.page_by_postings = lambda *_, **__: None
            search.has_words_path = lambda term: False
            if is_pg:
                self._ddl([f"DROP INDEX IF EXISTS {name}" for name in search_index.TRGM_INDEXES])

        def __exit__(self, *exc):
            search.catalogue_match, search.page_by_postings, search.has_words_path = self.saved
            if is_pg:
                with app.app_context():
                    from extensions import db

                    with db.engine.begin() as connection:
                        search_index.create_postgresql(connection)
                        connection.exec_driver_sql("ANALYZE product")

        def _ddl(self, statements):
            with app.app_context():
                from extensions import db

                with db.engine.begin() as connection:
                    for statement in statements + ["ANALYZE product"]:
                        connection.exec_driver_sql(statement)

    return Plain()


def bench(label: str, url: str, instance: Path, args) -> dict:
    is_pg = url.startswith("postgresql")
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
        with db.engine.begin() as connection:  # what autovacuum (PostgreSQL) or `PRAGMA optimize` would do
            for statement in (["ANALYZE product", "ANALYZE product_search", "ANALYZE product_trigram"] if is_pg
                              else ["ANALYZE"]):  # the search tables too: autovacuum analyses every table
                connection.exec_driver_sql(statement)
        print(f"\n{label}: {len(catalogue):,} products inserted (index kept by triggers) in "
              f"{time.perf_counter() - started:.1f} s")
        user_id = cashier.get_id()

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
    client.get("/pos")  # warm up: the till session, templates

    terms = search_terms(catalogue)
    with plain_search(app, is_pg):
        baseline = time_searches(client, terms, args.runs)
    searches = time_searches(client, terms, args.runs)

    scans, names, quantities, saves = [], [], [], []
    for bill_no in range(args.runs):
        for n in range(3):  # three scans, two names typed with Enter: a five-line bill
            barcode = catalogue[(bill_no * 7919 + n * 104729) % len(catalogue)][2]
            scans.append(timed(lambda code=barcode: client.post("/pos/scan", data={"q": code}, headers=HX))[0])
        for n in range(2):
            number = (bill_no * 6007 + n * 3001) % len(catalogue)
            names.append(timed(lambda q=f"{number:06d}": client.post("/pos/scan", data={"q": q}, headers=HX))[0])
        quantities.append(timed(lambda: client.post(
            "/pos/lines/1", data={"qty": "3", "discount_type": "percent", "discount_value": "0"}, headers=HX))[0])
        key = KEY.search(client.get("/pos").get_data(as_text=True)).group(1)  # what the page holds (not timed)
        saves.append(timed(lambda key=key: client.post("/pos/save", data={"idempotency_key": key}, headers=HX))[0])

    print(f"{label}: server time per till interaction, {args.products:,} products, {args.runs} runs each")
    everything = [ms for name in terms for ms in searches[name]]
    old = [ms for name in terms for ms in baseline[name]]
    print(line("search, every term", everything, old))
    for name in terms:
        print(line(f"  {name}", searches[name], baseline[name]))
    print(line("add line: scan barcode", scans))
    print(line("add line: Enter on a name", names))
    print(line("change quantity", quantities))
    print(line("save (F9)", saves))
    with app.app_context():
        from extensions import db

        if is_pg:
            db.drop_all()
        db.engine.dispose()
    plain = stats(old)
    return {"search": {**stats(everything), "baseline_p50_ms": plain["p50_ms"], "baseline_p95_ms": plain["p95_ms"]},
            "scan": stats(scans), "enter_name": stats(names), "quantity": stats(quantities), "save": stats(saves)}


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
    write_json(args.json, "bench_till_scale", {f"till_{name}_{backend}": values for backend, run in figures.items()
                                               for name, values in run.items()},
               {"products": args.products, "runs": args.runs})


if __name__ == "__main__":
    main()
