"""Serves stored uploads (store logos, product and piece images) from the uploads storage (services/storage.py),
with the content type their bytes say, never as HTML or SVG."""
from __future__ import annotations

import hashlib
import io

from flask import Blueprint, abort, send_file

from services.documents import uploads

bp = Blueprint("uploads", __name__)


@bp.get("/uploads/<store_uid>/<name>")
def serve(store_uid: str, name: str):
    """An uploaded image; the unguessable generated name is the key (logos also appear on shared invoices)."""
    found = uploads.read(f"{store_uid}/{name}")  # from the uploads storage, whichever server stored it
    if found is None:
        abort(404)
    data, content_type = found
    response = send_file(io.BytesIO(data), mimetype=content_type, max_age=86400, conditional=True,
                         etag=hashlib.sha256(data).hexdigest()[:32])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    return response
