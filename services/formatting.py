"""Formatting for pages and documents: INR the Indian way, amounts in words, store-local times."""
from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional
from zoneinfo import ZoneInfo

from babel.numbers import format_currency
from flask import Flask, current_app
from num2words import num2words

PAISA = Decimal("0.01")


def to_money(value) -> Decimal:
    """Any number as a Decimal rounded half-up to the paisa (floats go through str, never binary)."""
    if isinstance(value, float):
        value = str(value)
    return Decimal(value).quantize(PAISA, rounding=ROUND_HALF_UP)


def inr(value) -> str:
    """₹12,34,567.50 (Babel, en_IN)."""
    if value is None or value == "":
        return ""
    return format_currency(to_money(value), "INR", locale="en_IN")


def amount_in_words(value) -> str:
    """Rupees and paise in Indian numbering: 'One Lakh Twenty Thousand Rupees and Fifty Paise Only'."""
    amount = to_money(value)
    rupees = int(amount)
    paise = int((amount - rupees) * 100)
    words = num2words(rupees, lang="en_IN").replace(",", "").replace("-", " ").title() + " Rupees"
    if paise:
        words += " and " + num2words(paise, lang="en_IN").replace("-", " ").title() + " Paise"
    return words + " Only"


def iso_z(value: Optional[datetime]) -> Optional[str]:
    """An aware datetime as ISO 8601 in UTC with a Z and milliseconds: 2025-09-26T11:29:15.123Z."""
    if value is None:
        return None
    utc = value.astimezone(ZoneInfo("UTC"))
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def local_time(value: Optional[datetime], tz_name: Optional[str] = None, fmt: str = "%d %b %Y, %I:%M %p") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz_name or "Asia/Kolkata")).strftime(fmt)


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(inr, "inr")
    app.add_template_filter(amount_in_words, "in_words")
    app.add_template_filter(local_time, "local_time")

    @app.context_processor
    def navigation():
        def has_endpoint(name: str) -> bool:
            return name in current_app.view_functions

        from flask_login import current_user

        from services.access import current_store_for, membership_for

        store = role = None
        if current_user.is_authenticated:
            store = current_store_for(current_user)
            membership = membership_for(current_user, store) if store else None
            role = membership.role if membership else None
        return {
            "has_endpoint": has_endpoint,
            "current_store": store,
            "current_role": role,
            "mail_to_outbox": not current_app.config.get("MAIL_SERVER"),
        }
