"""Request guards that run before anything else (rate-limit keys, CSRF, the views): a path, query, header, form or
JSON body that cannot be stored is a 400, and an oversized held bill or till post a 413, each in the surface's
own envelope. The limits are services.bounds'; docs/api.md ("Input limits") describes them for clients."""
from __future__ import annotations

from typing import Any, NoReturn
from urllib.parse import unquote_to_bytes

import simplejson
from flask import Flask, abort, current_app, request
from markupsafe import Markup

from blueprints.api.common import DRF, HTML, V1, ApiError, surface_for
from services import bounds

# Held bills arrive whole in one body; the till's posts are small forms, so the same cap is generous for them.
CAPPED_ENDPOINTS = frozenset({"billing_v1.hold_bill"})
CAPPED_BLUEPRINTS = frozenset({"pos"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def register_guards(app: Flask) -> None:
    """Run guard_request first of all before-request hooks; pages never fail on a stored lone surrogate."""
    app.before_request_funcs.setdefault(None, []).insert(0, guard_request)
    app.jinja_env.finalize = _finalize


def guard_request() -> None:
    """Refuse what the database cannot hold, before any code reads it."""
    if request.endpoint in CAPPED_ENDPOINTS or request.blueprint in CAPPED_BLUEPRINTS:
        configured = current_app.config.get("MAX_CONTENT_LENGTH")
        cap = min(configured, bounds.MAX_HOLD_BYTES) if configured else bounds.MAX_HOLD_BYTES
        request.max_content_length = cap  # a smaller limit the operator set still applies
        if (request.content_length or 0) > cap:
            abort(413)
    _check_url()
    _check_headers()
    if any(isinstance(v, int) and v > bounds.MAX_ID for v in (request.view_args or {}).values()):
        abort(404)  # /bills/<int:id> and friends: no row has such an id, and SQLite cannot even look it up
    if request.mimetype in FORM_TYPES:
        _check_form()
    elif request.method in BODY_METHODS:
        _check_json()


def reject(message: str, where: str | None = None, status: int = 400) -> NoReturn:
    """Answer at once in the surface's envelope; `where` names the field, as each surface words field errors."""
    surface = surface_for(request.path)
    if surface == HTML:
        abort(status, description=message)
    if surface == DRF and where and where.split(".")[0] not in ("body", "path", "query", "headers", "form"):
        raise ApiError(status, message, body={where.split(".")[0].split("[")[0]: [message]})
    if surface == V1:
        raise ApiError(status, message, errors={where or "body": [message]})
    raise ApiError(status, message)


# --------------------------------------------------------------------------- the checks


def _utf8(raw: bytes, where: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        reject(bounds.ENCODING_MESSAGE, where)
    if "\x00" in text:
        reject(bounds.NUL_MESSAGE, where)
    return text


def _check_url() -> None:
    # The WSGI server hands over the raw bytes as latin-1; Werkzeug would quietly replace bad UTF-8 with U+FFFD.
    _utf8(request.environ.get("PATH_INFO", "").encode("latin-1", "replace"), "path")
    query = request.environ.get("QUERY_STRING", "").encode("latin-1", "replace")
    _utf8(unquote_to_bytes(query.replace(b"+", b" ")), "query")


def _check_headers() -> None:
    for name, value in request.headers.items():
        if "\x00" in name or "\x00" in value:
            reject(bounds.NUL_MESSAGE, f"headers.{name}")


def _check_form() -> None:
    if request.mimetype == "application/x-www-form-urlencoded":
        # Read the raw body first: the form parser reuses it (Request._get_stream_for_parsing).
        _utf8(unquote_to_bytes(request.get_data(cache=True).replace(b"+", b" ")), "form")
    for key, value in request.form.items(multi=True):
        if "\x00" in (key or "") or "\x00" in (value or ""):  # a multipart part may parse to None
            reject(bounds.NUL_MESSAGE, key)


def _check_json() -> None:
    # The API surfaces read any body as JSON (read_json); pages only when it says it is JSON.
    if surface_for(request.path) == HTML and not request.is_json:
        return
    raw = request.get_data(cache=True)
    if not raw:
        return
    if bounds.json_too_deep(raw):
        reject(bounds.DEPTH_MESSAGE, "body")
    try:
        data = simplejson.loads(raw, use_decimal=True)
    except (ValueError, UnicodeDecodeError):
        return  # read_json answers malformed JSON in the surface's own words
    found = bounds.json_text_problem(data)
    if found:
        reject(found[1], found[0])


def _finalize(value: Any) -> Any:
    """Every {{ value }} of every page: a lone surrogate (stored before the guard) becomes U+FFFD, not a 500."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return bounds.scrub(value)
    if isinstance(value, Markup):
        return Markup(bounds.scrub(str(value)))
    return value


