"""The audit trail: who did what to which record, with the record before and after.

Always on: there is no setting that turns it off. Rows are append-only and hash-chained per store
(services.audit_chain, installed here), so a row changed or deleted in the database is found by
`flask audit-verify` and the owner's audit page.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Optional

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from extensions import db
from models import AuditLog, Bill, CreditNote, Product
from services import audit_chain
from services.audit_chain import ChainReport
from services.paging import Page, paginate_capped

audit_chain.install()


def snapshot(obj: Any, fields: Optional[Iterable[str]] = None) -> dict[str, Any]:
    """A JSON-safe dict of a model's column values (Decimals and dates as strings)."""
    mapper = sa_inspect(obj).mapper
    names = list(fields) if fields is not None else [attr.key for attr in mapper.column_attrs]
    return {name: _json_safe(getattr(obj, name)) for name in names}


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def record(
    action: str,
    entity: str,
    entity_id: Any = None,
    *,
    store_id: Optional[int] = None,
    user_id: Optional[int] = None,
    before: Optional[dict] = None,
    after: Optional[dict] = None,
    meta: Optional[dict] = None,
) -> AuditLog:
    """Add one audit row (flushes with the caller's transaction, so it commits or rolls back with it; it is
    numbered and hashed into its store's chain when it flushes)."""
    entry = AuditLog(
        store_id=store_id,
        user_id=user_id,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
        meta=meta,
    )
    db.session.add(entry)
    return entry


def store_entries(store_id: int, *, entity: Optional[str] = None, action: Optional[str] = None,
                  user_id: Optional[int] = None, start: Optional[datetime] = None, end: Optional[datetime] = None,
                  page: int = 1, limit: int = 50) -> Page:
    """One page of a store's audit rows, newest first, filtered by entity, action, user and [start, end)."""
    query = select(AuditLog).where(AuditLog.store_id == store_id)
    for column, value in ((AuditLog.entity, entity), (AuditLog.action, action), (AuditLog.user_id, user_id)):
        if value is not None:
            query = query.where(column == value)
    if start is not None:
        query = query.where(AuditLog.at >= start)
    if end is not None:
        query = query.where(AuditLog.at < end)
    return paginate_capped(query.order_by(AuditLog.at.desc(), AuditLog.id.desc()), page, limit)


def store_vocabulary(store_id: int) -> tuple[list[str], list[str]]:
    """The entities and actions that occur in a store's audit rows (for the filter's choices)."""
    def distinct(column) -> list[str]:
        return list(db.session.execute(select(column).where(AuditLog.store_id == store_id).distinct()
                                       .order_by(column)).scalars())

    return distinct(AuditLog.entity), distinct(AuditLog.action)


def verify(store_id: Optional[int]) -> ChainReport:
    """Check a store's audit chain (None: the account-level rows): see services.audit_chain.verify."""
    return audit_chain.verify(store_id)


def targets(store_id: int, entries: Iterable[AuditLog]) -> dict[int, list[tuple[str, int]]]:
    """What each audit row is about, where it still exists in the store: entry id -> [(kind, record id)], kind one
    of bill, purchase, product, stock (a product's stock history) and credit_note. One query per kind of record.
    Bill rows name the bill by uid; product and stock rows by the product's id; a return names its credit note."""
    entries = list(entries)
    bill_uids = {e.entity_id for e in entries if e.entity == "bill" and e.entity_id}
    product_ids = {int(e.entity_id) for e in entries
                   if e.entity in ("product", "stock") and e.entity_id and e.entity_id.isdigit()}
    note_numbers = {str(e.meta["credit_note"]) for e in entries
                    if e.entity == "bill" and isinstance(e.meta, dict) and e.meta.get("credit_note")}
    bills = {uid: (kind, bill_id) for uid, bill_id, kind in db.session.execute(
        select(Bill.uid, Bill.id, Bill.kind).where(Bill.store_id == store_id, Bill.uid.in_(bill_uids)))} \
        if bill_uids else {}
    products = set(db.session.execute(select(Product.id).where(Product.store_id == store_id,
                                                               Product.id.in_(product_ids))).scalars()) \
        if product_ids else set()
    notes = dict(db.session.execute(select(CreditNote.number, CreditNote.id).where(
        CreditNote.store_id == store_id, CreditNote.number.in_(note_numbers))).tuples().all()) if note_numbers else {}
    found: dict[int, list[tuple[str, int]]] = {}
    for entry in entries:
        links: list[tuple[str, int]] = []
        if entry.entity == "bill" and entry.entity_id in bills:
            kind, bill_id = bills[entry.entity_id]
            links.append(("purchase" if kind == "purchase" else "bill", bill_id))
            number = entry.meta.get("credit_note") if isinstance(entry.meta, dict) else None
            if number is not None and str(number) in notes:
                links.append(("credit_note", notes[str(number)]))
        elif entry.entity in ("product", "stock") and entry.entity_id and entry.entity_id.isdigit() \
                and int(entry.entity_id) in products:
            links.append((entry.entity, int(entry.entity_id)))
        if links:
            found[entry.id] = links
    return found
