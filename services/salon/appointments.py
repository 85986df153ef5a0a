"""The salon's appointment book (issue 16): a customer booked for one or more services, each with its staff member
and its time; moved, cancelled, marked arrived or no-show; billed through the till (done once that bill is saved).

The rule that matters: one staff member is never booked twice for overlapping times. `book` and `move` lock the
staff rows they touch (ordered by id; on SQLite a write first, which takes the database's write lock), then look for
an overlapping live line and refuse it by name; on PostgreSQL the exclusion constraint `ex_appointment_line_overlap`
(btree_gist over (staff_id, tsrange(starts_at, ends_at)) where not cancelled) refuses it again in the database,
whatever code wrote the row. Ranges are half-open: 10:00-10:30 and 10:30-11:00 are both allowed. Cancelling an
appointment marks its lines cancelled, which frees their slots.

Times are typed in the store's time zone and stored in UTC. Services flush; the view commits once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Callable, Optional

from sqlalchemy import Connection, select, text, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Appointment, AppointmentLine, Bill, Party, Product, Staff, Store, TillSession, User
from services import audit, bounds
from services.accounts.access import require_role
from services.errors import FieldErrors, ValidationError
from services.parties.ledger import whatsapp_url
from services.parties.parties import CustomerInput, create_customer, find_customer_by_phone
from services.salon import hours
from services.scoping import find_in_store, get_in_store

SLOT_MINUTES = 15
OPENS, CLOSES = hours.OPENS, hours.CLOSES  # unless the store's settings say otherwise (services.salon.hours)
MAX_LINES = 10
MAX_DURATION = 600
LIVE = ("booked", "arrived")  # may still be moved, have its status changed, or be billed
STATUS_CHANGES = {  # what a receptionist may set by hand; done only comes from a saved bill
    "booked": ("arrived", "no-show", "cancelled"),
    "arrived": ("booked", "no-show", "cancelled"),
    "no-show": ("booked", "cancelled"),
}
STATUS_LABELS = {"booked": "Booked", "arrived": "Arrived", "done": "Done", "no-show": "No-show",
                 "cancelled": "Cancelled"}
CONSTRAINT = "ex_appointment_line_overlap"
SLOT_TAKEN = "{staff} is already booked {start}–{end} ({customer}): choose another time or staff member"
SLOT_JUST_TAKEN = ("{staff} was just booked by someone else for an overlapping time: choose another time or staff "
                   "member")
NOT_LIVE = "This appointment is {status}: it can no longer be changed"
ALREADY_BILLED = "This appointment has already been billed"


# --------------------------------------------------------------------------- the database guard


def create_overlap_constraint(connection: Connection) -> None:
    """The exclusion constraint (PostgreSQL): db.create_all's after_create and the migration both call it."""
    connection.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
    schema = connection.execute(text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'btree_gist'")).scalar_one()
    # The operator class schema-qualified: the extension need not be on the search_path (tests' worker schemas).
    connection.execute(text(
        f"ALTER TABLE appointment_line ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        f'(staff_id "{schema}".gist_int4_ops WITH =, tsrange(starts_at, ends_at) WITH &&) WHERE (NOT cancelled)'))


# --------------------------------------------------------------------------- inputs


@dataclass
class LineInput:
    """One service line as typed: the service (a product of type service), the staff member, the start (HH:MM;
    empty = right after the line before), and the end (HH:MM) or the duration in minutes (empty = the service's)."""

    product_id: Any = None
    staff_id: Any = None
    start: str = ""
    end: str = ""
    duration: str = ""


@dataclass
class BookingInput:
    """A booking: the day (YYYY-MM-DD), the customer (an existing one, or a new name and phone) and its lines."""

    day: str = ""
    party_id: Any = None
    new_name: str = ""
    new_phone: str = ""
    notes: str = ""
    lines: list[LineInput] = field(default_factory=list)


@dataclass
class PlannedLine:
    product: Product
    staff: Staff
    starts_at: datetime
    ends_at: datetime


# --------------------------------------------------------------------------- hours and days


_clock = hours.clock


def opening_hours(store: Store) -> tuple[time, time]:
    """The salon's day: 09:00-21:00 unless its settings say otherwise (set on the opening-hours page)."""
    return hours.stored(store.settings)


def parse_day(raw: Any) -> Optional[date]:
    try:
        return date.fromisoformat(raw.strip()) if isinstance(raw, str) and len(raw.strip()) == 10 else None
    except ValueError:
        return None


def at(store: Store, day: date, clock: time) -> datetime:
    """The moment `clock` on the store's `day`, as an aware datetime."""
    return datetime.combine(day, clock, tzinfo=store.zone)


def local(store: Store, moment: datetime) -> datetime:
    return moment.astimezone(store.zone)


def day_bounds(store: Store, day: date) -> tuple[datetime, datetime]:
    return at(store, day, time(0)), at(store, day + timedelta(days=1), time(0))


def slots(store: Store) -> list[time]:
    """The day's 15-minute slots from opening to closing."""
    opens, closes = opening_hours(store)
    moment, end, out = datetime.combine(date.min, opens), datetime.combine(date.min, closes), []
    while moment < end:
        out.append(moment.time())
        moment += timedelta(minutes=SLOT_MINUTES)
    return out


# --------------------------------------------------------------------------- look-ups


def active_staff(store: Store) -> list[Staff]:
    return list(db.session.execute(select(Staff).where(Staff.store_id == store.id, Staff.active.is_(True))
                                   .order_by(Staff.name, Staff.id)).scalars())


def services_of(store: Store) -> list[Product]:
    """The store's live services (products of type service), as the till finds them, by name."""
    return list(db.session.execute(select(Product).where(
        Product.store_id == store.id, Product.type == "service", Product.archived.is_(False))
        .order_by(Product.product_name, Product.id)).scalars())


def appointment_in_store(store: Store, appointment_id: Any) -> Appointment:
    """One appointment of the store, or NotFound (another store's id answers the same)."""
    return get_in_store(Appointment, store, id=bounds.row_id(appointment_id), message="Appointment not found")


def customer_in_store(store: Store, party_id: Any) -> Optional[Party]:
    """An active customer of the store by party id, else None."""
    party = find_in_store(Party, store, id=bounds.row_id(party_id)) if party_id not in (None, "") else None
    return party if party is not None and party.Category_type == "Customer" and party.is_active else None


def _customer(store: Store, user: User, data: BookingInput, errors: FieldErrors) -> Optional[Party]:
    if data.party_id not in (None, ""):
        party = customer_in_store(store, data.party_id)
        if party is None:
            errors.add("customer", "Choose a customer of this store")
        return party
    name, phone = (data.new_name or "").strip(), (data.new_phone or "").strip()
    if not name and not phone:
        errors.add("customer", "Choose a customer, or type a new customer's name and phone")
        return None
    if not name:
        errors.add("new_name", "Type the customer's name")
    if not phone:
        errors.add("new_phone", "Type the customer's phone number")
    if errors:
        return None
    existing = find_customer_by_phone(store, phone)
    if existing is not None:
        return existing
    try:
        with db.session.begin_nested():
            return create_customer(store, user, CustomerInput.of(name=name[:255], phone_no=phone))
    except ValidationError as exc:
        for key, messages in (exc.errors or {"new_name": [exc.message]}).items():
            for message in messages:
                errors.add({"phone_no": "new_phone", "name": "new_name"}.get(key, "new_name"), message)
        return None


# --------------------------------------------------------------------------- planning lines


def _minutes(raw: Any) -> Optional[int]:
    raw = (raw or "").strip() if isinstance(raw, str) else raw
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= MAX_DURATION else None


def _plan(store: Store, day: Optional[date], lines: list[LineInput], errors: FieldErrors, *,
          products: Optional[list[Product]] = None) -> list[PlannedLine]:
    """The lines as times and rows: each checked (a service and an active staff member of this store, a start, an
    end after it, inside opening hours), every mistake collected; consecutive by default. `products` fixes each
    line's service (a move changes only times and staff)."""
    opens, closes = opening_hours(store)
    planned: list[PlannedLine] = []
    previous_end: Optional[datetime] = None
    if not lines:
        errors.add("lines", "Add at least one service")
    if len(lines) > MAX_LINES:
        errors.add("lines", f"At most {MAX_LINES} services in one appointment")
        return []
    for index, line in enumerate(lines):
        key = f"lines[{index}]"
        product = products[index] if products is not None else None
        if product is None:
            product = find_in_store(Product, store, id=bounds.row_id(line.product_id), live=True)
            if product is None:
                errors.add(f"{key}.service", "Choose a service of this store")
            elif product.type != "service":
                errors.add(f"{key}.service", f"{product.product_name} is not a service")
                product = None
        staff = find_in_store(Staff, store, id=bounds.row_id(line.staff_id))
        if staff is None or not staff.active:
            errors.add(f"{key}.staff", "Choose an active staff member of this store")
            staff = None
        start = None
        if (line.start or "").strip():
            clock = _clock(line.start)
            if clock is None:
                errors.add(f"{key}.start", "Type the start as HH:MM")
            elif day is not None:
                start = at(store, day, clock)
        elif previous_end is not None:
            start = previous_end  # consecutive: right after the service before
        elif index == 0:
            errors.add(f"{key}.start", "Choose the start time")
        end = None
        if start is not None and (line.end or "").strip():
            clock = _clock(line.end)
            if clock is None:
                errors.add(f"{key}.end", "Type the end as HH:MM")
            else:
                end = at(store, day, clock)
                if end <= start:
                    errors.add(f"{key}.end", "The end must be after the start")
                    end = None
        elif start is not None:
            minutes = _minutes(line.duration) if (line.duration or "").strip() else (
                product.duration_minutes if product is not None else None)
            if (line.duration or "").strip() and minutes is None:
                errors.add(f"{key}.duration", f"The duration is a whole number of minutes from 1 to {MAX_DURATION}")
            elif minutes is not None:
                end = start + timedelta(minutes=minutes)
        if start is not None and end is not None:
            if local(store, start).time() < opens or local(store, end) > at(store, day, closes):
                errors.add(f"{key}.start", f"The salon books from {opens:%H:%M} to {closes:%H:%M}")
            previous_end = end
        if product is not None and staff is not None and start is not None and end is not None:
            planned.append(PlannedLine(product, staff, start, end))
    for index, one in enumerate(planned):
        for other in planned[:index]:
            if one.staff.id == other.staff.id and one.starts_at < other.ends_at and other.starts_at < one.ends_at:
                errors.add(f"lines[{index}].start", f"{one.staff.name} has two services of this booking at once")
    return planned


def _lock_staff(store: Store, staff_ids: set[int]) -> None:
    """The staff rows locked in id order, so two bookings of one staff member are checked one after the other."""
    if not staff_ids:
        return
    ids = sorted(staff_ids)
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a write takes the database's write lock before the overlap check reads.
        db.session.execute(update(Staff).where(Staff.store_id == store.id, Staff.id.in_(ids))
                           .values(active=Staff.active))
    db.session.execute(select(Staff.id).where(Staff.store_id == store.id, Staff.id.in_(ids))
                       .order_by(Staff.id).with_for_update())


def _check_free(store: Store, planned: list[PlannedLine], errors: FieldErrors, *,
                exclude_appointment: Optional[int] = None) -> None:
    """Each line's staff member is free then (a live line of another appointment overlapping refuses it, named)."""
    for index, line in enumerate(planned):
        query = select(AppointmentLine).where(
            AppointmentLine.store_id == store.id, AppointmentLine.staff_id == line.staff.id,
            AppointmentLine.cancelled.is_(False), AppointmentLine.starts_at < line.ends_at,
            AppointmentLine.ends_at > line.starts_at)
        if exclude_appointment is not None:
            query = query.where(AppointmentLine.appointment_id != exclude_appointment)
        clash = db.session.execute(query.order_by(AppointmentLine.starts_at).limit(1)).scalar_one_or_none()
        if clash is not None:
            errors.add(f"lines[{index}].start", SLOT_TAKEN.format(
                staff=line.staff.name, start=f"{local(store, clash.starts_at):%H:%M}",
                end=f"{local(store, clash.ends_at):%H:%M}", customer=clash.appointment.party.display_name))


def _write_guarded(planned: list[PlannedLine], write: Callable[[], None]) -> None:
    """Write the lines in a savepoint (begun before the writes: begin_nested flushes what is pending) and flush;
    the database's exclusion constraint refusing them (a booking that slipped past the lock) becomes the same clear
    refusal."""
    try:
        with db.session.begin_nested():
            write()
            db.session.flush()
    except IntegrityError as exc:
        if CONSTRAINT not in str(exc.orig):
            raise
        names = ", ".join(sorted({line.staff.name for line in planned}))
        raise ValidationError.field("lines[0].start", SLOT_JUST_TAKEN.format(staff=names)) from None


def _snapshot(appointment: Appointment) -> dict[str, Any]:
    return {"status": appointment.status, "party_id": appointment.party_id,
            "lines": [{"product_id": line.product_id, "staff_id": line.staff_id,
                       "starts_at": line.starts_at.isoformat(), "ends_at": line.ends_at.isoformat()}
                      for line in appointment.lines]}


# --------------------------------------------------------------------------- writes


def book(store: Store, user: User, data: BookingInput) -> Appointment:
    """A new appointment (flushes): every mistake refused together, nothing written (a new customer is only added
    when the booking is)."""
    require_role(user, store, "cashier")
    errors = FieldErrors()
    day = parse_day(data.day)
    if day is None:
        errors.add("day", "Choose the day as YYYY-MM-DD")
    planned = _plan(store, day, data.lines, errors)
    if errors:
        errors.raise_if()
    _lock_staff(store, {line.staff.id for line in planned})
    _check_free(store, planned, errors)
    errors.raise_if()
    party = _customer(store, user, data, errors)
    errors.raise_if()
    appointment = Appointment(store_id=store.id, party_id=party.id, user_id=user.id, status="booked",
                              notes=(data.notes or "").strip()[:1000])
    appointment.lines = [AppointmentLine(store_id=store.id, staff_id=line.staff.id, product_id=line.product.id,
                                         starts_at=line.starts_at, ends_at=line.ends_at) for line in planned]
    _write_guarded(planned, lambda: db.session.add(appointment))
    audit.record("create", "appointment", appointment.id, store_id=store.id, user_id=user.id,
                 after=_snapshot(appointment))
    return appointment


def move(store: Store, user: User, appointment: Appointment, day_raw: str, lines: list[LineInput]) -> Appointment:
    """New times and staff for each of the appointment's lines (its services stay); the same checks as booking,
    its own old slots aside."""
    require_role(user, store, "cashier")
    if appointment.status not in LIVE:
        raise ValidationError.field("__all__", NOT_LIVE.format(status=STATUS_LABELS[appointment.status].lower()))
    errors = FieldErrors()
    day = parse_day(day_raw)
    if day is None:
        errors.add("day", "Choose the day as YYYY-MM-DD")
    if len(lines) != len(appointment.lines):
        raise ValidationError.field("lines", "The appointment's services changed meanwhile: reload the page")
    planned = _plan(store, day, lines, errors, products=[line.product for line in appointment.lines])
    errors.raise_if()
    _lock_staff(store, {line.staff.id for line in planned} | {line.staff_id for line in appointment.lines})
    _check_free(store, planned, errors, exclude_appointment=appointment.id)
    errors.raise_if()
    before = _snapshot(appointment)

    def write() -> None:
        # Out of the constraint first: moved one row at a time, a line could meet its own neighbour's old time.
        for row in appointment.lines:
            row.cancelled = True
        db.session.flush()
        for row, line in zip(appointment.lines, planned):
            row.staff_id, row.starts_at, row.ends_at, row.cancelled = line.staff.id, line.starts_at, line.ends_at, False

    _write_guarded(planned, write)
    audit.record("move", "appointment", appointment.id, store_id=store.id, user_id=user.id, before=before,
                 after=_snapshot(appointment))
    return appointment


def set_status(store: Store, user: User, appointment: Appointment, status: str) -> Appointment:
    """Arrived, no-show, back to booked, or cancelled (which frees the slots); done is the till's (a saved bill)."""
    require_role(user, store, "cashier")
    allowed = STATUS_CHANGES.get(appointment.status, ())
    if status not in STATUS_LABELS:
        raise ValidationError.field("status", "Choose booked, arrived, no-show or cancelled")
    if status not in allowed:
        now = STATUS_LABELS[appointment.status].lower()
        article = "An" if now[0] in "aeiou" else "A"
        raise ValidationError.field("status", f"{article} {now} appointment cannot be marked "
                                              f"{STATUS_LABELS[status].lower()}")
    before = appointment.status
    appointment.status = status
    if status == "cancelled":
        for line in appointment.lines:
            line.cancelled = True
    db.session.flush()
    audit.record("status", "appointment", appointment.id, store_id=store.id, user_id=user.id,
                 before={"status": before}, after={"status": status})
    return appointment


# --------------------------------------------------------------------------- the till


def open_in_till(store: Store, user: User, till_session: TillSession, appointment: Appointment) -> None:
    """"Bill this appointment": the till's bill becomes its services (one line each, with its staff member) for its
    customer; the bill on screen, if any, is held first. Saving it (services.till.session.save) marks it done."""
    from services.till import session as till

    require_role(user, store, "cashier")
    if appointment.bill_id is not None:
        raise ValidationError.field("__all__", ALREADY_BILLED)
    if appointment.status not in LIVE:
        raise ValidationError.field("__all__", NOT_LIVE.format(status=STATUS_LABELS[appointment.status].lower()))
    state = till.state_of(till_session)
    if state["lines"]:
        till.hold(store, user, state)
    state = till.new_state()
    for line in appointment.lines:
        product = line.product
        if product.archived:
            raise ValidationError.field("__all__", f"{product.product_name} is archived: it cannot be billed")
        state["lines"].append({"product_id": product.id, "qty": "1", "discount_type": "percent",
                               "discount_value": "0", "cgst": f"{product.cgst_rate:f}",
                               "sgst": f"{product.sgst_rate:f}", "staff_id": line.staff_id})
    state["customer_id"] = appointment.party_id
    state["appointment_id"] = appointment.id
    till.keep(till_session, state)


@dataclass
class OnTill:
    """What the till shows of the appointment it is billing: whose, when, which services with whom."""

    appointment: Appointment
    customer: str
    starts_at: datetime  # the store's time zone
    ends_at: datetime
    services: list[tuple[str, str]]  # (service, staff member)


def on_till(store: Store, appointment_id: Any) -> Optional[OnTill]:
    """The appointment a till bill is for ("Bill this appointment"), as the till shows it; None when there is none
    (or it is no longer this store's)."""
    if not appointment_id:
        return None
    appointment = find_in_store(Appointment, store, id=bounds.row_id(appointment_id))
    if appointment is None or not appointment.lines:
        return None
    lines = sorted(appointment.lines, key=lambda line: (line.starts_at, line.id))
    return OnTill(appointment, appointment.party.display_name, local(store, lines[0].starts_at),
                  local(store, max(line.ends_at for line in lines)),
                  [(line.product.product_name, line.staff.name) for line in lines])


def billed_by(store: Store, bill: Bill) -> Optional[OnTill]:
    """The appointment this bill was saved for ("Bill this appointment"), as on_till tells it; None for any other
    bill."""
    appointment_id = db.session.execute(select(Appointment.id).where(
        Appointment.store_id == store.id, Appointment.bill_id == bill.id).limit(1)).scalar_one_or_none()
    return on_till(store, appointment_id)


def mark_billed(store: Store, appointment_id: int, bill: Bill) -> None:
    """After save_bill, in its transaction: the appointment is done and keeps its bill. Conditional, so two tills
    saving the same appointment make one bill of it; the other is refused (and rolled back)."""
    done = db.session.execute(update(Appointment).where(
        Appointment.id == appointment_id, Appointment.store_id == store.id, Appointment.bill_id.is_(None),
        Appointment.status.in_(LIVE)).values(status="done", bill_id=bill.id))
    if done.rowcount != 1:
        raise ValidationError.field("__all__", ALREADY_BILLED + " (or cancelled): clear the till and check it")


# --------------------------------------------------------------------------- reading


@dataclass
class Cell:
    kind: str  # "line" (starts here, spans `span` slots), "covered" (under a line above) or "free"
    line: Optional[AppointmentLine] = None
    span: int = 1
    at: Optional[time] = None


@dataclass
class DayBook:
    day: date
    staff: list[Staff]
    rows: list[tuple[time, list[Cell]]]
    appointments: list[Appointment]
    outside: list[AppointmentLine]  # live lines outside the grid (hours changed since they were booked)


def lines_on(store: Store, day: date, *, live_only: bool = True) -> list[AppointmentLine]:
    start, end = day_bounds(store, day)
    query = select(AppointmentLine).where(AppointmentLine.store_id == store.id, AppointmentLine.starts_at >= start,
                                          AppointmentLine.starts_at < end)
    if live_only:
        query = query.where(AppointmentLine.cancelled.is_(False))
    return list(db.session.execute(query.order_by(AppointmentLine.starts_at, AppointmentLine.id)).scalars())


def day_book(store: Store, day: date) -> DayBook:
    """The day's grid: a column per active staff member (and any inactive one still booked), a row per slot."""
    lines = lines_on(store, day, live_only=False)
    live = [line for line in lines if not line.cancelled]
    staff = active_staff(store)
    known = {member.id for member in staff}
    staff += [line.staff for line in live if line.staff_id not in known and not known.add(line.staff_id)]
    grid = slots(store)
    index_of = {clock: i for i, clock in enumerate(grid)}
    starts: dict[tuple[int, int], Cell] = {}
    covered: set[tuple[int, int]] = set()
    outside = []
    for line in live:
        begin = local(store, line.starts_at)
        slot = begin.replace(minute=begin.minute - begin.minute % SLOT_MINUTES, second=0, microsecond=0).time()
        first = index_of.get(slot)
        if first is None or (line.staff_id, first) in covered or (line.staff_id, first) in starts:
            outside.append(line)
            continue
        minutes = (line.ends_at - line.starts_at).total_seconds() / 60 + (begin.minute % SLOT_MINUTES)
        span = max(1, min(int(-(-minutes // SLOT_MINUTES)), len(grid) - first))
        starts[(line.staff_id, first)] = Cell("line", line, span)
        covered.update((line.staff_id, first + k) for k in range(1, span))
    rows = []
    for i, clock in enumerate(grid):
        cells = []
        for member in staff:
            if (member.id, i) in starts:
                cells.append(starts[(member.id, i)])
            elif (member.id, i) in covered:
                cells.append(Cell("covered"))
            else:
                cells.append(Cell("free", at=clock))
        rows.append((clock, cells))
    appointments = list({line.appointment_id: line.appointment for line in lines}.values())
    return DayBook(day, staff, rows, appointments, outside)


def booked_outside_hours(store: Store, limit: int = 20) -> list[AppointmentLine]:
    """Live lines from today on that fall outside the opening hours now in force (booked before they changed): the
    hours page lists them so the owner can move them; the day's book shows them under its grid."""
    opens, closes = opening_hours(store)
    start = day_bounds(store, store.local_today())[0]
    found = []
    query = (select(AppointmentLine).join(Appointment, Appointment.id == AppointmentLine.appointment_id)
             .where(AppointmentLine.store_id == store.id, AppointmentLine.cancelled.is_(False),
                    AppointmentLine.starts_at >= start, Appointment.status.in_(LIVE))
             .order_by(AppointmentLine.starts_at, AppointmentLine.id))
    for line in db.session.execute(query).scalars():
        begin, end = local(store, line.starts_at), local(store, line.ends_at)
        if begin.time() < opens or end > at(store, begin.date(), closes):
            found.append(line)
            if len(found) >= limit:
                break
    return found


def services_text(appointment: Appointment) -> str:
    return ", ".join(line.product.product_name for line in appointment.lines)


def reminder_text(store: Store, appointment: Appointment) -> str:
    first = local(store, appointment.lines[0].starts_at)
    return (f"Dear {appointment.party.display_name}, a reminder of your appointment at {store.name} on "
            f"{first:%a %d %b} at {first:%H:%M}: {services_text(appointment)}. See you then!")


@dataclass
class Reminder:
    appointment: Appointment
    starts_at: datetime
    text: str
    url: Optional[str]  # None when the customer has no phone


def reminders(store: Store, day: date) -> list[Reminder]:
    """The day's booked appointments, each with its WhatsApp link (the browser opens it; the server sends nothing)."""
    seen: dict[int, Appointment] = {}
    for line in lines_on(store, day):
        if line.appointment.status in LIVE:
            seen.setdefault(line.appointment_id, line.appointment)
    out = []
    for appointment in seen.values():
        message = reminder_text(store, appointment)
        phone = appointment.party.customer.phone_no if appointment.party.customer else None
        out.append(Reminder(appointment, local(store, appointment.lines[0].starts_at), message,
                            whatsapp_url(phone, message)))
    return sorted(out, key=lambda r: (r.starts_at, r.appointment.id))

