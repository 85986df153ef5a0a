"""Expenses pages (issue 15): the list with filters (category, date range, necessary or not) on the shared pager,
adding, editing and deleting an expense, totals per category per month, and the filtered list as CSV or XLSX.

Owners and managers only (cashiers: 403, the money pages are not theirs). The rules are services.parties.expenses's
(the same functions the NamastePMS JSON API calls); each write is audited there and the view commits once.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Optional

from flask import Blueprint, Response, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.decorators import role_required
from blueprints.htmx import push_clean_url, render_page_or_fragment, wants_fragment
from blueprints.paging import page_arg
from extensions import db
from models import EXPENSE_CATEGORIES, Expense
from services.billing.fields import to_date, to_decimal
from services.errors import FieldErrors, ValidationError
from services.parties import expenses as service
from services.scoping import get_in_store

bp = Blueprint("expenses", __name__, url_prefix="/expenses")

PAGE_SIZE = 20
MAX_DESCRIPTION = 500
NECESSARY_CHOICES = (("", "Any"), ("yes", "Necessary"), ("no", "Not necessary"))


# --------------------------------------------------------------------------- filters


def _day(raw: str, key: str, errors: FieldErrors) -> Optional[date]:
    if not raw:
        return None
    day = to_date(raw)
    if day is None:
        errors.add(key, "Enter a date as YYYY-MM-DD.")
    return day


def _read_filters() -> tuple[service.ExpenseFilters, dict[str, str], FieldErrors]:
    """The filters from the query string, what was typed (to show it again) and every problem with them."""
    typed = {name: (request.args.get(name) or "").strip()[:20] for name in ("category", "from", "to", "necessary")}
    errors = FieldErrors()
    necessary = {"yes": True, "no": False}.get(typed["necessary"])
    if typed["necessary"] and necessary is None:
        errors.add("necessary", "Choose necessary, not necessary or any.")
    filters = service.ExpenseFilters(category=typed["category"] or None,
                                     date_from=_day(typed["from"], "from", errors),
                                     date_to=_day(typed["to"], "to", errors), necessary=necessary)
    for key, messages in service.filter_problems(filters).items():
        for message in messages:
            errors.add(key, message)
    return filters, typed, errors


def _list_context(**extra) -> dict[str, Any]:
    return {"categories": EXPENSE_CATEGORIES, "necessary_choices": NECESSARY_CHOICES, **extra}


@bp.get("")
@role_required("manager")
def index():
    """The store's expenses, newest day first, filtered and paged, with the sum of what the filters match. Bad
    filters (an inverted date range...) answer 422 with the message beside the field and no list at all."""
    filters, typed, errors = _read_filters()
    if errors:
        response = render_page_or_fragment("expenses/index.html", "expenses/_results.html", 422,
                                           **_list_context(found=None, typed=typed, errors=errors, args={}))
        return response
    page = page_arg()
    found = service.list_expenses(g.store, current_user, filters, page=page, limit=PAGE_SIZE)
    response = render_page_or_fragment(
        "expenses/index.html", "expenses/_results.html",
        **_list_context(found=found, typed=typed, errors={}, args=filters.args(),
                        total=service.filtered_total(g.store, filters)))
    return push_clean_url(response, "expenses.index", page, **filters.args())


@bp.get("/totals")
@role_required("manager")
def totals():
    """Totals per category per month of the expenses the filters match; the total row is kept out of the data."""
    filters, typed, errors = _read_filters()
    if errors:
        return make_response(render_template("expenses/totals.html", **_list_context(
            summary=None, typed=typed, errors=errors, args={})), 422)
    summary = service.monthly_totals(g.store, current_user, filters)
    return render_template("expenses/totals.html", **_list_context(summary=summary, typed=typed, errors={},
                                                                   args=filters.args()))


@bp.get("/download.<fmt>")
@role_required("manager")
def download(fmt: str):
    """The filtered list (every page) as CSV or XLSX."""
    filters, typed, errors = _read_filters()
    if errors:
        return make_response(render_template("expenses/index.html", **_list_context(
            found=None, typed=typed, errors=errors, args={})), 422)
    if fmt == "csv":
        body = ("\ufeff" + service.export_csv(g.store, current_user, filters)).encode()
        mimetype = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = service.export_xlsx(g.store, current_user, filters)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        return make_response(render_template("errors/error.html", code=404, message="No such download."), 404)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="expenses.{fmt}"'
    return response


# --------------------------------------------------------------------------- adding, editing, deleting


def _typed_form() -> dict[str, str]:
    form = request.form
    return {"amount": (form.get("amount") or "").strip()[:30], "date": (form.get("date") or "").strip()[:20],
            "category": (form.get("category") or "").strip()[:30],
            "description": (form.get("description") or "").strip(),
            "is_necessary": "yes" if form.get("is_necessary") in ("yes", "on", "true", "1") else "no"}


def _input(typed: dict[str, str]) -> service.ExpenseInput:
    """The typed form as an ExpenseInput; ValidationError naming every field that is wrong (the service's own rules
    and what could not be read at all)."""
    errors = FieldErrors()
    amount = to_decimal(typed["amount"]) if typed["amount"] else None
    if typed["amount"] and amount is None:
        errors.add("amount", "Enter the amount as a number, e.g. 1500.00.")
    day = to_date(typed["date"]) if typed["date"] else None
    if typed["date"] and day is None:
        errors.add("date", "Enter a date as YYYY-MM-DD.")
    if len(typed["description"]) > MAX_DESCRIPTION:
        errors.add("description", f"At most {MAX_DESCRIPTION} characters.")
    data = service.ExpenseInput.of(amount=amount, date=day, category=typed["category"] or None,
                                   description=typed["description"] or None,
                                   is_necessary=typed["is_necessary"] == "yes")
    for key, messages in service.expense_problems(data, creating=True).items():
        if key not in errors:
            for message in messages:
                errors.add(key, message)
    errors.raise_if()
    return data


def _form_page(typed: dict[str, str], expense: Optional[Expense] = None, errors: Optional[dict] = None,
               status: int = 200):
    return render_page_or_fragment("expenses/form.html", "expenses/_form.html", status,
                                   typed=typed, expense=expense, errors=errors or {},
                                   categories=EXPENSE_CATEGORIES)


def _typed_from(expense: Expense) -> dict[str, str]:
    return {"amount": f"{expense.amount:.2f}", "date": expense.date.isoformat(), "category": expense.category,
            "description": expense.description or "", "is_necessary": "yes" if expense.is_necessary else "no"}


@bp.get("/new")
@role_required("manager")
def new():
    """An empty expense form (today's date, necessary)."""
    return _form_page({"amount": "", "date": g.store.local_today().isoformat(), "category": "", "description": "",
                       "is_necessary": "yes"})


@bp.post("/new")
@role_required("manager")
def create():
    """Record an expense; 422 with the messages beside the fields and nothing written when it is wrong."""
    typed = _typed_form()
    try:
        expense = service.create_expense(g.store, current_user, _input(typed))
    except ValidationError as exc:
        db.session.rollback()
        return _form_page(typed, errors=exc.errors or {"__all__": [exc.message]}, status=422)
    db.session.commit()
    flash(f"Expense of ₹{expense.amount:.2f} ({expense.category}) recorded.", "success")
    return redirect(url_for("expenses.index"), 303)


def _expense(expense_id: int) -> Expense:
    """The store's expense, else 404 (another store's id is a missing one)."""
    return get_in_store(Expense, g.store, id=expense_id, message="Expense not found")


@bp.get("/<int:expense_id>/edit")
@role_required("manager")
def edit(expense_id: int):
    expense = _expense(expense_id)
    return _form_page(_typed_from(expense), expense)


@bp.post("/<int:expense_id>/edit")
@role_required("manager")
def update(expense_id: int):
    """Change an expense (audited with before and after); 422 and nothing changed when it is wrong."""
    expense = _expense(expense_id)
    typed = _typed_form()
    try:
        service.update_expense(g.store, current_user, expense, _input(typed))
    except ValidationError as exc:
        db.session.rollback()
        return _form_page(typed, _expense(expense_id), exc.errors or {"__all__": [exc.message]}, 422)
    db.session.commit()
    flash("Expense saved.", "success")
    return redirect(url_for("expenses.index"), 303)


@bp.route("/<int:expense_id>/delete", methods=["GET", "POST"])
@role_required("manager")
def delete(expense_id: int):
    """Delete an expense after a confirm step: the edit page's button asks with hx-confirm and sends confirm=yes;
    without JavaScript (or a bare GET/POST) the server renders the confirm page first. The audit row keeps what it
    was."""
    expense = _expense(expense_id)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template("expenses/confirm_delete.html", expense=expense)
    service.delete_expense(g.store, current_user, expense)
    db.session.commit()
    flash("Expense deleted.", "success")
    url = url_for("expenses.index")
    if wants_fragment():  # a full load: the list answers HTMX with its results fragment only
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)
