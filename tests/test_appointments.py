"""The salon's appointment book (issue 16): booking, the overlap rule, moving, statuses, billing through the till,
reminders, bad inputs (each a clear error with nothing written), another store's ids, and the race for one slot."""
from __future__ import annotations

import re
import threading
import time as clock
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Appointment, AppointmentLine, Bill, BillItem, Customer, Party, Staff
from tests.fixtures_pos import sign_in
from tests.test_race_guards import app_config_overrides, in_threads, slow_reads_of  # noqa: F401 (a fixture)

DAY = date(2031, 3, 14)  # a Friday, far from "today" so nothing depends on the clock


@pytest.fixture
def salon(app, make_user, make_product, make_customer):
    """A salon (Asia/Kolkata) with an owner, a cashier (the reception), two stylists, an inactive one, three
    services (30, 45 and 60 minutes), a product, and a customer with a phone."""
    from services.accounts.access import current_store_for

    owner = make_user("salonowner", store_name="Glow Salon", business_kind="salon")
    store = current_store_for(owner)
    shop = SimpleNamespace(store=store, owner=owner)
    shop.cashier = make_user("reception", store=store, role="cashier")
    shop.asha, shop.ravi, shop.gone = (Staff(store_id=store.id, name=n, active=a)
                                       for n, a in (("Asha", True), ("Ravi", True), ("Gone", False)))
    db.session.add_all([shop.asha, shop.ravi, shop.gone])
    shop.haircut = make_product(store, "Haircut", unit_price="300.00", type="service")
    shop.colour = make_product(store, "Hair colour", unit_price="1200.00", type="service")
    shop.facial = make_product(store, "Facial", unit_price="800.00", type="service")
    shop.shampoo = make_product(store, "Shampoo bottle", unit_price="250.00")
    shop.colour.duration_minutes, shop.facial.duration_minutes = 45, 60
    shop.anita = make_customer(store, "Anita Shah", phone_no="+919812345678")
    db.session.commit()
    return shop


def book(shop, *lines, day=DAY, party=None, user=None, **fields):
    """services.salon.appointments.book with lines given as (service, staff, start[, duration])."""
    from services.salon import appointments

    data = appointments.BookingInput(
        day=day.isoformat() if isinstance(day, date) else day,
        party_id=(party or shop.anita).id if "new_name" not in fields else None,
        lines=[appointments.LineInput(product_id=getattr(s, "id", s), staff_id=getattr(m, "id", m), start=start,
                                      duration=rest[0] if rest else "", end=fields.pop("end", ""))
               for s, m, start, *rest in lines], **fields)
    appointment = appointments.book(shop.store, user or shop.cashier, data)
    db.session.commit()
    return appointment


def count(model) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def hhmm(shop, moment) -> str:
    return moment.astimezone(shop.store.zone).strftime("%H:%M")


# --------------------------------------------------------------------------- booking and the overlap rule


def test_booking_two_services_runs_them_consecutively_in_the_store_time_zone(salon):
    appointment = book(salon, (salon.haircut, salon.asha, "10:00"), (salon.colour, salon.ravi, ""))
    assert appointment.status == "booked"
    times = [(line.product.product_name, line.staff.name, hhmm(salon, line.starts_at), hhmm(salon, line.ends_at))
             for line in appointment.lines]
    assert times == [("Haircut", "Asha", "10:00", "10:30"), ("Hair colour", "Ravi", "10:30", "11:15")]
    assert appointment.lines[0].starts_at.isoformat() == "2031-03-14T04:30:00+00:00"  # 10:00 IST in UTC


def test_the_same_staff_member_overlapping_is_refused_by_name(salon):
    book(salon, (salon.haircut, salon.asha, "10:00"))
    from services.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        book(salon, (salon.facial, salon.asha, "10:15"))
    db.session.rollback()
    assert refused.value.errors == {"lines[0].start": [
        "Asha is already booked 10:00–10:30 (Anita Shah): choose another time or staff member"]}
    assert count(Appointment) == 1 and count(AppointmentLine) == 1


def test_adjacent_slots_and_another_staff_member_at_the_same_time_are_allowed(salon):
    book(salon, (salon.haircut, salon.asha, "10:00"))
    book(salon, (salon.haircut, salon.asha, "10:30"))  # starts as the first ends
    book(salon, (salon.haircut, salon.asha, "09:30"))  # ends as the first starts
    book(salon, (salon.haircut, salon.ravi, "10:00"))
    assert count(AppointmentLine) == 4


def test_a_cancelled_booking_frees_its_slot(salon):
    from services.salon import appointments

    first = book(salon, (salon.haircut, salon.asha, "10:00"))
    appointments.set_status(salon.store, salon.cashier, first, "cancelled")
    db.session.commit()
    second = book(salon, (salon.facial, salon.asha, "10:00"))
    assert [line.cancelled for line in first.lines] == [True] and second.status == "booked"


def test_two_services_of_one_booking_for_one_staff_member_at_once_are_refused(salon):
    from services.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        book(salon, (salon.haircut, salon.asha, "10:00"), (salon.colour, salon.asha, "10:15"))
    assert refused.value.errors == {"lines[1].start": ["Asha has two services of this booking at once"]}


@pytest.mark.postgres_only
def test_the_database_refuses_overlapping_live_lines_whatever_wrote_them(salon):
    """The exclusion constraint alone (no service code): an overlapping row is refused, a cancelled one is not."""
    first = book(salon, (salon.haircut, salon.asha, "10:00"))
    line = first.lines[0]
    clash = dict(appointment_id=first.id, store_id=salon.store.id, staff_id=salon.asha.id,
                 product_id=salon.haircut.id, starts_at=line.starts_at + timedelta(minutes=15),
                 ends_at=line.ends_at + timedelta(minutes=15))
    with pytest.raises(IntegrityError, match="ex_appointment_line_overlap"):
        db.session.add(AppointmentLine(**clash))
        db.session.flush()
    db.session.rollback()
    db.session.add(AppointmentLine(**clash, cancelled=True))
    db.session.commit()
    assert count(AppointmentLine) == 2


# --------------------------------------------------------------------------- bad inputs: a clear error, nothing written


@pytest.mark.parametrize("lines, fields, errors", [
    ([("haircut", "asha", "10:00")], {"end": "09:30"}, {"lines[0].end": ["The end must be after the start"]}),
    ([("shampoo", "asha", "10:00")], {}, {"lines[0].service": ["Shampoo bottle is not a service"]}),
    ([(999999, "asha", "10:00")], {}, {"lines[0].service": ["Choose a service of this store"]}),
    ([("haircut", "gone", "10:00")], {}, {"lines[0].staff": ["Choose an active staff member of this store"]}),
    ([("haircut", "asha", "25:00")], {}, {"lines[0].start": ["Type the start as HH:MM"]}),
    ([("haircut", "asha", "08:30")], {}, {"lines[0].start": ["The salon books from 09:00 to 21:00"]}),
    ([("haircut", "asha", "20:45")], {}, {"lines[0].start": ["The salon books from 09:00 to 21:00"]}),
    ([("haircut", "asha", "10:00", "0")], {}, {"lines[0].duration": [
        "The duration is a whole number of minutes from 1 to 600"]}),
    ([("haircut", "asha", "")], {}, {"lines[0].start": ["Choose the start time"]}),
    ([], {}, {"lines": ["Add at least one service"]}),
    ([("haircut", "asha", "10:00")], {"day": "14/03/2031"}, {"day": ["Choose the day as YYYY-MM-DD"]}),
    ([("haircut", "asha", "10:00")], {"new_name": "Meera", "new_phone": ""},
     {"new_phone": ["Type the customer's phone number"]}),
], ids=["end-before-start", "not-a-service", "unknown-service", "inactive-staff", "bad-time", "before-opening",
        "after-closing", "zero-minutes", "no-start", "no-lines", "bad-day", "new-customer-without-phone"])
def test_bad_bookings_are_refused_with_a_clear_message_and_nothing_written(salon, lines, fields, errors):
    from services.errors import ValidationError

    given = [tuple(getattr(salon, part) if isinstance(part, str) and hasattr(salon, part) else part
                   for part in line) for line in lines]
    before = count(Party)
    with pytest.raises(ValidationError) as refused:
        book(salon, *given, **fields)
    db.session.rollback()
    assert refused.value.errors == errors
    assert count(Appointment) == 0 and count(AppointmentLine) == 0 and count(Party) == before


def test_another_stores_service_staff_and_customer_are_unknown_here(salon, make_store, make_product,
                                                                      make_customer):
    from services.errors import ValidationError

    other = make_store(business_kind="salon")
    their_staff = Staff(store_id=other.id, name="Elsewhere")
    db.session.add(their_staff)
    db.session.commit()
    their_service = make_product(other, "Their cut", type="service")
    their_customer = make_customer(other, "Not ours")
    with pytest.raises(ValidationError) as refused:
        book(salon, (their_service, their_staff, "10:00"), party=their_customer)
    db.session.rollback()
    assert refused.value.errors == {"lines[0].service": ["Choose a service of this store"],
                                    "lines[0].staff": ["Choose an active staff member of this store"]}
    with pytest.raises(ValidationError) as refused:
        book(salon, (salon.haircut, salon.asha, "10:00"), party=their_customer)
    db.session.rollback()
    assert refused.value.errors == {"customer": ["Choose a customer of this store"]}
    assert count(Appointment) == 0


def test_a_new_customer_is_added_with_the_booking_and_a_known_phone_reuses_the_customer(salon):
    first = book(salon, (salon.haircut, salon.asha, "10:00"), new_name="Meera Iyer", new_phone="98111 22233")
    assert first.party.customer.phone_no == "+919811122233"
    again = book(salon, (salon.haircut, salon.asha, "11:00"), new_name="Meera I.", new_phone="+919811122233")
    assert again.party_id == first.party_id
    assert db.session.execute(select(func.count()).select_from(Customer).where(
        Customer.phone_no == "+919811122233")).scalar_one() == 1


# --------------------------------------------------------------------------- move and statuses


def test_moving_changes_time_and_staff_and_keeps_the_overlap_rule(salon):
    from services.errors import ValidationError
    from services.salon import appointments

    other = book(salon, (salon.haircut, salon.ravi, "12:00"))
    mine = book(salon, (salon.haircut, salon.asha, "10:00"), (salon.colour, salon.asha, ""))
    # Into its own old slot, shifted by 15 minutes: its own lines do not count against it.
    appointments.move(salon.store, salon.cashier, mine, DAY.isoformat(), [
        appointments.LineInput(staff_id=salon.asha.id, start="10:15", end="10:45"),
        appointments.LineInput(staff_id=salon.ravi.id, start="10:45", end="11:30")])
    db.session.commit()
    assert [(line.staff.name, hhmm(salon, line.starts_at), hhmm(salon, line.ends_at)) for line in mine.lines] == [
        ("Asha", "10:15", "10:45"), ("Ravi", "10:45", "11:30")]
    with pytest.raises(ValidationError) as refused:
        appointments.move(salon.store, salon.cashier, mine, DAY.isoformat(), [
            appointments.LineInput(staff_id=salon.asha.id, start="10:00", end="10:30"),
            appointments.LineInput(staff_id=salon.ravi.id, start="11:45", end="12:15")])
    db.session.rollback()
    assert refused.value.errors == {"lines[1].start": [
        "Ravi is already booked 12:00–12:30 (Anita Shah): choose another time or staff member"]}
    db.session.expire_all()
    assert [hhmm(salon, line.starts_at) for line in db.session.get(Appointment, mine.id).lines] == ["10:15", "10:45"]
    assert other.status == "booked"


def test_status_changes_follow_the_allowed_steps(salon):
    from services.errors import ValidationError
    from services.salon import appointments

    appointment = book(salon, (salon.haircut, salon.asha, "10:00"))
    for status in ("arrived", "booked", "no-show", "booked"):
        appointments.set_status(salon.store, salon.cashier, appointment, status)
    for status, message in (("done", "A booked appointment cannot be marked done"),
                            ("gone", "Choose booked, arrived, no-show or cancelled")):
        with pytest.raises(ValidationError) as refused:
            appointments.set_status(salon.store, salon.cashier, appointment, status)
        assert refused.value.errors == {"status": [message]}
    appointments.set_status(salon.store, salon.cashier, appointment, "cancelled")
    with pytest.raises(ValidationError, match="A cancelled appointment cannot be marked booked"):
        appointments.set_status(salon.store, salon.cashier, appointment, "booked")
    with pytest.raises(ValidationError, match="This appointment is cancelled: it can no longer be changed"):
        appointments.move(salon.store, salon.cashier, appointment, DAY.isoformat(),
                          [appointments.LineInput(staff_id=salon.asha.id, start="11:00", end="11:30")])


# --------------------------------------------------------------------------- pages


def test_the_day_page_puts_each_booking_in_its_staff_column_and_slot_rows(salon, client):
    book(salon, (salon.haircut, salon.asha, "10:00"), (salon.facial, salon.ravi, ""))
    sign_in(client, salon.cashier)
    page = client.get(f"/appointments?day={DAY.isoformat()}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert '<th scope="col" data-staff="%d">Asha</th>' % salon.asha.id in html and "Gone" not in html
    assert html.count('rowspan="2"') == 1 and html.count('rowspan="4"') == 1  # 30 and 60 minutes
    assert f'href="/appointments?day={(DAY - timedelta(days=1)).isoformat()}"' in html
    assert f'hx-get="/appointments?day={(DAY + timedelta(days=1)).isoformat()}"' in html
    fragment = client.hx_get(f"/appointments?day={DAY.isoformat()}")
    assert "<html" not in fragment.get_data(as_text=True) and 'id="day-book"' in fragment.get_data(as_text=True)
    assert fragment.headers["HX-Push-Url"] == f"/appointments?day={DAY.isoformat()}"
    assert "HX-Request" in fragment.headers.get("Vary", "")
    assert client.get("/appointments?day=soon").status_code == 200  # today, with the message
    assert "Choose the day as YYYY-MM-DD" in client.get("/appointments?day=soon").get_data(as_text=True)


def test_booking_through_the_form_and_a_refusal_re_renders_it_with_422(salon, client):
    sign_in(client, salon.cashier)
    form = {"day": DAY.isoformat(), "party_id": str(salon.anita.id), "service_id": [str(salon.haircut.id), ""],
            "staff_id": [str(salon.asha.id), ""], "start": ["10:00", ""], "duration": ["", ""], "end": ["", ""]}
    done = client.post_form("/appointments", form)
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/appointments?day={DAY.isoformat()}")
    refused = client.post_form("/appointments", {**form, "staff_id": [str(salon.asha.id), ""]})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Asha is already booked 10:00–10:30 (Anita Shah)" in html and 'value="10:00"' in html
    assert count(Appointment) == 1


def test_slot_link_prefills_the_form_and_customer_search_finds_by_phone(salon, client):
    sign_in(client, salon.cashier)
    page = client.get(f"/appointments/new?day={DAY.isoformat()}&time=11:15&staff_id={salon.ravi.id}")
    html = page.get_data(as_text=True)
    assert 'id="line-0-start" value="11:15"' in html and f'<option value="{salon.ravi.id}" selected>' in html
    found = client.hx_get("/appointments/customers?customer_q=98123").get_data(as_text=True)
    assert f'name="party_id" value="{salon.anita.id}"' in found and "Anita Shah" in found


@pytest.mark.parametrize("method, path", [
    ("get", "/appointments/{id}"), ("post", "/appointments/{id}/status"), ("post", "/appointments/{id}/move"),
    ("post", "/appointments/{id}/bill")])
def test_another_stores_appointment_is_404(salon, client, make_user, method, path):
    appointment = book(salon, (salon.haircut, salon.asha, "10:00"))
    stranger = make_user("othersalon", business_kind="salon")
    sign_in(client, stranger)
    url = path.format(id=appointment.id)
    answer = client.get(url) if method == "get" else client.post_form(url, {"status": "cancelled"})
    assert answer.status_code == 404
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "booked"


def test_a_store_that_is_not_a_salon_has_no_appointment_book(client, make_user):
    sign_in(client, make_user("grocer"))
    assert client.get("/appointments").status_code == 404
    assert "Appointments" not in client.get("/").get_data(as_text=True)


def test_the_nav_links_the_book_in_a_salon(salon, client):
    sign_in(client, salon.cashier)
    assert 'href="/appointments"' in client.get("/").get_data(as_text=True)


# --------------------------------------------------------------------------- bill this appointment


def test_bill_this_appointment_puts_its_services_staff_and_customer_on_the_till_and_saving_marks_it_done(salon,
                                                                                                         client):
    appointment = book(salon, (salon.haircut, salon.asha, "10:00"), (salon.colour, salon.ravi, ""))
    sign_in(client, salon.cashier)
    opened = client.post_form(f"/appointments/{appointment.id}/bill")
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/pos")
    till = client.get("/pos").get_data(as_text=True)
    assert "Haircut" in till and "Hair colour" in till and "Anita Shah" in till
    from models import TillSession

    state = db.session.execute(select(TillSession)).scalar_one().payload
    assert [(line["product_id"], line["staff_id"]) for line in state["lines"]] == [
        (salon.haircut.id, salon.asha.id), (salon.colour.id, salon.ravi.id)]
    assert state["customer_id"] == salon.anita.id and state["appointment_id"] == appointment.id
    saved = client.post_form("/pos/save", {"idempotency_key": state["key"]})
    assert saved.status_code == 303
    db.session.expire_all()
    appointment = db.session.get(Appointment, appointment.id)
    bill = db.session.execute(select(Bill)).scalar_one()
    assert appointment.status == "done" and appointment.bill_id == bill.id and bill.party_id == salon.anita.id
    assert sorted((i.product_id, i.staff_id) for i in db.session.execute(select(BillItem)).scalars()) == sorted(
        [(salon.haircut.id, salon.asha.id), (salon.colour.id, salon.ravi.id)])
    again = client.post_form(f"/appointments/{appointment.id}/bill")
    assert again.status_code == 422 and "This appointment has already been billed" in again.get_data(as_text=True)


def test_a_till_bill_of_an_appointment_cancelled_meanwhile_is_refused_whole(salon):
    from services.errors import ValidationError
    from services.salon import appointments
    from services.till import session as till

    appointment = book(salon, (salon.haircut, salon.asha, "10:00"))
    till_session = till.load(salon.store, salon.cashier, for_update=True)
    appointments.open_in_till(salon.store, salon.cashier, till_session, appointment)
    appointments.set_status(salon.store, salon.cashier, appointment, "cancelled")
    db.session.commit()
    with pytest.raises(ValidationError, match="already been billed"):
        till.save(salon.store, salon.cashier, till.state_of(till_session))
    db.session.rollback()
    assert count(Bill) == 0


def test_a_bill_held_from_an_appointment_still_marks_it_done_when_resumed_and_saved(salon):
    from services.salon import appointments
    from services.till import session as till

    appointment = book(salon, (salon.haircut, salon.asha, "10:00"))
    till_session = till.load(salon.store, salon.cashier, for_update=True)
    appointments.open_in_till(salon.store, salon.cashier, till_session, appointment)
    state = till.state_of(till_session)
    held = till.hold(salon.store, salon.cashier, state)
    till.keep(till_session, state)
    till.resume(salon.store, salon.cashier, till_session, held)
    bill = till.save(salon.store, salon.cashier, till.state_of(till_session))
    db.session.commit()
    assert db.session.get(Appointment, appointment.id).bill_id == bill.id


# --------------------------------------------------------------------------- reminders


def test_reminders_list_the_days_bookings_with_a_whatsapp_link_and_no_server_call(salon, client):
    book(salon, (salon.haircut, salon.asha, "10:00"), (salon.colour, salon.ravi, ""))
    from services.salon import appointments

    cancelled = book(salon, (salon.facial, salon.asha, "15:00"))
    appointments.set_status(salon.store, salon.cashier, cancelled, "cancelled")
    db.session.commit()
    sign_in(client, salon.cashier)
    html = client.get(f"/appointments/reminders?day={DAY.isoformat()}").get_data(as_text=True)
    links = [part.split('"')[0] for part in html.split('href="https://wa.me/')[1:]]
    assert len(links) == 1
    phone, message = links[0].split("?text=")
    assert phone == "919812345678"
    assert unquote(message.replace("&amp;", "&")) == (
        "Dear Anita Shah, a reminder of your appointment at Glow Salon on Fri 14 Mar at 10:00: Haircut, "
        "Hair colour. See you then!")


def test_reminders_default_to_tomorrow(salon, client):
    tomorrow = salon.store.local_today() + timedelta(days=1)
    book(salon, (salon.haircut, salon.asha, "10:00"), day=tomorrow)
    sign_in(client, salon.cashier)
    html = client.get("/appointments/reminders").get_data(as_text=True)
    assert "https://wa.me/919812345678?text=" in html


# --------------------------------------------------------------------------- the race for one slot


@pytest.mark.slow
def test_two_concurrent_bookings_of_one_slot_one_succeeds_one_is_refused(app, salon):
    """Two threads, each its own connection (SQLite in a file here), book Asha at 10:00 and 10:15 at once."""
    from services.errors import ValidationError
    from services.salon import appointments

    store_id, cashier_id, asha_id = salon.store.id, salon.cashier.id, salon.asha.id
    services, party_id = (salon.haircut.id, salon.facial.id), salon.anita.id

    def attempt(index: int, barrier: threading.Barrier) -> str:
        from models import Store, User

        store, user = db.session.get(Store, store_id), db.session.get(User, cashier_id)
        data = appointments.BookingInput(day=DAY.isoformat(), party_id=party_id, lines=[appointments.LineInput(
            product_id=services[index], staff_id=asha_id, start="10:00" if index == 0 else "10:15")])
        barrier.wait()
        try:
            appointments.book(store, user, data)
        except ValidationError as exc:
            db.session.rollback()
            return next(iter(exc.errors.values()))[0]
        clock.sleep(0.05)  # hold the transaction open a moment, as a request would
        db.session.commit()
        return "booked"

    with slow_reads_of("appointment_line"):
        outcomes = in_threads(app, 2, attempt)
    assert outcomes.count("booked") == 1, outcomes
    refusal = next(outcome for outcome in outcomes if outcome != "booked")
    # Refused by the check under the staff row lock ("Asha is already booked 10:00–10:30 (Anita Shah): ..."), or,
    # had a booking slipped past it, by the exclusion constraint ("Asha was just booked by someone else ...").
    assert refusal.startswith("Asha ") and refusal.endswith("choose another time or staff member"), outcomes
    assert count(AppointmentLine) == 1


def test_sqlite_schema_has_no_postgres_only_guard(app, backend):
    if backend != "sqlite":
        assert db.session.execute(text(
            "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE c.conname = 'ex_appointment_line_overlap' AND n.nspname = current_schema()")).scalar_one() == 1


# --------------------------------------------------------------------------- a service's length on the product form


def test_the_product_form_edits_a_services_length_and_refuses_zero(salon, client):
    sign_in(client, salon.owner)
    page = client.get(f"/inventory/{salon.colour.id}/edit").get_data(as_text=True)
    assert 'name="duration" type="text" value="45"' in page or ('name="duration"' in page and 'value="45"' in page)
    form = {"name": "Hair colour", "type": "service", "unit": "pcs", "price": "1200", "gst_rate": "18",
            "category": "", "duration": "90"}
    saved = client.post_form(f"/inventory/{salon.colour.id}/edit", form)
    assert saved.status_code == 303, re.findall(r'class="field-error"[^>]*>([^<]+)<', saved.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(type(salon.colour), salon.colour.id).duration_minutes == 90
    refused = client.post_form(f"/inventory/{salon.colour.id}/edit", {**form, "duration": "0"})
    assert refused.status_code == 422 and "The length must be from 1 to 1440 minutes." in refused.get_data(
        as_text=True)
    db.session.expire_all()
    assert db.session.get(type(salon.colour), salon.colour.id).duration_minutes == 90
    book(salon, (salon.colour, salon.asha, "10:00"))  # the booking takes the new length
    (line,) = db.session.execute(select(AppointmentLine)).scalars()
    assert hhmm(salon, line.ends_at) == "11:30"


def test_the_pages_move_and_change_status_and_a_refused_move_keeps_what_was_typed(salon, client):
    book(salon, (salon.haircut, salon.ravi, "12:00"))
    appointment = book(salon, (salon.haircut, salon.asha, "10:00"))
    sign_in(client, salon.cashier)
    url = f"/appointments/{appointment.id}"
    moved = client.post_form(f"{url}/move", {"day": DAY.isoformat(), "staff_id": str(salon.ravi.id),
                                             "start": "11:00", "end": "11:45"})
    assert moved.status_code == 303 and moved.headers["Location"].endswith(url)
    refused = client.post_form(f"{url}/move", {"day": DAY.isoformat(), "staff_id": str(salon.ravi.id),
                                               "start": "12:15", "end": "12:00"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "The end must be after the start" in html and 'value="12:15"' in html
    assert client.post_form(f"{url}/status", {"status": "arrived"}).status_code == 303
    wrong = client.post_form(f"{url}/status", {"status": "done"})
    assert wrong.status_code == 422 and "An arrived appointment cannot be marked done" in wrong.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(Appointment, appointment.id)
    assert stored.status == "arrived"
    assert [(line.staff_id, hhmm(salon, line.starts_at), hhmm(salon, line.ends_at)) for line in stored.lines] == [
        (salon.ravi.id, "11:00", "11:45")]
    assert "Arrived" in client.get(url).get_data(as_text=True)


def test_billing_an_appointment_holds_the_bill_already_on_the_till(salon):
    from models import HeldBill
    from services.salon import appointments
    from services.till import session as till

    appointment = book(salon, (salon.haircut, salon.asha, "10:00"))
    till_session = till.load(salon.store, salon.cashier, for_update=True)
    state = till.state_of(till_session)
    till.add_product(salon.store, state, salon.shampoo)
    till.keep(till_session, state)
    appointments.open_in_till(salon.store, salon.cashier, till_session, appointment)
    db.session.commit()
    held = db.session.execute(select(HeldBill)).scalar_one()
    assert [item["id"] for item in held.payload["items"]] == [salon.shampoo.uid]
    assert [line["product_id"] for line in till.state_of(till_session)["lines"]] == [salon.haircut.id]


# --------------------------------------------------------------------------- opening hours (owners)


def test_the_owner_sets_the_opening_hours_the_book_and_booking_follow_them_and_it_is_audited(salon, client):
    from models import AuditLog

    sign_in(client, salon.owner)
    page = client.get("/appointments/hours").get_data(as_text=True)
    assert 'id="salon-opens" value="09:00"' in page and 'id="salon-closes" value="21:00"' in page
    assert 'id="hours-link"' in client.get(f"/appointments?day={DAY}").get_data(as_text=True)
    saved = client.post_form("/appointments/hours", {"salon_opens": "10:30", "salon_closes": "19:00"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/appointments/hours")
    db.session.expire_all()
    assert (salon.store.settings["salon_opens"], salon.store.settings["salon_closes"]) == ("10:30", "19:00")
    grid = client.get(f"/appointments?day={DAY}").get_data(as_text=True)
    assert ">10:30<" in grid and ">18:45<" in grid and ">10:15<" not in grid and ">19:00<" not in grid
    from services.errors import ValidationError

    with pytest.raises(ValidationError, match="The salon books from 10:30 to 19:00"):
        book(salon, (salon.haircut, salon.asha, "10:00"))
    db.session.rollback()
    row = db.session.execute(select(AuditLog).where(AuditLog.entity == "store").order_by(AuditLog.id.desc())
                             ).scalars().first()
    assert row.user_id == salon.owner.id and row.after["settings"]["salon_opens"] == "10:30"


@pytest.mark.parametrize("form, field, message", [
    ({"salon_opens": "18:00", "salon_closes": "09:00"}, "salon_closes", "Closing must be after opening (18:00)"),
    ({"salon_opens": "10:00", "salon_closes": "10:00"}, "salon_closes", "Closing must be after opening (10:00)"),
    ({"salon_opens": "", "salon_closes": "20:00"}, "salon_opens", "Enter the opening time as HH:MM"),
    ({"salon_opens": "9am", "salon_closes": "20:00"}, "salon_opens", "Enter the opening time as HH:MM"),
    ({"salon_opens": "09:00", "salon_closes": "25:00"}, "salon_closes", "Enter the closing time as HH:MM"),
    ({"salon_opens": "09:10", "salon_closes": "20:00"}, "salon_opens", "Use a time on the quarter hour"),
    ({"salon_opens": "09:00"}, "salon_closes", "Enter the closing time as HH:MM"),
])
def test_bad_opening_hours_are_refused_beside_the_field_and_nothing_is_saved(salon, client, form, field, message):
    sign_in(client, salon.owner)
    answer = client.post_form("/appointments/hours", form)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and message in html
    assert re.search(rf'name="{field}" id="[a-z-]+" value="[^"]*" required\s+aria-invalid="true"', html)
    db.session.expire_all()
    assert "salon_opens" not in (salon.store.settings or {}) and "salon_closes" not in (salon.store.settings or {})


def test_hours_refused_for_another_stored_setting_say_so_above_the_button(salon, client):
    """The settings are checked whole: a GSTIN stored before its check character was checked (the demo salon's
    was) refuses the hours, and the page says why instead of a silent 422."""
    from html import unescape

    salon.store.gstin = "07AAGCG5678H1Z2"  # check character 8
    db.session.commit()
    sign_in(client, salon.owner)
    answer = client.post_form("/appointments/hours", {"salon_opens": "09:30", "salon_closes": "20:30"})
    html = unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    assert ("The store's gstin needs mending on the store settings page first: The GSTIN's check character does "
            "not match") in html
    db.session.expire_all()
    assert "salon_opens" not in (salon.store.settings or {})


def test_the_demo_stores_gstins_carry_their_check_character():
    from services.accounts.gstin import check_character
    from services.demo import STORES

    assert {key: store["gstin"][14] == check_character(store["gstin"][:14]) for key, store in STORES.items()} == {
        key: True for key in STORES}


@pytest.mark.parametrize("role", ["cashier", "manager"])
def test_only_the_owner_may_change_the_opening_hours(salon, client, make_user, role):
    user = salon.cashier if role == "cashier" else make_user("salonmanager", store=salon.store, role="manager")
    sign_in(client, user)
    assert client.get("/appointments/hours").status_code == 403
    assert client.post_form("/appointments/hours", {"salon_opens": "06:00", "salon_closes": "23:00"}
                            ).status_code == 403
    assert 'id="hours-link"' not in client.get(f"/appointments?day={DAY}").get_data(as_text=True)
    db.session.expire_all()
    assert "salon_opens" not in (salon.store.settings or {})


def test_the_hours_page_lists_live_bookings_left_outside_new_hours(salon, client):
    later = salon.store.local_today() + timedelta(days=2)
    early = book(salon, (salon.haircut, salon.asha, "09:00"), day=later)
    book(salon, (salon.haircut, salon.ravi, "12:00"), day=later)
    sign_in(client, salon.owner)
    client.post_form("/appointments/hours", {"salon_opens": "10:00", "salon_closes": "20:00"})
    html = client.get("/appointments/hours").get_data(as_text=True)
    section = html.split('id="outside-hours"')[1]
    assert f"/appointments/{early.id}" in section and "09:00: Anita Shah, Haircut (Asha)" in section
    assert "12:00" not in section


def test_a_non_salon_has_no_hours_page(client, make_user):
    owner = make_user("grocer", business_kind="general")
    sign_in(client, owner)
    assert client.get("/appointments/hours").status_code == 404


def test_the_api_store_patch_still_refuses_the_hours_keys(salon, client, api_headers):
    answer = client.patch(f"/api/v1/stores/{salon.store.uid}", json={"salon_opens": "06:00"},
                          headers=api_headers(salon.owner))
    assert answer.status_code == 400 and answer.get_json()["errors"] == {"salon_opens": ["Unknown field"]}


def test_the_till_says_which_appointment_it_bills_and_the_appointment_page_links_the_saved_bill(salon, client):
    appointment = book(salon, (salon.haircut, salon.asha, "10:00"), (salon.colour, salon.ravi, ""))
    sign_in(client, salon.cashier)
    assert 'id="pos-appointment"' not in client.get("/pos").get_data(as_text=True)  # a plain bill: no banner
    client.post_form(f"/appointments/{appointment.id}/bill")
    till = client.get("/pos").get_data(as_text=True)
    banner = till.split('id="pos-appointment"')[1].split("</p>")[0]
    assert 'id="pos-appointment-customer">Anita Shah<' in banner
    assert 'id="pos-appointment-time">Fri 14 Mar, 10:00–11:15<' in banner
    assert "Haircut with Asha, Hair colour with Ravi" in banner
    assert f'href="/appointments/{appointment.id}"' in banner
    # An edit of a line swaps that line and the totals (the banner stays on the page) and keeps the appointment.
    from models import TillSession

    state = db.session.execute(select(TillSession)).scalar_one().payload
    edited = client.post_form("/pos/lines/0", {"qty": "2", "bill_key": state["key"]}, htmx=True)
    assert edited.status_code == 200 and 'id="pos-builder"' not in edited.get_data(as_text=True)
    assert 'id="pos-appointment-customer">Anita Shah<' in client.get("/pos").get_data(as_text=True)
    db.session.expire_all()
    state = db.session.execute(select(TillSession)).scalar_one().payload
    assert client.post_form("/pos/save", {"idempotency_key": state["key"]}).status_code == 303
    assert 'id="pos-appointment"' not in client.get("/pos").get_data(as_text=True)  # the next bill is a plain one
    bill = db.session.execute(select(Bill)).scalar_one()
    page = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
    assert 'id="appointment-status" class="status-done">Done<' in page
    assert f'href="/bills/{bill.id}" id="appointment-bill">{bill.invoice_number}<' in page
    assert 'id="bill-appointment"' not in page  # done: no second bill
    on_bill = client.get(f"/bills/{bill.id}").get_data(as_text=True).split('id="bill-for-appointment"')[1]
    assert on_bill.startswith(">For the appointment of 14 Mar 2031, 10:00–11:15: ")  # and back to it
    assert f'href="/appointments/{appointment.id}"' in on_bill.split("</p>")[0]
    from services.billing import bills as billing

    plain = billing.save_bill(salon.store, salon.cashier, billing.BillDraft(
        lines=[billing.DraftLine(product=salon.haircut, qty=1)], payment_mode="none", payment_amount=Decimal(0)))
    db.session.commit()
    assert 'id="bill-for-appointment"' not in client.get(f"/bills/{plain.id}").get_data(as_text=True)


# --------------------------------------------------------------------------- the JSON day (Billing v1 extension)


def test_the_api_lists_the_days_appointments_in_the_v1_envelope(salon, client, api_headers):
    first = book(salon, (salon.haircut, salon.asha, "10:00"), (salon.colour, salon.ravi, ""))
    second = book(salon, (salon.facial, salon.asha, "09:00"))
    from services.salon import appointments

    appointments.set_status(salon.store, salon.cashier, second, "arrived")
    db.session.commit()
    book(salon, (salon.haircut, salon.asha, "10:00"), day=DAY + timedelta(days=1))  # another day: not listed
    answer = client.get(f"/api/v1/billing/{salon.store.uid}/appointments?day={DAY}",
                        headers=api_headers(salon.cashier))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["success"] is True
    data = body["data"]
    assert (data["day"], data["timezone"], data["opens"], data["closes"]) == (
        DAY.isoformat(), "Asia/Kolkata", "09:00", "21:00")
    assert [member["name"] for member in data["staff"]] == ["Asha", "Ravi"]
    assert [a["id"] for a in data["appointments"]] == [second.uid, first.uid]  # by their first start
    listed = data["appointments"][1]
    assert (listed["status"], listed["customer"], listed["bill_id"]) == (
        "booked", {"id": salon.anita.uid, "name": "Anita Shah"}, None)
    assert listed["services"] == [
        {"id": salon.haircut.uid, "name": "Haircut", "staff_id": salon.asha.uid, "staff": "Asha",
         "starts_at": "2031-03-14T04:30:00.000Z", "ends_at": "2031-03-14T05:00:00.000Z", "cancelled": False},
        {"id": salon.colour.uid, "name": "Hair colour", "staff_id": salon.ravi.uid, "staff": "Ravi",
         "starts_at": "2031-03-14T05:00:00.000Z", "ends_at": "2031-03-14T05:45:00.000Z", "cancelled": False}]
    assert data["appointments"][0]["status"] == "arrived"


def test_the_api_shows_a_billed_appointments_bill(salon, client, api_headers):
    from services.salon import appointments
    from services.till import session as till

    appointment = book(salon, (salon.haircut, salon.asha, "10:00"))
    till_session = till.load(salon.store, salon.cashier, for_update=True)
    appointments.open_in_till(salon.store, salon.cashier, till_session, appointment)
    bill = till.save(salon.store, salon.cashier, till.state_of(till_session))
    db.session.commit()
    data = client.get(f"/api/v1/billing/{salon.store.uid}/appointments?day={DAY}",
                      headers=api_headers(salon.owner)).get_json()["data"]
    assert [(a["status"], a["bill_id"]) for a in data["appointments"]] == [("done", bill.uid)]


@pytest.mark.parametrize("day", ["14-03-2031", "2031-02-30", "tomorrow", "1999-12-31", "9999-12-31", "2031-3-14"])
def test_the_api_refuses_a_bad_day_naming_it(salon, client, api_headers, day):
    answer = client.get(f"/api/v1/billing/{salon.store.uid}/appointments?day={day}",
                        headers=api_headers(salon.owner))
    assert answer.status_code == 400
    assert answer.get_json() == {"success": False, "message": "Invalid query parameters",
                                 "errors": {"day": ["Use a date as YYYY-MM-DD, from 2000 to 2099"]}}


def test_the_api_day_defaults_to_today_and_refuses_strangers_and_other_kinds_of_store(salon, client, api_headers,
                                                                                     make_user):
    today = salon.store.local_today()
    answer = client.get(f"/api/v1/billing/{salon.store.uid}/appointments", headers=api_headers(salon.owner))
    assert answer.status_code == 200 and answer.get_json()["data"]["day"] == today.isoformat()
    stranger = make_user("elsewhere", business_kind="salon")
    refused = client.get(f"/api/v1/billing/{salon.store.uid}/appointments", headers=api_headers(stranger))
    assert refused.status_code == 403 and refused.get_json()["message"] == "You do not have access to this store"
    assert client.get(f"/api/v1/billing/{salon.store.uid}/appointments").status_code == 401
    from services.accounts.access import current_store_for

    grocer = make_user("grocer", business_kind="general")
    other = client.get(f"/api/v1/billing/{current_store_for(grocer).uid}/appointments",
                       headers=api_headers(grocer))
    assert other.status_code == 404 and other.get_json() == {"success": False,
                                                             "message": "Only a salon keeps an appointment book"}
