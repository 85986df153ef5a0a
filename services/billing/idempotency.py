"""Idempotency-Key for POSTs that create things (Billing v1; accepted on NamastePMS billing too).

Keyed by (store, key), with a fingerprint of the request (method, path, canonical body):
1. `claim` inserts the key with status_code NULL ("in flight"). The caller COMMITS right after, in its own short
   transaction, so a concurrent duplicate finds the row: in flight -> 409; finished with the same fingerprint ->
   replay of the stored status and body (header `Idempotent-Replayed: true`); another fingerprint -> 409.
2. `finish` writes the status, body and bill in the SAME transaction as the bill, so either both exist or neither.
3. `release` deletes the claim when the request failed (validation errors store nothing); the caller commits.
Keys live IDEMPOTENCY_TTL_HOURS (24). A claim left in flight by a crashed worker is taken over after
IDEMPOTENCY_STALE_SECONDS (300; longer than any request may run).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import simplejson
from flask import current_app
from sqlalchemy import delete, select, update

from extensions import db
from models import IdempotencyRecord
from services.database import insert_ignoring_conflict

RECORD = IdempotencyRecord.__table__
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Claim:
    """What a claim found: `record_id` when this request owns the key, else a replay or a conflict."""

    record_id: Optional[int] = None
    replay_status: Optional[int] = None
    replay_body: Optional[str] = None
    conflict: Optional[str] = None


def fingerprint(method: str, path: str, payload: Any) -> str:
    canonical = simplejson.dumps(payload, sort_keys=True, use_decimal=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _insert(store_id: int, key: str, fp: str, now: datetime) -> Optional[int]:
    values = {"store_id": store_id, "key": key, "fingerprint": fp, "created_at": now}
    return insert_ignoring_conflict(db.session, RECORD, values, returning=RECORD.c.id)


def claim(store_id: int, key: str, fp: str, now: Optional[datetime] = None) -> Claim:
    """Take the key for this request, or say why not (flushes; the caller commits at once)."""
    now = now or datetime.now(timezone.utc)
    config = current_app.config
    expired_before = now - timedelta(hours=config.get("IDEMPOTENCY_TTL_HOURS", 24))
    stale_before = now - timedelta(seconds=config.get("IDEMPOTENCY_STALE_SECONDS", 300))
    for _ in range(2):
        record_id = _insert(store_id, key, fp, now)
        if record_id is not None:
            return Claim(record_id=record_id)
        row = db.session.execute(
            select(RECORD.c.id, RECORD.c.fingerprint, RECORD.c.status_code, RECORD.c.body, RECORD.c.created_at)
            .where(RECORD.c.store_id == store_id, RECORD.c.key == key)
        ).one_or_none()
        if row is None:  # the other request released it between our insert and this read
            continue
        created = row.created_at
        if created < expired_before:
            db.session.execute(delete(RECORD).where(RECORD.c.id == row.id, RECORD.c.created_at == row.created_at))
            continue
        if row.status_code is None:
            if created < stale_before:
                taken = db.session.execute(
                    update(RECORD)
                    .where(RECORD.c.id == row.id, RECORD.c.status_code.is_(None), RECORD.c.created_at == row.created_at)
                    .values(fingerprint=fp, created_at=now)
                )
                if taken.rowcount == 1:
                    return Claim(record_id=row.id)
            return Claim(conflict="A request with this Idempotency-Key is still being processed")
        if row.fingerprint != fp:
            return Claim(conflict="Idempotency-Key was already used with a different request")
        return Claim(replay_status=row.status_code, replay_body=row.body)
    return Claim(conflict="A request with this Idempotency-Key is still being processed")


def finish(record_id: int, status: int, body: str, bill_id: Optional[int] = None) -> None:
    """Store the outcome in the caller's (the bill's) transaction."""
    db.session.execute(
        update(RECORD).where(RECORD.c.id == record_id).values(status_code=status, body=body, bill_id=bill_id)
    )


def release(record_id: int) -> None:
    """Forget an in-flight claim whose request failed, so a corrected retry with the same key can run."""
    db.session.execute(delete(RECORD).where(RECORD.c.id == record_id, RECORD.c.status_code.is_(None)))


def purge_expired(now: Optional[datetime] = None) -> int:
    """Delete keys older than their lifetime; returns how many (for a periodic job)."""
    now = now or datetime.now(timezone.utc)
    cutoff = now - timedelta(hours=current_app.config.get("IDEMPOTENCY_TTL_HOURS", 24))
    return db.session.execute(delete(RECORD).where(RECORD.c.created_at < cutoff)).rowcount
