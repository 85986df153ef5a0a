"""GET /api/v1/billing/<storeId>/appointments?day=YYYY-MM-DD (extension, issue 16): a salon's appointment book for
one day (services.salon.appointments.day_book, the same day the /appointments page shows) in the Billing v1
envelope's `data`. Any member of the store, as the page (the reception books). Another kind of store is a 404 (as
the page); a day that is not YYYY-MM-DD is a 400 naming `day`. Read-only: booking, moving and billing stay on the
pages, where their rules are (services.salon.appointments).

Registered on the Billing v1 blueprint when this module is imported (the package's __init__ imports it).
"""
from __future__ import annotations

from typing import Any

from flask import request

from blueprints.api.billing_v1.views import bp, member_store
from blueprints.api.common import ApiError, json_response
from models import Appointment, Store
from services.formatting import iso_z
from services.salon import appointments as book

SALONS_ONLY = "Only a salon keeps an appointment book"
FIRST_YEAR, LAST_YEAR = 2000, 2099


def appointment_v1(appointment: Appointment) -> dict[str, Any]:
    return {
        "id": appointment.uid,
        "status": appointment.status,
        "customer": {"id": appointment.party.uid, "name": appointment.party.display_name},
        "bill_id": appointment.bill.uid if appointment.bill is not None else None,
        "notes": appointment.notes or "",
        "services": [{"id": line.product.uid, "name": line.product.product_name, "staff_id": line.staff.uid,
                      "staff": line.staff.name, "starts_at": iso_z(line.starts_at), "ends_at": iso_z(line.ends_at),
                      "cancelled": line.cancelled}
                     for line in sorted(appointment.lines, key=lambda line: (line.starts_at, line.id))],
    }


def day_v1(store: Store, day) -> dict[str, Any]:
    opens, closes = book.opening_hours(store)
    found = book.day_book(store, day)
    listed = sorted(found.appointments, key=lambda a: (min(line.starts_at for line in a.lines), a.id))
    return {"day": day.isoformat(), "timezone": store.timezone, "opens": f"{opens:%H:%M}",
            "closes": f"{closes:%H:%M}",
            "staff": [{"id": member.uid, "name": member.name, "active": member.active} for member in found.staff],
            "appointments": [appointment_v1(appointment) for appointment in listed]}


@bp.get("/billing/<store_id>/appointments")
def appointments(store_id: str):
    """The day's appointments (default today in the store's time zone), each with its services, staff and times."""
    store = member_store(store_id)
    if store.business_kind != "salon":
        raise ApiError(404, SALONS_ONLY)
    raw = request.args.get("day")
    day = book.parse_day(raw) if raw not in (None, "") else store.local_today()
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ApiError(400, "Invalid query parameters",
                       errors={"day": [f"Use a date as YYYY-MM-DD, from {FIRST_YEAR} to {LAST_YEAR}"]})
    return json_response({"success": True, "data": day_v1(store, day)})
