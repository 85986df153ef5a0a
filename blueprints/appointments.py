"""The salon's appointment book (issue 16): the day per staff member, booking, moving, statuses, "Bill this
appointment" (into the till) and tomorrow's WhatsApp reminders.

Salon stores only (another kind of store: 404); owners, managers and cashiers (the reception) alike. The rules are
services.salon.appointments's; each write flushes there and the view commits once. Every form works without
JavaScript (POST, then 303); a refusal re-renders its page with 422 and the messages beside the fields.
"""
from __future__ import annotations

import functools
from datetime import date, timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.decorators import role_required
from blueprints.htmx import push_clean_url, render_page_or_fragment, wants_fragment
from extensions import db
from services.accounts.store_settings import update_store_settings
from services.catalog.search import search_customers
from services.errors import ValidationError
from services.salon import appointments as service
from services.till import session as till_service

bp = Blueprint("appointments", __name__, url_prefix="/appointments")

CUSTOMER_RESULTS = 8
BLANK_ROWS = 3
LINE_FIELDS = ("service_id", "staff_id", "start", "duration", "end")


def _salon(view):
    """Only a salon has an appointment book (404 elsewhere); put under role_required, which sets g.store."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.store.business_kind != "salon":
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def _user():
    return current_user._get_current_object()


def _day_arg(name: str = "day", default: date | None = None) -> date:
    """The day asked for (YYYY-MM-DD), else today in the store's time zone (a bad value too: the page says so)."""
    raw = (request.values.get(name) or "").strip()
    return service.parse_day(raw) or default or g.store.local_today()


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    return exc.errors or {"__all__": [exc.message]}


# --------------------------------------------------------------------------- the day


@bp.get("")
@role_required("cashier")
@_salon
def index():
    """The day's book: a column per active staff member, a row per 15 minutes; previous/next day and a date picker."""
    raw = (request.args.get("day") or "").strip()
    day = _day_arg()
    error = "Choose the day as YYYY-MM-DD" if raw and service.parse_day(raw) is None else None
    book = service.day_book(g.store, day)
    response = render_page_or_fragment("appointments/index.html", "appointments/_day.html", book=book, day=day,
                                       prev_day=day - timedelta(days=1), next_day=day + timedelta(days=1),
                                       today=g.store.local_today(), day_error=error, labels=service.STATUS_LABELS)
    return push_clean_url(response, "appointments.index", day=day.isoformat())


# --------------------------------------------------------------------------- booking


def _typed_lines() -> list[dict[str, str]]:
    """The booking form's rows as typed (trailing blank rows dropped, so each message keeps its row's index)."""
    columns = {name: request.values.getlist(name) for name in LINE_FIELDS}
    count = max((len(values) for values in columns.values()), default=0)
    rows = [{name: (columns[name][i] if i < len(columns[name]) else "").strip()[:20] for name in LINE_FIELDS}
            for i in range(count)]
    while rows and not any(rows[-1].values()):
        rows.pop()
    return rows


def _booking_input(rows: list[dict[str, str]]) -> service.BookingInput:
    form = request.form
    return service.BookingInput(
        day=form.get("day", ""), party_id=form.get("party_id") or None, new_name=form.get("new_name", "")[:255],
        new_phone=form.get("new_phone", "")[:20], notes=form.get("notes", "")[:1000],
        lines=[service.LineInput(product_id=row["service_id"], staff_id=row["staff_id"], start=row["start"],
                                 end=row["end"], duration=row["duration"]) for row in rows])


def _booking_page(status: int = 200, errors: dict | None = None, rows: list[dict[str, str]] | None = None):
    values = request.values
    if rows is None:
        rows = _typed_lines()
        if values.get("time") and rows and not rows[0]["start"]:  # a free slot of the day's book: its staff, time
            rows[0]["start"] = values.get("time", "")[:5]
    rows = rows + [dict.fromkeys(LINE_FIELDS, "") for _ in range(max(1, BLANK_ROWS - len(rows)))]
    q = (values.get("customer_q") or "").strip()[:100]
    chosen = service.customer_in_store(g.store, values.get("party_id"))
    typed = {k: (values.get(k) or "")[:255] for k in ("new_name", "new_phone", "notes")}
    typed["day"] = (values.get("day") or g.store.local_today().isoformat())[:10]
    return render_template(
        "appointments/new.html", rows=rows, typed=typed, errors=errors or {}, customer_q=q, chosen=chosen,
        customer_results=search_customers(g.store, q=q, limit=CUSTOMER_RESULTS) if q else None,
        services=service.services_of(g.store), staff=service.active_staff(g.store)), status


@bp.get("/new")
@role_required("cashier")
@_salon
def new():
    """The booking form: the customer (found by name or phone, or added with name and phone), then its services."""
    return _booking_page()


@bp.get("/customers")
@role_required("cashier")
@_salon
def customers():
    """Customers by name or phone for the booking form (its Find button does the same without JavaScript)."""
    if not wants_fragment():
        return _booking_page()
    q = (request.args.get("customer_q") or "").strip()[:100]
    return render_template("appointments/_customer_results.html", customer_q=q, chosen=None,
                           customer_results=search_customers(g.store, q=q, limit=CUSTOMER_RESULTS) if q else None)


@bp.post("")
@role_required("cashier")
@_salon
def create():
    """Book: every mistake refused together (422, the form again as typed), else to the booking's day."""
    rows = _typed_lines()
    try:
        appointment = service.book(g.store, _user(), _booking_input(rows))
    except ValidationError as exc:
        db.session.rollback()
        return _booking_page(422, _messages(exc), rows)
    db.session.commit()
    first = service.local(g.store, appointment.lines[0].starts_at)
    flash(f"Booked {appointment.party.display_name} at {first:%H:%M} on {first:%d %b}.", "success")
    return redirect(url_for("appointments.index", day=first.date().isoformat()), 303)


# --------------------------------------------------------------------------- one appointment


def _detail(appointment, status: int = 200, errors: dict | None = None, typed: dict | None = None):
    rows = typed.get("rows") if typed else None
    if rows is None:
        rows = [{"staff_id": str(line.staff_id), "start": f"{service.local(g.store, line.starts_at):%H:%M}",
                 "end": f"{service.local(g.store, line.ends_at):%H:%M}"} for line in appointment.lines]
    day = (typed or {}).get("day") or service.local(g.store, appointment.lines[0].starts_at).date().isoformat()
    return render_template(
        "appointments/detail.html", appointment=appointment, rows=rows, move_day=day, errors=errors or {},
        staff=service.active_staff(g.store), labels=service.STATUS_LABELS,
        changes=service.STATUS_CHANGES.get(appointment.status, ()), live=appointment.status in service.LIVE,
        local=lambda moment: service.local(g.store, moment)), status


@bp.get("/<int:appointment_id>")
@role_required("cashier")
@_salon
def detail(appointment_id: int):
    """One appointment: its customer, services, staff and times, status buttons, move, and Bill this appointment."""
    return _detail(service.appointment_in_store(g.store, appointment_id))


@bp.post("/<int:appointment_id>/status")
@role_required("cashier")
@_salon
def set_status(appointment_id: int):
    """Arrived, no-show, back to booked, or cancelled (its slots freed)."""
    appointment = service.appointment_in_store(g.store, appointment_id)
    try:
        service.set_status(g.store, _user(), appointment, (request.form.get("status") or "")[:20])
    except ValidationError as exc:
        db.session.rollback()
        return _detail(service.appointment_in_store(g.store, appointment_id), 422, _messages(exc))
    db.session.commit()
    flash(f"Marked {service.STATUS_LABELS[appointment.status].lower()}.", "success")
    return redirect(url_for("appointments.detail", appointment_id=appointment.id), 303)


@bp.post("/<int:appointment_id>/move")
@role_required("cashier")
@_salon
def move(appointment_id: int):
    """New day, times and staff for the appointment's services (the same overlap rule as booking)."""
    appointment = service.appointment_in_store(g.store, appointment_id)
    rows = [{"staff_id": s[:12], "start": a[:8], "end": e[:8]} for s, a, e in zip(
        request.form.getlist("staff_id"), request.form.getlist("start"), request.form.getlist("end"))]
    lines = [service.LineInput(staff_id=row["staff_id"], start=row["start"], end=row["end"]) for row in rows]
    day = (request.form.get("day") or "")[:10]
    try:
        service.move(g.store, _user(), appointment, day, lines)
    except ValidationError as exc:
        db.session.rollback()
        return _detail(service.appointment_in_store(g.store, appointment_id), 422, _messages(exc),
                       {"rows": rows, "day": day})
    db.session.commit()
    flash("Appointment moved.", "success")
    return redirect(url_for("appointments.detail", appointment_id=appointment.id), 303)


@bp.post("/<int:appointment_id>/bill")
@role_required("cashier")
@_salon
def bill(appointment_id: int):
    """Bill this appointment: its services, staff and customer on the till (the bill there, if any, held first)."""
    appointment = service.appointment_in_store(g.store, appointment_id)
    till_session = till_service.load(g.store, _user(), for_update=True)
    try:
        service.open_in_till(g.store, _user(), till_session, appointment)
    except ValidationError as exc:
        db.session.rollback()
        return _detail(service.appointment_in_store(g.store, appointment_id), 422, _messages(exc))
    db.session.commit()
    flash(f"{appointment.party.display_name}'s appointment is on the bill: take the payment and Save.", "success")
    return redirect(url_for("pos.index"), 303)


# --------------------------------------------------------------------------- opening hours


def _hours_messages(exc: ValidationError) -> dict[str, list[str]]:
    """The refusal beside the hours; a problem of another stored setting (the settings are checked whole, e.g. a
    GSTIN typed before its check character was checked) is said above the button, naming where to mend it."""
    errors = _messages(exc)
    shown = {key: messages for key, messages in errors.items() if key in ("salon_opens", "salon_closes", "__all__")}
    for key, messages in errors.items():
        if key not in shown:
            shown.setdefault("__all__", []).extend(
                f"The store's {key.replace('_', ' ')} needs mending on the store settings page first: {message}"
                for message in messages)
    return shown


@bp.route("/hours", methods=["GET", "POST"])
@role_required("owner")
@_salon
def hours():
    """The salon's opening hours (one pair for every day; the book's rows and what may be booked): owners, through
    the store settings service (audited). A refusal is the form again with 422, nothing written."""
    opens, closes = service.opening_hours(g.store)
    typed = {"salon_opens": f"{opens:%H:%M}", "salon_closes": f"{closes:%H:%M}"}
    errors: dict = {}
    if request.method == "POST":
        typed = {key: (request.form.get(key) or "").strip()[:8] for key in typed}
        try:
            update_store_settings(current_user, g.store, typed)
        except ValidationError as exc:
            db.session.rollback()
            errors = _hours_messages(exc)
        else:
            db.session.commit()
            flash(f"Opening hours saved: {typed['salon_opens']} to {typed['salon_closes']}.", "success")
            return redirect(url_for("appointments.hours"), 303)
    outside = service.booked_outside_hours(g.store) if not errors else []
    return render_template("appointments/hours.html", typed=typed, errors=errors, outside=outside,
                           slot_minutes=service.SLOT_MINUTES), 422 if errors else 200


# --------------------------------------------------------------------------- reminders


@bp.get("/reminders")
@role_required("cashier")
@_salon
def reminders():
    """Tomorrow's (or the day's) bookings, each with a WhatsApp link carrying its reminder."""
    day = _day_arg(default=g.store.local_today() + timedelta(days=1))
    return render_template("appointments/reminders.html", day=day, reminders=service.reminders(g.store, day))
