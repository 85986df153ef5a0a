"""Day close (issue 15): the Z report of a day, saved once per store and day

Revision ID: e2b4d6f8a0c1
Revises: c4f2a8e6d1b9
Create Date: 2026-11-27 07:00:00
"""
import sqlalchemy as sa
from alembic import op

import models

revision = "e2b4d6f8a0c1"
down_revision = "c4f2a8e6d1b9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "day_close",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("expected", sa.JSON(), nullable=False),
        sa.Column("expected_cash", sa.Numeric(12, 2), nullable=False),
        sa.Column("counted_cash", sa.Numeric(12, 2), nullable=False),
        sa.Column("difference", sa.Numeric(12, 2), nullable=False),
        sa.Column("note", sa.String(255), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.UTCDateTime(), nullable=False),
        sa.CheckConstraint("counted_cash >= 0", name=op.f("ck_day_close_counted_cash_not_negative")),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_day_close_store_id_store"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_day_close_user_id_user"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_day_close")),
        sa.UniqueConstraint("store_id", "day", name=op.f("uq_day_close_store_id_day")),
    )


def downgrade():
    op.drop_table("day_close")
