"""A pooled PostgreSQL connection is checked at checkout without a round trip (services/database.py): a connection
the server closed while it sat in the pool is replaced before a request uses it; a live one is reused as it is."""
from __future__ import annotations

import re
import time

import psycopg
import pytest
from sqlalchemy import create_engine, text

from config import engine_options
from services import database
from tests.conftest import PG_URL


@pytest.fixture
def pg_engine(app, backend):
    """A pool of its own on the test server, with the app's engine options and checkout check (create_app set it)."""
    engine = create_engine(PG_URL, **engine_options(PG_URL))
    yield engine
    engine.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


@pytest.mark.postgres_only
def test_a_connection_the_server_ended_while_pooled_is_replaced_before_use(pg_engine):
    first = _backend_pid(pg_engine)
    with psycopg.connect(re.sub(r"^postgresql\+psycopg://", "postgresql://", PG_URL), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (first,))
    time.sleep(0.2)  # the server's goodbye reaches the pooled socket
    second = _backend_pid(pg_engine)  # no OperationalError: the dead connection was swapped at checkout
    assert second != first


@pytest.mark.postgres_only
def test_a_live_pooled_connection_is_reused(pg_engine):
    assert _backend_pid(pg_engine) == _backend_pid(pg_engine)


@pytest.mark.postgres_only
def test_a_connection_pinged_after_idling_goes_back_to_transactions(pg_engine, monkeypatch):
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)  # every checkout of a pooled connection pings
    first = _backend_pid(pg_engine)
    with pg_engine.connect() as conn:
        assert conn.connection.dbapi_connection.autocommit is False  # the ping's autocommit did not stay on
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == first
