"""The report pages (issue 15; owners and managers, cashiers 403): the sales and purchase registers, the day book,
the stock summary, top products and sales by staff member. Each is a page with a date range, its table(s) with
the total row in the table's foot, and downloads (`?download=csv` the first table, `?download=xlsx` every table,
each with its totals on a sheet of its own). Long tables (the registers, stock by product) show 200 rows a page
with the whole period's total; a download has every row. The figures are services.reports.registers's.

A date that is not a date, or a range whose end is before its start, is a 422 with the message beside the field
and no table, never a list that looks filtered.

The day close (`/reports/day-close`, cashiers too) is services.reports.day_close's: managers and owners see each
payment mode's expected figure and the difference; a cashier counts blind.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Callable

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.decorators import role_required
from blueprints.paging import page_arg
from extensions import db
from services.accounts.access import has_role
from services.billing.fields import to_date, to_decimal
from services.errors import ValidationError
from services.formatting import inr
from services.periods import INVERTED, parse_range
from services.reports import day_close, registers, tables
from services.salon import commissions

bp = Blueprint("report_pages", __name__, url_prefix="/reports")

MAX_DAYS = 366  # a report spans at most a year (a financial year's registers)


# name -> (title, what it shows, the report, whether it has a period)
REPORTS: dict[str, tuple[str, str, Callable, bool]] = {
    "sales-register": ("Sales register", "Every sale invoice of the period with its taxes.",
                       registers.sales_register, True),
    "purchase-register": ("Purchase register", "Every purchase of the period with the supplier's invoice.",
                          registers.purchase_register, True),
    "day-book": ("Day book", "Every voucher of the days: bills, purchases, credit notes, money in and out, "
                 "expenses.", registers.day_book, True),
    "profit-and-loss": ("Profit and loss", "Sales less the cost of goods sold and the expenses of the period.",
                        registers.profit_and_loss, True),
    "stock-summary": ("Stock summary", "Stock on hand now, at weighted average cost, by product and category.",
                      registers.stock_summary, False),
    "top-products": ("Top products", "The period's best sellers, net of returns.", registers.top_products, True),
    "sales-by-staff": ("Sales by staff member", "What each staff member sold in the period, net of returns.",
                       registers.sales_by_staff, True),
    "commissions": ("Commissions", "Each staff member's services on paid bills, their value after discounts and "
                    "before tax, and the commission, net of returns.", commissions.commission_report, True),
}

# name -> the report's own filter: (its query argument, its label, the parser (store, raw) -> the value for the report
# or a ValidationError on the argument, the choices (objects with id and name)). Downloads and pages keep it.
FILTERS: dict[str, tuple[str, str, Callable, Callable]] = {
    "commissions": ("staff", "Staff member", commissions.staff_filter, commissions.report_staff),
}
# Reports whose CSV (the first table alone) is a summary: their build takes lines=False and skips the line table.
SUMMARY_FIRST = {"commissions"}


def _period(default_days: int) -> tuple[date | None, date | None, dict, dict]:
    """The range asked for (services.periods' rule; the store's days; default the last `default_days` days to
    today), at most MAX_DAYS long."""
    today = g.store.local_today()
    typed = {"from": request.args.get("from", "").strip()[:10], "to": request.args.get("to", "").strip()[:10]}
    try:
        span = parse_range(typed["from"], typed["to"])
    except ValidationError as exc:
        return None, None, typed, exc.errors or {"from": [exc.message]}
    last = span.end or today
    first = span.start or min(last, today) - timedelta(days=default_days - 1)
    errors: dict[str, list[str]] = {}
    if first > last:
        errors["from"] = [INVERTED]
    elif (last - first).days >= MAX_DAYS:
        errors["to"] = [f"A report covers at most {MAX_DAYS} days."]
    return first, last, {"from": typed["from"] or first.isoformat(), "to": typed["to"] or last.isoformat()}, errors


@bp.get("/<name>")
@role_required("manager")
def report(name: str):
    if name not in REPORTS:
        abort(404)
    title, about, build, dated = REPORTS[name]
    first, last, shown, errors = _period(1 if name == "day-book" else 30)
    extra, kept, chooser = {}, {}, None
    if name in FILTERS:
        arg, label, parse, options = FILTERS[name]
        raw = request.args.get(arg, "").strip()[:20]
        chooser = {"arg": arg, "label": label, "value": raw, "choices": options(g.store)}
        try:
            extra[arg] = parse(g.store, raw)
        except ValidationError as exc:
            errors = {**errors, **(exc.errors or {arg: [exc.message]})}
        kept = {arg: raw} if raw else {}
    if errors:
        return render_template("reports/simple_report.html", name=name, title=title, about=about, dated=dated,
                               shown=shown, errors=errors, parts=None, reports=REPORTS, chooser=chooser,
                               kept=kept), 422
    download = request.args.get("download")
    if download == "csv" and name in SUMMARY_FIRST:
        extra["lines"] = False
    parts = build(g.store, current_user, first, last, None if download else page_arg(), **extra)
    if download in ("csv", "xlsx"):
        stem = f"{name}-{first.isoformat()}-to-{last.isoformat()}" if dated else f"{name}-{last.isoformat()}"
        if chooser and extra.get(chooser["arg"]) is not None:  # whose: "commissions-staff-7-2026-..."
            stem = stem.replace(name, f"{name}-{chooser['arg']}-{extra[chooser['arg']].id}", 1)
        if download == "csv":
            response = make_response(tables.to_csv(parts[0]).encode("utf-8-sig"))
            response.headers["Content-Type"] = "text/csv; charset=utf-8"
        else:
            response = make_response(tables.to_xlsx_book(parts))
            response.headers["Content-Type"] = ("application/vnd.openxmlformats-officedocument.spreadsheetml."
                                                "sheet")
        response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{download}"'
        return response
    if download is not None:
        abort(404)
    return render_template("reports/simple_report.html", name=name, title=title, about=about, dated=dated,
                           shown=shown, errors={}, parts=parts, reports=REPORTS, chooser=chooser, kept=kept)


# --------------------------------------------------------------------------- closing the day


@bp.route("/day-close", methods=["GET", "POST"])
@role_required("cashier")
def close_day():
    """The day's Z report and its close: the cash counted (and a note), once per day."""
    sees_money = has_role(g.membership.role, "manager")
    typed = request.values.get("day", "").strip()
    day = to_date(typed) if typed else g.store.local_today()
    errors: dict[str, list[str]] = {}
    form = {"counted_cash": request.form.get("counted_cash", ""), "note": request.form.get("note", "")}
    if day is None:
        errors["day"] = ["Enter a date as YYYY-MM-DD."]
    elif request.method == "POST":
        raw = form["counted_cash"].strip()
        counted = to_decimal(raw) if raw else None
        try:
            close = day_close.close_day(g.store, current_user, day, counted if counted is not None else raw,
                                        form["note"])
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.errors or {"day": [exc.message]}
        else:
            difference = f" Difference {inr(close.difference)}." if sees_money else ""
            flash(f"Day {day.strftime('%d %b %Y')} closed with {inr(close.counted_cash)} counted.{difference}",
                  "success")
            return redirect(url_for("report_pages.close_day", day=day.isoformat()), 303)
    close = day_close.closed(g.store, day) if day is not None else None
    figures = day_close.expected(g.store, day) if day is not None and sees_money and close is None else None
    status = 422 if errors else 200
    return render_template("reports/day_close.html", day=day, typed=typed or (day.isoformat() if day else ""),
                           close=close, figures=figures, sees_money=sees_money, errors=errors, form=form,
                           reports=REPORTS), status
