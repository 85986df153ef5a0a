"""Expenses pages over the Flask test client (issue 15): the list with its filters and pager (HTMX fragment too),
adding, editing and deleting (audited), bad input (422 beside the fields, nothing written), inverted date ranges
(an error and no list), totals per category per month with the total row kept out of the data, CSV and XLSX
downloads, another store's expense (404) and the role matrix (cashiers: 403 everywhere). Both databases."""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, Expense
from services.parties.expenses import ExpenseInput, create_expense
from tests.fixtures_pos import sign_in

D = Decimal


def add(shop, amount, day, category="Rent", necessary=True, description=None, store=None, user=None) -> Expense:
    expense = create_expense(store or shop.store, user or shop.owner, ExpenseInput.of(
        amount=D(amount), date=day, category=category, is_necessary=necessary, description=description))
    db.session.commit()
    return expense


def count() -> int:
    return db.session.execute(select(func.count()).select_from(Expense)).scalar_one()


def audits(action: str) -> list[AuditLog]:
    return list(db.session.execute(select(AuditLog).where(AuditLog.entity == "expense", AuditLog.action == action)
                                   .order_by(AuditLog.id)).scalars())


@pytest.fixture
def booked(till_shop):
    """Four expenses over two months in two categories, one of them not necessary."""
    shop = till_shop
    shop.rent_oct = add(shop, "15000.00", date(2026, 10, 1), "Rent")
    shop.tea_oct = add(shop, "120.50", date(2026, 10, 14), "Food", necessary=False, description="Tea for staff")
    shop.rent_nov = add(shop, "15000.00", date(2026, 11, 1), "Rent")
    shop.power_nov = add(shop, "2300.25", date(2026, 11, 5), "Utilities", description="=cmd|' /C calc'!A0")
    return shop


@pytest.fixture
def manager(client, booked):
    sign_in(client, booked.manager)
    return client


def rows(html: str) -> list[str]:
    return re.findall(r'<tr id="expense-(\d+)"', html)


def test_the_list_shows_the_stores_expenses_newest_first(manager, booked):
    page = manager.get("/expenses")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert rows(html) == [str(e.id) for e in (booked.power_nov, booked.rent_nov, booked.tea_oct, booked.rent_oct)]
    assert 'id="expenses-total">₹32,420.75' in html.replace("\u202f", "") or "32,420.75" in html
    assert 'href="/expenses"' in manager.get("/").get_data(as_text=True)  # the nav link


@pytest.mark.parametrize("query, expected", [
    ("category=Rent", ("rent_nov", "rent_oct")),
    ("from=2026-11-01", ("power_nov", "rent_nov")),
    ("to=2026-10-31", ("tea_oct", "rent_oct")),
    ("from=2026-10-14&to=2026-11-01", ("rent_nov", "tea_oct")),
    ("necessary=no", ("tea_oct",)),
    ("necessary=yes&category=Utilities", ("power_nov",)),
    ("category=Salary", ()),
])
def test_filters(manager, booked, query, expected):
    html = manager.get(f"/expenses?{query}").get_data(as_text=True)
    assert rows(html) == [str(getattr(booked, name).id) for name in expected]


def test_the_filtered_fragment_and_its_total(manager, booked):
    answer = manager.hx_get("/expenses?category=Rent&from=&necessary=")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and html.lstrip().startswith('<div id="expenses-results">')
    assert "<html" not in html and "30,000.00" in html
    assert answer.headers["HX-Push-Url"] == "/expenses?category=Rent"


def test_the_shared_pager_keeps_the_filters(manager, booked):
    for n in range(25):
        add(booked, "10.00", date(2026, 9, 1 + n % 28), "Transport")
    first = manager.get("/expenses?category=Transport").get_data(as_text=True)
    assert len(rows(first)) == 20 and "page 1 of 2" in first
    assert 'href="/expenses?page=2&amp;category=Transport"' in first
    second = manager.get("/expenses?category=Transport&page=2").get_data(as_text=True)
    assert len(rows(second)) == 5 and "250.00" in second  # the total is of every match, not of the page


@pytest.mark.parametrize("query, field", [
    ("from=2026-11-30&to=2026-11-01", "to"), ("from=30-11-2026", "from"), ("category=Bribes", "category"),
    ("necessary=maybe", "necessary")])
def test_bad_filters_are_an_error_and_no_list(manager, booked, query, field):
    for answer in (manager.get(f"/expenses?{query}"), manager.hx_get(f"/expenses?{query}")):
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422
        assert f'data-field="{field}"' in html or 'id="expenses-filter-error"' in html
        assert 'id="expenses-filter-error"' in html and rows(html) == [] and "expenses-table" not in html
    inverted = manager.get("/expenses?from=2026-11-30&to=2026-11-01").get_data(as_text=True)
    if field == "to":
        assert "The end date is before the start date." in inverted
    totals = manager.get(f"/expenses/totals?{query}")
    assert totals.status_code == 422 and "expenses-totals-total" not in totals.get_data(as_text=True)
    assert manager.get(f"/expenses/download.csv?{query}").status_code == 422


def test_totals_per_category_per_month(manager, booked):
    add(booked, "99.75", date(2026, 11, 20), "Rent")
    html = manager.get("/expenses/totals").get_data(as_text=True)
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    assert re.findall(r'data-month="([\d-]+)"', body) == ["2026-11", "2026-10"]
    assert "Total" not in body  # the total row is kept out of the data
    foot = html.split("<tfoot>")[1]
    assert "15,099.75" not in foot and "30,099.75" in foot and "32,520.50" in foot
    nov = body.split('data-month="2026-11"')[1].split("</tr>")[0]
    assert "15,099.75" in nov and "2,300.25" in nov and "17,400.00" in nov
    filtered = manager.get("/expenses/totals?necessary=no").get_data(as_text=True)
    assert re.findall(r'data-month="([\d-]+)"', filtered) == ["2026-10"] and "120.50" in filtered


def test_downloads_of_the_filtered_list(manager, booked):
    answer = manager.get("/expenses/download.csv?from=2026-11-01")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0] == ["Date", "Category", "Amount", "Necessary", "Description"]
    assert table[1] == ["2026-11-05", "Utilities", "2300.25", "yes", "'=cmd|' /C calc'!A0"]  # neutralised
    assert table[2][:3] == ["2026-11-01", "Rent", "15000.00"] and len(table) == 3
    book = manager.get("/expenses/download.xlsx?category=Food")
    assert book.status_code == 200
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(book.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][1:4] == ("Food", 120.5, "no") and len(values) == 2
    assert manager.get("/expenses/download.pdf").status_code == 404


def test_add_an_expense(manager, booked):
    assert manager.get("/expenses/new").status_code == 200
    answer = manager.post_form("/expenses/new", {"amount": "450.00", "date": "2026-11-20", "category": "Transport",
                                                 "description": "Auto to the wholesaler", "is_necessary": "yes"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/expenses")
    expense = db.session.execute(select(Expense).where(Expense.category == "Transport")).scalar_one()
    assert expense.amount == D("450.00") and expense.is_necessary and expense.user_id == booked.manager.id
    assert audits("create")[-1].entity_id == str(expense.id)
    unchecked = manager.post_form("/expenses/new", {"amount": "80", "date": "2026-11-21", "category": "Food"})
    assert unchecked.status_code == 303
    assert db.session.execute(select(Expense.is_necessary).where(Expense.amount == 80)).scalar_one() is False


@pytest.mark.parametrize("form, field, message", [
    ({"amount": "", "date": "2026-11-20", "category": "Rent"}, "amount", "This field is required."),
    ({"amount": "abc", "date": "2026-11-20", "category": "Rent"}, "amount", "Enter the amount as a number"),
    ({"amount": "0", "date": "2026-11-20", "category": "Rent"}, "amount", "An expense must be more than 0."),
    ({"amount": "-5", "date": "2026-11-20", "category": "Rent"}, "amount", "An expense must be more than 0."),
    ({"amount": "1.005", "date": "2026-11-20", "category": "Rent"}, "amount", "At most 2 decimals."),
    ({"amount": "1e20", "date": "2026-11-20", "category": "Rent"}, "amount", "Must be at most"),
    ({"amount": "10", "date": "20/11/2026", "category": "Rent"}, "date", "Enter a date as YYYY-MM-DD."),
    ({"amount": "10", "date": "", "category": "Rent"}, "date", "This field is required."),
    ({"amount": "10", "date": "2026-11-20", "category": "Bribes"}, "category", "Must be one of: Rent"),
    ({"amount": "10", "date": "2026-11-20", "category": "Rent", "description": "x" * 501}, "description",
     "At most 500 characters."),
])
def test_bad_input_is_422_beside_the_field_and_nothing_written(manager, booked, form, field, message):
    before = count(), len(audits("create"))
    answer = manager.post_form("/expenses/new", form)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(rf'data-field="{field}">{re.escape(message)}', html), html
    assert (count(), len(audits("create"))) == before
    edit = manager.post_form(f"/expenses/{booked.rent_oct.id}/edit", form)
    assert edit.status_code == 422 and f'data-field="{field}"' in edit.get_data(as_text=True)
    db.session.expire_all()
    assert booked.rent_oct.amount == D("15000.00") and booked.rent_oct.category == "Rent"
    assert audits("update") == []


def test_every_mistake_is_shown_at_once(manager, booked):
    html = manager.post_form("/expenses/new", {"amount": "x", "date": "y", "category": "z"}).get_data(as_text=True)
    assert all(f'data-field="{name}"' in html for name in ("amount", "date", "category"))
    assert 'value="x"' in html  # what was typed stays


def test_edit_an_expense_audits_before_and_after(manager, booked):
    page = manager.get(f"/expenses/{booked.tea_oct.id}/edit").get_data(as_text=True)
    assert 'value="120.50"' in page and 'value="2026-10-14"' in page and "Tea for staff" in page
    answer = manager.post_form(f"/expenses/{booked.tea_oct.id}/edit", {
        "amount": "140.00", "date": "2026-10-15", "category": "Food", "description": "Tea and snacks",
        "is_necessary": "yes"})
    assert answer.status_code == 303
    db.session.expire_all()
    assert (booked.tea_oct.amount, booked.tea_oct.date, booked.tea_oct.is_necessary) == (
        D("140.00"), date(2026, 10, 15), True)
    row = audits("update")[-1]
    assert row.entity_id == str(booked.tea_oct.id) and row.user_id == booked.manager.id
    assert row.before["amount"] == "120.50" and row.after["amount"] == "140.00"
    assert row.before["is_necessary"] is False and row.after["description"] == "Tea and snacks"


def test_delete_asks_on_a_server_rendered_confirm_page_first(manager, booked):
    expense_id = booked.rent_oct.id
    edit = manager.get(f"/expenses/{expense_id}/edit").get_data(as_text=True)
    assert 'hx-confirm="Delete this expense of ₹15,000.00' in edit or "hx-confirm=\"Delete this expense of" in edit
    assert "onsubmit" not in edit and "confirm(" not in edit and """hx-vals='{"confirm": "yes"}'""" in edit
    for answer in (manager.get(f"/expenses/{expense_id}/delete"), manager.post_form(f"/expenses/{expense_id}/delete")):
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200 and "Delete this expense?" in page
        assert 'name="confirm" value="yes"' in page and f'href="/expenses/{expense_id}/edit"' in page
    db.session.expire_all()
    assert db.session.get(Expense, expense_id) is not None and count() == 4 and audits("delete") == []


def test_an_htmx_delete_sent_after_hx_confirm_goes_back_to_the_list(manager, booked):
    expense_id = booked.tea_oct.id
    answer = manager.post_form(f"/expenses/{expense_id}/delete", {"confirm": "yes"}, htmx=True)
    assert answer.status_code == 200 and answer.headers["HX-Redirect"] == "/expenses"
    assert db.session.get(Expense, expense_id) is None and count() == 3


def test_delete_an_expense_audits_what_it_was(manager, booked):
    expense_id = booked.rent_oct.id
    answer = manager.post_form(f"/expenses/{expense_id}/delete", {"confirm": "yes"})
    assert answer.status_code == 303
    assert db.session.get(Expense, expense_id) is None and count() == 3
    row = audits("delete")[-1]
    assert row.entity_id == str(expense_id) and row.before["amount"] == "15000.00" and row.after is None


def test_another_stores_expense_is_404(manager, booked, make_user):
    from services.accounts.access import current_store_for

    other_owner = make_user("elsewhere")
    other = add(booked, "999.00", date(2026, 11, 2), store=current_store_for(other_owner), user=other_owner)
    assert manager.get(f"/expenses/{other.id}/edit").status_code == 404
    form = {"amount": "1.00", "date": "2026-11-02", "category": "Rent"}
    assert manager.post_form(f"/expenses/{other.id}/edit", form).status_code == 404
    assert manager.post_form(f"/expenses/{other.id}/delete", {"confirm": "yes"}).status_code == 404
    assert manager.get(f"/expenses/{other.id}/delete").status_code == 404
    assert manager.get("/expenses/99999999999/edit").status_code == 404
    db.session.expire_all()
    assert other.amount == D("999.00") and count() == 5
    assert str(other.id) not in rows(manager.get("/expenses").get_data(as_text=True))


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_owners_and_managers_open_every_page(client, booked, role):
    sign_in(client, getattr(booked, role))
    for url in ("/expenses", "/expenses/new", "/expenses/totals", f"/expenses/{booked.rent_oct.id}/edit",
                "/expenses/download.csv", "/expenses/download.xlsx"):
        assert client.get(url).status_code == 200, url


def test_a_cashier_is_refused_every_page_and_write(client, booked):
    sign_in(client, booked.cashier)
    for url in ("/expenses", "/expenses/new", "/expenses/totals", f"/expenses/{booked.rent_oct.id}/edit",
                "/expenses/download.csv", "/expenses/download.xlsx"):
        assert client.get(url).status_code == 403, url
    form = {"amount": "1.00", "date": "2026-11-02", "category": "Rent", "confirm": "yes"}
    assert client.get(f"/expenses/{booked.rent_oct.id}/delete").status_code == 403
    for url in ("/expenses/new", f"/expenses/{booked.rent_oct.id}/edit", f"/expenses/{booked.rent_oct.id}/delete"):
        assert client.post_form(url, form).status_code == 403, url
    assert 'href="/expenses"' not in client.get("/").get_data(as_text=True)
    db.session.expire_all()
    assert count() == 4 and booked.rent_oct.amount == D("15000.00") and audits("update") == []


def test_signed_out_goes_to_sign_in(client, booked):
    assert client.get("/expenses").status_code in (302, 303)


def test_hostile_input_is_a_clean_4xx_and_nothing_written(manager, booked):
    answer = manager.post_form("/expenses/new", {"amount": "10", "date": "2026-11-20", "category": "Rent",
                                                 "description": "tea\x00"})
    assert 400 <= answer.status_code < 500 and count() == 4
    for amount in ("NaN", "Infinity", "1" * 400):
        answer = manager.post_form("/expenses/new", {"amount": amount, "date": "2026-11-20", "category": "Rent"})
        assert answer.status_code in (400, 422), amount
    assert manager.get("/expenses?page=99999999999999").status_code == 400
    assert manager.get("/expenses?page=abc").status_code == 200
    assert manager.get("/expenses?from=9999-99-99").status_code == 422
    assert count() == 4
