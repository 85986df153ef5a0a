"""Where files a request needs are kept: uploads (logos, product and piece images) and rendered PDFs.

One interface, two backends, chosen by STORAGE_BACKEND (config.py, docs/operations.md "Storage"):

- `LocalStorage` ("local", the default): a folder on this server's disk, UPLOAD_FOLDER (default
  <instance>/uploads) and PDF_CACHE_FOLDER (default <instance>/pdf-cache), the same paths as before.
- `S3Storage` ("s3"): one bucket of S3-compatible object storage (AWS S3, MinIO...) through boto3, keys under
  S3_PREFIX + "uploads/" and S3_PREFIX + "pdf-cache/", so every app server of a chain sees the same files.

A key is a relative POSIX path ("<store uid>/logo-0123456789abcdef.png"); bytes go in and come out. `put` is
atomic on both (a temporary file renamed into place; an S3 PUT is whole or absent). `version` is a short text that
changes whenever the object's content does (size and mtime; the S3 ETag and size), for digests and caches.
`local_path` gives a file on this server's disk for code that must read a path (the PDF renderer's logo): the
folder's own file, or for S3 a copy in a per-process temporary folder, fetched again when the object's version
changes.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

from flask import Flask, current_app

BACKENDS = ("local", "s3")
AREAS = {"uploads": "UPLOAD_FOLDER", "pdf-cache": "PDF_CACHE_FOLDER"}  # area -> its local folder's setting
TEMPORARY_PREFIX = ".tmp-"  # LocalStorage's half-written files; never listed


class StorageConfigError(RuntimeError):
    """The storage settings cannot work; raised by create_app, so a bad deploy stops at startup."""


def check_key(key: str) -> str:
    """A relative POSIX path without '.', '..' or empty parts; ValueError otherwise (nothing outside the area)."""
    if not key or "\\" in key or any(part in ("", ".", "..") for part in key.split("/")):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalStorage:
    """Files under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> Optional[bytes]:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list(self, prefix: str = "") -> list[str]:
        """Every key starting with `prefix`, sorted; symlinks and half-written files are left out."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.rglob("*"):
            if path.is_symlink() or not path.is_file() or path.name.startswith(TEMPORARY_PREFIX):
                continue
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix):
                found.append(key)
        return sorted(found)

    def version(self, key: str) -> Optional[str]:
        try:
            stat = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return f"{stat.st_size}-{stat.st_mtime_ns}"

    def local_path(self, key: str) -> Optional[Path]:
        path = self._path(key)
        return path.resolve() if path.is_file() else None

    def local_dir(self, prefix: str) -> Path:
        """The folder `local_path` gives files under `prefix` from (the PDF renderer's allowed root)."""
        return (self.root / check_key(prefix)).resolve()


class S3Storage:
    """Objects in one bucket under a key prefix, through a boto3 S3 client (thread-safe, shared per app)."""

    def __init__(self, client: Any, bucket: str, prefix: str, cache_dir: Path) -> None:
        self.client, self.bucket, self.prefix, self.cache_dir = client, bucket, prefix, Path(cache_dir)
        self._cached: dict[str, str] = {}  # key -> version of the copy in cache_dir
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Storage('s3://{self.bucket}/{self.prefix}')"

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get(self, key: str) -> Optional[bytes]:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def _head(self, key: str) -> Optional[dict]:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def list(self, prefix: str = "") -> list[str]:
        found = []
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
        for page in pages:
            found.extend(item["Key"][len(self.prefix):] for item in page.get("Contents", []))
        return sorted(found)

    def version(self, key: str) -> Optional[str]:
        head = self._head(key)
        return None if head is None else f"{head['ContentLength']}-{head['ETag'].strip(chr(34))}"

    def local_path(self, key: str) -> Optional[Path]:
        """A copy on this server's disk, fetched when missing or when the object's version has changed."""
        version = self.version(key)
        if version is None:
            return None
        path = self.cache_dir / check_key(key)
        with self._lock:
            if self._cached.get(key) == version and path.is_file():
                return path.resolve()
        data = self.get(key)
        if data is None:
            return None
        local = LocalStorage(self.cache_dir)
        local.put(key, data)
        with self._lock:
            self._cached[key] = version
        return path.resolve()

    def local_dir(self, prefix: str) -> Path:
        return (self.cache_dir / check_key(prefix)).resolve()


Storage = LocalStorage | S3Storage


@contextmanager
def as_os_error() -> Iterator[None]:
    """boto3's errors (endpoint unreachable, access denied, a server error) raised as OSError, for callers that
    treat an unusable folder and an unusable object store alike (the PDF cache: a miss)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise OSError(f"object storage: {exc}") from exc


# --------------------------------------------------------------------------- configuration


def check_config(config: Any) -> None:
    """StorageConfigError naming the setting when the storage settings cannot work (create_app calls this)."""
    backend = config.get("STORAGE_BACKEND") or "local"
    if backend not in BACKENDS:
        raise StorageConfigError(f"STORAGE_BACKEND={backend!r}: use one of {', '.join(BACKENDS)}.")
    if backend == "s3" and not config.get("S3_BUCKET"):
        raise StorageConfigError("STORAGE_BACKEND=s3 needs S3_BUCKET (and S3_ENDPOINT_URL for MinIO or another "
                                 "S3-compatible service; credentials in S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY).")
    if str(config.get("BACKUP_DIR") or "").startswith("s3://") and not str(config["BACKUP_DIR"])[5:].split("/")[0]:
        raise StorageConfigError(f"BACKUP_DIR={config['BACKUP_DIR']!r} names no bucket: use s3://<bucket>/<prefix>.")


def init_app(app: Flask) -> None:
    check_config(app.config)
    app.extensions["storage"] = {}


def s3_client(app: Optional[Flask] = None) -> Any:
    """The app's boto3 S3 client, made once (clients are thread-safe)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    held = app.extensions.setdefault("storage", {})
    if "client" not in held:
        import boto3
        from botocore.config import Config as BotoConfig

        config = app.config
        held["client"] = boto3.client(
            "s3", endpoint_url=config.get("S3_ENDPOINT_URL") or None, region_name=config.get("S3_REGION") or None,
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
            config=BotoConfig(s3={"addressing_style": config.get("S3_ADDRESSING_STYLE") or "auto"},
                              retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30),
        )
    return held["client"]


def _cache_dir() -> Path:
    """This process's temporary folder for local copies of objects, removed at exit."""
    global _process_cache
    if _process_cache is None or _process_cache[0] != os.getpid():
        folder = Path(tempfile.mkdtemp(prefix="shop-storage-"))
        atexit.register(shutil.rmtree, folder, True)
        _process_cache = (os.getpid(), folder)
    return _process_cache[1]


_process_cache: Optional[tuple[int, Path]] = None


def storage(area: str) -> Storage:
    """The configured storage of an area: "uploads" or "pdf-cache"."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if area not in AREAS:
        raise ValueError(f"not a storage area: {area!r}")
    if (app.config.get("STORAGE_BACKEND") or "local") != "s3":
        return LocalStorage(Path(app.config.get(AREAS[area]) or Path(app.instance_path) / area))
    held = app.extensions.setdefault("storage", {})
    if area not in held:  # one per app: it remembers which objects it holds copies of
        prefix = (app.config.get("S3_PREFIX") or "").strip("/")
        prefix = f"{prefix}/{area}/" if prefix else f"{area}/"
        held[area] = S3Storage(s3_client(app), app.config["S3_BUCKET"], prefix, _cache_dir() / area)
    return held[area]


def uploads() -> Storage:
    return storage("uploads")


def pdf_cache() -> Storage:
    return storage("pdf-cache")
