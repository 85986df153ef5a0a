"""The database half of a backup and of a restore.

SQLite: the online backup API (sqlite3.Connection.backup) in one step, which reads every page inside one read
transaction: a consistent snapshot of the last commit, taken while the app's workers go on writing (WAL: readers
and the writer do not block each other). A plain file copy is not a backup: commits still in the -wal file would be
missing. A restore runs the same API the other way, into the target file under SQLite's own locks.

PostgreSQL: `pg_dump --format=custom` (one REPEATABLE READ snapshot of the whole database; it blocks no writes)
and `pg_restore --single-transaction` (all or nothing). The client tools must be at least the server's major
version (BACKUP_PG_BINDIR names another client's bin folder).
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Optional
from urllib.parse import quote, urlencode

from flask import Flask
from sqlalchemy import inspect, literal, select, text
from sqlalchemy.engine import URL, Engine

from services.backups.destinations import BackupError

SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
DATABASE_FILES = {"sqlite": SQLITE_FILE, "postgresql": POSTGRES_FILE}
PG_TOOL_TIMEOUT = 6 * 3600  # seconds; a dump or restore that takes longer has hung


def kind_of(engine: Engine) -> str:
    kind = engine.dialect.name
    if kind not in DATABASE_FILES:
        raise BackupError(f"Backups cover SQLite and PostgreSQL, not {kind}.")
    return kind


def revision_of(engine: Engine) -> Optional[str]:
    """The Alembic revision the database is at, or None when it was never migrated (no alembic_version table)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def tables_with_rows(engine: Engine) -> list[str]:
    """The app's tables that exist in the database and hold at least one row (alembic_version does not count)."""
    from extensions import db

    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        return [table.name for table in db.metadata.sorted_tables
                if table.name in present
                and connection.execute(select(literal(1)).select_from(table).limit(1)).first() is not None]


def has_tables(engine: Engine) -> bool:
    with engine.connect() as connection:
        return bool(inspect(connection).get_table_names())


# --------------------------------------------------------------------------- SQLite


def sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or engine.url.query.get("mode") == "memory":
        raise BackupError("DATABASE_URL is an in-memory SQLite database: there is no file to back up or restore.")
    return Path(database)


def _quick_check(connection: sqlite3.Connection, what: str) -> None:
    result = connection.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{what} fails SQLite's quick_check: {result}")


def dump_sqlite(engine: Engine, destination: Path) -> dict:
    path = sqlite_path(engine)
    if not path.is_file():
        raise BackupError(f"The SQLite database {path} does not exist.")
    source = sqlite3.connect(path, timeout=15)
    try:
        target = sqlite3.connect(destination)
        try:
            source.backup(target)  # pages=-1: every page in one step, so one read transaction, one snapshot
            target.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
            _quick_check(target, "The copy of the database")
            has_version = target.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone()
            revision = target.execute("SELECT version_num FROM alembic_version").fetchone() if has_version else None
        finally:
            target.close()
    finally:
        source.close()
    return {"alembic_revision": revision[0] if revision else None, "server_version": sqlite3.sqlite_version}


def restore_sqlite(engine: Engine, backup_file: Path) -> None:
    path = sqlite_path(engine)
    engine.dispose()  # this process's pooled connections; other processes should be stopped (docs/operations.md)
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"{backup_file.resolve().as_uri()}?mode=ro", uri=True)
    try:
        _quick_check(source, "The backup's database file")
        target = sqlite3.connect(path, timeout=15)
        try:
            source.backup(target)  # replaces the target's whole content, under the target's write lock
            _quick_check(target, "The restored database")
        finally:
            target.close()
    finally:
        source.close()


# --------------------------------------------------------------------------- PostgreSQL


def pg_tool(app: Flask, name: str) -> str:
    folder = app.config.get("BACKUP_PG_BINDIR")
    path = str(Path(folder) / name) if folder else shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        raise BackupError(f"{name} was not found. Install the PostgreSQL client tools of the server's version "
                          f"(Debian: postgresql-client-NN), or set BACKUP_PG_BINDIR to their bin folder.")
    return path


def tool_major(path: str) -> int:
    """The major version of a PostgreSQL client tool ("pg_dump (PostgreSQL) 15.20 (Debian ...)" -> 15)."""
    output = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"\)\s+(\d+)", output)
    if not match:
        raise BackupError(f"Could not read the version of {path}: {output.strip()!r}")
    return int(match.group(1))


def server_major(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT current_setting('server_version_num')")).scalar_one()) // 10000


def check_client(tool: str, client: int, server: int) -> None:
    """pg_dump refuses a server newer than itself; say so before it starts, with what to install."""
    if client < server:
        raise BackupError(
            f"{tool} is version {client} but the PostgreSQL server is version {server}: install the version {server} "
            f"client (Debian: postgresql-client-{server}) and set BACKUP_PG_BINDIR=/usr/lib/postgresql/{server}/bin.")


def libpq_target(url: URL) -> tuple[str, dict]:
    """A libpq connection URI for the tools, and their environment: the password goes in PGPASSWORD, never on a
    command line other users can read."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    netloc = quote(url.username, safe="") + "@" if url.username else ""
    if url.host:
        netloc += f"[{url.host}]" if ":" in url.host else quote(url.host, safe="")
    if url.port:
        netloc += f":{url.port}"
    pairs = [(key, value) for key, values in url.query.items()
             for value in (values if isinstance(values, tuple) else (values,))]
    uri = f"postgresql://{netloc}/{quote(url.database or '', safe='')}"
    if pairs:
        uri += "?" + urlencode(pairs, quote_via=quote)
    return uri, env


def _run(command: list[str], env: dict, what: str) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=PG_TOOL_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{what} did not finish in {PG_TOOL_TIMEOUT // 3600} hours.") from exc
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}")


def dump_postgres(app: Flask, engine: Engine, destination: Path) -> dict:
    tool = pg_tool(app, "pg_dump")
    client, server = tool_major(tool), server_major(engine)
    check_client("pg_dump", client, server)
    revision = revision_of(engine)  # read just before the dump; a migration does not run beside a backup
    uri, env = libpq_target(engine.url)
    _run([tool, "--format=custom", "--no-password", f"--file={destination}", f"--dbname={uri}"], env, "pg_dump")
    with engine.connect() as connection:
        version = connection.execute(text("SELECT current_setting('server_version')")).scalar_one()
    return {"alembic_revision": revision, "server_version": version, "pg_dump_major": client}


def wipe_postgres(engine: Engine) -> None:
    """Drop the current schema (public, or the one the URL's search_path names) with all it holds, and make it
    again empty. Extensions created in it (pg_trgm) go too; the backup creates them again."""
    with engine.begin() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        quoted = engine.dialect.identifier_preparer.quote_identifier(schema)
        connection.execute(text(f"DROP SCHEMA {quoted} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {quoted}"))
    engine.dispose()


def restore_tool(app: Flask, manifest: dict) -> str:
    """pg_restore, when it can read the backup: at least the version of the pg_dump that made it."""
    tool = pg_tool(app, "pg_restore")
    client = tool_major(tool)
    made_by = int(manifest.get("pg_dump_major") or 0)
    if client < made_by:
        raise BackupError(f"pg_restore is version {client} but the backup was made by pg_dump {made_by}: install "
                          f"the version {made_by} client and set BACKUP_PG_BINDIR to its bin folder.")
    return tool


def restore_postgres(tool: str, engine: Engine, backup_file: Path) -> None:
    uri, env = libpq_target(engine.url)
    engine.dispose()
    # --no-owner / --no-privileges: the objects belong to whoever restores (the app's role on a new server).
    # --no-comments: COMMENT ON EXTENSION needs the extension's owner, often a DBA's role; the app sets no comments.
    _run([tool, "--no-owner", "--no-privileges", "--no-comments", "--single-transaction", "--exit-on-error",
          "--no-password", f"--dbname={uri}", str(backup_file)], env, "pg_restore")
