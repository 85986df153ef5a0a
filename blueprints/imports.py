"""Products import and export pages (owners and managers; cashiers get 403): upload a CSV or XLSX, map its columns,
preview every row's problems, start the background import (jobs.import_products) and watch its progress bar (an
HTMX fragment polling every second that stops by replacing itself once the job ends), download the refused rows;
export products and stock as CSV or XLSX.

The rules are services.catalog.imports (reading, checking and writing rows) and services.catalog.exports; the
request only stores the file and enqueues the job, so a 10,000-row file never holds a request open.
"""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.decorators import role_required
from blueprints.htmx import error_page, render_page_or_fragment
from extensions import db
from models import IMPORT_MATCH, IMPORT_MODES, ImportJob
from services.accounts.access import current_store_for, has_role, membership_for
from services.catalog import exports
from services.catalog import imports as service
from services.errors import ValidationError

bp = Blueprint("imports", __name__, url_prefix="/inventory")

MODES = {"create": "Create new products", "update": "Update existing products",
         "upsert": "Create new, update existing"}
MATCH = {"sku": "SKU", "barcode": "Barcode"}
PREVIEW_LIMIT = 2000  # refused rows listed on the preview page (the report after the import has them all)
RECENT = 10


def _limit_mb() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return f"{limit / 1024 / 1024:g} MB"


def _index(status: int = 200, error: str | None = None):
    jobs = db.session.execute(db.select(ImportJob).where(ImportJob.store_id == g.store.id)
                              .order_by(ImportJob.id.desc()).limit(RECENT)).scalars().all()
    return render_template("imports/index.html", jobs=jobs, error=error, limit=_limit_mb(), modes=MODES), status


@bp.errorhandler(413)
def too_large(exc):
    """An upload past MAX_CONTENT_LENGTH: the import page with a clear message (werkzeug refuses it unread)."""
    db.session.rollback()
    message = f"The file is too large: imports take files up to {_limit_mb()}. Split it into smaller files."
    store = current_store_for(current_user) if current_user.is_authenticated else None
    membership = membership_for(current_user, store) if store else None
    if membership is None or not has_role(membership.role, "manager"):  # the page is for managers only
        return error_page(413, message)
    g.store = store
    return _index(413, message)


@bp.get("/import")
@role_required("manager")
def index():
    """The upload form, the template and export links, and the store's recent imports."""
    return _index()


@bp.get("/import/template.<fmt>")
@role_required("manager")
def template(fmt: str):
    headers = [label for _, label, _ in service.FIELDS]
    if fmt == "csv":
        return _download(exports.template_csv(headers, service.EXAMPLE_ROW), "products-template.csv")
    if fmt == "xlsx":
        return _download(exports.template_xlsx(headers, service.EXAMPLE_ROW), "products-template.xlsx")
    abort(404)


@bp.post("/import")
@role_required("manager")
def upload():
    """Keep the uploaded file with a guessed column mapping; a bad file re-renders the form (422) and keeps nothing."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _index(422, "Choose a CSV or XLSX file to import.")
    try:
        job = service.new_job(g.store, current_user, upload.filename, upload.read())
    except ValidationError as exc:
        db.session.rollback()
        return _index(422, exc.message)
    db.session.commit()
    return redirect(url_for(".mapping", job_id=job.id), 303)


def _job(job_id: int) -> ImportJob:
    return service.get_job(g.store, job_id)


def _mapping_page(job: ImportJob, mapping: list[str], mode: str, match_by: str, problems=(), status: int = 200):
    table = service.read_table(job.content, job.filename)
    samples = [[row[i] if i < len(row) else "" for row in table.rows[:3]] for i in range(len(table.headers))]
    return render_template("imports/mapping.html", job=job, headers=table.headers, samples=samples,
                           mapping=mapping, mode=mode, match_by=match_by, problems=problems, fields=service.FIELDS,
                           modes=MODES, match=MATCH), status


@bp.route("/import/<int:job_id>/mapping", methods=["GET", "POST"])
@role_required("manager")
def mapping(job_id: int):
    """Which field each column fills (guessed from the headers; the user may change it), and the mode."""
    job = _job(job_id)
    if job.status != "uploaded":
        return redirect(url_for(".job", job_id=job.id), 303)
    if request.method == "GET":
        return _mapping_page(job, job.mapping or [], job.mode, job.match_by)
    columns = len(job.mapping or [])
    chosen = [request.form.get(f"col{i}", "") for i in range(columns)]
    mode, match_by = request.form.get("mode", ""), request.form.get("match_by", "")
    try:
        service.set_mapping(job, chosen, mode, match_by)
    except ValidationError as exc:
        db.session.rollback()
        problems = [m for ms in exc.errors.values() for m in ms] or [exc.message]
        return _mapping_page(job, chosen, mode if mode in IMPORT_MODES else "create",
                             match_by if match_by in IMPORT_MATCH else "sku", problems, 422)
    db.session.commit()
    return redirect(url_for(".preview", job_id=job.id), 303)


@bp.get("/import/<int:job_id>/preview")
@role_required("manager")
def preview(job_id: int):
    """Every row checked as the job will check it; all the problems of all the rows at once."""
    job = _job(job_id)
    if job.status != "uploaded":
        return redirect(url_for(".job", job_id=job.id), 303)
    plan = service.plan_for(job, g.store)
    bad = plan.bad
    return render_template("imports/preview.html", job=job, plan=plan, bad=bad[:PREVIEW_LIMIT], bad_count=len(bad),
                           creates=sum(1 for r in plan.rows if not r.problems and r.product_id is None),
                           updates=sum(1 for r in plan.rows if not r.problems and r.product_id is not None),
                           labels=service.LABELS, modes=MODES, match=MATCH)


@bp.post("/import/<int:job_id>/start")
@role_required("manager")
def start(job_id: int):
    """Queue the job and hand it to the job runner; the page that follows shows its progress."""
    import jobs

    job = _job(job_id)
    try:
        service.queue(job, current_user, g.store)
    except ValidationError:
        db.session.rollback()
        return redirect(url_for(".job", job_id=job.id), 303)
    db.session.commit()
    try:
        jobs.import_products(job.id)
    except Exception:  # the queue is down: say so on the job instead of leaving it queued forever
        current_app.logger.exception("could not enqueue import %s", job.id)
        service.fail(job.id, "The job queue did not accept this import; please try again later.")
    return redirect(url_for(".job", job_id=job.id), 303)


@bp.get("/import/<int:job_id>")
@role_required("manager")
def job(job_id: int):
    job = service.mark_if_lost(_job(job_id))
    if job.status == "uploaded":
        return redirect(url_for(".mapping", job_id=job.id), 303)
    return render_page_or_fragment("imports/job.html", "imports/_progress.html", job=job)


@bp.get("/import/<int:job_id>/progress")
@role_required("manager")
def progress(job_id: int):
    """The progress fragment: it polls itself every second while the job is queued or running; once the job has
    ended it comes back without the trigger (polling stops) and with the report link."""
    job = service.mark_if_lost(_job(job_id))
    return render_template("imports/_progress.html", job=job)


@bp.get("/import/<int:job_id>/report.csv")
@role_required("manager")
def report(job_id: int):
    """The refused rows with their messages, as CSV."""
    job = _job(job_id)
    out = io.StringIO()
    writer = csv.writer(out)
    for row in service.report_rows(job):
        writer.writerow([exports.neutralise(cell) for cell in row])
    return _download(out.getvalue(), f"import-{job.id}-failed-rows.csv")


@bp.get("/export.<fmt>")
@role_required("manager")
def export(fmt: str):
    """The store's live products with their stock; formula-like text neutralised (services.catalog.exports)."""
    if fmt == "csv":
        return _download(exports.export_csv(g.store, current_user), "products.csv")
    if fmt == "xlsx":
        return _download(exports.export_xlsx(g.store, current_user), "products.xlsx")
    abort(404)


def _download(body: str | bytes, filename: str) -> Response:
    if isinstance(body, str):
        data, mimetype = ("\ufeff" + body).encode("utf-8"), "text/csv"  # the BOM: Excel then reads UTF-8
    else:
        data, mimetype = body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
