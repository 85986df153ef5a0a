"""Domain exceptions. Services raise them; each surface turns them into its own envelope."""
from __future__ import annotations

from typing import Any, Optional


class DomainError(Exception):
    """A rule said no. `errors` maps field names to lists of messages (DRF style)."""

    status = 400

    def __init__(self, message: str, errors: Optional[dict[str, Any]] = None, status: Optional[int] = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        if status is not None:
            self.status = status


class ValidationError(DomainError):
    """Bad input: 400 with field errors."""

    @classmethod
    def field(cls, field: str, message: str) -> "ValidationError":
        return cls(message, {field: [message]})


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
