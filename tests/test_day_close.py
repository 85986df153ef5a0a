"""Issue 15, the day close (Z report): per payment mode the expected amount, the cash counted and the difference,
saved once per day; a cashier counts blind; managers and owners see the figures."""
from __future__ import annotations

import html as html_lib
import threading
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, DayClose, Payment
from services.accounts.access import current_store_for
from services.reports import day_close
from tests.fixtures_documents import make_bill  # noqa: F401  (a fixture)
from tests.fixtures_pos import sign_in


@pytest.fixture
def shop(make_user, make_bill):  # noqa: F811
    """Today: a sale paid 500 cash + 300 UPI, a later 100 cash on an older bill's dues, 200 cash to a supplier and
    a cancelled sale's 999 cash (not counted). Yesterday: 50 cash (not today's)."""
    owner = make_user(username="owner")
    store = current_store_for(owner)
    today = store.local_today()

    def at(day, hour):
        return datetime.combine(day, time(hour), tzinfo=store.zone)

    def bill(day, payments, **fields):
        made = make_bill(store, payments=[], **fields)
        made.billing_timestamp = at(day, 10)
        for mode, amount, when in payments:
            made.payments.append(Payment(mode=mode, amount=Decimal(amount), timestamp=when))
        db.session.commit()
        return made

    bill(today, [("cash", "500", at(today, 10)), ("upi", "300", at(today, 10))])
    bill(today - timedelta(days=3), [("cash", "50", at(today - timedelta(days=1), 10)),
                                      ("cash", "100", at(today, 11))])
    bill(today, [("cash", "200", at(today, 12))], kind="purchase")
    bill(today, [("cash", "999", at(today, 13))], cancelled=True)
    cashier = make_user(username="cashier", store=store, role="cashier")
    return {"owner": owner, "cashier": cashier, "store": store, "today": today}


def test_expected_is_money_in_less_money_out_per_mode_of_the_day(shop):
    assert day_close.expected(shop["store"], shop["today"]) == {"cash": Decimal("400.00"), "upi": Decimal("300.00")}


def test_the_owner_sees_the_figures_closes_with_a_shortfall_and_it_is_kept(client, shop):
    sign_in(client, shop["owner"])
    page = client.get("/reports/day-close").get_data(as_text=True)
    assert 'id="expected-cash">₹400.00<' in page and 'id="expected-upi">₹300.00<' in page
    response = client.post_form("/reports/day-close", {"counted_cash": "380.50", "note": "₹20 for tea"})
    assert response.status_code == 303
    page = html_lib.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "closed with ₹380.50 counted. Difference -₹19.50." in page
    assert 'id="closed-difference">-₹19.50<' in page and "(short)" in page and "Note: ₹20 for tea" in page
    close = db.session.execute(select(DayClose)).scalar_one()
    assert (close.day, close.expected_cash, close.counted_cash, close.difference) == (
        shop["today"], Decimal("400.00"), Decimal("380.50"), Decimal("-19.50"))
    assert close.expected == {"cash": "400.00", "upi": "300.00"}
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "close")).scalar_one()
    assert (entry.entity, entry.entity_id) == ("day", shop["today"].isoformat())


def test_a_day_is_closed_once(client, shop):
    sign_in(client, shop["owner"])
    assert client.post_form("/reports/day-close", {"counted_cash": "400"}).status_code == 303
    again = client.post_form("/reports/day-close", {"counted_cash": "500"})
    assert again.status_code == 422 and "This day was closed at" in again.get_data(as_text=True)
    assert db.session.execute(select(func.count(DayClose.id))).scalar_one() == 1


def test_a_cashier_counts_blind(client, shop):
    sign_in(client, shop["cashier"])
    page = client.get("/reports/day-close").get_data(as_text=True)
    assert 'id="close-day-form"' in page and "expected-cash" not in page and "₹" not in page
    response = client.post_form("/reports/day-close", {"counted_cash": "390"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "₹390.00 counted" in page and "Difference" not in page and "closed-difference" not in page
    assert "₹400.00" not in page


@pytest.mark.parametrize("typed, message", [
    ("", "Enter the cash counted in the drawer, e.g. 4250.50."),
    ("abc", "Enter the cash counted in the drawer, e.g. 4250.50."),
    ("-5", "The cash counted cannot be below zero."),
    ("1e20", None),
])
def test_a_bad_count_is_refused_beside_its_field_and_nothing_is_saved(client, shop, typed, message):
    sign_in(client, shop["owner"])
    response = client.post_form("/reports/day-close", {"counted_cash": typed})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="counted_cash-error"' in text
    if message:
        assert message in text
    assert db.session.execute(select(func.count(DayClose.id))).scalar_one() == 0


def test_a_future_day_or_a_bad_date_cannot_be_closed(client, shop):
    sign_in(client, shop["owner"])
    tomorrow = (shop["today"] + timedelta(days=1)).isoformat()
    response = client.post_form(f"/reports/day-close?day={tomorrow}", {"counted_cash": "1"})
    assert response.status_code == 422 and "A day can be closed once it has begun" in response.get_data(as_text=True)
    assert client.get("/reports/day-close?day=31-12-2026").status_code == 422


@pytest.mark.postgres_only
def test_two_tills_closing_the_same_day_at_once_make_one_close(app, shop):
    store_id, users = shop["store"].id, [shop["owner"].id, shop["cashier"].id]
    barrier, outcomes = threading.Barrier(2), []

    def close(user_id):
        with app.app_context():
            from models import Store, User

            store, user = db.session.get(Store, store_id), db.session.get(User, user_id)
            barrier.wait()
            try:
                day_close.close_day(store, user, store.local_today(), Decimal("400"))
                db.session.commit()
                outcomes.append("closed")
            except Exception as exc:
                db.session.rollback()
                outcomes.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=close, args=(user_id,)) for user_id in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ValidationError", "closed"]
    assert db.session.execute(select(func.count(DayClose.id))).scalar_one() == 1
