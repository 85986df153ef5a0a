"""HTMX helpers: decide fragment vs full page in one place, and the answers a fragment request gets when it fails
(an out-of-band flash, or the login page loaded whole). `Vary: HX-Request` is added by blueprints/hooks.py."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, make_response, render_template, request, url_for

SESSION_ENDED = "Your session has ended. Please log in again."


def is_htmx() -> bool:
    """Any request htmx sent (a swap, a boosted link or form, a history restore)."""
    return request.headers.get("HX-Request") == "true"


def wants_fragment() -> bool:
    """True for an HTMX request that swaps part of a page (not boosted, not a history restore)."""
    return (
        is_htmx()
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render_page_or_fragment(page: str, fragment: str, status: int = 200, **context) -> Response:
    """The full page for a normal request, only the partial for an HTMX swap."""
    return make_response(render_template(fragment if wants_fragment() else page, **context), status)


def push_clean_url(response: Response, endpoint: str, page: int = 1, **params) -> Response:
    """For an HTMX list answer: the address bar gets the list's own query (empty fields and page 1 left out), not
    every field the form sent (HX-Push-Url overrides the element's hx-push-url)."""
    if wants_fragment():
        kept = {key: value for key, value in params.items() if value not in (None, "")}
        if page > 1:
            kept["page"] = page
        response.headers["HX-Push-Url"] = url_for(endpoint, **kept)
    return response


def _flash_fragment(message: str) -> str:
    return render_template("pos/_flash.html", oob=True, message=message, category="error")


def error_page(code: int, message: str, response: Response | None = None) -> Response:
    """An HTML error: the error page, or for an HTMX swap only the message, out of band into the flash area.

    `response` keeps headers an exception already set (Allow, Retry-After).
    """
    response = response if response is not None else make_response("", code)
    if wants_fragment():
        response.set_data(_flash_fragment(message))
        response.headers["HX-Reswap"] = "none"  # what the user was working on stays as it was
        response.headers["HX-Push-Url"] = "false"  # and so does the address bar
    else:
        response.set_data(render_template("errors/error.html", code=code, message=message))
    response.status_code = code
    response.content_type = "text/html; charset=utf-8"
    return response


def _page_path() -> str | None:
    """The path of the page htmx sent this from (HX-Current-URL), to come back to after signing in."""
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    if current.netloc and current.netloc != request.host:
        return None
    return (current.path + (f"?{current.query}" if current.query else "")) or None


def session_ended() -> Response:
    """An HTMX request without a session: the browser loads the login page whole (HX-Redirect), never a swap."""
    from blueprints.auth import safe_next

    response = make_response(_flash_fragment(SESSION_ENDED), 401)
    # The message rides in the URL, not in a flash: a second request in flight (a keystroke's search) would race
    # the login page for the session cookie and could take the flash with it.
    response.headers["HX-Redirect"] = url_for("auth.login", next=safe_next(_page_path()), ended=1)
    return response
