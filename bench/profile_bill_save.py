"""Profile of one Billing v1 save (5 lines) in-process: SQL statements per save, and cProfile's top functions.

Saves bills through the Flask test client (the real view, auth, idempotency and service) on SQLite and, given a URL,
PostgreSQL, and prints for each: the statements one save runs (counted with SQLAlchemy cursor events, normalised,
with their count and total milliseconds over the measured saves) and cProfile's top functions by cumulative time.
Not a test: it prints figures. Statement counts are exact and repeatable; times are as loaded as the machine.

    .venv/bin/python bench/profile_bill_save.py [--bills 50] [--top 30] [--pg URL] [--key] [--spy]

--key sends an Idempotency-Key with every save (its claim is a separate commit). --spy samples the saves with py-spy
(requirements-dev.txt) instead of cProfile, whose per-call overhead overstates SQLAlchemy's deep call chains, and
prints each part's share of a save's wall time, waiting on the database included. The PostgreSQL database given is
EMPTIED (tables dropped and created).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_billing_api import LINES, bill_body, seed_store  # noqa: E402  (bench/ is not a package)


class StatementLog:
    """Counts each normalised statement and its time, between start() and stop(); commits and rollbacks too."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.active = False
        self.counts: dict[str, int] = defaultdict(int)
        self.millis: dict[str, float] = defaultdict(float)
        self.executes = 0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "commit", lambda conn: self._tally("COMMIT"))
        event.listen(engine, "rollback", lambda conn: self._tally("ROLLBACK"))

    def start(self) -> None:
        self.counts.clear()
        self.millis.clear()
        self.executes = 0
        self.active = True

    def stop(self) -> None:
        self.active = False

    def _tally(self, sql: str, millis: float = 0.0) -> None:
        if self.active:
            self.counts[sql] += 1
            self.millis[sql] += millis

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["profile_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if not self.active:
            return
        self.executes += 1
        millis = (time.perf_counter() - conn.info.pop("profile_started", time.perf_counter())) * 1000
        label = normalise(statement)
        if executemany:
            label = "[executemany] " + label
        self._tally(label, millis)

    def report(self, saves: int) -> str:
        total = sum(self.counts.values())
        lines = [f"  statements per save: {total / saves:.1f} ({self.executes / saves:.1f} cursor executes, "
                 f"commits and rollbacks the rest)",
                 f"  {'per save':>8} {'total ms':>9}  statement"]
        for sql, count in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {count / saves:8.1f} {self.millis[sql]:9.1f}  {sql}")
        return "\n".join(lines)


def normalise(sql: str) -> str:
    """One line, parameter lists folded, long column lists cut, so that equal statements group together."""
    text = re.sub(r"\s+", " ", sql).strip()
    text = re.sub(r"\((?:\s*(?:\?|%\(\w+\)s|:\w+|__\[POSTCOMPILE_\w+\])\s*,?)+\)", "(…)", text)
    text = re.sub(r"VALUES (\(…\)(, )?)+", "VALUES (…)", text)
    text = re.sub(r"SELECT (.{60}).*? FROM", r"SELECT \1… FROM", text)
    return text[:170]


def build(database_url: str, instance: Path):
    os.environ.update({"DATABASE_URL": database_url, "SECRET_KEY": "profile-secret-key-long-enough-for-hs256",
                       "INSTANCE_PATH": str(instance), "RATELIMIT_ENABLED": "false",
                       "MAIL_OUTBOX": str(instance / "outbox")})

    from app import create_app
    from config import Config
    from extensions import db

    app = create_app(Config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        info = seed_store("profile")
    return app, info


def profile_backend(name: str, database_url: str, instance: Path, args) -> None:
    from extensions import db

    app, info = build(database_url, instance)
    client = app.test_client()
    url = f"/api/v1/billing/{info['store_uid']}/bills"
    body = bill_body(info)

    def save():
        headers = {"Authorization": f"Bearer {info['token']}"}
        if args.key:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        response = client.post(url, json=body, headers=headers)
        if response.status_code != 201:
            raise SystemExit(f"unexpected {response.status_code}: {response.get_data(as_text=True)[:300]}")

    with app.app_context():
        log = StatementLog(db.engine)
    for _ in range(3):  # warm up: the customer, the counter row, compiled statements
        save()
    log.start()
    started = time.perf_counter()
    for _ in range(args.bills):
        save()
    wall = time.perf_counter() - started
    log.stop()
    print(f"\n{name}: {args.bills} saves of {LINES}-line bills{' with Idempotency-Key' if args.key else ''}, "
          f"{wall / args.bills * 1000:.1f} ms each without the profiler (loaded machine: rough)")
    print(log.report(args.bills))

    if args.sampled:  # under py-spy (--spy): the parent reads the frames under sampled_saves
        sampled_saves(save, args.bills * 4)
        args.top = 0
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.bills if not args.sampled else 0):
        save()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
    if not args.sampled:
        print(f"\n  cProfile, {args.bills} saves, top {args.top} by cumulative time:")
        print("\n".join("  " + line for line in out.getvalue().splitlines() if line.strip()))
    with app.app_context():
        if database_url.startswith("postgresql"):
            db.drop_all()
        db.session.remove()
        db.engine.dispose()


def sampled_saves(save, count: int) -> None:
    for _ in range(count):
        save()


# The parts of a save --spy reports: (label, frame names; a sample counts once for a part however deep it recurs).
SPY_PARTS = [
    ("the whole request (Flask test client)", ("Flask.wsgi_app",)),
    ("  member_store: token, user, store", ("member_store",)),
    ("    JWT decode", ("PyJWT.decode",)),
    ("  read_json + parse_bill_payload", ("read_json", "parse_bill_payload")),
    ("  services.billing.bills.save_bill", ("save_bill (services/billing/bills.py",)),
    ("    ORM flushes inside save_bill", ("scoped_session.flush",)),
    ("    stock: take_for_sale", ("take_for_sale",)),
    ("    customer and memberships", ("customer_party", "active_memberships")),
    ("    invoice number (counter)", ("take_next",)),
    ("  bill_v1 (response body)", ("bill_v1",)),
    ("  commit (audit chain flush, COMMIT, hooks)", ("scoped_session.commit",)),
    ("    audit chain (head, hash, row)", ("_append (services/audit_chain.py",)),
    ("    prerender enqueue (after commit)", ("_enqueue_after_commit",)),
    ("SQLAlchemy building/compiling/caching statements", ("_compile_w_cache", "_generate_cache_key")),
    ("waiting on PostgreSQL (psycopg wait)", ("Connection.wait (psycopg",)),
    ("driver calls (execute, commit; on PostgreSQL with the waits)",
     ("DefaultDialect.do_execute", "DefaultDialect.do_commit", "DefaultDialect.do_executemany")),
]


def spy(args) -> None:
    """Run this script under py-spy once per backend and print SPY_PARTS' shares of the sampled saves."""
    binary = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    runs = [("SQLite (WAL file)", ["--no-pg"])] if not args.no_sqlite else []
    if args.pg:
        runs.append(("PostgreSQL", ["--no-sqlite", "--pg", args.pg]))
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in runs:
            raw = Path(tmp) / "spy.txt"
            child = [sys.executable, __file__, "--sampled", "--bills", str(args.bills), *extra]
            if args.key:
                child.append("--key")
            subprocess.run([binary, "record", "--rate", "250", "--format", "raw", "--output", str(raw), "--",
                            *child], check=True, capture_output=True)
            stacks = []
            for line in raw.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                if "sampled_saves (" in stack:
                    stacks.append((stack, int(count)))
            total = sum(count for _, count in stacks) or 1
            print(f"\n{name}: py-spy, {args.bills * 4} saves, share of the sampled wall time ({total} samples)")
            for label, frames in SPY_PARTS:
                hits = sum(count for stack, count in stacks if any(f + " (" in stack or f in stack for f in frames))
                print(f"  {100 * hits / total:5.1f} %  {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bills", type=int, default=50)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="PostgreSQL URL of a database the profile may EMPTY (default $BENCH_DATABASE_URL)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--key", action="store_true", help="send an Idempotency-Key with each save")
    parser.add_argument("--spy", action="store_true", help="sample with py-spy instead of cProfile")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--sampled", action="store_true", help=argparse.SUPPRESS)  # the child --spy runs
    args = parser.parse_args()
    if args.no_pg:
        args.pg = None
    if args.spy:
        spy(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            instance = Path(tmp) / "sqlite"
            instance.mkdir()
            profile_backend("SQLite (WAL file)", f"sqlite:///{instance / 'profile.db'}", instance, args)
        if args.pg:
            instance = Path(tmp) / "pg"
            instance.mkdir()
            profile_backend("PostgreSQL", args.pg, instance, args)


if __name__ == "__main__":
    main()
