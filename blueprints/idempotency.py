"""Run a creating request at most once per Idempotency-Key: the view-side half of services.billing.idempotency.

The claim is committed in its own short transaction before the work starts, so a concurrent duplicate sees it
(409 while in flight); the outcome is stored in the same transaction as the work; a failure releases the key.
Every surface uses this: Billing v1, NamastePMS billing, and the POS page's Save.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

import simplejson

from extensions import db
from services.billing import idempotency
from services.errors import Conflict, ValidationError

HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Outcome:
    status: int
    body: str  # JSON text
    replayed: bool


def run_once(
    store_id: int,
    key: Optional[str],
    fingerprint_of: Any,
    run: Callable[[], tuple[int, Any, Optional[int]]],
    *,
    method: str,
    path: str,
    wait_seconds: float = 0.0,
) -> Outcome:
    """`run()` returns (status, JSON-able body, bill id); it runs once per key and store, and commits.

    Without a key it simply runs. A replay returns the stored status and body. Raises Conflict (409) for a key in
    flight or reused with another request, ValidationError for a malformed key; any error inside `run` rolls
    back, releases the key and propagates (so failed validation stores nothing). With `wait_seconds`, a duplicate
    that finds the key in flight (the till's double click) waits that long for the first one's outcome.
    """
    if key is None:
        status, body, _ = run()
        db.session.commit()
        return Outcome(status, _text(body), False)
    key = key.strip()
    if not key or len(key) > idempotency.MAX_KEY_LENGTH:
        raise ValidationError("Invalid Idempotency-Key",
                              {HEADER: [f"Must be 1 to {idempotency.MAX_KEY_LENGTH} characters"]})
    claim = _claim(store_id, key, idempotency.fingerprint(method, path, fingerprint_of), wait_seconds)
    if claim.conflict:
        raise Conflict(claim.conflict)
    if claim.record_id is None:
        return Outcome(claim.replay_status, claim.replay_body, True)
    try:
        status, body, bill_id = run()
        text = _text(body)
        idempotency.finish(claim.record_id, status, text, bill_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        idempotency.release(claim.record_id)
        db.session.commit()
        raise
    return Outcome(status, text, False)


def _claim(store_id: int, key: str, fingerprint: str, wait_seconds: float) -> idempotency.Claim:
    """Claim the key and commit at once, so concurrent duplicates see it before the work starts."""
    deadline = time.monotonic() + wait_seconds
    while True:
        claim = idempotency.claim(store_id, key, fingerprint)
        _commit_keeping_loaded()
        if not claim.conflict or time.monotonic() >= deadline:
            return claim
        time.sleep(0.2)


def _commit_keeping_loaded() -> None:
    """Commit the claim without expiring what the request has loaded (the user, the store, their membership): they
    were read by this request a moment ago, as they would be in the one transaction of a save without a key, and
    reloading them after the claim was two more queries per save."""
    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = previous


def _text(body: Any) -> str:
    return simplejson.dumps(body, use_decimal=True, ensure_ascii=False)
