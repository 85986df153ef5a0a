"""What the page benchmarks share: a signed-in test client, timing GET requests in turn, p50/p95 lines.

Each script seeds its own data; these measure it the same way: every URL once to warm its statements and templates,
then `runs` rounds over all of them (interleaved, so a slow moment of the machine falls on every figure alike).
"""
from __future__ import annotations

import statistics
import time
from typing import Optional


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
