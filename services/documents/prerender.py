"""Invoices rendered in the background after a save, so the share link, the email and the jewellery `pdf_url` find
the PDF of the bill's current version in the cache (services/documents/pdf_cache.py) instead of waiting for it.

One rule, in one place: a session hook notes every sale bill whose printed rows a flush wrote (the bill row, its
lines, payments, credit notes), whichever surface or service wrote them (till, Billing v1, NamastePMS, jewellery,
a payment, a return, a cancellation). Only after the transaction commits does it enqueue one job per bill
(jobs.prerender_invoice); a rollback drops the list, so a failed save enqueues nothing and nothing is rendered
inside a save's transaction or its response time (the job runs in the consumer: SqliteHuey or RedisHuey). The job
renders whatever version the bill has when it runs, so a job that waited behind a newer change renders the newer
version (or finds it cached) and a job for a bill that is gone does nothing.

PDF_PRERENDER (default on) turns it off; the tests turn it off except where they prove it, because their job
queue runs each job inline (MemoryHuey, immediate).
"""
from __future__ import annotations

import logging
from itertools import chain
from typing import Optional

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from extensions import db
from models import Bill, BillItem, CreditNote, Payment

log = logging.getLogger(__name__)

PENDING_KEY = "prerender_bill_ids"
PRINTED_CHILDREN = (BillItem, Payment, CreditNote)  # rows an invoice prints that hang off the bill


def warm_invoice(bill_id: int) -> Optional[str]:
    """Render a sale bill's invoice PDF at its current version into the PDF cache (a no-op when it is there already);
    the version, or None when there is no such sale bill."""
    from services.documents.pdf_cache import cached_pdf, invoice_doc

    bill = db.session.get(Bill, bill_id)
    if bill is None or bill.kind != "sale":
        return None
    document = invoice_doc(bill)
    cached_pdf(document)
    return document.version


def enabled() -> bool:
    return has_app_context() and bool(current_app.config.get("PDF_PRERENDER"))


def _written_bill_ids(session: Session) -> set[int]:
    ids: set[int] = set()
    for instance in chain(session.new, session.dirty):
        if isinstance(instance, Bill):
            if instance.kind == "sale" and (instance in session.new or session.is_modified(instance)):
                ids.add(instance.id)
        elif isinstance(instance, PRINTED_CHILDREN) and instance.bill_id is not None:
            ids.add(instance.bill_id)
    for instance in session.deleted:  # a line or payment removed changes the bill; a removed bill has no PDF
        if isinstance(instance, PRINTED_CHILDREN) and instance.bill_id is not None:
            ids.add(instance.bill_id)
    return ids


def _note_written_bills(session: Session, flush_context) -> None:
    # after_flush: new/dirty/deleted still show what this flush wrote, and new bills have their ids.
    if not enabled():
        return
    ids = _written_bill_ids(session)
    if ids:
        session.info.setdefault(PENDING_KEY, set()).update(ids)


def _enqueue_after_commit(session: Session) -> None:
    ids = session.info.pop(PENDING_KEY, None)
    if not ids:
        return
    import jobs

    for bill_id in sorted(ids):
        try:
            jobs.prerender_invoice(bill_id)
        except Exception:  # the save stands; the first download renders instead
            log.exception("could not enqueue the invoice render of bill %s", bill_id)


def _drop_after_rollback(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without after_commit having taken the list: it rolled back or closed.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(PENDING_KEY, None)


HOOKS = (("after_flush", _note_written_bills), ("after_commit", _enqueue_after_commit),
         ("after_transaction_end", _drop_after_rollback))


def configure_prerender() -> None:
    """Install the session hooks (once per process; create_app calls it)."""
    for name, hook in HOOKS:
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)
