"""rename pos_draft to till_session

"Draft" now means one thing, the billing input (services.billing.bills.BillDraft); the till's server-side state is a
TillSession. PostgreSQL renames the table, its sequence and its constraints (and so their indexes) in place.
SQLite cannot rename a constraint, so the table is rebuilt under the new names and its rows copied.

Revision ID: 3c1d2e4f5a6b
Revises: 7e164a5c0b1d
Create Date: 2026-11-26 15:00:00
"""
import sqlalchemy as sa
from alembic import op

import models

revision = "3c1d2e4f5a6b"
down_revision = "7e164a5c0b1d"
branch_labels = None
depends_on = None

COLUMNS = "id, store_id, user_id, payload, updated_at"


def _constraints(old: str, new: str) -> list[tuple[str, str]]:
    return [(f"pk_{old}", f"pk_{new}"), (f"fk_{old}_store_id_store", f"fk_{new}_store_id_store"),
            (f"fk_{old}_user_id_user", f"fk_{new}_user_id_user"),
            (f"uq_{old}_store_id_user_id", f"uq_{new}_store_id_user_id")]


def _create(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("updated_at", models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=f"fk_{name}_store_id_store", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=f"fk_{name}_user_id_user", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        sa.UniqueConstraint("store_id", "user_id", name=f"uq_{name}_store_id_user_id"),
    )


def _rename(old: str, new: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.rename_table(old, new)
        op.execute(f"ALTER SEQUENCE IF EXISTS {old}_id_seq RENAME TO {new}_id_seq")
        for before, after in _constraints(old, new):
            op.execute(f"ALTER TABLE {new} RENAME CONSTRAINT {before} TO {after}")
        return
    _create(new)
    op.execute(f"INSERT INTO {new} ({COLUMNS}) SELECT {COLUMNS} FROM {old}")
    op.drop_table(old)


def upgrade():
    _rename("pos_draft", "till_session")


def downgrade():
    _rename("till_session", "pos_draft")
