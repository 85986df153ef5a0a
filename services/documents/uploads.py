"""Image uploads (store logos, product and piece images): JPEG, PNG or WebP judged by their bytes, at most 5 MB,
stored per store under a generated name in the uploads storage (services/storage.py: a folder or the object store,
so any app server serves what another stored), and served back with the type their content says. Never HTML or
SVG."""
from __future__ import annotations

import io
import re
import secrets
from pathlib import Path
from typing import IO, Optional

from flask import current_app

from services import storage
from services.errors import ValidationError

MAX_BYTES = 5 * 1024 * 1024
# kind -> (Pillow format name, content type, file extension)
KINDS = {
    "jpeg": ("JPEG", "image/jpeg", ".jpg"),
    "png": ("PNG", "image/png", ".png"),
    "webp": ("WEBP", "image/webp", ".webp"),
}
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before Pillow's own limit
STORED_NAME = re.compile(r"^[0-9a-f-]{36}/[a-z]+-[0-9a-f]{16}\.(jpg|png|webp)$")


def sniff(data: bytes) -> Optional[str]:
    """The image kind the leading bytes announce, whatever the file was called."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def read_image(stream: IO[bytes], field: str = "logo") -> tuple[bytes, str]:
    """The upload's bytes and kind, or ValidationError naming the field: too big, not an allowed image, broken."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError.field(field, "The image is larger than 5 MB.")
    if not data:
        raise ValidationError.field(field, "The file is empty.")
    kind = sniff(data)
    if kind is None:
        raise ValidationError.field(field, "Upload a JPEG, PNG or WebP image.")
    from PIL import Image, UnidentifiedImageError  # only where an upload is checked

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != KINDS[kind][0]:
                raise ValidationError.field(field, "Upload a JPEG, PNG or WebP image.")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationError.field(field, "The image has too many pixels.")
            image.verify()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError.field(field, "The image file is damaged or incomplete.") from exc
    return data, kind


def upload_root() -> Path:
    """The local uploads folder (STORAGE_BACKEND=local): UPLOAD_FOLDER, default <instance>/uploads."""
    folder = current_app.config.get("UPLOAD_FOLDER") or str(Path(current_app.instance_path) / "uploads")
    return Path(folder)


def save_image(store_uid: str, data: bytes, kind: str, prefix: str = "logo") -> str:
    """Keep an already checked image as <store uid>/<prefix>-<random>.<ext> in the uploads storage (a folder or
    the object store, services/storage.py); returns that name."""
    name = f"{store_uid}/{prefix}-{secrets.token_hex(8)}{KINDS[kind][2]}"
    storage.uploads().put(name, data)
    return name


def read(relative: str) -> Optional[tuple[bytes, str]]:
    """The bytes and content type of a stored upload, or None for anything this module did not write."""
    if not STORED_NAME.match(relative or ""):
        return None
    data = storage.uploads().get(relative)
    kind = sniff(data[:16]) if data else None
    if data is None or kind is None:
        return None
    return data, KINDS[kind][1]


def remove(relative: Optional[str]) -> None:
    """Delete a stored upload (after the database no longer points at it); names this module did not write are
    left alone."""
    if relative and STORED_NAME.match(relative):
        storage.uploads().delete(relative)
