"""Engine-level settings (SQLite gets WAL, foreign keys and a busy timeout on every connection), and the one
statement that differs by dialect: insert a row unless it already exists."""
from __future__ import annotations

import sqlite3
from typing import Any, Optional

from sqlalchemy import Column, Table, event
from sqlalchemy.dialects import postgresql, sqlite
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
