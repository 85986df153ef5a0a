"""Serves stored uploads (store logos) with the content type their bytes say, never as HTML or SVG."""
from __future__ import annotations

from flask import Blueprint, abort, send_file

from services.documents import uploads

bp = Blueprint("uploads", __name__)


@bp.get("/uploads/<store_uid>/<name>")
def serve(store_uid: str, name: str):
    """An uploaded image; the unguessable generated name is the key (logos also appear on shared invoices)."""
    found = uploads.resolve(f"{store_uid}/{name}")
    if found is None:
        abort(404)
    path, content_type = found
    response = send_file(path, mimetype=content_type, max_age=86400, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    return response
