"""Jewellery contract request values into the domain's inputs, each refusal a 400 that says what is wrong.

The contract sends numbers as strings or numbers ("7150.00" or 7150), metals and purities in any case ("Gold",
"22k"); this module is the one place that reads them, so services never see a request body.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

import simplejson

from blueprints.api.common import ApiError
from services.billing.pricing import decimal_problem
from services.bounds import row_id
from services.documents.uploads import read_image
from services.jewellery.invoices import InvoiceItem, InvoiceRequest
from services.jewellery.logs import ACTIONS, ENTITY_TYPES, ClientLog
from services.jewellery.rates import RateEntry, metal_problem, purity_problem
from services.vocabulary import EXCHANGE_TILL_ONLY, PAYMENT_MODES, is_exchange, payment_mode_label

MAX_HISTORY_DAYS = 366
DEFAULT_HISTORY_DAYS = 30


def bad(message: str) -> ApiError:
    return ApiError(400, message)


def text(raw: Any, name: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise bad(f"{name} is required and must be text")
    return raw.strip()


def number(raw: Any, name: str) -> Decimal:
    """A number given as a JSON number or a string ("7150.00"); booleans and other types are refused."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal, float)):
        raise bad(f"{name} is required and must be a number")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise bad(f"{name} must be a number, not {str(raw)[:40]!r}") from None
    if not value.is_finite():
        raise bad(f"{name} must be a number, not {str(raw)[:40]!r}")
    return value


def metal(raw: Any) -> str:
    return text(raw, "metal").lower()


def purity(raw: Any) -> str:
    return text(raw, "purity").upper()


def iso_date(raw: Optional[str], name: str) -> Optional[date]:
    """YYYY-MM-DD, or the date of an ISO timestamp (2026-11-26T10:00:00.000Z), as the contract writes dates."""
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip()
    try:
        if len(value) > 10 and value[10] != "T":
            raise ValueError
        return date.fromisoformat(value[:10])
    except ValueError:
        raise bad(f"{name} must be a date as YYYY-MM-DD, not {raw[:40]!r}") from None


def rate_entries(body: dict[str, Any]) -> list[RateEntry]:
    """{"metal", "purity", "price_per_gram"} or {"rates": [those]}: today's rates to set."""
    if "date" in body:
        raise bad("date: rates are set for today only; leave date out")
    if "rates" in body:
        items = body["rates"]
        if not isinstance(items, list) or not items:
            raise bad("rates must be a non-empty list of {metal, purity, price_per_gram}")
        if len(items) > 50:
            raise bad("rates: at most 50 at a time")
    else:
        items = [body]
    entries = []
    for index, item in enumerate(items):
        where = f"rates[{index}]." if "rates" in body else ""
        if not isinstance(item, dict):
            raise bad(f"{where.rstrip('.') or 'body'} must be an object with metal, purity and price_per_gram")
        entries.append(RateEntry(metal(item.get("metal")), purity(item.get("purity")),
                                 number(item.get("price_per_gram"), where + "price_per_gram")))
    return entries


def history_filters(args) -> tuple[Optional[str], Optional[str]]:
    """?metal= and ?purity= of the history, each known (purity only with its metal)."""
    chosen = metal(args["metal"]) if args.get("metal") else None
    grade = purity(args["purity"]) if args.get("purity") else None
    if grade is not None and chosen is None:
        raise bad("purity: give the metal too")
    problem = (metal_problem(chosen) or (purity_problem(chosen, grade) if grade else None)) if chosen else None
    if problem:
        raise bad(("metal: " if metal_problem(chosen) else "purity: ") + problem)
    return chosen, grade


def history_window(args, today: date) -> tuple[date, date, date]:
    """(day, start, end): the day whose rates are shown (?date=, default today) and the history range (?from=,
    ?to=; default the 30 days ending on that day)."""
    day = iso_date(args.get("date"), "date") or today
    end = iso_date(args.get("to"), "to") or day
    start = iso_date(args.get("from"), "from") or end - timedelta(days=DEFAULT_HISTORY_DAYS - 1)
    if start > end:
        raise bad("from must be on or before to")
    if (end - start).days >= MAX_HISTORY_DAYS:
        raise bad(f"from and to may be at most {MAX_HISTORY_DAYS} days apart")
    return day, start, end


# --------------------------------------------------------------------------- forms (update-product, add-invoice)

TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")
_SPLIT = re.compile(r"[\s\-_:/]+")
_HSN = re.compile(r"^\d{4}(\d{2}){0,2}$")
INTEREST_KEYS = ("interest_enabled", "interest_type", "interest_rate", "interest_amount", "bill_date", "payment_date",
                 "interest_start_date", "grace_period_enabled", "grace_period_days", "interest_notes")
DISPLAY_FLAGS = ("showSizeInBill", "showGrossWeightInBill", "showLessWeightInBill", "showNetWeightInBill",
                 "showWastageInBill", "showTounchInBill", "showFineWeightInBill", "showRateInBill",
                 "showMakingChargeInBill", "showHuidInBill", "showHsnInBill", "showPriceInBill", "showTaxInBill",
                 "showChargesInBill", "showCommentInBill")
MODES = {mode: mode for mode in PAYMENT_MODES}  # the contract writes them "Cash", "Card": any case is taken
MODE_NAMES = ", ".join(payment_mode_label(mode) for mode in PAYMENT_MODES)  # Cash, Card, UPI, Wallet
MAX_LIST = 200


def record_id(raw: Any, name: str) -> int:
    """A row id given as a whole number or its text ("12"); 400 otherwise."""
    value = row_id(raw)
    if value is None:
        raise bad(f"{name} must be a record id (a whole number), not {str(raw)[:40]!r}")
    return value


def flag(raw: Any, name: str) -> bool:
    """A multipart boolean: true/false, 1/0, yes/no, on/off (any case), or a JSON boolean."""
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise bad(f"{name} must be true or false, not {str(raw)[:40]!r}")


def json_field(raw: str, name: str, kind: type) -> Any:
    """A field the contract sends as a JSON string: parsed, and of the expected kind (object or array)."""
    try:
        value = simplejson.loads(raw, use_decimal=True)
    except (ValueError, TypeError) as exc:
        raise bad(f"{name} is not valid JSON ({exc})") from None
    if kind is not None and not isinstance(value, kind):
        what = "an object" if kind is dict else "an array"
        raise bad(f"{name} must be a JSON string of {what}")
    return value


def _optional(form, name: str) -> Optional[str]:
    raw = form.get(name)
    return None if raw is None or raw.strip() == "" else raw.strip()


def _decimal(form, name: str) -> Optional[Decimal]:
    raw = _optional(form, name)
    return None if raw is None else number(raw, name)


def _short(form, name: str, limit: int) -> Optional[str]:
    value = form.get(name)
    if value is None:
        return None
    if len(value) > limit:
        raise bad(f"{name} must be at most {limit} characters")
    return value.strip()


def _choice(raw: Any, name: str) -> Any:
    """The `value` of a {label, value} object, or the bare value."""
    return raw.get("value") if isinstance(raw, dict) else raw


def metal_purity(form, rate: Optional[dict]) -> dict[str, str]:
    """metal and purity: the form's `metal` and `purity` (extension), else rate.value ("gold-22K", "Silver 925";
    a karat alone, "22K", is gold)."""
    found: dict[str, str] = {}
    source = rate.get("value") if isinstance(rate, dict) else None
    if source not in (None, ""):
        tokens = [t for t in _SPLIT.split(str(source).strip()) if t]
        if len(tokens) == 1 and tokens[0].upper().endswith("K"):
            tokens = ["gold", tokens[0]]
        if tokens:
            found["metal"] = tokens[0].lower()
        if len(tokens) > 1:
            found["purity"] = tokens[1].upper()
    if _optional(form, "metal"):
        found["metal"] = metal(form["metal"])
    if _optional(form, "purity"):
        found["purity"] = purity(form["purity"])
    return found


def _charges(raw: str) -> list[dict]:
    rows = json_field(raw, "charges_json", list)
    if len(rows) > MAX_LIST:
        raise bad(f"charges_json: at most {MAX_LIST} charges")
    charges = []
    for i, row in enumerate(rows):
        where = f"charges_json[{i}]"
        if not isinstance(row, dict):
            raise bad(f"{where} must be an object with name and amount")
        name = row.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise bad(f"{where}.name: a name of 1 to 100 characters is required")
        amount = number(row.get("amount"), f"{where}.amount")
        if problem := decimal_problem(amount, 2):
            raise bad(f"{where}.amount: {problem}")
        charges.append({"name": name.strip(), "amount": f"{amount:.2f}"})
    return charges


def _stones(raw: str) -> list[dict]:
    """The stones extension: a JSON list of objects; their numbers are checked by the pieces service."""
    rows = json_field(raw, "stones", list)
    stones = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise bad(f"stones[{i}] must be an object with weight, unit and value")
        stones.append({"weight": number(row.get("weight"), f"stones[{i}].weight"), "unit": row.get("unit", "carat"),
                       "value": number(row.get("value", 0), f"stones[{i}].value")})
    return stones


def _taxes(raw: str) -> tuple[list[dict], Decimal]:
    rows = json_field(raw, "tax_json", list)
    taxes, total = [], Decimal(0)
    for i, row in enumerate(rows[:MAX_LIST + 1]):
        where = f"tax_json[{i}]"
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            raise bad(f"{where} must be an object with name and amount (a percentage)")
        amount = number(row.get("amount"), f"{where}.amount")
        if problem := decimal_problem(amount, 2, at_most=Decimal(100), unit=" %"):
            raise bad(f"{where}.amount: {problem}")
        taxes.append({"name": row["name"].strip()[:100], "amount": f"{amount:.2f}"})
        total += amount
    return taxes, total


def _custom_fields(raw: str) -> list:
    rows = json_field(raw, "custom_fields", list)
    if len(rows) > MAX_LIST or not all(isinstance(r, dict) for r in rows):
        raise bad(f"custom_fields must be an array of at most {MAX_LIST} objects")
    return rows


def _display(raw: str) -> dict:
    settings = json_field(raw, "bill_display_settings", dict)
    for key, value in settings.items():
        if key not in DISPLAY_FLAGS:
            raise bad(f"bill_display_settings.{key}: unknown setting; known: " + ", ".join(DISPLAY_FLAGS))
        if not isinstance(value, bool):
            raise bad(f"bill_display_settings.{key} must be true or false")
    return settings


def hsn(raw: Any, name: str) -> str:
    value = str(_choice(raw, name) if not isinstance(raw, (int, Decimal)) else raw).strip()
    if not _HSN.match(value):
        raise bad(f"{name}: HSN must be 4, 6 or 8 digits, not {value[:20]!r}")
    return value


def interest(form, *, own_fields: tuple[str, ...] = ()) -> Optional[dict[str, Any]]:
    """The interest fields, when any is given, as Bill.interest_terms keeps them (interest_amount is the server's
    and ignored). `own_fields` are the caller's own fields that share an interest field's name (add-invoice's
    required payment_date): alone they do not mean terms were sent, so terms waiting on a piece still apply."""
    if not any(key in form for key in INTEREST_KEYS if key not in own_fields):
        return None
    enabled = flag(form.get("interest_enabled", "false"), "interest_enabled")
    kind = _optional(form, "interest_type")
    kind = str(_choice(json_field(kind, "interest_type", None), "interest_type")) if kind else None
    if kind is not None and kind not in ("1", "2"):
        raise bad('interest_type: value must be "1" (Flat) or "2" (Compound)')
    rate = _decimal(form, "interest_rate")
    if rate is not None and (problem := decimal_problem(rate, 2, at_most=Decimal(100), unit=" % a month")):
        raise bad(f"interest_rate: {problem}")
    if enabled and rate is None:
        raise bad("interest_rate is required when interest_enabled is true")
    grace = flag(form.get("grace_period_enabled", "false"), "grace_period_enabled")
    days_raw = _optional(form, "grace_period_days")
    days = None
    if days_raw is not None:
        if not days_raw.isdigit() or int(days_raw) > 3650:
            raise bad("grace_period_days must be a whole number of days from 0 to 3650")
        days = int(days_raw)
    if grace and days is None:
        raise bad("grace_period_days is required when grace_period_enabled is true")
    dates = {name: iso_date(form.get(name), name) for name in ("bill_date", "payment_date", "interest_start_date")}
    notes = _short(form, "interest_notes", 1000)
    return {"interest_enabled": enabled, "interest_type": kind or "1",
            "interest_rate": f"{rate:.2f}" if rate is not None else None,
            **{k: v.isoformat() if v else None for k, v in dates.items()},
            "grace_period_enabled": grace, "grace_period_days": days or 0, "interest_notes": notes or None}


def piece_fields(form) -> dict[str, Any]:
    """update-product's fields that were sent, parsed (net_weight, fine_weight, metal_value and interest_amount
    are the server's: ignored; payment_history is computed from recorded payments: parsed, then ignored)."""
    given: dict[str, Any] = {}
    if "type" in form:
        given["type"] = (form.get("type") or "").strip().lower()
    if "name" in form:
        given["name"] = _short(form, "name", 100)
    if "huid" in form:
        given["huid"] = (form.get("huid") or "").strip().upper() or None
    if _optional(form, "hsn_id"):
        value = json_field(form["hsn_id"], "hsn_id", None)
        given["hsn"] = value if isinstance(value, dict) else {"value": str(value)}
        if given["hsn"].get("value") not in (None, ""):
            given["hsn_code"] = hsn(given["hsn"], "hsn_id.value")
    for name, limit in (("size", 50), ("remark", 2000), ("comment", 2000)):
        if name in form:
            given[name] = _short(form, name, limit) or None
    for name in ("gross_weight", "less_weight", "tounch", "wastage", "making_charge"):
        if name in form:
            given[name] = _decimal(form, name)
    rate = json_field(form["rate"], "rate", dict) if _optional(form, "rate") else None
    given.update(metal_purity(form, rate))
    if _optional(form, "making_type"):
        given["making_type"] = str(_choice(json_field(form["making_type"], "making_type", None), "making_type"))
    if "cutting_enabled" in form:
        given["cutting_enabled"] = flag(form["cutting_enabled"], "cutting_enabled")
    if _optional(form, "charges_json"):
        given["charges_json"] = _charges(form["charges_json"])
    if "stones" in form:  # extension: [{"weight", "unit": carat|gram, "value"}]
        given["stones"] = _stones(form["stones"]) if _optional(form, "stones") else []
    if "hallmark_fee" in form:  # extension
        given["hallmark_fee"] = _decimal(form, "hallmark_fee")
    if _optional(form, "tax_json"):
        given["tax_json"], given["gst_rate"] = _taxes(form["tax_json"])
    if _optional(form, "custom_fields"):
        given["custom_fields"] = _custom_fields(form["custom_fields"])
    if _optional(form, "bill_display_settings"):
        given["bill_display_settings"] = _display(form["bill_display_settings"])
    if _optional(form, "payment_history"):
        json_field(form["payment_history"], "payment_history", list)
    terms = interest(form)
    if terms is not None:
        given["interest_terms"] = terms
    return given


def images(files) -> dict[str, tuple[bytes, str, str]]:
    """image and additional_image, each judged by its bytes (services.documents.uploads.read_image)."""
    checked = {}
    for name in ("image", "additional_image"):
        upload = files.get(name)
        if upload is None or not upload.filename:
            continue
        data, kind = read_image(upload.stream, name)
        checked[name] = (data, kind, (upload.filename or "")[:255])
    return checked


def _money(form, name: str, required: bool = True) -> Optional[Decimal]:
    value = _decimal(form, name)
    if value is None:
        if required:
            raise bad(f"{name} is required")
        return None
    if problem := decimal_problem(value, 2):
        raise bad(f"{name}: {problem}")
    return value


def _invoice_item(row: Any, index: int) -> InvoiceItem:
    where = f"item[{index}]"
    if not isinstance(row, dict):
        raise bad(f"{where} must be an object")
    if row.get("product_id") in (None, ""):
        raise bad(f"{where}.product_id is required")

    def opt(name: str) -> Optional[Decimal]:
        return None if row.get(name) in (None, "") else number(row[name], f"{where}.{name}")

    net_price = opt("net_price")
    if net_price is not None and (problem := decimal_problem(net_price, 2)):
        raise bad(f"{where}.net_price: {problem}")
    size = row.get("size")
    if size is not None and (not isinstance(size, str) or len(size) > 50):
        raise bad(f"{where}.size must be text of at most 50 characters")
    return InvoiceItem(
        product_id=record_id(row["product_id"], f"{where}.product_id"), net_price=net_price,
        hsn=hsn(row["hsn_id"], f"{where}.hsn_id") if row.get("hsn_id") not in (None, "") else None,
        tounch=opt("tounch"), wastage=opt("wastage"), gross_weight=opt("gross_weight"), size=size or None,
        show_size_in_bill=flag(row.get("show_size_in_bill", False), f"{where}.show_size_in_bill"),
    )


def invoice_request(form) -> InvoiceRequest:
    """add-invoice's form (item a JSON string of the items array) as an InvoiceRequest."""
    kind = (form.get("invoice_type") or "").strip()
    if kind not in ("1", "2"):
        raise bad('invoice_type is required: "1" (sale) or "2" (purchase)')
    contact = _optional(form, "user_contact_id")
    if contact is None:
        raise bad("user_contact_id is required")
    mode = (form.get("payment_mode") or "").strip().lower()
    if not mode:
        raise bad(f"payment_mode is required: one of {MODE_NAMES}")
    if is_exchange(mode):
        raise bad(f"payment_mode: {EXCHANGE_TILL_ONLY}; one of {MODE_NAMES}")
    if mode not in MODES:
        raise bad(f"payment_mode must be one of {MODE_NAMES}, not {form.get('payment_mode').strip()[:40]!r}")
    day = iso_timestamp(form.get("payment_date"), "payment_date")
    if day is None:
        raise bad("payment_date is required (ISO date)")
    if not _optional(form, "item"):
        raise bad("item is required: a JSON string of the items array")
    rows = json_field(form["item"], "item", list)
    if not rows or len(rows) > MAX_LIST:
        raise bad(f"item must list 1 to {MAX_LIST} items")
    tax = _decimal(form, "tax")
    tax = Decimal("3") if tax is None else tax
    if problem := decimal_problem(tax, 2, at_most=Decimal(100), unit=" %"):
        raise bad(f"tax: {problem}")
    _money(form, "total", required=False)  # the remaining balance is the server's; a bad number is still refused
    return InvoiceRequest(
        invoice_type=kind, contact_id=record_id(contact, "user_contact_id"), payment_mode=MODES[mode],
        payment_date=day, bill_total=_money(form, "bill_total"), amount_paid=_money(form, "amount_paid"),
        items=[_invoice_item(row, i) for i, row in enumerate(rows)], tax=tax,
        additional_charges=_money(form, "additional_charges", required=False) or Decimal("0.00"),
        interest_terms=interest(form, own_fields=("payment_date",)),
    )


def iso_timestamp(raw: Optional[str], name: str) -> Optional[datetime]:
    """An ISO 8601 timestamp (2026-11-26T10:00:00.000Z) or date, as an aware datetime (UTC when no offset)."""
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip()
    try:
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value)
    except ValueError:
        raise bad(f"{name} must be an ISO 8601 date or timestamp, not {raw[:40]!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# --------------------------------------------------------------------------- lists and logs

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def list_window(args) -> tuple[int, int, Optional[date], Optional[date]]:
    """get-invoice-home's extensions: limit (1-200, default 50), offset (>= 0, default 0), from and to (dates)."""
    def whole(name: str, default: int, low: int, high: int) -> int:
        raw = args.get(name)
        if raw is None:
            return default
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or not low <= int(raw) <= high:
            raise bad(f"{name} must be a whole number from {low} to {high}, not {raw[:40]!r}")
        return int(raw)

    limit, offset = whole("limit", DEFAULT_LIMIT, 1, MAX_LIMIT), whole("offset", 0, 0, 1_000_000)
    start, end = _day(args.get("from"), "from"), _day(args.get("to"), "to")
    if start and end and start > end:
        raise bad("from must be on or before to")
    return limit, offset, start, end


def _day(raw: Optional[str], name: str) -> Optional[date]:
    """A list filter's date: exactly YYYY-MM-DD."""
    if raw is None:
        return None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        raise bad(f"{name} must be a date as YYYY-MM-DD, not {raw[:40]!r}")
    return iso_date(raw, name)


def client_log(body: dict[str, Any]) -> ClientLog:
    """/api/logs/create's body, checked: action, entityType and timestamp required; the rest optional text."""
    action, entity = body.get("action"), body.get("entityType")
    if action not in ACTIONS:
        raise bad("action must be one of " + ", ".join(ACTIONS))
    if entity not in ENTITY_TYPES:
        raise bad("entityType must be one of " + ", ".join(ENTITY_TYPES))
    if not isinstance(body.get("timestamp"), str):
        raise bad("timestamp is required (ISO 8601)")
    moment = iso_timestamp(body["timestamp"], "timestamp")
    details: dict[str, Any] = {}
    for name in ("userName", "productName", "id", "type", "amount", "invoiceId"):
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)) or len(str(value)) > 255:
            raise bad(f"{name} must be text of at most 255 characters")
        details[name] = str(value)
    if "amount" in details:
        number(details["amount"], "amount")
    metadata = body.get("metadata")
    if metadata is not None:
        details["metadata"] = _log_metadata(metadata)
    unknown = set(body) - {"userName", "productName", "id", "type", "amount", "invoiceId", "action", "entityType",
                           "timestamp", "metadata"}
    if unknown:
        raise bad("unknown field(s): " + ", ".join(sorted(unknown)))
    entity_id = details.get("id") or details.get("invoiceId")
    return ClientLog(action, entity, moment, entity_id, details)


def _log_metadata(metadata: Any) -> dict[str, Any]:
    if not isinstance(metadata, dict):
        raise bad("metadata must be an object")
    clean: dict[str, Any] = {}
    for name in ("customerName", "status"):
        if metadata.get(name) is not None:
            if not isinstance(metadata[name], str) or len(metadata[name]) > 255:
                raise bad(f"metadata.{name} must be text of at most 255 characters")
            clean[name] = metadata[name]
    items = metadata.get("items")
    if items is not None:
        if not isinstance(items, list) or len(items) > MAX_LIST:
            raise bad(f"metadata.items must be an array of at most {MAX_LIST} items")
        clean["items"] = []
        for i, item in enumerate(items):
            where = f"metadata.items[{i}]"
            if not isinstance(item, dict) or not isinstance(item.get("name", ""), str):
                raise bad(f"{where} must be an object with name, quantity and price")
            quantity = number(item.get("quantity", 1), f"{where}.quantity")
            price = number(item.get("price", 0), f"{where}.price")
            clean["items"].append({"name": str(item.get("name", ""))[:255], "quantity": f"{quantity}",
                                   "price": f"{price}"})
    unknown = set(metadata) - {"customerName", "status", "items"}
    if unknown:
        raise bad("metadata: unknown field(s): " + ", ".join(sorted(unknown)))
    return clean
