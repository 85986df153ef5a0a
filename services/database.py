"""Engine-level settings (SQLite gets WAL, foreign keys and a busy timeout on every connection; a pooled PostgreSQL
connection is checked before use), and the one statement that differs by dialect: insert a row unless it already
exists."""
from __future__ import annotations

import select
import sqlite3
import time
from typing import Any, Optional

from sqlalchemy import Column, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool

_configured = False


def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# A pooled PostgreSQL connection is pinged (SELECT 1, a round trip) at checkout only when it has been idle this long
# or when the server has written to it while it was idle (it says so before it closes a connection: a restart, a
# terminated backend, an idle timeout). SQLAlchemy's pool_pre_ping pinged at every checkout: one more round trip
# on every request (a tenth of a Billing v1 save on PostgreSQL; docs/performance.md, "Bill save").
PING_AFTER_IDLE_SECONDS = 30.0
_IDLE_SINCE = "idle_since"


def _note_checkin(dbapi_connection, connection_record) -> None:
    connection_record.info[_IDLE_SINCE] = time.monotonic()


def _check_on_checkout(dbapi_connection, connection_record, connection_proxy) -> None:
    """Raise DisconnectionError for a dead PostgreSQL connection: the pool then opens a fresh one."""
    pgconn = getattr(dbapi_connection, "pgconn", None)  # psycopg 3; SQLite has no server to lose
    idle_since = connection_record.info.pop(_IDLE_SINCE, None)
    if pgconn is None or idle_since is None:  # a connection just opened is alive
        return
    try:
        poller = select.poll()  # not select.select: it refuses descriptors past 1,024 (a process with many files)
        poller.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
        spoke = bool(poller.poll(0))  # an idle connection is never readable
    except Exception as exc:  # the socket is gone already
        raise DisconnectionError(str(exc)) from exc
    if not spoke and time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    autocommit = dbapi_connection.autocommit
    try:
        dbapi_connection.autocommit = True  # the ping opens no transaction
        dbapi_connection.execute("SELECT 1")
        dbapi_connection.autocommit = autocommit  # back to transactions, or the connection is not handed out
    except Exception as exc:
        raise DisconnectionError(str(exc)) from exc


def configure_engine_events() -> None:
    global _configured
    if _configured:
        return
    event.listen(Engine, "connect", _sqlite_on_connect)
    event.listen(Pool, "checkin", _note_checkin)
    event.listen(Pool, "checkout", _check_on_checkout)
    _configured = True


def is_sqlite(session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def is_postgres(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_ignoring_conflict(session, table: Table, values: dict[str, Any],
                             returning: Optional[Column] = None) -> Optional[Any]:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL; `returning`'s value, None when the row existed.

    One atomic statement, so two concurrent inserters never both believe they created the row.
    """
    insert = postgresql.insert if is_postgres(session) else sqlite.insert
    statement = insert(table).values(**values).on_conflict_do_nothing()
    if returning is None:
        session.execute(statement)
        return None
    return session.execute(statement.returning(returning)).scalar_one_or_none()
