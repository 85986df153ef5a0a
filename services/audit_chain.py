"""The audit trail's hash chain: rows are chained per store so a row changed or deleted in the database is found.

Rules:
- Each store has one chain (its `chain` key is the store's id); account-level rows (store_id NULL: a password
  change) form chain 0. Rows in a chain are numbered seq 1, 2, 3... with no gaps.
- A row's `hash` is SHA-256 (hex) of the canonical JSON of its content (row_hash), which includes `prev_hash`,
  the hash of the row before it in the chain (GENESIS for seq 1). Changing any hashed field of a row breaks its own
  hash; deleting a row leaves a seq gap and a prev_hash that no longer matches; deleting the newest rows leaves the
  chain head (audit_chain_head) ahead of the last row.
- Rows are appended when their transaction commits, whoever adds them (services.audit.record or a plain AuditLog):
  a flush before the commit holds new audit rows back (takes them out of the session, a savepoint rolled back
  drops those added in it), and the commit's flush numbers and hashes them. So the chain's lock is the last lock
  a transaction takes and is held only for the commit: it cannot deadlock with the row locks (products, counters)
  taken before it. Appending takes the chain's head row with one UPDATE ... RETURNING (a PostgreSQL row lock;
  SQLite's write lock) and writes the new head: two small statements per chain per commit, whatever the number of
  rows. A unique (chain, seq) refuses a fork should the lock ever be bypassed.
- Consequence: within the transaction that records them, audit rows are not in the database (a query does not
  see them) until it commits.
- Rows are append-only: the ORM refuses to flush a change to, or the deletion of, an audit row.

The migration that added the chain (migrations/versions/c7a1d9e3b5f2_audit_hash_chain.py) holds its own copy of
row_hash, so that old migrations keep producing the hashes they produced then; a new hash format needs a new
"v" in the payload and a verify that knows both.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Optional

from sqlalchemy import bindparam, event, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from extensions import db
from models import AuditChainHead, AuditLog, utcnow
from services.database import insert_ignoring_conflict

GENESIS = "0" * 64
ACCOUNT_CHAIN = 0  # the chain of rows without a store
HASH_VERSION = 1
MAX_PROBLEMS = 100  # verify stops listing after this many (the count of rows checked goes on)


def chain_key(store_id: Optional[int]) -> int:
    """The chain a row belongs to: its store's id, or 0 for account-level rows."""
    return ACCOUNT_CHAIN if store_id is None else int(store_id)


def _stamp(at: datetime) -> str:
    """A UTC moment as the hash sees it: microseconds always written (both databases keep them)."""
    if at.tzinfo is None:  # as a raw DateTime column reads it back: naive UTC
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _as_stored(value: Any) -> Any:
    """A JSON column's value as the database gives it back (tuples as lists, keys as strings)."""
    return None if value is None else json.loads(json.dumps(value))


def row_hash(*, chain: int, seq: int, prev_hash: str, store_id: Optional[int], user_id: Optional[int], action: str,
             entity: str, entity_id: Optional[str], before: Any, after: Any, meta: Any, at: datetime,
             stored: bool = False) -> str:
    """SHA-256 (hex) of a row's canonical JSON: sorted keys, no spaces, UTF-8. Pure: the migration keeps a copy.
    `stored`: before/after/meta were read from the database (already in their stored form)."""
    shape = (lambda value: value) if stored else _as_stored
    payload = {
        "v": HASH_VERSION, "chain": chain, "seq": seq, "prev_hash": prev_hash, "store_id": store_id,
        "user_id": user_id, "action": action, "entity": entity, "entity_id": entity_id,
        "before": shape(before), "after": shape(after), "meta": shape(meta), "at": _stamp(at),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_of(row: Any, stored: bool = False) -> str:
    """The hash a row's present content gives (an AuditLog, or a result row with the same names)."""
    return row_hash(chain=row.chain, seq=row.seq, prev_hash=row.prev_hash, store_id=row.store_id,
                    user_id=row.user_id, action=row.action, entity=row.entity, entity_id=row.entity_id,
                    before=row.before, after=row.after, meta=row.meta, at=row.at, stored=stored)


# --------------------------------------------------------------------------- appending


_HEAD = AuditChainHead.__table__


# The two statements of every append, built once (every audited commit runs them).
_BUMP_HEAD = (update(_HEAD).where(_HEAD.c.chain == bindparam("head_chain"))
              .values(seq=_HEAD.c.seq + bindparam("count", type_=_HEAD.c.seq.type))
              .returning(_HEAD.c.seq, _HEAD.c.hash))
_SET_HEAD_HASH = update(_HEAD).where(_HEAD.c.chain == bindparam("head_chain")).values(hash=bindparam("new_hash"))


def _take_head(session: Session, chain: int, count: int) -> tuple[int, str]:
    """Lock the chain's head and move it `count` rows on: (the last seq before the new rows, its hash)."""
    params = {"head_chain": chain, "count": count}
    found = session.execute(_BUMP_HEAD, params).first()
    if found is None:  # the chain's first row: create its head (two first writers: one insert wins, both bump)
        insert_ignoring_conflict(session, _HEAD, {"chain": chain, "seq": 0, "hash": GENESIS})
        found = session.execute(_BUMP_HEAD, params).one()
    return found.seq - count, found.hash


def _append(session: Session, rows: list[AuditLog]) -> None:
    by_chain: dict[int, list[AuditLog]] = defaultdict(list)
    for row in rows:
        by_chain[chain_key(row.store_id)].append(row)
    for chain in sorted(by_chain):  # one order for every writer: no deadlock between two chains
        seq, prev = _take_head(session, chain, len(by_chain[chain]))
        for row in by_chain[chain]:
            seq += 1
            row.chain, row.seq, row.prev_hash = chain, seq, prev
            if row.at is None:
                row.at = utcnow()
            row.hash = prev = hash_of(row)
        session.execute(_SET_HEAD_HASH, {"head_chain": chain, "new_hash": prev})


class AuditRowChanged(RuntimeError):
    """Raised when code tries to change or delete an audit row (they are append-only)."""


_HELD = "audit_chain.held"  # session.info: [(row, the transactions open when it was held back, innermost first)]
_COMMITTING = "audit_chain.committing"


def _open_transactions(session: Session) -> tuple:
    found, transaction = [], session.get_nested_transaction() or session.get_transaction()
    while transaction is not None:
        found.append(transaction)
        transaction = transaction.parent
    return tuple(found)


def _before_flush(session: Session, flush_context, instances) -> None:
    for row in session.deleted:
        if isinstance(row, AuditLog):
            raise AuditRowChanged(f"audit row {row.id} cannot be deleted: the audit trail is append-only")
    for row in session.dirty:
        if isinstance(row, AuditLog) and session.is_modified(row):
            raise AuditRowChanged(f"audit row {row.id} cannot be changed: the audit trail is append-only")
    new = sorted((row for row in session.new if isinstance(row, AuditLog)), key=lambda r: sa_inspect(r).insert_order)
    if not new:
        return
    if session.info.get(_COMMITTING):
        _append(session, new)
        return
    held, open_now = session.info.setdefault(_HELD, []), _open_transactions(session)
    for row in new:
        session.expunge(row)
        held.append((row, open_now))


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: its rows wait for the real commit
        return
    session.info[_COMMITTING] = True
    held = session.info.pop(_HELD, None)
    if held:  # in the order they were recorded: those held back first, then those added since the last flush
        later = sorted((r for r in session.new if isinstance(r, AuditLog)), key=lambda r: sa_inspect(r).insert_order)
        for row in later:
            session.expunge(row)
        session.add_all([row for row, _ in held] + later)


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    held = session.info.get(_HELD)
    if held:
        session.info[_HELD] = [(row, open_then) for row, open_then in held if previous_transaction not in open_then]


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # committed, rolled back or closed: nothing is held over
        session.info.pop(_HELD, None)
        session.info.pop(_COMMITTING, None)


_installed = False


def install() -> None:
    """Chain every AuditLog the app's sessions commit (called once from services.audit's import)."""
    global _installed
    if not _installed:
        for name, listener in (("before_flush", _before_flush), ("before_commit", _before_commit),
                               ("after_soft_rollback", _after_soft_rollback),
                               ("after_transaction_end", _after_transaction_end)):
            event.listen(db.session, name, listener)
        _installed = True


# --------------------------------------------------------------------------- verifying


@dataclass(frozen=True)
class Problem:
    seq: Optional[int]
    row_id: Optional[int]
    kind: str  # changed | deleted | relinked | added | head
    message: str


@dataclass
class ChainReport:
    chain: int
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    more_problems: int = 0  # found beyond MAX_PROBLEMS

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.more_problems += 1


def verify(store_id: Optional[int]) -> ChainReport:
    """Walk a store's chain (None: the account-level chain) in seq order: recompute each hash, check the seqs run
    1, 2, 3... and each prev_hash is the hash of the row before, and that the chain head matches the last row.
    Every problem names the row (seq and id): changed (its content no longer gives its hash), deleted (a gap before
    it, or rows missing at the end), relinked (its prev_hash is not the previous row's hash: a row replaced)."""
    chain = chain_key(store_id)
    report = ChainReport(chain)
    last_seq, last_hash = 0, GENESIS
    columns = (AuditLog.id, AuditLog.chain, AuditLog.seq, AuditLog.prev_hash, AuditLog.hash, AuditLog.store_id,
               AuditLog.user_id, AuditLog.action, AuditLog.entity, AuditLog.entity_id, AuditLog.before,
               AuditLog.after, AuditLog.meta, AuditLog.at)
    rows = db.session.execute(select(*columns).where(AuditLog.chain == chain).order_by(AuditLog.seq)
                              .execution_options(yield_per=2000))
    for row in rows:
        report.rows += 1
        if row.seq != last_seq + 1:
            gone = f"seq {last_seq + 1}" if row.seq == last_seq + 2 else f"seq {last_seq + 1} to {row.seq - 1}"
            report.add(Problem(row.seq, row.id, "deleted", f"Rows deleted: {gone} (before row seq {row.seq}, "
                                                             f"id {row.id})."))
        elif row.prev_hash != last_hash:
            report.add(Problem(row.seq, row.id, "relinked", f"Row seq {row.seq} (id {row.id}) does not follow the "
                                                              f"row before it: a row was replaced."))
        if hash_of(row, stored=True) != row.hash:
            report.add(Problem(row.seq, row.id, "changed", f"Row seq {row.seq} (id {row.id}) was changed after it "
                                                             f"was written."))
        last_seq, last_hash = row.seq, row.hash
    head = db.session.execute(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.chain == chain)).first()  # fresh
    if head is not None:
        if head.seq > last_seq:
            gone = f"seq {head.seq}" if head.seq == last_seq + 1 else f"seq {last_seq + 1} to {head.seq}"
            report.add(Problem(last_seq + 1, None, "deleted", f"Rows deleted at the end of the trail: {gone}."))
        elif head.seq == last_seq and head.hash != last_hash:
            report.add(Problem(last_seq, None, "changed", f"The newest row (seq {last_seq}) was replaced."))
        elif head.seq < last_seq:
            report.add(Problem(head.seq + 1, None, "added", f"Rows after seq {head.seq} were added outside the app."))
    elif report.rows:
        report.add(Problem(None, None, "head", "The trail's head record is missing."))
    return report


def chains() -> list[int]:
    """Every chain key there is (stores with audit rows, and 0 when account-level rows exist)."""
    keys = set(db.session.execute(select(AuditChainHead.chain)).scalars())
    keys |= set(db.session.execute(select(AuditLog.chain).distinct()).scalars())
    return sorted(keys)


def store_of(chain: int) -> Optional[int]:
    return None if chain == ACCOUNT_CHAIN else chain


def verify_all(store_ids: Optional[Iterable[Optional[int]]] = None) -> list[ChainReport]:
    """verify() for the given stores (None in the list: the account chain), or for every chain."""
    targets = [store_of(c) for c in chains()] if store_ids is None else list(store_ids)
    return [verify(store_id) for store_id in targets]
