"""Jewellery contract request values into the domain's inputs, each refusal a 400 that says what is wrong.

The contract sends numbers as strings or numbers ("7150.00" or 7150), metals and purities in any case ("Gold",
"22k"); this module is the one place that reads them, so services never see a request body.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from blueprints.api.common import ApiError
from services.jewellery.rates import RateEntry, metal_problem, purity_problem

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
