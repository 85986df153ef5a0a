"""A backup's manifest.json: what the backup is (app version and migration, database kind, time) and the size and
SHA-256 of each of its files, checked before anything is restored."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from services.backups.destinations import BackupError, fsync

FORMAT = 1
MANIFEST = "manifest.json"
UPLOADS_FILE = "uploads.tar"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def describe(folder: Path, names: list[str]) -> dict:
    return {name: {"bytes": (folder / name).stat().st_size, "sha256": sha256_of(folder / name)} for name in names}


def write(folder: Path, manifest: dict) -> None:
    """The manifest is written last (after every file it describes is on disk)."""
    for name in manifest["files"]:
        fsync(folder / name)
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    fsync(path)


def read_verified(folder: Path) -> dict:
    """The manifest of the backup in `folder`, after checking every file it lists against its size and checksum;
    BackupError naming each missing, changed or damaged file otherwise."""
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} is not a backup: it has no {MANIFEST}.")
    try:
        manifest = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} is not a readable manifest ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a backup manifest of format {FORMAT} (this version of the app reads "
                          f"format {FORMAT} only).")
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise BackupError(f"{path} lists no files.")
    problems = []
    for name, facts in sorted(files.items()):
        if not isinstance(name, str) or Path(name).name != name or name.startswith(".") or not isinstance(facts, dict):
            problems.append(f"{name!r}: not a file of this backup")
            continue
        file = folder / name
        if not file.is_file():
            problems.append(f"{name}: missing")
        elif file.stat().st_size != facts.get("bytes"):
            problems.append(f"{name}: {file.stat().st_size} bytes, the manifest says {facts.get('bytes')}")
        elif sha256_of(file) != facts.get("sha256"):
            problems.append(f"{name}: checksum mismatch (changed or damaged since the backup was made)")
    if problems:
        raise BackupError(f"The backup in {folder} does not match its manifest; nothing was restored.\n  "
                          + "\n  ".join(problems))
    return manifest
