"""The limits every input meets before it reaches the database, in one place (docs/api.md, "Input limits").

Numbers: money fits Numeric(12,2), a line's quantity stays far inside the Integer column, a page number inside a
32-bit integer (so OFFSET never overflows SQLite's or PostgreSQL's integers). Text: no NUL characters and no lone
UTF-16 surrogates (neither can be stored in PostgreSQL text; SQLite would keep them and break every page that shows
them). JSON: nesting depth is capped before parsing, so a deep body is a 400 and never a RecursionError.
"""
from __future__ import annotations

import re
from decimal import Decimal
from itertools import accumulate
from typing import Any

MAX_MONEY = Decimal("9999999999.99")  # Numeric(12,2)
MAX_STOCK = 999_999_999  # a product's stock (Numeric(12,3)); no purchase, return or count may take it past
MAX_QTY = 999_999  # one bill line; the column is a 32-bit Integer, and qty x rate must still fit MAX_MONEY
MAX_ID = 2**31 - 1  # Integer primary keys: a larger id cannot exist (and SQLite cannot even bind it)
MAX_PAGE = 2**31 - 1  # page numbers of every list (OFFSET = (page - 1) x limit stays inside 64 bits)
MAX_JSON_DEPTH = 32  # arrays and objects inside each other; a bill needs 4
MAX_HOLD_BYTES = 256 * 1024  # a held bill's body (Billing v1) and every till POST

NUL_MESSAGE = "Null characters are not allowed."
SURROGATE_MESSAGE = "Lone surrogate characters are not allowed."
ENCODING_MESSAGE = "Text must be valid UTF-8."
DEPTH_MESSAGE = f"JSON is nested too deeply (at most {MAX_JSON_DEPTH} levels)."

_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


# --------------------------------------------------------------------------- numbers


def money_problem(value: Decimal | None) -> str | None:
    """Why an amount cannot be stored in a Numeric(12,2) column, or None."""
    if value is None:
        return None
    if not value.is_finite() or abs(value) > MAX_MONEY:
        return f"Must be at most {MAX_MONEY}"
    return None


def row_id(raw: Any) -> int | None:
    """A primary key typed as a whole number (text or int) that could exist, or None."""
    text = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or not 0 < int(text) <= MAX_ID:
        return None
    return int(text)


def qty_problem(value: Any) -> str | None:
    """Why a line quantity is out of range, or None (its type is checked elsewhere)."""
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_QTY:
        return f"Quantity must be at most {MAX_QTY}"
    return None


# --------------------------------------------------------------------------- text


def text_problem(text: str) -> str | None:
    """Why a string cannot be stored: a NUL or a lone surrogate; None when it is fine."""
    if "\x00" in text:
        return NUL_MESSAGE
    if _SURROGATE.search(text):
        return SURROGATE_MESSAGE
    return None


def scrub(value: Any) -> Any:
    """A value with every lone surrogate replaced by U+FFFD (for rows stored before the text guard)."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


# --------------------------------------------------------------------------- JSON


def json_too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when arrays/objects in a JSON text nest deeper than `limit` (brackets inside strings don't count).

    Runs at C speed (a regex drops the strings, translate keeps only brackets), so it is safe on any body size.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0) > limit


def json_text_problem(value: Any, where: str = "") -> tuple[str, str] | None:
    """The first string (key or value) in parsed JSON that cannot be stored: (its path, why), or None."""
    if isinstance(value, str):
        problem = text_problem(value)
        return (where or "body", problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            path = scrub(f"{where}.{key}" if where else str(key))
            found = json_text_problem(str(key), path) or json_text_problem(item, path)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = json_text_problem(item, f"{where}[{index}]")
            if found:
                return found
    return None
