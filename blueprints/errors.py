"""Error handling: HTML pages for pages, and each JSON surface's own envelope for its URLs."""
from __future__ import annotations

import logging

from flask import Flask, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from blueprints.api.common import DRF, HTML, V1, ApiError, error_body, json_response, surface_for
from blueprints.htmx import error_page, is_htmx, session_ended
from extensions import db
from services.errors import DomainError

log = logging.getLogger(__name__)

DRF_MESSAGES = {
    404: "Not found.",
    401: "Authentication credentials were not provided.",
    403: "You do not have permission to perform this action.",
    413: "Request entity too large.",
    415: "Unsupported media type in request.",
    500: "A server error occurred.",
}


def _drf_message(exc: HTTPException) -> str:
    if exc.code == 405:
        return f'Method "{request.method}" not allowed.'
    if exc.code == 429:
        return "Request was throttled."
    return DRF_MESSAGES.get(exc.code or 500, exc.description or exc.name)


def _json_message(exc: HTTPException) -> str:
    if exc.code == 429:
        return "Too many requests, please try again later."
    return exc.name


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(exc: ApiError):
        db.session.rollback()
        surface = surface_for(request.path)
        if exc.body is not None:
            return json_response(exc.body, exc.status)
        return json_response(error_body(surface, exc.status, exc.message, exc.errors), exc.status)

    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError):
        db.session.rollback()
        surface = surface_for(request.path)
        if surface == HTML:
            return error_page(exc.status, exc.message)
        return json_response(error_body(surface, exc.status, exc.message, exc.errors or None), exc.status)

    @app.errorhandler(CSRFError)
    def handle_csrf(exc: CSRFError):
        if is_htmx() and not current_user.is_authenticated:  # the session (and its CSRF token) is gone
            return session_ended()
        return error_page(400, f"{exc.description} Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        surface = surface_for(request.path)
        code = exc.code or 500
        if surface == HTML:
            return error_page(code, exc.description or exc.name, exc.get_response())
        message = _drf_message(exc) if surface == DRF else _json_message(exc)
        response = json_response(error_body(surface, code, message), code)
        for name in ("Allow", "Retry-After"):
            if name in exc.get_response().headers:
                response.headers[name] = exc.get_response().headers[name]
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return handle_http(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        surface = surface_for(request.path)
        if surface == HTML:
            return error_page(500, InternalServerError.description)
        message = DRF_MESSAGES[500] if surface == DRF else "Internal server error"
        return json_response(error_body(surface, 500, message), 500)


__all__ = ["register_error_handlers", "V1"]
