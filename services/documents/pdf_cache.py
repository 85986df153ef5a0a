"""Rendered PDFs (invoices and credit notes) kept per document version, so a repeat download is a file read.

A document's version is a digest of everything its PDF prints, read with a few column selects (no template, no
renderer): the bill's row, its lines (with the stylist's name and the piece's own display settings), its payments,
its credit notes (returns), the counterparty's party/customer/supplier rows, the store's row (name, address, GSTIN,
UPI id, logo path, time zone, settings: the invoice settings live there) and the logo's storage version (the
file's size and time, or the object's ETag and size), the store's today when the bill's interest terms print
interest to date, and the render code itself (the templates and the modules that fill them, hashed once per
process). Any change to any of them is a new version, so a cached PDF is
never stale: nothing is invalidated, a new version is simply a new name, and the older files of the same document
are removed when it is written.

The version is also the HTTP ETag of the PDF routes (blueprints.documents.pdf_response), which answer
If-None-Match with 304 before reading or rendering anything.

Where the bytes live is a `PdfStore` (get/put by store uid and name). `FolderPdfStore` keeps them under
PDF_CACHE_FOLDER (default <instance>/pdf-cache), a folder per store, files named <kind>-<id>-<version>.pdf;
`ObjectPdfStore` keeps the same names in the object store (services/storage.py) when STORAGE_BACKEND=s3.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Protocol

from flask import current_app
from sqlalchemy import String, bindparam, cast, literal, select, union_all

from extensions import db
from models import Bill, BillItem, CreditNote, CreditNoteItem, Customer, Payment, Product, Staff, Store, Supplier
from services import storage

log = logging.getLogger(__name__)
BASE_DIR = Path(__file__).resolve().parent.parent.parent
# What a document's PDF is made by: a change to any of these files (a deploy) is a new version of every document.
RENDER_SOURCES = (
    "templates/pdf/invoice.html",
    "templates/pdf/credit_note.html",
    "templates/documents/_interest.html",
    "templates/documents/_jewellery_details.html",
    "services/documents/invoices.py",
    "services/documents/credit_notes.py",
    "services/documents/pdf_cache.py",
    "services/formatting.py",
    "services/vocabulary.py",
    "services/jewellery/interest.py",
    "static/fonts/NotoSans-Regular.ttf",
    "static/fonts/NotoSans-Bold.ttf",
)
_render_code_digest: Optional[str] = None


def render_code_digest() -> str:
    """A digest of the render sources and the xhtml2pdf version, once per process."""
    global _render_code_digest
    if _render_code_digest is None:
        from importlib.metadata import version

        digest = hashlib.sha256(f"xhtml2pdf {version('xhtml2pdf')}".encode())
        for name in RENDER_SOURCES:
            path = BASE_DIR / name
            digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"-") + b"\0")
        _render_code_digest = digest.hexdigest()
    return _render_code_digest


# --------------------------------------------------------------------------- where the bytes live


class PdfStore(Protocol):
    def get(self, store_uid: str, name: str) -> Optional[bytes]: ...

    def put(self, store_uid: str, name: str, data: bytes, *, replaces: str = "") -> None:
        """Keep `data` as `name`; remove the store's other files whose name starts with `replaces` (older versions
        of the same document)."""


class FolderPdfStore:
    """A folder per store under `root`; writes are atomic (a temporary file renamed into place), so a reader sees
    a whole PDF or none, and two workers writing the same version write the same bytes."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _folder(self, store_uid: str) -> Path:
        if not store_uid or not all(ch.isalnum() or ch in "-_" for ch in store_uid):
            raise ValueError(f"not a store uid: {store_uid!r}")
        return self.root / store_uid

    def get(self, store_uid: str, name: str) -> Optional[bytes]:
        try:
            return (self._folder(store_uid) / name).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, store_uid: str, name: str, data: bytes, *, replaces: str = "") -> None:
        folder = self._folder(store_uid)
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pdf")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, folder / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        if replaces:
            for old in folder.glob(f"{replaces}*.pdf"):
                if old.name != name:
                    old.unlink(missing_ok=True)


class ObjectPdfStore:
    """The object store (services/storage.py, STORAGE_BACKEND=s3): keys <store uid>/<name> in its pdf-cache
    area, so a PDF rendered on one app server is read back on another. A PUT is whole or absent. An object store
    that cannot be reached raises OSError, as a folder would: a miss, or a PDF not kept."""

    def __init__(self, objects: storage.S3Storage) -> None:
        self.objects = objects

    def get(self, store_uid: str, name: str) -> Optional[bytes]:
        with storage.as_os_error():
            return self.objects.get(f"{store_uid}/{name}")

    def put(self, store_uid: str, name: str, data: bytes, *, replaces: str = "") -> None:
        with storage.as_os_error():
            self.objects.put(f"{store_uid}/{name}", data)
            if replaces:
                for old in self.objects.list(f"{store_uid}/{replaces}"):
                    if old != f"{store_uid}/{name}" and old.endswith(".pdf"):
                        self.objects.delete(old)


def pdf_store() -> PdfStore:
    """The configured store of rendered PDFs: the object store when STORAGE_BACKEND=s3, else the folder
    PDF_CACHE_FOLDER (default <instance>/pdf-cache)."""
    kept = storage.pdf_cache()
    if isinstance(kept, storage.S3Storage):
        return ObjectPdfStore(kept)
    folder = current_app.config.get("PDF_CACHE_FOLDER") or str(Path(current_app.instance_path) / "pdf-cache")
    return FolderPdfStore(Path(folder))


# --------------------------------------------------------------------------- versions


def _columns(instance) -> tuple:
    """Every column of a loaded row as the session holds it (what the renderer reads too), without a query when
    the request has loaded it already."""
    return tuple(getattr(instance, attr.key) for attr in type(instance).__mapper__.column_attrs)


def _as_text(columns) -> list:
    """Columns read as the database's text (no Decimal, date or JSON conversion per value): a bill's lines are the
    one read here that grows with the bill, and converting 200 rows of 40 columns costs more than the query."""
    return [cast(column, String).label(column.key) for column in columns]


def _feed(digest, label: str, rows: Iterable[Any]) -> None:
    digest.update(label.encode() + b"\0" + repr([tuple(row) for row in rows]).encode() + b"\n")


def _store_inputs(digest, store: Store) -> None:
    _feed(digest, "store", [_columns(store)])
    from services.documents.invoices import store_logo_key  # late: invoices imports this module lazily too

    logo = store_logo_key(store)
    version = storage.uploads().version(logo) if logo else None  # size and time, or the object's ETag and size
    if version is not None:
        _feed(digest, "logo", [(logo, version)])


# What an invoice prints of its customer or supplier (services.documents.invoices._counterparty_block): only these
# columns, so a customer's next purchase (balances, points) does not make a new version of their old bills.
PARTY_COLUMNS = ("name", "legal_name", "gstin", "address", "phone_no", "email")


def _party_statement():
    def printed(model):
        table = model.__table__
        return select(literal(model.__tablename__), *[
            table.c[name] if name in table.c else literal(None, String()).label(name) for name in PARTY_COLUMNS
        ]).where(table.c.party_id == bindparam("party_id"))

    return union_all(printed(Customer), printed(Supplier))


@lru_cache(maxsize=1)
def _statements() -> dict[str, Any]:
    """The version's statements, built once per process (building a 45-column select costs more than running it)."""
    return {
        "items": select(*_as_text(BillItem.__table__.columns), Staff.name, cast(Product.bill_display_settings, String))
        .outerjoin(Staff, Staff.id == BillItem.staff_id).outerjoin(Product, Product.id == BillItem.product_id)
        .where(BillItem.bill_id == bindparam("bill_id")).order_by(BillItem.line_no, BillItem.id),
        "payments": select(Payment.__table__).where(Payment.bill_id == bindparam("bill_id")).order_by(Payment.id),
        "credit notes": select(CreditNote.id, CreditNote.number, CreditNote.total_amount, CreditNote.created_at)
        .where(CreditNote.bill_id == bindparam("bill_id")).order_by(CreditNote.id),
        "party": _party_statement(),
        "note items": select(CreditNoteItem.__table__).where(CreditNoteItem.credit_note_id == bindparam("note_id"))
        .order_by(CreditNoteItem.id),
    }


def _run(name: str, **params) -> list:
    """One of _statements() on the session's connection (its transaction), all its rows."""
    return db.session.connection().execute(_statements()[name], params).all()


def _bill_inputs(digest, bill: Bill) -> None:
    """The bill's own row, its lines, payments, credit notes and counterparty: four statements."""
    _feed(digest, "bill", [_columns(bill)])
    for name in ("items", "payments", "credit notes"):
        _feed(digest, name, _run(name, bill_id=bill.id))
    if bill.party_id is not None:
        _feed(digest, "party", _run("party", party_id=bill.party_id))


def invoice_version(bill: Bill) -> str:
    """The version (and ETag) of a bill's A4 invoice PDF: see the module's note for what goes in."""
    digest = hashlib.sha256(b"invoice\0" + render_code_digest().encode())
    db.session.flush()  # lines or payments added in this session are what the renderer would print
    _bill_inputs(digest, bill)
    _store_inputs(digest, bill.store)
    if bill.interest_terms:  # interest to date: the same bill prints more interest tomorrow
        _feed(digest, "today", [bill.store.local_today().isoformat()])
    return digest.hexdigest()[:40]


def credit_note_version(note: CreditNote) -> str:
    """The version (and ETag) of a credit note's PDF: the note, its lines, its bill (and that bill's lines, for the
    names and HSN codes it prints), the counterparty and the store."""
    digest = hashlib.sha256(b"credit-note\0" + render_code_digest().encode())
    db.session.flush()
    _feed(digest, "note", [_columns(note)])
    _feed(digest, "note items", _run("note items", note_id=note.id))
    _bill_inputs(digest, note.bill)
    _store_inputs(digest, note.store)
    return digest.hexdigest()[:40]


# --------------------------------------------------------------------------- the one cached function


@dataclass(frozen=True)
class CachedPdf:
    data: bytes
    etag: str  # the version, unquoted
    rendered: bool  # made now (a cache miss), not read back


@dataclass(frozen=True)
class Document:
    """A PDF-able document: its kind and id (the file name), its store, its version and how to render it."""

    kind: str
    id: int
    store_uid: str
    version: str
    render: Callable[[], bytes]

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.id}-{self.version}.pdf"


def invoice_doc(bill: Bill) -> Document:
    from services.documents.invoices import render_invoice_pdf

    return Document("invoice", bill.id, bill.store.uid, invoice_version(bill),
                    lambda: render_invoice_pdf(bill).data)


def credit_note_doc(note: CreditNote) -> Document:
    from services.documents.credit_notes import render_credit_note_pdf

    return Document("credit-note", note.id, note.store.uid, credit_note_version(note),
                    lambda: render_credit_note_pdf(note).data)


def cached_pdf(document: Document) -> CachedPdf:
    """The document's PDF at its current version: read back when kept, else rendered and kept."""
    store = pdf_store()
    try:
        data = store.get(document.store_uid, document.name)
    except OSError:  # an unreadable cache is a miss
        log.exception("could not read %s from the PDF cache", document.name)
        data = None
    if data is not None:
        return CachedPdf(data, document.version, rendered=False)
    data = document.render()
    try:
        store.put(document.store_uid, document.name, data, replaces=f"{document.kind}-{document.id}-")
    except OSError:  # a full or read-only disk costs the next download a render, never this one its PDF
        log.exception("could not keep %s in the PDF cache", document.name)
    return CachedPdf(data, document.version, rendered=True)
