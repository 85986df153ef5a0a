"""Headers every response gets, in one after_request hook: no framing by other sites (clickjacking), and
`Vary: HX-Request` on HTML, whose body differs for an HTMX swap (a fragment) and a normal request (the page)."""
from __future__ import annotations

from flask import Flask, Response

FRAME_ANCESTORS = "frame-ancestors 'none'"


def page_headers(response: Response) -> Response:
    """X-Frame-Options and CSP frame-ancestors on every response (harmless on JSON); Vary on HTML. A view that
    sets its own frame-ancestors (the receipt, printed from a frame of the till) keeps it and its X-Frame-Options."""
    if "frame-ancestors" not in response.headers.get("Content-Security-Policy", ""):
        response.headers["X-Frame-Options"] = "DENY"
    policy = response.headers.get("Content-Security-Policy")
    if not policy:
        response.headers["Content-Security-Policy"] = FRAME_ANCESTORS
    elif "frame-ancestors" not in policy:  # a view's own policy (uploads) keeps its rules and gains this one
        response.headers["Content-Security-Policy"] = f"{policy}; {FRAME_ANCESTORS}"
    if response.mimetype == "text/html":
        response.vary.add("HX-Request")
    return response


def register_hooks(app: Flask) -> None:
    app.after_request(page_headers)
