"""Issue 15, the dashboard (the home page): today and this month (sales, bills, average bill, dues collected), dues
outstanding, the low-stock count, a 30-day sales chart and the month's sales by payment mode, drawn as SVG on the
server; cashiers see only their own bill counts, no money."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from extensions import db
from models import Payment
from services.accounts.access import current_store_for
from services.reports import dashboard
from tests.fixtures_documents import make_bill  # noqa: F401  (a fixture)
from tests.fixtures_pos import sign_in


def at(store, day, hour=11):
    """The store's `hour` o'clock on `day`, as an aware datetime."""
    return datetime.combine(day, time(hour), tzinfo=store.zone)


@pytest.fixture
def shop(make_user, make_bill):  # noqa: F811
    """Bills of a month: two today (cash 100 + UPI 50; 200 unpaid), one 3 days ago paid today (a collection),
    one 40 days ago, a cancelled one today and a purchase today (neither is a sale)."""
    owner = make_user(username="owner")
    store = current_store_for(owner)
    today = store.local_today()
    line = [{"name": "Rice", "rate": "100", "qty": 1, "cgst": "0", "sgst": "0"}]

    def bill(day, paid=(), hour=11, **fields):
        made = make_bill(store, lines=fields.pop("lines", line), payments=[], **fields)
        made.billing_timestamp = at(store, day, hour)
        for mode, amount, when in paid:
            made.payments.append(Payment(mode=mode, amount=Decimal(amount), timestamp=when))
            made.paid_amount += Decimal(amount)
        made.due_amount = made.total_amount - made.paid_amount
        db.session.commit()
        return made

    cash = bill(today, [("cash", "100", at(store, today))])
    upi = bill(today, [("upi", "50", at(store, today))], lines=[{"name": "Dal", "rate": "50", "qty": 1,
                                                                   "cgst": "0", "sgst": "0"}])
    owed = bill(today, lines=[{"name": "Oil", "rate": "200", "qty": 1, "cgst": "0", "sgst": "0"}])
    earlier = bill(today - timedelta(days=3), [("cash", "30", at(store, today - timedelta(days=3))),
                                               ("upi", "70", at(store, today, 9))])
    old = bill(today - timedelta(days=40), [("cash", "100", at(store, today - timedelta(days=40)))])
    bill(today, [("cash", "100", at(store, today))], cancelled=True)
    bill(today, [("cash", "100", at(store, today))], kind="purchase")
    return {"owner": owner, "store": store, "today": today, "cash": cash, "upi": upi, "owed": owed,
            "earlier": earlier, "old": old, "make_user": make_user}


def test_today_and_this_month_count_sales_not_cancelled_bills_or_purchases(shop):
    summary = dashboard.home_summary(shop["owner"])
    day, month = summary["day"], summary["month"]
    assert (day.sales, day.bills, day.average) == (Decimal("350.00"), 3, Decimal("116.67"))
    assert day.collected == Decimal("70.00")  # paid today for the bill of three days ago; not today's own payments
    in_month = (shop["today"] - timedelta(days=3)).month == shop["today"].month
    assert (month.sales, month.bills) == ((Decimal("450.00"), 4) if in_month else (Decimal("350.00"), 3))
    assert month.collected == Decimal("70.00")
    assert summary["outstanding"] == Decimal("200.00")  # the oil bill; the old and earlier bills are paid


def test_the_chart_has_thirty_days_ending_today_with_each_days_sales(shop):
    chart = dashboard.home_summary(shop["owner"])["chart"]
    assert len(chart) == 30 and chart[-1].day == shop["today"] and chart[0].day == shop["today"] - timedelta(days=29)
    by_day = {point.day: point.sales for point in chart}
    assert by_day[shop["today"]] == Decimal("350.00")
    assert by_day[shop["today"] - timedelta(days=3)] == Decimal("100.00")
    assert sum(by_day.values()) == Decimal("450.00")  # the bill of 40 days ago is outside


def test_a_day_is_the_stores_day_not_utcs(shop):
    """A bill at 00:30 in Kolkata is on the store's today even though it is still yesterday in UTC."""
    store, today = shop["store"], shop["today"]
    early = shop["cash"]
    early.billing_timestamp = datetime.combine(today, time(0, 30), tzinfo=store.zone)
    assert early.billing_timestamp.astimezone(timezone.utc).date() == today - timedelta(days=1)
    db.session.commit()
    assert dashboard.home_summary(shop["owner"])["day"].bills == 3


def test_sales_by_payment_mode_this_month_with_what_is_still_due(shop):
    modes = dict(dashboard.home_summary(shop["owner"])["modes"])
    in_month = (shop["today"] - timedelta(days=3)).month == shop["today"].month
    assert modes == ({"cash": Decimal("130.00"), "upi": Decimal("120.00"), "due": Decimal("200.00")} if in_month
                     else {"cash": Decimal("100.00"), "upi": Decimal("50.00"), "due": Decimal("200.00")})


def test_the_owners_page_shows_the_tiles_chart_and_modes_linked_to_their_pages(client, shop):
    sign_in(client, shop["owner"])
    html = client.get("/").get_data(as_text=True)
    today = shop["today"].isoformat()
    assert re.search(rf'<a id="sales-today" href="/bills\?from={today}&amp;to={today}">₹350.00</a>', html)
    assert 'id="bills-today">3<' in html and 'id="average-today">₹116.67<' in html
    assert 'id="collected-today">₹70.00<' in html
    assert re.search(r'id="dues-outstanding" href="[^"]+">₹200.00<', html)
    chart = re.search(r'<svg id="sales-chart".*?</svg>', html, re.S).group(0)
    assert chart.count("<rect") == 30
    assert f'{shop["today"].strftime("%d %b")}: ₹350.00</title>' in chart
    assert 'class="today"' in chart and 'height="100.0"' in chart  # today is the highest bar
    modes = re.search(r'<table id="sales-by-mode".*?</table>', html, re.S).group(0)
    assert "Still due" in modes and "₹200.00" in modes
    assert "cdn" not in html.lower() and "<script src=\"http" not in html  # drawn here, nothing fetched


def test_a_cashier_sees_their_own_bill_counts_and_no_money(client, shop):
    cashier = shop["make_user"](username="cashier", store=shop["store"], role="cashier")
    shop["cash"].user_id = cashier.id
    db.session.commit()
    sign_in(client, cashier)
    html = client.get("/").get_data(as_text=True)
    assert 'id="my-bills-today">1<' in html
    assert "₹" not in html and "sales-chart" not in html and "sales-by-mode" not in html
    assert 'id="bills-today"' not in html and "Dues" not in html


def test_an_empty_store_draws_an_empty_chart_without_dividing_by_zero(client, make_user):
    owner = make_user(username="fresh")
    sign_in(client, owner)
    html = client.get("/").get_data(as_text=True)
    assert 'id="average-today">₹0.00<' in html and "No sales this month yet." in html
    assert re.search(r'<svg id="sales-chart".*?</svg>', html, re.S).group(0).count('height="0') == 30
