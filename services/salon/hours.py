"""The salon's opening hours: the appointment book's day (one pair for every day of the week), kept in the store's
settings as "salon_opens" / "salon_closes" ("HH:MM", the store's time zone) and changed only through
services.accounts.store_settings.update_store_settings (owners; audited), as every store setting is. No import of
the rest of the app, so the settings service can use it.
"""
from __future__ import annotations

from datetime import time
from typing import Any, Optional

OPENS, CLOSES = time(9, 0), time(21, 0)  # when the store's settings say nothing (or something unreadable)
KEYS = ("salon_opens", "salon_closes")
QUARTER = 15  # the book's slots: hours on the quarter hour, so the grid starts and ends on them


def clock(raw: Any) -> Optional[time]:
    """HH:MM (or HH:MM:SS) as a time, else None."""
    try:
        return time.fromisoformat(raw.strip()) if isinstance(raw, str) and len(raw.strip()) in (5, 8) else None
    except ValueError:
        return None


def stored(settings: Optional[dict]) -> tuple[time, time]:
    """The hours in force: the settings' pair when both read and close after opening, else 09:00-21:00."""
    settings = settings or {}
    opens, closes = clock(settings.get("salon_opens")) or OPENS, clock(settings.get("salon_closes")) or CLOSES
    return (opens, closes) if opens < closes else (OPENS, CLOSES)


def check(opens_raw: Any, closes_raw: Any) -> tuple[Optional[dict[str, str]], dict[str, list[str]]]:
    """The pair as typed -> ({"salon_opens": "HH:MM", "salon_closes": "HH:MM"}, {}) or (None, errors keyed by the
    setting): both given as HH:MM on the quarter hour, closing after opening."""
    errors: dict[str, list[str]] = {}
    times = {}
    for key, raw, word in (("salon_opens", opens_raw, "opening"), ("salon_closes", closes_raw, "closing")):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            errors[key] = [f"Enter the {word} time as HH:MM."]
            continue
        value = clock(raw)
        if value is None:
            errors[key] = [f"Enter the {word} time as HH:MM, e.g. {'09:00' if key == 'salon_opens' else '21:00'}."]
        elif value.second or value.microsecond or value.minute % QUARTER:
            errors[key] = [f"Use a time on the quarter hour (:00, :15, :30 or :45): the book has {QUARTER}-minute "
                           "slots."]
        else:
            times[key] = value
    if not errors and times["salon_closes"] <= times["salon_opens"]:
        errors["salon_closes"] = [f"Closing must be after opening ({times['salon_opens']:%H:%M})."]
    if errors:
        return None, errors
    return {key: f"{value:%H:%M}" for key, value in times.items()}, {}
