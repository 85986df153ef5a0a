"""Loyalty points (issue 15): each change of a customer's points, with the bill behind it

Revision ID: f3c5e7a9b1d2
Revises: e2b4d6f8a0c1
Create Date: 2026-11-27 07:10:00
"""
import sqlalchemy as sa
from alembic import op

import models

revision = "f3c5e7a9b1d2"
down_revision = "e2b4d6f8a0c1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "loyalty_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(12, 2), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('earn', 'redeem', 'return', 'cancel', 'adjust')",
                           name=op.f("ck_loyalty_entry_kind")),
        sa.ForeignKeyConstraint(["bill_id"], ["bill.id"], name=op.f("fk_loyalty_entry_bill_id_bill"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name=op.f("fk_loyalty_entry_party_id_party"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_loyalty_entry_store_id_store"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_loyalty_entry_user_id_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_entry")),
    )
    op.create_index("ix_loyalty_entry_store_party", "loyalty_entry", ["store_id", "party_id", "id"])


def downgrade():
    op.drop_index("ix_loyalty_entry_store_party", table_name="loyalty_entry")
    op.drop_table("loyalty_entry")
