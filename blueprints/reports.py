"""Reports pages (issue 15): GSTR-1 and GSTR-3B for a month, each table with its total row kept out of the data,
and downloads (the GST portal's JSON, CSV, XLSX). Owners and managers only: cashiers see none of the money (403).

The figures are services.reports.gst's; a period that is not a month is a 422 with the message beside the month
field and no table shown.
"""
from __future__ import annotations

import simplejson
from babel.numbers import format_decimal
from flask import Blueprint, Response, g, render_template, request

from blueprints.decorators import role_required
from blueprints.report_pages import REPORTS
from services.errors import ValidationError
from services.reports import gst

bp = Blueprint("reports", __name__, url_prefix="/reports")

KINDS = {"gstr1": (gst.gstr1, "GSTR-1"), "gstr3b": (gst.gstr3b, "GSTR-3B")}
MIMETYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "json": "application/json"}


def _default_period() -> str:
    """Last month in the store's calendar: the return usually being prepared."""
    today = g.store.local_today()
    month, year = (today.month - 1, today.year) if today.month > 1 else (12, today.year - 1)
    return gst.fp(month, year)


def _report(kind: str):
    """(report, raw period, error): the report for ?period=, or the period's error message."""
    raw = request.args.get("period", "").strip() or _default_period()
    try:
        month, year = gst.parse_period(raw)
    except ValidationError as exc:
        return None, raw[:20], exc.message
    return KINDS[kind][0](g.store, month, year), raw, None


def amount(value) -> str:
    """12,34,567.50: Indian digit grouping, two decimals (the tables' amounts)."""
    return format_decimal(value, format="#,##,##0.00", locale="en_IN")


def _download(body: str | bytes, filename: str, fmt: str) -> Response:
    if isinstance(body, str):
        body = (("\ufeff" if fmt == "csv" else "") + body).encode("utf-8")  # the BOM: Excel then reads UTF-8
    response = Response(body, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
@role_required("manager")
def index():
    """The reports there are."""
    return render_template("reports/index.html", period=_default_period(), report_pages=REPORTS)


def _page(kind: str):
    report, raw, error = _report(kind)
    month_value = f"{report.year:04d}-{report.month:02d}" if report else ""
    return render_template("reports/gst.html", kind=kind, title=KINDS[kind][1], report=report, period=raw,
                           month_value=month_value, error=error, amount=amount), 422 if error else 200


@bp.get("/gstr1")
@role_required("manager")
def gstr1():
    """GSTR-1 for a month: B2B, B2C large and small, nil rated, credit notes, HSN (B2B/B2C) and documents issued."""
    return _page("gstr1")


@bp.get("/gstr3b")
@role_required("manager")
def gstr3b():
    """GSTR-3B's outward supplies (3.1) and inter-state supplies to unregistered persons (3.2) for a month."""
    return _page("gstr3b")


@bp.get("/<any(gstr1, gstr3b):kind>.<any(json, csv, xlsx):fmt>")
@role_required("manager")
def download(kind: str, fmt: str):
    """The report as the portal's JSON, or its tables as CSV or XLSX (formula-like text neutralised)."""
    report, raw, error = _report(kind)
    if error:
        return _page(kind)
    name = f"{KINDS[kind][1].replace('-', '')}_{g.store.gstin or 'store'}_{report.period}"
    if fmt == "json":
        body = simplejson.dumps(gst.portal_json(report) if kind == "gstr1" else report.portal, use_decimal=True,
                                ensure_ascii=False)
    elif fmt == "csv":
        body = gst.tables_csv(report.tables)
    else:
        body = gst.tables_xlsx(report.tables)
    return _download(body, f"{name}.{fmt}", fmt)
