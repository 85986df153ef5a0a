"""`flask backup` and the job runner's scheduled backup: the database (services.backups.databases), then the
uploads (services/storage.py: a folder or the object store) as a tar, then the manifest, into one folder of the
destination; then the oldest backups beyond BACKUP_KEEP are removed."""
from __future__ import annotations

import io
import logging
import subprocess
import tarfile
import time
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

from flask import current_app

from config import BASE_DIR
from extensions import db
from services import storage
from services.backups import databases, manifest
from services.backups.destinations import BackupError, Destination, free_name, from_config, taken_at
from services.storage import Storage

log = logging.getLogger("shop.backup")
# The job runner checks hourly; a backup taken up to this much less than BACKUP_EVERY_HOURS ago counts as due, so
# the daily backup stays at the same hour instead of slipping by one check a day.
DUE_SLACK = timedelta(minutes=30)


@dataclass
class BackupResult:
    name: str
    location: str
    manifest: dict
    removed: list[str] = field(default_factory=list)


def app_version() -> dict:
    version = None
    try:
        version = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]["version"]
    except (OSError, KeyError, ValueError):
        pass
    commit = None
    try:
        found = subprocess.run(["git", "rev-parse", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True, timeout=5)
        commit = found.stdout.strip() or None if found.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass
    return {"app_version": version, "app_commit": commit}


def pack_uploads(objects: Storage, destination: Path) -> int:
    """Every upload in the uploads storage (a folder or the object store), by its key, into an uncompressed tar
    (the images are compressed already); returns how many."""
    count = 0
    with tarfile.open(destination, "w", format=tarfile.PAX_FORMAT) as archive:
        for key in objects.list():
            data = objects.get(key)
            if data is None:  # removed since the listing (a replaced logo): no longer referenced
                continue
            info = tarfile.TarInfo(key)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
            archive.addfile(info, io.BytesIO(data))
            count += 1
    return count


def make_backup(*, now: Optional[datetime] = None, destination: Optional[Destination] = None,
                keep: Optional[int] = None) -> BackupResult:
    """Back up the app's database and uploads while the app runs. BackupError when it cannot (nothing is left
    behind then: the staging folder is removed)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    destination = destination or from_config(app)
    keep = int(app.config.get("BACKUP_KEEP") or 14) if keep is None else keep
    if keep < 1:
        raise BackupError("BACKUP_KEEP must be at least 1.")
    engine = db.engine
    kind = databases.kind_of(engine)
    started = now or datetime.now(timezone.utc)
    clock = time.monotonic()
    with destination.lock():
        name = free_name(destination, started)
        staging = destination.staging(name)
        try:
            database_file = databases.DATABASE_FILES[kind]
            if kind == "sqlite":
                facts = databases.dump_sqlite(engine, staging / database_file)
            else:
                facts = databases.dump_postgres(app, engine, staging / database_file)
            # After the database: a row that names an upload was committed after its file was stored, so every
            # upload the snapshot points at is already in the storage.
            uploads = pack_uploads(storage.uploads(), staging / manifest.UPLOADS_FILE)
            body = {
                "format": manifest.FORMAT,
                "app": "shop",
                **app_version(),
                "database": kind,
                **facts,
                "created_at": started.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
                "uploads": uploads,
                "seconds": round(time.monotonic() - clock, 3),
                "files": manifest.describe(staging, [database_file, manifest.UPLOADS_FILE]),
            }
            manifest.write(staging, body)
            location = destination.commit(staging, name)
        except BaseException:
            destination.discard(staging)
            raise
        removed = prune(destination, keep)
    log.info("Backup %s written to %s (%s, %d uploads) in %.1f s", name, location, kind, uploads, body["seconds"])
    return BackupResult(name=name, location=location, manifest=body, removed=removed)


def prune(destination: Destination, keep: int) -> list[str]:
    """Remove the oldest backups beyond the newest `keep`; returns their names."""
    names = destination.names()
    old = names[:-keep] if len(names) > keep else []
    for name in old:
        destination.delete(name)
        log.info("Removed old backup %s (keeping the newest %d)", name, keep)
    return old


def backup_if_due(now: Optional[datetime] = None) -> Optional[BackupResult]:
    """The job runner's hourly check: back up when the newest backup is BACKUP_EVERY_HOURS old (or there is none).
    A machine switched off at night is backed up within the hour after it starts again. 0 turns it off."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    hours = float(app.config.get("BACKUP_EVERY_HOURS") or 0)
    if hours <= 0:
        return None
    now = now or datetime.now(timezone.utc)
    destination = from_config(app)
    newest = next((taken_at(name) for name in reversed(destination.names())), None)
    if newest is not None and now - newest < max(timedelta(hours=hours) - DUE_SLACK, timedelta(0)):
        return None
    return make_backup(now=now, destination=destination)
