"""Live servers for end-to-end tests: gunicorn serving the real app, an SMTP sink, and headless Chromium.

- `live_server(workers=2, database_url=None, **env)` starts gunicorn on a free 127.0.0.1 port with a fresh
  database (a temp SQLite file by default) whose schema is built by the checked-in migration, and returns an
  object with `.url`, `.database_url`, `.instance_path`, `.env`; every server is stopped at teardown (all
  signalled first, then waited for). With `wait=False` it returns at once, for `_wait_until_healthy(server)`
  after starting several together. The
  default SQLite file is a copy of one migrated once per session (`migrated_sqlite_template`).
- `smtp_sink` is an aiosmtpd server on a free port; `.messages` holds the received email.message objects.
- `browser` is a Playwright Chromium (Debian's /usr/bin/chromium): skipped when absent, a failure instead when
  REQUIRE_BROWSER=1 (CI).
"""
from __future__ import annotations

import email
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    database_url: str
    instance_path: Path
    env: dict[str, str]
    process: subprocess.Popen = field(repr=False)
    log_path: Path = field(repr=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _wait_until_healthy(server: LiveServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not become healthy:\n{server.log()}")


def build_schema(database_url: str, env: dict[str, str]) -> None:
    """Run the checked-in migration against the database, as an operator would (`flask db upgrade`)."""
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT, env={**env, "DATABASE_URL": database_url}, check=True, capture_output=True,
    )


def empty_pg_database(admin_url: str, name: str) -> str:
    """The URL of database `name` on admin_url's server, made if missing and emptied: every schema dropped (with the
    extensions in them) and an empty `public` made again, which is what a new database holds.

    The databases are kept for the next test and run (named after the test database and the xdist worker):
    DROP DATABASE waits for a checkpoint, a minute on a busy machine, CREATE SCHEMA does not. CI (.ci/run) drops
    them with the run's database."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(admin_url).difference_update_query(["options"])
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        schemas = connection.execute(text(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"
        )).scalars().all()
        for schema in schemas:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory) -> Path:
    """An SQLite file built once by the checked-in migration; live servers start on copies of it."""
    path = tmp_path_factory.mktemp("template") / "shop.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_DATABASE", "PYTEST"))}
    build_schema(f"sqlite:///{path}", {**env, "INSTANCE_PATH": str(path.parent)})
    return path


@pytest.fixture
def live_server(tmp_path, request):
    servers: list[LiveServer] = []

    def start(workers: int = 2, database_url: Optional[str] = None, build: bool = True, wait: bool = True,
              **extra_env: Any) -> LiveServer:
        instance = tmp_path / f"instance-{len(servers)}"
        instance.mkdir()
        db_url = database_url or f"sqlite:///{instance / 'shop.db'}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TEST_DATABASE", "PYTEST"))},
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "live-test-secret-key-long-enough-for-hs256",
            "RATELIMIT_ENABLED": "false",
            "MAIL_OUTBOX": str(instance / "outbox"),
            "DATABASE_URL": db_url,
        }
        env.update({k: str(v) for k, v in extra_env.items()})
        if build and database_url is None:
            shutil.copyfile(request.getfixturevalue("migrated_sqlite_template"), instance / "shop.db")
        elif build:
            build_schema(db_url, env)
        port = free_port()
        log_path = instance / "gunicorn.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--timeout", "60", "app:create_app()"],
            cwd=ROOT, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
        )
        server = LiveServer(f"http://127.0.0.1:{port}", db_url, instance, env, process, log_path)
        servers.append(server)
        if wait:  # wait=False: the caller starts several at once and calls _wait_until_healthy on each
            _wait_until_healthy(server)
        return server

    yield start
    for server in servers:
        server.process.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown: no graceful wait for idle workers
    for server in servers:
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()


class _Sink:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler protocol
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_sink():
    from aiosmtpd.controller import Controller

    handler = _Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.host, handler.port = controller.hostname, controller.port
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def _playwright():
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but Chromium is missing at {CHROMIUM} (apt-get install chromium)")
        pytest.skip("browser tests need Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    instance = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield instance
    instance.close()


@pytest.fixture
def artifacts_dir() -> Path:
    """Where browser tests save screenshots (test-artifacts/, ignored by git)."""
    path = ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
