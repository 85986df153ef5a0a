"""`flask restore`: a backup back into an empty database, then its uploads into the uploads storage (a folder or
the object store, services/storage.py).

Order: find the backup, check every file against the manifest, check the backup's database kind and tools against
the target, refuse a target that holds data (unless forced), restore the database (all or nothing), then unpack
the uploads. A refused restore has written nothing."""
from __future__ import annotations

import logging
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Optional

from flask import current_app

from extensions import db
from services import storage
from services.backups import databases, manifest
from services.backups.destinations import BackupError, from_config
from services.storage import Storage

log = logging.getLogger("shop.backup")


@dataclass
class RestoreResult:
    folder: Path
    manifest: dict
    uploads: int
    wiped: list[str] = field(default_factory=list)  # tables with rows that --force deleted
    notes: list[str] = field(default_factory=list)


def locate(backup: str) -> Path:
    """A backup folder's path, or the name of a backup in BACKUP_DIR (downloaded first from the object store)."""
    path = Path(backup)
    if path.is_dir():
        return path
    if "/" in backup or backup in {".", ".."}:
        raise BackupError(f"There is no backup folder {backup}.")
    return from_config(current_app._get_current_object()).fetch(backup)  # type: ignore[attr-defined]


def check_uploads(archive_file: Path) -> None:
    """Before the database is touched: the uploads tar opens and holds only files and folders inside it."""
    try:
        with tarfile.open(archive_file, "r") as archive:
            for member in archive.getmembers():
                path = PurePosixPath(member.name)
                if not (member.isfile() or member.isdir()) or path.is_absolute() or ".." in path.parts:
                    raise BackupError(f"{archive_file} holds {member.name!r}, which is not a file inside the "
                                      f"uploads folder; nothing was restored.")
    except tarfile.TarError as exc:
        raise BackupError(f"{archive_file} is not a readable tar ({exc}); nothing was restored.") from exc


def unpack_uploads(archive_file: Path, objects: Storage) -> int:
    """Put the uploads tar's files into the uploads storage, a folder or the object store (files of the same name
    are replaced, others kept). Keys with '..' or an absolute path are refused by the storage too."""
    count = 0
    try:
        with tarfile.open(archive_file, "r") as archive:
            for member in archive.getmembers():
                if not member.isfile():
                    continue
                source = archive.extractfile(member)
                assert source is not None
                objects.put(PurePosixPath(member.name).as_posix(), source.read())
                count += 1
    except (tarfile.TarError, OSError, ValueError) as exc:  # check_uploads ran first; this is the backstop
        raise BackupError(f"The database was restored, but the uploads could not be: {exc}") from exc
    return count


def migration_notes(revision: Optional[str]) -> list[str]:
    """What to do about the restored database's migration revision, against this code's migrations."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    if revision is None:
        return ["The backup's database has no migration revision (it was not built by migrations)."]
    config = AlembicConfig()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    scripts = ScriptDirectory.from_config(config)
    head = scripts.get_current_head()
    if revision == head:
        return []
    try:
        known = scripts.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        return [f"The backup is at migration {revision}, which this code does not have: it was made by a newer "
                f"version of the app. Run that version (or a newer one) on the restored database."]
    return [f"The backup is at migration {revision}, this code at {head}: run `flask --app app db upgrade` "
            f"before starting the app."]


def restore_backup(backup: str, *, force: bool = False, uploads: bool = True) -> RestoreResult:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    folder = locate(backup)
    facts = manifest.read_verified(folder)
    engine = db.engine
    kind = databases.kind_of(engine)
    if facts.get("database") != kind:
        raise BackupError(f"This backup is of a {facts.get('database')} database, but DATABASE_URL points to {kind}; "
                          f"restore it into a {facts.get('database')} database.")
    database_file = folder / databases.DATABASE_FILES[kind]
    if database_file.name not in facts["files"] or (uploads and manifest.UPLOADS_FILE not in facts["files"]):
        raise BackupError(f"The manifest of {folder} does not list the database file and the uploads.")
    if uploads:
        check_uploads(folder / manifest.UPLOADS_FILE)
    tool = databases.restore_tool(app, facts) if kind == "postgresql" else None
    db.session.remove()
    holding = databases.tables_with_rows(engine)
    if holding and not force:
        shown = ", ".join(holding[:8]) + (f" and {len(holding) - 8} more" if len(holding) > 8 else "")
        raise BackupError(
            f"The target database already holds data (rows in {shown}); nothing was restored. A backup is restored "
            f"into an empty database: point DATABASE_URL at a new one, or pass --force to DELETE everything in "
            f"this one and replace it with the backup.")
    if kind == "sqlite":
        databases.restore_sqlite(engine, database_file)  # replaces the file's whole content
    else:
        assert tool is not None
        if databases.has_tables(engine):  # data the user agreed to lose, or only empty tables of a migration
            databases.wipe_postgres(engine)
        databases.restore_postgres(tool, engine, database_file)
    restored = unpack_uploads(folder / manifest.UPLOADS_FILE, storage.uploads()) if uploads else 0
    result = RestoreResult(folder=folder, manifest=facts, uploads=restored, wiped=holding)
    result.notes.extend(migration_notes(facts.get("alembic_revision")))
    log.info("Restored backup %s (%s, %d uploads)", folder, kind, restored)
    return result
