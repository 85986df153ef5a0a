"""Store settings (owner only): the shop's name, address, GST registration, UPI id, invoice prefix, kind,
time zone, logo and billing options (services.accounts.billing_options). Every field is checked before anything
is written, the logo file last. The web page and Billing v1's PATCH /api/v1/stores/<id> both call
update_store_settings; a field missing from `data` keeps its value (the web form sends every field)."""
from __future__ import annotations

import re
from typing import IO, Any, Optional
from zoneinfo import available_timezones

from extensions import db
from models import BUSINESS_KINDS, DEFAULT_TIMEZONE, Store, User
from services import audit
from services.accounts.access import require_role
from services.accounts.billing_options import FLAGS, LOYALTY, check_loyalty, check_scale_barcode
from services.accounts.gstin import STATE_CODES, gstin_error
from services.accounts.gstin import normalise as normalise_gstin
from services.documents import uploads
from services.errors import ValidationError
from services.salon import hours as salon_hours

PHONE = re.compile(r"^\+?[0-9][0-9 -]{6,18}[0-9]$")
UPI_ID = re.compile(r"^[A-Za-z0-9._-]{2,256}@[A-Za-z][A-Za-z0-9]{1,63}$")
# GST rule 46 allows letters, digits, "-" and "/" in invoice numbers (16 characters in all).
INVOICE_PREFIX = re.compile(r"^[A-Z0-9/-]{1,6}$")
FIELDS = ("name", "address", "state_code", "phone", "gstin", "upi_id", "invoice_prefix", "business_kind", "timezone")
# Other numbering series: credit notes and purchases number their documents CN... and PUR....
RESERVED_PREFIXES = {"CN": "credit notes", "PUR": "purchases"}


def _clean(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def update_store_settings(actor: User, store: Store, data: dict[str, Any], logo: Optional[IO[bytes]] = None) -> Store:
    """Validate every field given (the others keep their value), then write them (and the new logo); flushes.

    Billing options: FLAGS as booleans, "scale_barcode" as None (off) or {"prefix", "item_digits", "value"},
    "loyalty_per_100" and "loyalty_point_value" as numbers (kept as text with 2 decimals). A salon's opening hours:
    "salon_opens" and "salon_closes" together, HH:MM (services.salon.hours.check).
    """
    require_role(actor, store, "owner")
    values = {name: _clean(data[name] if name in data else getattr(store, name)) for name in FIELDS}
    errors: dict[str, list[str]] = {}

    def bad(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not values["name"]:
        bad("name", "This field may not be blank.")
    elif len(values["name"]) > 255:
        bad("name", "Ensure this field has no more than 255 characters.")
    gstin = normalise_gstin(values["gstin"])
    state_code = values["state_code"] or (gstin[:2] if gstin[:2] in STATE_CODES else "")
    if state_code and state_code not in STATE_CODES:
        bad("state_code", "Choose a state from the list.")
    if gstin and (message := gstin_error(gstin, state_code if state_code in STATE_CODES else None)):
        bad("gstin", message)
    if values["phone"] and not PHONE.match(values["phone"]):
        bad("phone", "Enter a phone number of 8 to 15 digits.")
    if values["upi_id"] and (len(values["upi_id"]) > 100 or not UPI_ID.match(values["upi_id"])):  # String(100)
        bad("upi_id", "Enter a UPI id such as shopname@okbank (at most 100 characters).")
    prefix = values["invoice_prefix"].upper() or "INV"
    if not INVOICE_PREFIX.match(prefix):
        bad("invoice_prefix", "Use 1 to 6 letters, digits, '-' or '/'.")
    elif prefix in RESERVED_PREFIXES:
        bad("invoice_prefix", f'"{prefix}" numbers the {RESERVED_PREFIXES[prefix]}; choose another prefix for bills.')
    kind = values["business_kind"] or store.business_kind
    if kind not in BUSINESS_KINDS:
        bad("business_kind", f'"{kind}" is not a valid choice.')
    zone = values["timezone"] or DEFAULT_TIMEZONE
    if zone not in available_timezones():
        bad("timezone", "Choose a time zone such as Asia/Kolkata.")
    options = {}
    for flag in FLAGS:
        if flag in data:
            if not isinstance(data[flag], bool):
                bad(flag, "Must be true or false.")
            options[flag] = data[flag]
    if "scale_barcode" in data:
        scale, scale_errors = check_scale_barcode(data["scale_barcode"])
        for field, messages in scale_errors.items():
            for message in messages:
                bad(field, message)
        options["scale_barcode"] = scale.as_json() if scale else None
    for name in LOYALTY:
        if name in data:
            value, problem = check_loyalty(name, data[name])
            if problem:
                bad(name, problem)
            else:
                options[name] = f"{value:.2f}"
    if any(key in data for key in salon_hours.KEYS):  # the salon's opening hours: both, or neither
        pair, hour_errors = salon_hours.check(data.get("salon_opens"), data.get("salon_closes"))
        for field, messages in hour_errors.items():
            for message in messages:
                bad(field, message)
        options.update(pair or {})
    image = None
    if logo is not None:
        try:
            image = uploads.read_image(logo, "logo")
        except ValidationError as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    bad(field, message)
    if errors:
        raise ValidationError("Please correct the store settings.", errors)

    before = audit.snapshot(store, FIELDS + ("state", "logo_path", "settings"))
    store.name = values["name"]
    store.address = values["address"] or None
    store.state_code = state_code or None
    store.state = STATE_CODES.get(state_code) if state_code else None
    store.phone = values["phone"] or None
    store.gstin = gstin or None
    store.upi_id = values["upi_id"] or None
    store.invoice_prefix = prefix
    store.business_kind = kind
    store.timezone = zone
    if options:  # a new dict, so the JSON column sees the change
        store.settings = {**(store.settings or {}), **options}
    if image is not None:
        store.logo_path = uploads.save_image(store.uid, *image, prefix="logo")
    db.session.flush()
    audit.record("update", "store", store.id, store_id=store.id, user_id=actor.id, before=before,
                 after=audit.snapshot(store, FIELDS + ("state", "logo_path", "settings")))
    return store
