"""Benchmark: a 10,000-row products import run by the real job runner (huey_consumer, SQLite queue) against a
SQLite (default) or PostgreSQL database, while gunicorn serves pages.

Prints: the job's total time (claimed -> done, from the job row), the worker's peak memory (the consumer's VmHWM,
idle and after the job), and the median / p95 of a signed-in page request (the home page) with no job running
(baseline) and while the job runs. Not a test: it prints figures.

    .venv/bin/python bench/bench_import.py [--rows 10000] [--pg URL]

A PostgreSQL database given with --pg is EMPTIED (schema dropped) and rebuilt by the migration.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SECRET = "bench-secret-key-long-enough-for-hs256-signing"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def csv_rows(count: int) -> bytes:
    lines = ["Name,SKU,Barcode,Category,Price,GST %,HSN,Opening stock"]
    for i in range(count):
        lines.append(f"Bench item {i},BENCH-{i:06d},{890000000000 + i},General,{10 + i % 500}.50,18,9608,{i % 50}")
    return ("\n".join(lines) + "\n").encode()


def peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def timed_get(url: str, cookie: str) -> float:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        assert response.status == 200, response.status
    return (time.perf_counter() - start) * 1000


def figures(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms over {len(ordered)} requests"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--pg", default="")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    url = args.pg or f"sqlite:///{tmp / 'shop.db'}"
    env = {**os.environ, "INSTANCE_PATH": str(tmp), "DATABASE_URL": url, "SECRET_KEY": SECRET,
           "RATELIMIT_ENABLED": "false", "MAIL_OUTBOX": str(tmp / "outbox")}
    env.pop("JOB_QUEUE_URL", None)
    os.environ.update(env)
    if args.pg:
        from sqlalchemy import create_engine, text

        engine = create_engine(args.pg.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)

    from app import create_app
    from extensions import db
    from models import ImportJob
    from services.accounts.stores import create_owner
    from services.catalog import imports

    app = create_app()
    with app.app_context():
        user, store = create_owner(username="bench", email="bench@example.com", password="Password123!",
                                   store_name="Bench store", business_kind="general", verified=True)
        db.session.commit()
        job = imports.new_job(store, user, "bench.csv", csv_rows(args.rows))
        imports.set_mapping(job, job.mapping, "create", "sku")
        imports.queue(job, user, store)
        db.session.commit()
        job_id = job.id
        cookie = "session=" + app.session_interface.get_signing_serializer(app).dumps(
            {"_user_id": user.get_id(), "_fresh": True})

    port = free_port()
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                            "app:create_app()"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    consumer = subprocess.Popen([sys.executable, "-m", "huey.bin.huey_consumer", "jobs.huey", "--workers", "1",
                                 "--quiet"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    page = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                timed_get(page, cookie)
                break
            except OSError:
                time.sleep(0.2)
        baseline = [timed_get(page, cookie) for _ in range(100)]
        idle_kb = peak_kb(consumer.pid)

        import jobs

        jobs.import_products(job_id)  # the request's part: enqueue (the job row was stored above)
        during: list[float] = []
        status = "queued"
        while status in ("queued", "running"):
            during.append(timed_get(page, cookie))
            time.sleep(0.05)
            with app.app_context():
                status = db.session.execute(db.select(ImportJob.status).where(ImportJob.id == job_id)).scalar()
                db.session.remove()
        worker_kb = peak_kb(consumer.pid)
        with app.app_context():
            job = db.session.get(ImportJob, job_id)
            took = (job.finished_at - job.started_at).total_seconds() if job.finished_at else float("nan")
            print(f"backend: {'postgresql' if args.pg else 'sqlite'}; rows: {args.rows}; job status: {job.status}; "
                  f"imported {job.done - job.failed}, refused {job.failed}")
        print(f"import total time: {took:.1f} s ({args.rows / took:.0f} rows/s)")
        print(f"worker peak memory (consumer VmHWM): {worker_kb / 1024:.1f} MB (idle before the job: "
              f"{idle_kb / 1024:.1f} MB)")
        print(f"home page, no job running: {figures(baseline)}")
        print(f"home page, while the job runs: {figures(during)}")
    finally:
        for process in (consumer, web):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
