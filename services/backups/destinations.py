"""Where backups go: a small interface and two destinations, a local folder and S3-compatible object storage.

A backup is a set of files (services.backups.manifest: the database file, the uploads archive, the manifest)
under one name, `shop-YYYYMMDDTHHMMSSZ` (UTC). The writer builds them in a staging folder the destination gives
out, then hands the folder over whole; a destination lists, fetches and deletes backups by name. `ObjectStore`
(BACKUP_DIR=s3://...) implements the same methods: `staging` a local temporary folder, `commit` an upload of its
files under the name's prefix (manifest last), `names` a listing of prefixes that hold a manifest.
"""
from __future__ import annotations

import atexit
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ContextManager, Iterator, Optional, Protocol

from flask import Flask

NAME = re.compile(r"^shop-(\d{8}T\d{6}Z)(?:-(\d+))?$")
STAGING_PREFIX = ".partial-"
STALE_STAGING_SECONDS = 24 * 3600  # a staging folder this old was left by a crashed backup


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


def backup_name(now: datetime) -> str:
    return "shop-" + now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def taken_at(name: str) -> Optional[datetime]:
    """When the backup of this name was taken (its name is its UTC start), or None for a foreign name."""
    match = NAME.match(name)
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


class Destination(Protocol):
    def lock(self) -> ContextManager[None]:
        """Held for the whole of one backup: a second backup at the same time is refused (BackupError)."""

    def staging(self, name: str) -> Path:
        """An empty local folder to write the backup's files into."""

    def commit(self, staging: Path, name: str) -> str:
        """Store the finished staging folder as backup `name` (whole or not at all); returns where it went."""

    def discard(self, staging: Path) -> None:
        """Throw away a staging folder of a backup that failed."""

    def names(self) -> list[str]:
        """The complete backups, oldest first."""

    def fetch(self, name: str) -> Path:
        """A local folder holding backup `name`'s files (BackupError when there is none)."""

    def delete(self, name: str) -> None:
        """Remove backup `name`."""


class LocalFolder:
    """Backups as sub-folders of one folder. A backup is written to `.partial-<name>` and renamed when complete, so
    a crash mid-backup never leaves a folder that looks like a backup."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalFolder({str(self.root)!r})"

    @contextmanager
    def lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise BackupError(f"Another backup into {self.root} is running; try again when it has finished.") \
                    from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def staging(self, name: str) -> Path:
        self._remove_stale_staging()
        folder = self.root / f"{STAGING_PREFIX}{name}"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        return folder

    def commit(self, staging: Path, name: str) -> str:
        final = self.root / name
        if final.exists():
            raise BackupError(f"A backup named {name} already exists in {self.root}.")
        os.replace(staging, final)
        fsync(self.root)
        return str(final)

    def discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        found = [p.name for p in self.root.iterdir() if p.is_dir() and NAME.match(p.name)]
        return sorted(found, key=_order)

    def fetch(self, name: str) -> Path:
        folder = self.root / name
        if not NAME.match(name) or not folder.is_dir():
            raise BackupError(f"There is no backup named {name!r} in {self.root}.")
        return folder

    def delete(self, name: str) -> None:
        if NAME.match(name):
            shutil.rmtree(self.root / name, ignore_errors=True)

    def _remove_stale_staging(self) -> None:
        if not self.root.is_dir():
            return
        for folder in self.root.glob(f"{STAGING_PREFIX}*"):
            try:
                if time.time() - folder.stat().st_mtime > STALE_STAGING_SECONDS:
                    shutil.rmtree(folder, ignore_errors=True)
            except FileNotFoundError:
                pass


def _order(name: str) -> tuple[str, int]:
    match = NAME.match(name)
    assert match
    return match.group(1), int(match.group(2) or 0)


def fsync(path: Path) -> None:
    """Flush a file, or a folder's entries, to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def free_name(destination: Destination, now: datetime) -> str:
    """The backup's name: its UTC start, with -2, -3... when one of that second exists already."""
    name = backup_name(now)
    taken = set(destination.names())
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    return candidate


class ObjectStore:
    """Backups in a bucket of S3-compatible object storage, BACKUP_DIR=s3://<bucket>/<prefix>, through the app's
    boto3 client (services/storage.py: S3_ENDPOINT_URL and the S3_* credentials). A backup is the objects
    <prefix>/<name>/<file>; the manifest is uploaded last and deleted first, so only a complete backup has one and
    `names` lists only backups with a manifest. The files are built in a local temporary folder; `fetch` downloads
    a backup into one. The lock is this server's: run scheduled backups on one server (the job runner)."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client, self.bucket = client, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def __repr__(self) -> str:
        return f"ObjectStore('s3://{self.bucket}/{self.prefix}')"

    @contextmanager
    def lock(self) -> Iterator[None]:
        where = hashlib.sha256(f"{self.bucket}/{self.prefix}".encode()).hexdigest()[:16]
        with LocalFolder(Path(tempfile.gettempdir()) / f"shop-backup-lock-{where}").lock():
            yield

    def staging(self, name: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f"shop-{name}-"))

    def _keys(self, under: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=under)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def commit(self, staging: Path, name: str) -> str:
        from services.backups.manifest import MANIFEST

        if name in self.names():
            raise BackupError(f"A backup named {name} already exists in {self!r}.")
        files = sorted((p for p in staging.iterdir() if p.is_file()), key=lambda p: (p.name == MANIFEST, p.name))
        done: list[str] = []
        try:
            for path in files:  # the manifest last
                key = f"{self.prefix}{name}/{path.name}"
                self.client.upload_file(str(path), self.bucket, key)
                done.append(key)
        except BaseException:
            for key in reversed(done):
                self.client.delete_object(Bucket=self.bucket, Key=key)
            raise
        shutil.rmtree(staging, ignore_errors=True)
        return f"s3://{self.bucket}/{self.prefix}{name}"

    def discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def names(self) -> list[str]:
        from services.backups.manifest import MANIFEST

        found = set()
        for key in self._keys(self.prefix):
            name, _, file = key[len(self.prefix):].partition("/")
            if file == MANIFEST and NAME.match(name):
                found.add(name)
        return sorted(found, key=_order)

    def fetch(self, name: str) -> Path:
        if not NAME.match(name) or name not in self.names():
            raise BackupError(f"There is no backup named {name!r} in {self!r}.")
        folder = Path(tempfile.mkdtemp(prefix=f"shop-restore-{name}-"))
        atexit.register(shutil.rmtree, folder, True)
        for key in self._keys(f"{self.prefix}{name}/"):
            file = key[len(f"{self.prefix}{name}/"):]
            if file and "/" not in file and not file.startswith("."):
                self.client.download_file(self.bucket, key, str(folder / file))
        return folder

    def delete(self, name: str) -> None:
        from services.backups.manifest import MANIFEST

        if not NAME.match(name):
            return
        keys = self._keys(f"{self.prefix}{name}/")
        for key in sorted(keys, key=lambda k: not k.endswith("/" + MANIFEST)):  # the manifest first
            self.client.delete_object(Bucket=self.bucket, Key=key)


def from_config(app: Flask) -> Destination:
    """The destination BACKUP_DIR names: a local folder (default <instance>/backups) or s3://<bucket>/<prefix>."""
    where = app.config.get("BACKUP_DIR") or str(Path(app.instance_path) / "backups")
    if where.startswith("s3://"):
        from services.storage import s3_client

        bucket, _, prefix = where[len("s3://"):].partition("/")
        if not bucket:
            raise BackupError(f"BACKUP_DIR={where!r} names no bucket: use s3://<bucket>/<prefix>.")
        return ObjectStore(s3_client(app), bucket, prefix)
    if "://" in where:
        raise BackupError(f"BACKUP_DIR={where!r}: use a local folder or s3://<bucket>/<prefix>.")
    return LocalFolder(Path(where))
