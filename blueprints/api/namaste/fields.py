"""Parsing a NamastePMS request body field by field, collecting errors in DRF's words.

The contract's parsers (blueprints/api/namaste/parse.py) use `Fields(data, partial)`: each typed getter records
either the parsed value or a list of messages, and `check()` raises one ValidationError carrying every field's
errors, so a client sees all its mistakes at once and nothing is written. The messages are Django REST
framework's own, because NamastePMS clients were written against a DRF server.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Iterable, Optional

from email_validator import EmailNotValidError, validate_email

from services.billing.fields import to_date, to_decimal
from services.bounds import MAX_ID
from services.errors import RuleBroken, ValidationError

INT_MAX = MAX_ID  # the databases' INTEGER
MAX_STRING_INPUT = 1000  # DRF refuses longer strings for numbers
TEXT_MAX = 2000  # description, notes, address: generous, but bounded
REQUIRED = "This field is required."
NOT_NULL = "This field may not be null."
NOT_BLANK = "This field may not be blank."
TRUE_VALUES = {"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1", 1}
FALSE_VALUES = {"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0", 0}
_MISSING = object()
_DECIMAL_TAIL = re.compile(r"\.0*\s*$")


class RuleError(RuleBroken):
    """A rule of the contract the request as a whole broke; answered, as the domain's RuleBroken, {"error": ...}."""


class Fields:
    """One request body being parsed; `values` holds what parsed, `errors` what did not."""

    def __init__(self, data: dict[str, Any], partial: bool = False):
        self.data = data
        self.partial = partial
        self.values: dict[str, Any] = {}
        self.errors: dict[str, Any] = {}

    def given(self) -> frozenset[str]:
        """The names that parsed, for a typed input's fields_set."""
        return frozenset(self.values)

    # ------------------------------------------------------------------ plumbing

    def _raw(self, name: str, required: bool, aliases: Iterable[str] = ()) -> Any:
        for key in (name, *aliases):
            if key in self.data:
                return self.data[key]
        if required and not self.partial:
            self.errors[name] = [REQUIRED]
        return _MISSING

    def _take(self, name: str, required: bool, allow_null: bool, aliases: Iterable[str] = ()) -> Any:
        """The raw value to parse, or _MISSING when there is nothing (more) to do for this field."""
        raw = self._raw(name, required, aliases)
        if raw is _MISSING:
            return _MISSING
        if raw is None:
            if allow_null:
                self.values[name] = None
            else:
                self.errors[name] = [NOT_NULL]
            return _MISSING
        return raw

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def has(self, name: str) -> bool:
        return name in self.values

    def check(self) -> dict[str, Any]:
        """The parsed values, or ValidationError with every field's messages."""
        if self.errors:
            raise ValidationError("Invalid input.", self.errors)
        return self.values

    # ------------------------------------------------------------------ typed getters

    def string(self, name: str, *, required: bool = False, max_length: int = 255, allow_blank: bool = True,
               allow_null: bool = False, aliases: Iterable[str] = ()) -> None:
        raw = self._take(name, required, allow_null, aliases)
        if raw is _MISSING:
            return
        value = parse_string(raw)
        if value is None:
            self.errors[name] = ["Not a valid string."]
        elif value == "" and not allow_blank:
            self.errors[name] = [NOT_BLANK]
        elif "\x00" in value:
            self.errors[name] = ["Null characters are not allowed."]
        elif len(value) > max_length:
            self.errors[name] = [f"Ensure this field has no more than {max_length} characters."]
        else:
            self.values[name] = value

    def text(self, name: str, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", TEXT_MAX)
        self.string(name, **kwargs)

    def integer(self, name: str, *, required: bool = False, min_value: Optional[int] = None,
                max_value: int = INT_MAX, allow_null: bool = False, aliases: Iterable[str] = ()) -> None:
        raw = self._take(name, required, allow_null, aliases)
        if raw is _MISSING:
            return
        if isinstance(raw, str) and len(raw) > MAX_STRING_INPUT:
            self.errors[name] = ["String value too large."]
            return
        value = parse_integer(raw)
        if value is None:
            self.errors[name] = ["A valid integer is required."]
        elif min_value is not None and value < min_value:
            self.errors[name] = [f"Ensure this value is greater than or equal to {min_value}."]
        elif value > max_value:
            self.errors[name] = [f"Ensure this value is less than or equal to {max_value}."]
        else:
            self.values[name] = value

    def decimal(self, name: str, *, required: bool = False, max_digits: int = 12, decimal_places: int = 2,
                min_value: Optional[Decimal] = Decimal("0"), max_value: Optional[Decimal] = None,
                allow_null: bool = False) -> None:
        raw = self._take(name, required, allow_null)
        if raw is _MISSING:
            return
        if isinstance(raw, str) and len(raw) > MAX_STRING_INPUT:
            self.errors[name] = ["String value too large."]
            return
        value = to_decimal(raw)
        if value is None:
            self.errors[name] = ["A valid number is required."]
            return
        problem = precision_problem(value, max_digits, decimal_places)
        if problem:
            self.errors[name] = [problem]
        elif min_value is not None and value < min_value:
            self.errors[name] = [f"Ensure this value is greater than or equal to {min_value}."]
        elif max_value is not None and value > max_value:
            self.errors[name] = [f"Ensure this value is less than or equal to {max_value}."]
        else:
            self.values[name] = value.quantize(Decimal(1).scaleb(-decimal_places))

    def boolean(self, name: str, *, required: bool = False, allow_null: bool = False) -> None:
        raw = self._take(name, required, allow_null)
        if raw is _MISSING:
            return
        try:
            if raw in TRUE_VALUES:
                self.values[name] = True
                return
            if raw in FALSE_VALUES:
                self.values[name] = False
                return
        except TypeError:  # unhashable (a list or an object)
            pass
        self.errors[name] = ["Must be a valid boolean."]

    def date(self, name: str, *, required: bool = False, allow_null: bool = False) -> None:
        raw = self._take(name, required, allow_null)
        if raw is _MISSING:
            return
        value = to_date(raw)
        if value is None:
            self.errors[name] = ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]
        else:
            self.values[name] = value

    def choice(self, name: str, choices: Iterable[str], *, required: bool = False, allow_null: bool = False,
               aliases: Iterable[str] = ()) -> None:
        raw = self._take(name, required, allow_null, aliases)
        if raw is _MISSING:
            return
        if isinstance(raw, (str, int)) and not isinstance(raw, bool) and str(raw) in set(choices):
            self.values[name] = str(raw)
        else:
            self.errors[name] = [f'"{_shown(raw)}" is not a valid choice.']

    def email(self, name: str, *, required: bool = False, allow_null: bool = True) -> None:
        self.string(name, required=required, max_length=254, allow_null=allow_null)
        value = self.values.get(name)
        if not value:
            if value == "":
                self.values[name] = None  # an empty email is no email (and must not collide with another "")
            return
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            del self.values[name]
            self.errors[name] = ["Enter a valid email address."]
            return
        self.values[name] = value.lower()

    def url(self, name: str, *, max_length: int = 500) -> None:
        """An absolute http(s) URL, or a path on this server (uploaded images are served by the app)."""
        self.string(name, max_length=max_length, allow_null=True)
        value = self.values.get(name)
        if not value:
            if value == "":
                self.values[name] = None
            return
        if not (re.match(r"^https?://[^\s/$.?#][^\s]*$", value, re.IGNORECASE) or re.match(r"^/[^\s]*$", value)):
            del self.values[name]
            self.errors[name] = ["Enter a valid URL."]

    def primary_key(self, name: str, exists=None, *, required: bool = False, allow_null: bool = True,
                    aliases: Iterable[str] = ()) -> None:
        """An id within INTEGER that `exists(id)` confirms when given (else the service checks it exists)."""
        raw = self._take(name, required, allow_null, aliases)
        if raw is _MISSING:
            return
        pk = parse_pk(raw)
        if pk is None:
            self.errors[name] = [f"Incorrect type. Expected pk value, received {_type_name(raw)}."]
        elif pk < 1 or pk > INT_MAX or (exists is not None and not exists(pk)):
            self.errors[name] = [f'Invalid pk "{_shown(raw)}" - object does not exist.']
        else:
            self.values[name] = pk


# ---------------------------------------------------------------------- single-value parsers


def parse_string(raw: Any) -> Optional[str]:
    """DRF's CharField: strings and numbers (not booleans), trimmed; None when not acceptable."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        return None
    value = str(raw).strip()
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates cannot be stored
        return None
    return value


def parse_integer(raw: Any) -> Optional[int]:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        return None
    try:
        return int(_DECIMAL_TAIL.sub("", str(raw)))
    except (TypeError, ValueError):
        return None


def precision_problem(value: Decimal, max_digits: int, decimal_places: int) -> Optional[str]:
    """DRF DecimalField's digit rules, with its messages."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if exponent >= 0:
        total, whole, places = len(digits) + exponent, len(digits) + exponent, 0
    elif len(digits) > abs(exponent):
        total, whole, places = len(digits), len(digits) - abs(exponent), abs(exponent)
    else:
        total, whole, places = abs(exponent), 0, abs(exponent)
    if total > max_digits:
        return f"Ensure that there are no more than {max_digits} digits in total."
    if places > decimal_places:
        return f"Ensure that there are no more than {decimal_places} decimal places."
    if whole > max_digits - decimal_places:
        return f"Ensure that there are no more than {max_digits - decimal_places} digits before the decimal point."
    return None


def parse_pk(raw: Any) -> Optional[int]:
    """An integer id from an int or a string of digits; None for any other type."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().lstrip("-").isdigit():
        return int(raw.strip())
    return None


def parse_id_arg(raw: Optional[str]) -> Optional[int]:
    """A query-string id: positive and within INTEGER, else None."""
    if raw is None or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 1 <= value <= INT_MAX else None


def _type_name(raw: Any) -> str:
    if isinstance(raw, Decimal):
        return "float"
    return {dict: "dict", list: "list", str: "str"}.get(type(raw), type(raw).__name__)


def _shown(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)
