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


class RuleBroken(ValidationError):
    """A rule broken by the request as a whole rather than by one field's format (a surface may show it alone)."""

    def __init__(self, message: str, field: str = "non_field_errors"):
        super().__init__(message, {field: [message]})
        self.field = field


class Duplicate(RuleBroken):
    """A value that must be unique in the store is taken; `existing` is the row that holds it."""

    def __init__(self, message: str, field: str, existing: Any = None):
        super().__init__(message, field)
        self.existing = existing


class FieldErrors(dict):
    """The one accumulator of field errors: path -> messages, raised together so a client sees every mistake."""

    def add(self, key: str, message: str) -> None:
        self.setdefault(key, []).append(message)

    def raise_if(self) -> None:
        """Raise one ValidationError carrying every message (the first as the headline), if there is any."""
        if self:
            first = next(iter(self.values()))[0]
            raise ValidationError(first if len(self) == 1 else f"Validation failed: {first}", dict(self))
