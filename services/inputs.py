"""What the typed service inputs share: which fields the caller gave, so a partial update changes only those."""
from __future__ import annotations

from dataclasses import fields as dc_fields
from typing import Any, TypeVar

T = TypeVar("T", bound="Given")


class Given:
    """Mixin for input dataclasses that carry `fields_set`, the names the caller actually gave."""

    fields_set: frozenset[str]

    @classmethod
    def of(cls: type[T], **values: Any) -> T:
        """An input holding exactly these values (and saying so in fields_set)."""
        return cls(**values, fields_set=frozenset(values))  # type: ignore[call-arg]

    def given(self, name: str) -> bool:
        return name in self.fields_set

    def changes(self) -> dict[str, Any]:
        """The given fields and their values, in declaration order."""
        return {f.name: getattr(self, f.name) for f in dc_fields(self)  # type: ignore[arg-type]
                if f.name in self.fields_set}
