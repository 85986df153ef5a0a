"""Engine-level settings: SQLite gets WAL, foreign keys and a busy timeout on every connection."""
from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

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


def configure_engine_events() -> None:
    global _configured
    if _configured:
        return
    event.listen(Engine, "connect", _sqlite_on_connect)
    _configured = True


def is_sqlite(session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def is_postgres(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
