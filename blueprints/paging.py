"""Reading `page` and `limit` from the query string, the same way on every list (pages and APIs)."""
from __future__ import annotations

from typing import Optional

from flask import abort, request

from services import bounds

MAX_PAGE = bounds.MAX_PAGE


def _whole(name: str, default: int, low: int, high: int, errors: Optional[dict]) -> int:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        if errors is None:  # a page: fall back quietly on a hand-edited URL, but never past the bound
            if value is not None and value > high:
                abort(400, description=f"{name.capitalize()} must be at most {high}.")
            return default if value is None else low
        errors[name] = ["Must be a whole number"] if value is None else [f"Must be from {low} to {high}"]
        return default
    return value


def page_arg(errors: Optional[dict] = None) -> int:
    """The page number (from 1). Without `errors` (HTML pages) a bad value falls back to 1 or the nearest bound;
    with it (APIs) a bad value adds a message under "page", for the caller to answer 400."""
    return _whole("page", 1, 1, MAX_PAGE, errors)


def page_args(default_limit: int, errors: dict, max_limit: int = 100) -> tuple[int, int]:
    """(page, limit) of an API list; bad values add messages to `errors`."""
    return page_arg(errors), _whole("limit", default_limit, 1, max_limit, errors)
