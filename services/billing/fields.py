"""The field parsers of a bill (Billing v1's payload and the till's form share them), writing into FieldErrors.

One copy each of the decimal, whole-number, timestamp and string parsers with the bill's wording, and the new
customer typed with a bill. Contract-specific shape (the full Billing v1 body) lives in
blueprints/api/billing_v1/parse.py; NamastePMS has its own DRF-worded parsers in blueprints/api/namaste/fields.py.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from models import GENDERS
from services.accounts.gstin import gstin_error
from services.accounts.gstin import normalise as normalise_gstin
from services.billing.bills import NewCustomer
from services.errors import FieldErrors
from services.parties.parties import E164, e164_phone, normal_email

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MISSING = object()
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STRICT_PHONE = "Must be an E.164 phone number, e.g. +919876543210"
TYPED_PHONE = "Enter a valid phone number, e.g. 98765 43210 or +919876543210"


def parse_decimal(value: Any, key: str, errors: FieldErrors, *, places: int = 2, required: bool = True,
                  default: Optional[Decimal] = None) -> Optional[Decimal]:
    """A JSON number (or numeric string) as Decimal with at most `places` decimals; None after an error."""
    if value is MISSING or value is None:
        if required:
            errors.add(key, "This field is required")
        return default
    number = to_decimal(value)
    if number is None:
        errors.add(key, "Must be a number")
        return None
    if number.as_tuple().exponent < -places and number != number.quantize(Decimal(1).scaleb(-places)):
        errors.add(key, f"At most {places} decimal places")
        return None
    return number


def to_decimal(raw: Any) -> Optional[Decimal]:
    """A finite Decimal from a number or numeric string (never a boolean), or None; the one decimal converter."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        return None
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def parse_int(value: Any, key: str, errors: FieldErrors) -> Optional[int]:
    if value is MISSING or value is None:
        errors.add(key, "This field is required")
        return None
    if isinstance(value, bool):
        errors.add(key, "Must be a whole number")
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (Decimal, float)) and value == int(value):
        return int(value)
    errors.add(key, "Must be a whole number")
    return None


def parse_timestamp(value: Any, key: str, errors: FieldErrors, *, required: bool) -> Optional[datetime]:
    """ISO 8601 with a time zone (2025-09-26T11:29:00.000Z)."""
    if value is MISSING or value is None:
        if required:
            errors.add(key, "This field is required")
        return None
    if not isinstance(value, str):
        errors.add(key, "Must be an ISO 8601 timestamp")
        return None
    moment = to_timestamp(value)
    if moment is None:
        errors.add(key, "Must be an ISO 8601 timestamp")
        return None
    if moment.tzinfo is None:
        errors.add(key, "Must include a time zone (e.g. Z)")
        return None
    return moment


def parse_string(value: Any, key: str, errors: FieldErrors, *, required: bool = False,
                 max_length: int = 255) -> Optional[str]:
    if value is MISSING or value is None:
        if required:
            errors.add(key, "This field is required")
        return None
    if not isinstance(value, str):
        errors.add(key, "Must be a string")
        return None
    value = value.strip()
    if required and not value:
        errors.add(key, "May not be blank")
        return None
    if len(value) > max_length:
        errors.add(key, f"At most {max_length} characters")
        return None
    return value or None


def to_date(raw: Any) -> Optional[date]:
    """A calendar day written YYYY-MM-DD, or None; the one date parser."""
    if not isinstance(raw, str) or not _ISO_DATE.match(raw.strip()):
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def to_timestamp(raw: str) -> Optional[datetime]:
    """An ISO 8601 moment from a string (naive when it names no zone), or None; the one timestamp parser."""
    try:
        return datetime.fromisoformat(raw.strip())
    except ValueError:
        return None


def new_customer(data: Any, errors: FieldErrors, *, strict_phone: bool,
                 prefix: str = "customer") -> Optional[NewCustomer]:
    """A customer typed with a bill: name and phone required, phone in E.164 (strict: as sent, as Billing v1's
    contract says; else also an Indian number as people type it), email lower-cased, optional GSTIN and legal name."""
    if not isinstance(data, dict):
        errors.add(prefix, "Must be an object")
        return None
    name = parse_string(data.get("name", MISSING), f"{prefix}.name", errors, required=True)
    typed = parse_string(data.get("contact_no", MISSING), f"{prefix}.contact_no", errors, required=True, max_length=20)
    phone = None
    if typed is not None:
        phone = typed if E164.match(typed) else None if strict_phone else e164_phone(typed)
        if phone is None:
            errors.add(f"{prefix}.contact_no", STRICT_PHONE if strict_phone else TYPED_PHONE)
    gender = data.get("gender")
    if gender is not None and gender not in GENDERS:
        errors.add(f"{prefix}.gender", "Must be one of: " + ", ".join(GENDERS))
    email = parse_string(data.get("email"), f"{prefix}.email", errors, max_length=254)
    if email is not None and not EMAIL.match(email):
        errors.add(f"{prefix}.email", "Enter a valid email address")
    address = parse_string(data.get("address"), f"{prefix}.address", errors, max_length=2000)
    # A B2B buyer: the GSTIN checked as the customer service checks it (so a bad one is refused before anything is
    # written, also on hold, which creates no customer), and the registered name the invoice prints.
    gstin = parse_string(data.get("gstin"), f"{prefix}.gstin", errors, max_length=15)
    if gstin is not None:
        gstin = normalise_gstin(gstin)
        if message := gstin_error(gstin):
            errors.add(f"{prefix}.gstin", message)
    legal_name = parse_string(data.get("legal_name"), f"{prefix}.legal_name", errors, max_length=255)
    if name is None or phone is None:
        return None
    return NewCustomer(name=name, phone_no=phone, gender=gender, address=address, email=normal_email(email),
                       gstin=gstin, legal_name=legal_name)
