"""Shared fixtures: an app per test on each configured database, a clean schema, factories, clients.

Every test that uses `app` runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.
Tests marked `postgres_only` run only there; with REQUIRE_POSTGRES=1 (CI) a missing server fails the run.
"""
from __future__ import annotations

import email
import os
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import text

from app import create_app
from config import TestConfig
from extensions import db

pytest_plugins = [
    "tests.fixtures_live",
    "tests.fixtures_namaste",
    "tests.fixtures_billing",
    "tests.fixtures_pos",
    "tests.fixtures_jewellery",
]

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
# Under pytest-xdist (make test runs two workers) each worker keeps its tables in a schema of its own.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
PG_SCHEMA = f"w_{WORKER}" if WORKER else "public"
if PG_URL and WORKER:
    from sqlalchemy.engine import make_url

    PG_URL = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={PG_SCHEMA}"}).render_as_string(
        hide_password=False)
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"

_pg_schema_ready = False
_sqlite_template: sqlite3.Connection | None = None  # an in-memory database holding the created schema


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres_only: runs only against PostgreSQL (TEST_DATABASE_URL)")
    config.addinivalue_line("markers", "sqlite_only: runs only against the embedded SQLite")
    config.addinivalue_line("markers", "browser: drives a real Chromium through Playwright")
    config.addinivalue_line("markers", "slow: starts servers or runs many threads")
    if REQUIRE_POSTGRES and not PG_URL.startswith("postgresql"):
        raise pytest.UsageError("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not a PostgreSQL URL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("postgres_only"):
        backends = ["postgresql"]
    elif metafunc.definition.get_closest_marker("sqlite_only"):
        backends = ["sqlite"]
    else:
        backends = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
    metafunc.parametrize("backend", backends, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    name = request.param
    if name == "postgresql" and not PG_URL:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    return name


def make_test_config(backend: str, tmp_path: Path, **overrides: Any) -> type[TestConfig]:
    class _Config(TestConfig):
        def __init__(self) -> None:
            super().__init__()
            from config import engine_options

            self.SQLALCHEMY_DATABASE_URI = PG_URL if backend == "postgresql" else "sqlite://"
            self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
            self.INSTANCE_PATH = str(tmp_path / "instance")
            self.MAIL_OUTBOX = str(tmp_path / "outbox")
            self.UPLOAD_FOLDER = str(tmp_path / "uploads")
            for key, value in overrides.items():
                setattr(self, key, value)

    return _Config


def reset_schema(backend: str) -> None:
    """A clean database for each test: new in-memory SQLite, or emptied PostgreSQL tables."""
    global _pg_schema_ready, _sqlite_template
    if backend == "sqlite":
        # create_all once, then copy its pages into each test's in-memory database (far cheaper than the DDL).
        target = db.engine.raw_connection().driver_connection
        if _sqlite_template is None:
            db.create_all()
            _sqlite_template = sqlite3.connect(":memory:", check_same_thread=False)
            target.backup(_sqlite_template)
        else:
            _sqlite_template.backup(target)
        return
    if not _pg_schema_ready:
        # The whole schema, not drop_all: a table an older branch left behind (pos_draft, now till_session) still
        # holds foreign keys to ours and would make drop_all fail.
        db.session.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
        db.session.execute(text(f'CREATE SCHEMA "{PG_SCHEMA}"'))
        # pg_trgm (catalogue search) and btree_gist (the appointment book's exclusion constraint) are one per
        # database: in public, not in a worker's schema that gets dropped (with the other workers' constraints) or
        # created by two workers at once (a unique violation on pg_extension).
        db.session.execute(text("SELECT pg_advisory_xact_lock(1212)"))
        db.session.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        db.session.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public"))
        db.session.commit()
        db.create_all()
        _pg_schema_ready = True
    dirty = _dirty_pg_tables()
    if "product" in dirty:  # the search postings are kept by triggers, without a foreign key for CASCADE to follow
        dirty.add("product_trigram")
    tables = ", ".join(f'"{name}"' for name in dirty)
    if tables:
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


_PG_USED_SEQUENCES = text("""
    SELECT DISTINCT tbl.relname FROM pg_sequences s
    JOIN pg_class seq ON seq.relname = s.sequencename AND seq.relnamespace = to_regnamespace(s.schemaname)
    JOIN pg_depend dep ON dep.objid = seq.oid AND dep.deptype IN ('a', 'i')
    JOIN pg_class tbl ON tbl.oid = dep.refobjid
    WHERE s.schemaname = current_schema() AND s.last_value IS NOT NULL
""")


def _dirty_pg_tables() -> set[str]:
    """Tables holding rows or whose id sequence has moved: TRUNCATE of all tables per test costs far more."""
    probes = " UNION ALL ".join(
        f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in db.metadata.sorted_tables
    )
    dirty = set(db.session.execute(text(probes)).scalars())
    return dirty | set(db.session.execute(_PG_USED_SEQUENCES).scalars())


@pytest.fixture
def app_config_overrides() -> dict:
    """Override in a test module to change the app's configuration."""
    return {}


def _forget_login(sender, **extra) -> None:
    from flask import g

    g.pop("_login_user", None)


@pytest.fixture
def app(backend: str, tmp_path: Path, app_config_overrides: dict):
    from flask import request_started

    application = create_app(make_test_config(backend, tmp_path, **app_config_overrides))
    # The fixture's app context stays pushed so tests can use db.session; Flask then reuses it (and `g`, where
    # Flask-Login caches the user) for every request. Forget the user per request, as a real server does.
    request_started.connect(_forget_login, application)
    with application.app_context():
        reset_schema(backend)
        yield application
        db.session.remove()
        db.engine.dispose()


class ShopClient(FlaskClient):
    """A test client that can add the CSRF token and HTMX headers the pages expect."""

    def csrf_token(self) -> str:
        raw = "test-csrf-raw-token"
        with self.session_transaction() as session:
            session["csrf_token"] = raw
        serializer = URLSafeTimedSerializer(self.application.config["SECRET_KEY"], salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def post_form(self, url: str, data: dict | None = None, htmx: bool = False, **kwargs):
        """POST a form with a valid CSRF token (and HX-Request when htmx=True)."""
        headers = dict(kwargs.pop("headers", {}) or {})
        headers["X-CSRFToken"] = self.csrf_token()
        if htmx:
            headers["HX-Request"] = "true"
        return self.post(url, data=data or {}, headers=headers, **kwargs)

    def hx_get(self, url: str, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        headers["HX-Request"] = "true"
        return self.get(url, headers=headers, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = ShopClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app) -> Callable[[], list[email.message.Message]]:
    """Mail the app has written to its outbox, oldest first."""

    def read() -> list[email.message.Message]:
        folder = Path(app.config["MAIL_OUTBOX"])
        if not folder.exists():
            return []
        return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]

    return read


# --------------------------------------------------------------------------- factories


@pytest.fixture
def make_user(app):
    """A verified owner with a store of their own: make_user(username=..., role=..., store=...)."""
    from models import Membership
    from services.accounts.stores import create_owner

    counter = {"n": 0}

    def factory(username: str | None = None, password: str = "Password123!", store=None, role: str = "owner",
                business_kind: str = "general", verified: bool = True, **store_fields):
        counter["n"] += 1
        name = username or f"user{counter['n']}"
        user, own_store = create_owner(
            username=name, email=f"{name}@example.com", password=password,
            store_name=store_fields.pop("store_name", f"{name} shop"), business_kind=business_kind,
            verified=verified,
        )
        for key, value in store_fields.items():
            setattr(own_store, key, value)
        if store is not None:
            db.session.add(Membership(user_id=user.id, store_id=store.id, role=role))
            user.current_store_id = store.id
        db.session.commit()
        return user

    return factory


@pytest.fixture
def make_store(app, make_user):
    """A store (with an owner made for it): make_store(name=..., business_kind=..., **fields)."""
    from services.accounts.access import current_store_for

    def factory(name: str | None = None, business_kind: str = "general", **fields):
        owner = make_user(business_kind=business_kind, **({"store_name": name} if name else {}), **fields)
        return current_store_for(owner)

    return factory


@pytest.fixture
def make_product(app):
    """A catalogue item in a store, made by its owner through the catalogue service, with its opening stock
    through the stock service (so factories obey the rules the app does)."""
    import dataclasses

    from models import Membership
    from services.catalog import stock
    from services.catalog.products import ProductInput, create_product

    counter = {"n": 0}
    own = {f.name for f in dataclasses.fields(ProductInput)}

    def factory(store, product_name: str | None = None, unit_price: str | Decimal = "100.00", quantity: int = 10,
                type: str = "product", cgst_rate: str = "9", sgst_rate: str = "9", **fields):
        counter["n"] += 1
        owner = db.session.execute(db.select(Membership).filter_by(store_id=store.id, role="owner")).scalars().first()
        details = {name: fields.pop(name) for name in list(fields) if name not in own}
        product = create_product(store, owner.user, ProductInput.of(
            product_name=product_name or f"Item {counter['n']}", type=type, unit_price=Decimal(str(unit_price)),
            cgst_rate=Decimal(cgst_rate), sgst_rate=Decimal(sgst_rate), details=details, **fields,
        ))
        if type == "product" and quantity:
            stock.add({product: quantity}, reason="import")
        db.session.commit()
        return product

    return factory


@pytest.fixture
def make_customer(app):
    """A Customer party in a store, through the parties service (phone to E.164, email lower-cased)."""
    from services.parties.parties import CustomerInput, create_customer

    counter = {"n": 0}

    def factory(store, name: str | None = None, phone_no: str | None = None, **fields):
        counter["n"] += 1
        party = create_customer(store, None, CustomerInput.of(
            name=name or f"Customer {counter['n']}", phone_no=phone_no or f"+9198765{counter['n']:05d}", **fields))
        db.session.commit()
        return party

    return factory


@pytest.fixture
def make_supplier(app):
    """A Supplier party in a store, through the parties service."""
    from services.parties.parties import SupplierInput, create_supplier

    counter = {"n": 0}

    def factory(store, name: str | None = None, code: str | None = None, **fields):
        counter["n"] += 1
        party = create_supplier(store, None, SupplierInput.of(
            name=name or f"Supplier {counter['n']}", code=code or f"SUP{counter['n']:03d}", **fields))
        db.session.commit()
        return party

    return factory


@pytest.fixture
def clock(monkeypatch):
    """clock(minutes=10, seconds=1) moves the accounts clock (codes, expiry) that far ahead."""
    from datetime import timedelta

    from services.accounts import users as accounts

    real_now = accounts._now

    def move(**delta):
        monkeypatch.setattr(accounts, "_now", lambda: real_now() + timedelta(**delta))

    return move


@pytest.fixture
def api_headers(app):
    """Bearer headers for a user, as every API client sends them."""
    from services.accounts.tokens import issue_access

    def factory(user) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_access(user)}"}

    return factory


# --------------------------------------------------------------------------- what actually ran

_passed_by_backend: dict[str, int] = {"sqlite": 0, "postgresql": 0}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        for name in _passed_by_backend:
            if f"[{name}" in report.nodeid:
                _passed_by_backend[name] += 1


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    counts = ", ".join(f"{name}={count}" for name, count in _passed_by_backend.items())
    terminalreporter.write_line(f"database backends exercised (passed tests): {counts}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if WORKER:  # the controller, which sees every worker's reports, makes this check
        return
    if REQUIRE_POSTGRES and exitstatus == 0 and _passed_by_backend["postgresql"] == 0:
        session.exitstatus = 1
