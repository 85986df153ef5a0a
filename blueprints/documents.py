"""Bill documents in the browser: the A4 print view, the 80 mm receipt, the PDF, "email this bill", and the
public signed link that opens a bill's PDF without logging in."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from blueprints.htmx import wants_fragment
from extensions import db, limiter
from models import Bill
from services import audit
from services.accounts.access import current_store_for, membership_for
from services.documents.invoices import (
    bill_for_role,
    bill_for_share_token,
    default_recipient,
    email_bill,
    pdf_filename,
    render_invoice_html,
    render_receipt_html,
    share_url,
)
from services.documents.pdf_cache import Document, cached_pdf, invoice_doc
from services.errors import NotFound, ValidationError

bp = Blueprint("documents", __name__, url_prefix="/documents")


def _current_bill(bill_id: int) -> Bill:
    """The bill in the user's current store; a missing bill and another store's are the same 404."""
    store = current_store_for(current_user)
    if store is None:
        raise NotFound("Bill not found")
    membership = membership_for(current_user, store)
    return bill_for_role(store, membership.role if membership else None, bill_id)


def _page_links(bill: Bill) -> dict:
    return {
        "pdf_url": url_for("documents.pdf", bill_id=bill.id),
        "receipt_url": url_for("documents.receipt", bill_id=bill.id),
        "invoice_url": url_for("documents.invoice", bill_id=bill.id),
        "email_url": url_for("documents.email", bill_id=bill.id),
        "email_to": default_recipient(bill),
        "share_url": share_url(bill),
        "share_days": current_app.config.get("SHARE_LINK_DAYS") or 7,
    }


def _html(body: str) -> Response:
    response = make_response(body)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def cached_pdf_response(document: Document, filename: str, *, shared: bool = False) -> Response:
    """A document's PDF from the cache (services.documents.pdf_cache), shown inline (or downloaded with
    ?download=1), with its version as ETag: If-None-Match with the current version is a 304 before anything is
    read or rendered. Callers check access first. Private: kept by the browser, revalidated each time, never by
    shared caches."""
    etag = document.version
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = make_response(cached_pdf(document).data)
        response.mimetype = "application/pdf"
        disposition = "attachment" if request.args.get("download") else "inline"
        response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if shared:
        # The token is in the URL: keep it out of Referer headers and search engines.
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def pdf_response(bill: Bill, *, shared: bool = False) -> Response:
    """The bill's A4 invoice PDF (cached per bill version; see cached_pdf_response)."""
    return cached_pdf_response(invoice_doc(bill), pdf_filename(bill), shared=shared)


@bp.get("/bills/<int:bill_id>/invoice")
@login_required
def invoice(bill_id: int):
    """The A4 tax invoice as a print page, with PDF, receipt, share link and email."""
    bill = _current_bill(bill_id)
    return _html(render_invoice_html(bill, **_page_links(bill)))


@bp.get("/bills/<int:bill_id>/receipt")
@login_required
def receipt(bill_id: int):
    """The 80 mm thermal receipt print page."""
    bill = _current_bill(bill_id)
    response = _html(render_receipt_html(bill, **_page_links(bill)))
    # The till prints it from a hidden frame after Save (print_receipt_after_save): framed by this site only.
    response.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/bills/<int:bill_id>/invoice.pdf")
@login_required
def pdf(bill_id: int):
    """The A4 tax invoice PDF."""
    return pdf_response(_current_bill(bill_id))


@bp.post("/bills/<int:bill_id>/email")
@login_required
@limiter.limit("30 per hour")
def email(bill_id: int):
    """Email the bill's PDF (and its share link) to the customer or a typed address."""
    bill = _current_bill(bill_id)
    page = _page_links(bill)
    page["email_to"] = request.form.get("to", "").strip() or page["email_to"]
    try:
        sent_to = email_bill(bill, page["email_to"], link=page["share_url"])
    except ValidationError as exc:
        if wants_fragment():
            return _email_form(page | {"email_error": exc.message}, 422)
        flash(exc.message, "error")
        return redirect(url_for("documents.invoice", bill_id=bill.id), 303)
    audit.record("email", "bill", bill.uid, store_id=bill.store_id, user_id=current_user.id,
                 meta={"to": sent_to, "invoice_number": bill.invoice_number})
    db.session.commit()
    if wants_fragment():
        return _email_form(page | {"email_to": sent_to, "email_sent": sent_to}, 200)
    flash(f"Invoice {bill.invoice_number} emailed to {sent_to}.", "success")
    return redirect(url_for("documents.invoice", bill_id=bill.id), 303)


def _email_form(page: dict, status: int) -> Response:
    return make_response(render_template("documents/_email_form.html", page=page), status)


@bp.get("/shared/<token>")
@limiter.limit("60 per minute")  # public and a render costs about a second of a worker
def shared_pdf(token: str):
    """A bill's PDF by signed link, no login: 404 if the link was tampered with, 410 once it has expired."""
    return pdf_response(bill_for_share_token(token), shared=True)
