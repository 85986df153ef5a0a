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
from models import AuditLog
from services import audit_chain
from services.audit_chain import ChainReport
from services.paging import Page, paginate

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
    return paginate(query.order_by(AuditLog.at.desc(), AuditLog.id.desc()), page, limit)


def store_vocabulary(store_id: int) -> tuple[list[str], list[str]]:
    """The entities and actions that occur in a store's audit rows (for the filter's choices)."""
    def distinct(column) -> list[str]:
        return list(db.session.execute(select(column).where(AuditLog.store_id == store_id).distinct()
                                       .order_by(column)).scalars())

    return distinct(AuditLog.entity), distinct(AuditLog.action)


def verify(store_id: Optional[int]) -> ChainReport:
    """Check a store's audit chain (None: the account-level rows): see services.audit_chain.verify."""
    return audit_chain.verify(store_id)
