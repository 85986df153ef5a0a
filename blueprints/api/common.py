"""What every JSON surface shares: which surface a URL belongs to, its error envelope, body parsing,
Bearer authentication, and DRF-style paging. Written once; the three API blueprints use it."""
from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any, Callable, Optional
from urllib.parse import urlencode

import simplejson
from flask import Response, current_app, g, request

from extensions import db
from models import User
from services import bounds
from services.accounts.access import current_store_for, membership_for
from services.accounts.tokens import TokenClaims, TokenError, decode, live_user
from services.errors import DomainError
from services.paging import paginate_capped

DRF = "drf"  # NamastePMS, under /api/
V1 = "v1"  # Billing v1 and other /api/v1 endpoints
JEWELLERY = "jewellery"  # the jewellery contract's root paths (and /api/logs/create)
HTML = "html"

JEWELLERY_PATHS = frozenset({
    "/product-detail-by-id",
    "/update-product",
    "/add-invoice",
    "/get-invoice-home",
    "/user-contact-invoice-history",
    "/metal-rates",  # extension
})
JEWELLERY_PREFIXES = ("/invoice/", "/api/logs/")


def surface_for(path: str) -> str:
    """The API surface (and so the error envelope) a URL path belongs to."""
    if path.rstrip("/") in JEWELLERY_PATHS or path.startswith(JEWELLERY_PREFIXES):
        return JEWELLERY
    if path.startswith("/api/v1/") or path == "/api/v1":
        return V1
    if path.startswith("/api/") or path == "/api":
        return DRF
    return HTML


class ApiError(Exception):
    """Raised inside an API view to answer at once with the surface's envelope."""

    def __init__(self, status: int, message: str, errors: Optional[dict] = None, body: Optional[dict] = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.body = body


def error_body(surface: str, status: int, message: str, errors: Optional[dict] = None) -> dict:
    """The error JSON a client of this surface expects."""
    if surface == DRF:
        if errors:
            return dict(errors)
        return {"detail": message}
    body: dict[str, Any] = {"success": False, "message": message}
    if errors is not None and surface == V1:
        body["errors"] = errors
    return body


def json_response(payload: Any, status: int = 200, headers: Optional[dict] = None) -> Response:
    """JSON with Decimals written as exact numbers (1062.00), as Billing v1 clients expect."""
    body = simplejson.dumps(payload, use_decimal=True, ensure_ascii=False)
    if bounds.text_problem(body) == bounds.SURROGATE_MESSAGE:  # a row stored before the input guard
        body = simplejson.dumps(bounds.scrub(payload), use_decimal=True, ensure_ascii=False)
    response = current_app.response_class(body, status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def idempotent_response(store, payload: dict, run: Callable[[], tuple[int, dict, Optional[int]]]) -> Response:
    """A creating JSON request run once per Idempotency-Key; a replay carries `Idempotent-Replayed: true`."""
    from blueprints.idempotency import HEADER, run_once

    outcome = run_once(store.id, request.headers.get(HEADER), payload, run, method=request.method, path=request.path)
    response = current_app.response_class(outcome.body, status=outcome.status, mimetype="application/json")
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def error_response(surface: str, status: int, message: str, errors: Optional[dict] = None) -> Response:
    return json_response(error_body(surface, status, message, errors), status)


def domain_error_response(surface: str, exc: DomainError) -> Response:
    return error_response(surface, exc.status, exc.message, exc.errors or None)


def read_json(surface: str) -> dict:
    """The request body as a dict, numbers with fractions as Decimal; a clear 400 otherwise."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if surface == DRF:
            raise ApiError(400, "", body={"non_field_errors": ["No data provided"]})
        raise ApiError(400, "Request body must be a JSON object", errors={"body": ["Request body is required"]})
    if bounds.json_too_deep(raw):  # blueprints.guards refuses it first; this keeps read_json safe on its own
        raise ApiError(400, bounds.DEPTH_MESSAGE, errors={"body": [bounds.DEPTH_MESSAGE]} if surface == V1 else None)
    try:
        data = simplejson.loads(raw, use_decimal=True)
    except (ValueError, UnicodeDecodeError) as exc:
        if surface == DRF:
            raise ApiError(400, f"JSON parse error - {exc}") from exc
        raise ApiError(400, "Malformed JSON", errors={"body": [str(exc)]}) from exc
    if not isinstance(data, dict):
        kind = type(data).__name__
        if surface == DRF:
            detail = f"Invalid data. Expected a dictionary, but got {kind}."
            raise ApiError(400, "", body={"non_field_errors": [detail]})
        raise ApiError(400, "Request body must be a JSON object", errors={"body": [f"Expected an object, got {kind}"]})
    return data


def _bearer_token() -> Optional[str]:
    header = request.headers.get("Authorization", "")
    parts = header.split()
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return parts[1]
    return None


def authenticate(surface: str) -> None:
    """Set g.api_user from the Bearer token, or raise ApiError 401 in the surface's words."""
    claims = access_claims(surface)
    accept_user(surface, claims, db.session.get(User, claims.user_id))


def access_claims(surface: str) -> TokenClaims:
    """The Bearer access token's verified claims (signature, expiry, type), or ApiError 401 in the surface's words.
    `accept_user` then checks the user they name, however the caller loaded it."""
    token = _bearer_token()
    if token is None:
        message = "Authentication credentials were not provided." if surface == DRF else "Authentication required"
        raise ApiError(401, message)
    try:
        return decode(token, "access")
    except TokenError as exc:
        raise _token_refused(surface, exc) from exc


def accept_user(surface: str, claims: TokenClaims, user: Optional[User]) -> None:
    """g.api_user = `user` if the token still speaks for it (known, active, same token version); ApiError 401."""
    try:
        g.api_user = live_user(user, claims)
    except TokenError as exc:
        raise _token_refused(surface, exc) from exc


def _token_refused(surface: str, exc: TokenError) -> ApiError:
    if surface == DRF:
        return ApiError(
            401,
            "Given token not valid for any token type",
            body={
                "detail": "Given token not valid for any token type",
                "code": "token_not_valid",
                "messages": [{"token_class": "AccessToken", "token_type": "access", "message": str(exc)}],
            },
        )
    return ApiError(401, "Invalid or expired token")


def api_login_required(surface: str) -> Callable:
    """Decorator: Bearer authentication, then g.store = the caller's current store (DRF and jewellery)."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            authenticate(surface)
            g.store = current_store_for(g.api_user)
            if g.store is None:
                raise ApiError(403, "You do not belong to any store.")
            g.membership = membership_for(g.api_user, g.store)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# --------------------------------------------------------------------------- DRF-style paging


def _absolute_url(**params: Any) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    root = base.rstrip("/") + request.path if base else request.base_url
    query = request.args.to_dict()
    query.update({k: v for k, v in params.items() if v is not None})
    for key in [k for k, v in params.items() if v is None]:
        query.pop(key, None)
    return root + ("?" + urlencode(query) if query else "")


def drf_page(query, serialize: Callable[[Any], dict], default_size: int = 10, max_size: int = 100) -> dict:
    """PageNumberPagination: count, absolute next/previous links, results; a page past the end is 404. The count
    stops COUNT_CAP rows past the page (services.paging.paginate_capped): beyond that `count` is a lower bound and
    `count_exact: false` is added."""
    try:
        page = int(request.args.get("page", "1"))
        if not 1 <= page <= bounds.MAX_PAGE:  # past it, no store has that many rows (and OFFSET would overflow)
            raise ValueError
    except ValueError:
        raise ApiError(404, "Invalid page.") from None
    size = default_size
    if "page_size" in request.args:
        try:
            size = max(1, min(int(request.args["page_size"]), max_size))
        except ValueError:
            size = default_size
    found = paginate_capped(query, page, size)  # counted up to COUNT_CAP rows past the page, not every row
    if page > 1 and not found.items:
        raise ApiError(404, "Invalid page.")
    rows = found.items
    next_url = _absolute_url(page=page + 1) if found.has_more else None
    if page <= 1:
        previous_url = None
    elif page == 2:
        previous_url = _absolute_url(page=None)
    else:
        previous_url = _absolute_url(page=page - 1)
    body = {"count": found.total, "next": next_url, "previous": previous_url, "results": [serialize(r) for r in rows]}
    if not found.total_exact:  # extension, only on a list longer than the count reads: `count` is a lower bound
        body["count_exact"] = False
    return body


def money_str(value: Optional[Decimal]) -> Optional[str]:
    """A Decimal as the contracts write money: a string with two decimals."""
    if value is None:
        return None
    return f"{Decimal(value).quantize(Decimal('0.01')):f}"
