"""Formatting for pages and documents: INR the Indian way, amounts in words, store-local times."""
from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional
from zoneinfo import ZoneInfo

from babel.numbers import format_currency
from flask import Flask

from models import DEFAULT_TIMEZONE
from services import vocabulary
from services.billing.pricing import money
from services.catalog.units import qty_out

PAISA = Decimal("0.01")


def inr(value) -> str:
    """₹12,34,567.50: rounded half-up to the paisa, the last three digits of the rupees grouped, then twos (Indian
    numbering), a minus before the sign ("-₹50.25"). This is Babel's en_IN currency format, written out: Babel takes
    some 20 µs a call, which a page of products or bill lines adds up (tests/test_documents.py holds the two equal)."""
    if value is None or value == "":
        return ""
    amount = money(value)
    if not amount.is_finite():
        return format_currency(amount, "INR", locale="en_IN")
    rupees, paise = f"{abs(amount):f}".split(".")
    head, groups = rupees[:-3], [rupees[-3:]]
    while head:
        groups.insert(0, head[-2:])
        head = head[:-2]
    return ("-₹" if amount.is_signed() else "₹") + ",".join(groups) + "." + paise


_SMALL = ("Zero One Two Three Four Five Six Seven Eight Nine Ten Eleven Twelve Thirteen Fourteen Fifteen Sixteen "
          "Seventeen Eighteen Nineteen").split()
_TENS = ("", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety")
_PLACES = ((10**7, "Crore"), (10**5, "Lakh"), (1000, "Thousand"), (100, "Hundred"))
WORDS_LIMIT = 10**10  # a thousand crore: the first number num2words' en_IN refused too


def _words(number: int) -> str:
    """An integer in Indian numbering, capitalised, with "and" kept lower case: "One Lakh Five Hundred and Two",
    "One Hundred and Fifty Crore and Five". These are num2words' en_IN words (without its commas and hyphens),
    written out: importing num2words builds a converter for each of its languages, 3 MB of every worker that
    prints an amount (tests/test_documents.py holds the two equal over every number to 30,000 and a sample
    beyond)."""
    if not 0 <= number < WORDS_LIMIT:
        raise OverflowError(f"{number} is too large to be written in words")
    if number < 20:
        return _SMALL[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (" " + _SMALL[ones] if ones else "")
    place, name = next(place for place in _PLACES if number >= place[0])
    count, rest = divmod(number, place)
    head = f"{_words(count)} {name}"
    if not rest:
        return head
    return head + (" and " if rest < 100 else " ") + _words(rest)


def amount_in_words(value) -> str:
    """The amount rounded half-up to the paisa, in Indian numbering: 'One Lakh Twenty Thousand Rupees and Fifty
    Paise Only', 'One Rupee Only', 'Fifty Paise Only', 'Zero Rupees Only'; negative amounts start with 'Minus'."""
    amount = money(value)
    sign = "Minus " if amount < 0 else ""
    amount = abs(amount)
    rupees = int(amount)
    paise = int((amount - rupees) * 100)
    parts = []
    if rupees or not paise:
        parts.append(_words(rupees) + (" Rupee" if rupees == 1 else " Rupees"))
    if paise:
        parts.append(_words(paise) + (" Paisa" if paise == 1 else " Paise"))
    return sign + " and ".join(parts) + " Only"


def percent(value) -> str:
    """A tax or purity rate without needless zeros: 9.00 -> '9%', 2.50 -> '2.5%'."""
    if value is None or value == "":
        return ""
    rate = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    text = f"{rate.quantize(PAISA, rounding=ROUND_HALF_UP):f}".rstrip("0").rstrip(".")
    return text + "%"


def iso_z(value: Optional[datetime]) -> Optional[str]:
    """An aware datetime as ISO 8601 in UTC with a Z and milliseconds: 2025-09-26T11:29:15.123Z."""
    if value is None:
        return None
    utc = value.astimezone(ZoneInfo("UTC"))
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def local_time(value: Optional[datetime], tz_name: Optional[str] = None, fmt: str = "%d %b %Y, %I:%M %p") -> str:
    """An aware timestamp in the given time zone (the stores' default unless given)."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz_name or DEFAULT_TIMEZONE)).strftime(fmt)


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(inr, "inr")
    app.add_template_filter(amount_in_words, "in_words")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(qty_out, "qty")
    app.add_template_filter(vocabulary.payment_mode_label, "mode_label")
    app.add_template_global(vocabulary.PAYMENT_MODES, "payment_modes")
