"""The background job runner (Huey). One queue for the app's long jobs (products imports, invoice PDFs rendered
after a save) and the scheduled backup (a periodic task: the consumer's scheduler runs it hourly; it backs up when
the newest backup is BACKUP_EVERY_HOURS old, default 24; 0 turns it off).

Where the queue lives, from JOB_QUEUE_URL, else REDIS_URL:
  both unset (default) SQLite file <instance>/jobs.db: works with no other service; `make run` starts a consumer
  redis://host:port/0  Redis, for production and for several app servers (docs/operations.md)
  immediate            run each job inline when it is enqueued (no consumer needed); the default under pytest,
                       so a test run never touches instance/jobs.db (a live server's consumer is its own process)
The consumer is `huey_consumer jobs.huey`; each job runs inside an app context of its own process's app.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

from config import BASE_DIR

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def queue_url() -> str:
    # Read from the environment, not the app's config: the consumer imports this module before any app exists.
    url = os.environ.get("JOB_QUEUE_URL", "").strip()
    if not url and "pytest" not in sys.modules:  # a REDIS_URL in a developer's shell never queues test jobs
        url = os.environ.get("REDIS_URL", "").strip()
    return url


@contextmanager
def _not_importable(names: tuple[str, ...]):
    """While the block runs, `import <name>` raises ImportError for each name not yet imported (None in
    sys.modules is Python's own "not importable" mark); afterwards they import as usual."""
    marked = [name for name in names if name not in sys.modules]
    for name in marked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in marked:
            if sys.modules.get(name, "") is None:
                del sys.modules[name]


def _clients_not_needed(url: str) -> tuple[str, ...]:
    """Huey's storage module imports the client library of every queue it supports that is installed (redis-py
    6.5 MB, psycopg 8.6 MB of a worker's memory; docs/performance.md "One worker's memory"), whichever queue is
    used. The queue here is SQLite, Redis or in memory, never huey's PostgreSQL storage; Redis only by its URL.
    Under pytest nothing is held back: tests build queues of every kind in one process (test_two_servers)."""
    if "pytest" in sys.modules:
        return ()
    return ("psycopg",) if url.startswith(REDIS_SCHEMES) else ("psycopg", "redis")


with _not_importable(_clients_not_needed(queue_url())):
    from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
    from huey.storage import SqliteStorage

_app = None


def make_huey():
    url = queue_url()
    if url == "immediate" or (not url and "pytest" in sys.modules):
        return MemoryHuey("shop", immediate=True)
    if url.startswith(REDIS_SCHEMES):
        return RedisHuey("shop", url=url)
    instance = Path(os.environ.get("INSTANCE_PATH") or BASE_DIR / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("shop", filename=str(instance / "jobs.db"), storage_class=QueueFileStorage)


class QueueFileStorage(SqliteStorage):
    """The SQLite queue file with the app database's durability (services/database.py): WAL and synchronous=NORMAL.

    Huey's default there is FULL, an fsync per enqueue: about 5 ms on each save's response (the invoice prerender
    enqueue; docs/performance.md, "Bill save"). With NORMAL a committed job survives the processes crashing; a
    power cut may lose the last ones, as it may the last bills of a SQLite shop. A lost prerender renders on its
    first download; a lost import job stays `queued` (the file is uploaded again)."""

    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


huey = make_huey()


def _in_app(work, *args) -> None:
    """Run `work` in the current app context (immediate mode inside a request) or in this worker's own app."""
    global _app
    from flask import has_app_context

    if has_app_context():
        work(*args)
        return
    if _app is None:
        from app import create_app

        _app = create_app()
    with _app.app_context():
        try:
            work(*args)
        finally:
            from extensions import db

            db.session.remove()


def _in_own_session(work, *args) -> None:
    """Run `work` in an app context (and so a database session) of its own: in immediate mode the job is enqueued
    from a session's after_commit hook, where that session can run no more SQL."""
    from flask import current_app, has_app_context

    if not has_app_context():
        _in_app(work, *args)
        return
    with current_app._get_current_object().app_context():  # type: ignore[attr-defined]
        from extensions import db

        try:
            work(*args)
        finally:
            db.session.remove()


@huey.task(retries=0)
def prerender_invoice(bill_id: int) -> None:
    """Render a sale bill's invoice PDF into the PDF cache (services.documents.prerender: enqueued after a commit)."""
    from services.documents.prerender import warm_invoice

    _in_own_session(warm_invoice, bill_id)


@huey.task(retries=0)
def import_products(job_id: int) -> None:
    from services.catalog.imports import run_job

    _in_app(run_job, job_id)


@huey.periodic_task(crontab(minute="7"), retries=0, name="scheduled_backup")
def scheduled_backup() -> None:
    """Hourly, at minute 7 (UTC): a backup when one is due (services.backups.writer.backup_if_due)."""
    _in_app(_backup_if_due)


def _backup_if_due() -> None:
    import logging

    from services.backups import BackupError, backup_if_due

    try:
        backup_if_due()
    except BackupError as exc:
        logging.getLogger("shop.backup").error("Scheduled backup failed: %s", exc)
        raise
