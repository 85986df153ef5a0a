"""What the page benchmarks share: a signed-in test client, timing GET requests in turn, p50/p95 lines, and the
figures as JSON for bench/report.py (`--json PATH`).

Each script seeds its own data; these measure it the same way: every URL once to warm its statements and templates,
then `runs` rounds over all of them (interleaved, so a slow moment of the machine falls on every figure alike).
"""
from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path
from typing import Optional


def psycopg_dsn(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as psycopg's own connection string."""
    return re.sub(r"^postgresql\+psycopg://", "postgresql://", url)


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[94] if len(samples) > 1 else samples[0]


def signed_in_client(app, user_id: str):
    """A test client whose session is this user's (as after a login)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
    return client


def timed(client, url: str, headers: Optional[dict] = None) -> float:
    """Milliseconds to answer a GET; anything but 200 stops the bench."""
    start = time.perf_counter()
    response = client.get(url, headers=headers or {})
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"unexpected {response.status_code} for {url}: {response.get_data(as_text=True)[:300]}")
    return elapsed


def measure(client, urls: dict[str, str], runs: int, headers_of=lambda name: None) -> dict[str, list[float]]:
    """Each named URL's times over `runs` rounds, after one warm-up request each; `headers_of(name)` the headers."""
    for name, path in urls.items():
        timed(client, path, headers_of(name))
    samples: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(runs):
        for name, path in urls.items():
            samples[name].append(timed(client, path, headers_of(name)))
    return samples


def figure(name: str, values: list[float], width: int = 32, target: Optional[float] = None) -> str:
    """One line of the table: p50 and p95, flagged when the p95 is over the target."""
    flag = "  over target" if target is not None and p95(values) > target else ""
    return f"  {name:<{width}} p50 {statistics.median(values):9.1f} ms   p95 {p95(values):9.1f} ms{flag}"


def fresh_owner(store_name: str = "Bench Store", business_kind: str = "general"):
    """Empty tables, then one verified owner with a store (inside an app context): (owner, store)."""
    from extensions import db
    from services.accounts.stores import create_owner

    db.drop_all()
    db.create_all()
    return create_owner(username="benchowner", email="owner@bench.test", password="Password123!",
                        store_name=store_name, business_kind=business_kind, verified=True)


def finish(app, is_pg: bool) -> None:
    """After a run: a PostgreSQL database is left empty (SQLite's file goes with its folder)."""
    from extensions import db

    with app.app_context():
        if is_pg:
            db.drop_all()
        db.engine.dispose()


# --------------------------------------------------------------------------- figures as JSON (bench/report.py)


def json_argument(parser) -> None:
    """The `--json PATH` option every bench that measures an issue's figure takes."""
    parser.add_argument("--json", metavar="PATH", default=None,
                        help="also write the figures as JSON to PATH (bench/report.py reads it)")


def stats(samples_ms: list[float]) -> dict:
    """A list of millisecond timings as the JSON figures hold them: count, p50 and p95 (as `figure` prints them)."""
    return {"n": len(samples_ms), "p50_ms": statistics.median(samples_ms), "p95_ms": p95(samples_ms)}


def write_json(path: Optional[str], script: str, figures: dict, params: Optional[dict] = None,
               skipped: Optional[str] = None) -> None:
    """Write a run's figures (name -> numbers) for bench/report.py: {"script", "params", "figures", "skipped"}.
    Nothing without a path; `skipped` says why a run measured nothing."""
    if not path:
        return
    document = {"script": script, "params": params or {}, "figures": figures, "skipped": skipped}
    Path(path).write_text(json.dumps(document, indent=2) + "\n")  # in the order measured: the table's order
