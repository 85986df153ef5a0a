"""The audit trail hash-chained per store: audit_log.chain, seq, prev_hash, hash (+ unique (chain, seq)) and
audit_chain_head; existing rows are chained in id order per store.

The hash function is a copy of services.audit_chain.row_hash as it was when this migration was written (hash
version 1), kept here so that a later change of the code cannot change what this migration writes.

Revision ID: c7a1d9e3b5f2
Revises: f3c5e7a9b1d2
Create Date: 2026-11-27 06:40:00
"""
import hashlib
import json
from datetime import timezone

import sqlalchemy as sa
from alembic import op

revision = "c7a1d9e3b5f2"
down_revision = "f3c5e7a9b1d2"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
BATCH = 1000


def _stamp(at):
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _as_stored(value):
    return None if value is None else json.loads(json.dumps(value))


def row_hash(*, chain, seq, prev_hash, store_id, user_id, action, entity, entity_id, before, after, meta, at):
    payload = {
        "v": 1, "chain": chain, "seq": seq, "prev_hash": prev_hash, "store_id": store_id,
        "user_id": user_id, "action": action, "entity": entity, "entity_id": entity_id,
        "before": _as_stored(before), "after": _as_stored(after), "meta": _as_stored(meta), "at": _stamp(at),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


audit = sa.table(
    "audit_log",
    sa.column("id", sa.Integer), sa.column("store_id", sa.Integer), sa.column("user_id", sa.Integer),
    sa.column("action", sa.String), sa.column("entity", sa.String), sa.column("entity_id", sa.String),
    sa.column("before", sa.JSON), sa.column("after", sa.JSON), sa.column("metadata", sa.JSON),
    sa.column("at", sa.DateTime), sa.column("chain", sa.Integer), sa.column("seq", sa.Integer),
    sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
)


def _backfill(connection, head):
    """Number and hash the existing rows, store by store in id order; fill the chain heads."""
    heads = {}  # chain -> (seq, hash)
    last_id = 0
    update = (audit.update().where(audit.c.id == sa.bindparam("row_id"))
              .values(chain=sa.bindparam("c"), seq=sa.bindparam("s"), prev_hash=sa.bindparam("p"),
                      hash=sa.bindparam("h")))
    while True:
        rows = connection.execute(sa.select(audit).where(audit.c.id > last_id).order_by(audit.c.id)
                                  .limit(BATCH)).fetchall()
        if not rows:
            break
        changes = []
        for found in rows:
            row = found._mapping
            chain = 0 if row["store_id"] is None else row["store_id"]
            seq, prev = heads.get(chain, (0, GENESIS))
            seq += 1
            digest = row_hash(chain=chain, seq=seq, prev_hash=prev, store_id=row["store_id"],
                              user_id=row["user_id"], action=row["action"], entity=row["entity"],
                              entity_id=row["entity_id"], before=row["before"], after=row["after"],
                              meta=row["metadata"], at=row["at"])
            heads[chain] = (seq, digest)
            changes.append({"row_id": row["id"], "c": chain, "s": seq, "p": prev, "h": digest})
        connection.execute(update, changes)
        last_id = rows[-1]._mapping["id"]
    if heads:
        connection.execute(head.insert(), [{"chain": c, "seq": s, "hash": h} for c, (s, h) in heads.items()])


def upgrade():
    head = op.create_table(
        "audit_chain_head",
        sa.Column("chain", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_chain_head")),
    )
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("chain", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _backfill(op.get_bind(), head)
    with op.batch_alter_table("audit_log") as batch:
        for name, kind in (("chain", sa.Integer()), ("seq", sa.Integer()), ("prev_hash", sa.String(length=64)),
                           ("hash", sa.String(length=64))):
            batch.alter_column(name, existing_type=kind, nullable=False)
        batch.create_unique_constraint(batch.f("uq_audit_log_chain_seq"), ["chain", "seq"])


def downgrade():
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_constraint(batch.f("uq_audit_log_chain_seq"), type_="unique")
        for name in ("hash", "prev_hash", "seq", "chain"):
            batch.drop_column(name)
    op.drop_table("audit_chain_head")
