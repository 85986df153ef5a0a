"""A period typed as two dates (`from`, `to`, YYYY-MM-DD, each optional), the one rule every page with a date range
uses: a date that is not one, or a start after the end, is refused beside its field (the page then shows nothing as
if it were filtered)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from services.billing.fields import to_date
from services.errors import FieldErrors, ValidationError

DATE_FORMAT = "Enter a date as YYYY-MM-DD"
INVERTED = "The start date is after the end date."


@dataclass(frozen=True)
class DateRange:
    """Calendar days of the store, both ends included; None = from the first entry / up to today."""

    start: Optional[date] = None
    end: Optional[date] = None


def parse_range(raw_start: Optional[str], raw_end: Optional[str]) -> DateRange:
    """A range from the form's `from` and `to`; ValidationError on a bad date or a start after the end."""
    errors = FieldErrors()
    days = []
    for key, raw in (("from", raw_start), ("to", raw_end)):
        text = (raw or "").strip()
        day = to_date(text) if text else None
        if text and day is None:
            errors.add(key, DATE_FORMAT)
        days.append(day)
    errors.raise_if()
    start, end = days
    if start is not None and end is not None and start > end:
        raise ValidationError.field("from", INVERTED)
    return DateRange(start, end)
