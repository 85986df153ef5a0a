"""Benchmark: memory of one gunicorn worker over a long mixed run (issue 17: at most 120 MB RSS after 10,000
requests, no growth over the last 5,000).

One gunicorn worker (sync, as `make run` and docs/operations.md run it) on SQLite (or PostgreSQL with --pg) answers
REQUESTS requests from two client threads, in a fixed mix of what a shop's day sends: Billing v1 saves (5 lines),
the till page and its search, the inventory page and its search, the bills list, a bill's page, its invoice PDF
(cached after its first render; every 250th request asks for a new bill's PDF, a real render), the catalogue and
bills over the API, a GSTR-1 month over the API, and /healthz. The worker's RSS (VmRSS of its process) is read
every 500 requests. Prints the samples, the RSS after REQUESTS, and the growth over the last half of the run.
RSS is not a timing: the figure holds on a loaded machine too. Not a test.

    .venv/bin/python bench/bench_worker_rss.py [--requests 10000] [--pg URL] [--json PATH]

With --pg the PostgreSQL database given is EMPTIED (schema dropped) and rebuilt by the migration.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_billing_api import bill_body, build_schema, seed, start_gunicorn  # noqa: E402  (bench/ is not a package)
from benchlib import json_argument, write_json  # noqa: E402

GOAL_MB = 120.0
SAMPLE_EVERY = 500
NEW_PDF_EVERY = 250


def worker_pid(master_pid: int) -> int:
    """The one worker: the master's child process."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    if len(children) != 1:
        raise SystemExit(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmRSS for {pid}")


def rss_parts(pid: int) -> str:
    """VmRSS split into anonymous memory (the heap: Python objects, malloc) and mapped files (shared libraries)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    mb = {name: int(fields[name].split()[0]) / 1024 for name in ("RssAnon", "RssFile", "RssShmem")}
    return ", ".join(f"{name} {value:.1f} MB" for name, value in mb.items()) + f", threads {fields['Threads'].strip()}"


def session_cookie(info: dict) -> str:
    """The signed session cookie a login leaves (Flask-Login's user id in Flask's session), for the HTML pages."""
    from app import create_app
    from config import Config
    from extensions import db
    from models import User

    app = create_app(Config)
    with app.app_context():
        user = db.session.get(User, info["user_id"])
        value = app.session_interface.get_signing_serializer(app).dumps({"_user_id": user.get_id(), "_fresh": True})
        db.session.remove()
        db.engine.dispose()
    return f"{app.config.get('SESSION_COOKIE_NAME', 'session')}={value}"


class Client:
    def __init__(self, url: str, info: dict, cookie: str):
        self.url, self.info, self.cookie = url, info, cookie
        self.api = f"{url}/api/v1/billing/{info['store_uid']}"
        self.saved = 0
        self.lock = threading.Lock()
        self.body = json.dumps(bill_body(info)).encode()

    def _open(self, path: str, *, data: bytes | None = None, api: bool = False, htmx: bool = False) -> bytes:
        headers = {"Authorization": f"Bearer {self.info['token']}"} if api else {"Cookie": self.cookie}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if htmx:
            headers["HX-Request"] = "true"
        request = urllib.request.Request(path if path.startswith("http") else self.url + path, data=data,
                                         method="POST" if data is not None else "GET", headers=headers)
        with urllib.request.urlopen(request, timeout=120) as response:
            if response.status not in (200, 201):
                raise SystemExit(f"{path}: {response.status}")
            return response.read()

    def save(self) -> None:
        self._open(self.api + "/bills", data=self.body, api=True)
        with self.lock:
            self.saved += 1

    # The database is fresh, so bills have ids 1..saved (two behind the count: a save may still be committing).
    def latest_bill(self) -> int:
        with self.lock:
            return max(1, self.saved - 2)

    def some_bill(self) -> int:
        with self.lock:
            return max(1, self.saved // 3)


def the_mix(client: Client) -> list:
    """One round of what a shop's day sends (20 requests)."""
    return [
        client.save, client.save, client.save, client.save,
        lambda: client._open("/pos"),
        lambda: client._open("/pos/search?q=item", htmx=True),
        lambda: client._open("/pos/search?q=Item%203", htmx=True),
        lambda: client._open("/inventory"),
        lambda: client._open("/inventory?q=item", htmx=True),
        lambda: client._open("/bills"),
        lambda: client._open("/bills?q=Bench", htmx=True),
        lambda: client._open(f"/bills/{client.some_bill()}"),
        lambda: client._open(f"/documents/bills/{client.some_bill()}/invoice.pdf"),
        lambda: client._open(f"/documents/bills/{client.some_bill()}/receipt"),
        lambda: client._open(client.api + "/catalog?q=item", api=True),
        lambda: client._open(client.api + "/bills", api=True),
        lambda: client._open(client.api + "/customers?q=Bench", api=True),
        lambda: client._open("/"),
        lambda: client._open("/reports"),
        lambda: client._open("/healthz"),
    ]


def run(label: str, database_url: str, instance: Path, requests: int) -> dict:
    build_schema(database_url, instance)
    info = seed(database_url, instance)
    cookie = session_cookie(info)
    process, url = start_gunicorn(database_url, instance, workers=1)
    try:
        pid = worker_pid(process.pid)
        client = Client(url, info, cookie)
        client.save()  # a bill to look at from the first round on
        samples = [(0, rss_mb(pid))]
        mix = the_mix(client)
        steps = itertools.cycle(mix)
        counter = itertools.count(1)
        lock = threading.Lock()
        started = time.perf_counter()

        def one() -> bool:
            with lock:
                n = next(counter)
                if n > requests:
                    return False
                step = next(steps)
            if n % NEW_PDF_EVERY == 0:  # a bill never printed: a real render, not the cache
                client._open(f"/documents/bills/{client.latest_bill()}/invoice.pdf")
            else:
                step()
            if n % SAMPLE_EVERY == 0:
                with lock:
                    samples.append((n, rss_mb(pid)))
            return True

        def loop() -> None:
            while one():
                pass

        with ThreadPoolExecutor(max_workers=2) as pool:
            for future in [pool.submit(loop) for _ in range(2)]:
                future.result()
        elapsed = time.perf_counter() - started
        parts = rss_parts(pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    samples.sort()
    print(f"\n{label}: one gunicorn worker, {requests:,} mixed requests in {elapsed:.0f} s "
          f"({client.saved:,} bills saved)")
    print("  requests   RSS MB")
    for n, mb in samples:
        print(f"  {n:8,}   {mb:6.1f}")
    last = samples[-1][1]
    half = min(samples, key=lambda s: abs(s[0] - requests // 2))
    growth = last - half[1]
    flag = "  over goal" if last > GOAL_MB else ""
    print(f"  RSS after {samples[-1][0]:,}: {last:.1f} MB (goal <= {GOAL_MB:.0f} MB){flag}")
    print(f"  of which: {parts}")
    print(f"  growth over the last {samples[-1][0] - half[0]:,} requests: {growth:+.1f} MB "
          f"({half[1]:.1f} -> {last:.1f})")
    return {"rss_mb": last, "requests": samples[-1][0], "growth_mb": growth, "growth_over": samples[-1][0] - half[0],
            "start_mb": samples[0][1], "samples": samples, "goal_mb": GOAL_MB}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (its schema is dropped)")
    parser.add_argument("--no-sqlite", action="store_true")
    json_argument(parser)  # the figures also as JSON, for bench/report.py
    args = parser.parse_args()
    figures = {}
    # The run outlasts the default 15-minute access token on a loaded machine (a 401 halfway stopped two runs).
    os.environ.setdefault("JWT_ACCESS_MINUTES", "600")
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            figures["rss_sqlite"] = run("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), args.requests)
    if args.pg:
        with tempfile.TemporaryDirectory() as tmp:
            figures["rss_pg"] = run("PostgreSQL", args.pg, Path(tmp), args.requests)
    write_json(args.json, "bench_worker_rss", figures, {"requests": args.requests})


if __name__ == "__main__":
    main()
