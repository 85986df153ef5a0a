"""Jewellery till: old gold taken in exchange is a payment mode ("exchange"); estimates get their own table

Revision ID: e5a1c7d2b8f3
Revises: c4d8e1f2a9b7
Create Date: 2026-11-26 21:05:00
"""
import sqlalchemy as sa
from alembic import op

import models

revision = "e5a1c7d2b8f3"
down_revision = "c4d8e1f2a9b7"
branch_labels = None
depends_on = None

OLD = "mode IN ('cash', 'card', 'upi', 'wallet', 'bank', 'cheque', 'other')"
NEW = "mode IN ('cash', 'card', 'upi', 'wallet', 'bank', 'cheque', 'other', 'exchange')"


def upgrade():
    with op.batch_alter_table("payment") as batch:
        batch.drop_constraint(op.f("ck_payment_mode"), type_="check")
        batch.create_check_constraint("mode", NEW)
    op.create_table(
        "estimate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("customer_summary", sa.String(length=255), nullable=True),
        sa.Column("total_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("converted_bill_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_estimate_store_id_store"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_estimate_user_id_user"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["converted_bill_id"], ["bill.id"], name=op.f("fk_estimate_converted_bill_id_bill"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_estimate")),
        sa.UniqueConstraint("uid", name=op.f("uq_estimate_uid")),
    )
    op.create_index("ix_estimate_store_created", "estimate", ["store_id", "created_at"], unique=False)


def downgrade():
    op.drop_index("ix_estimate_store_created", table_name="estimate")
    op.drop_table("estimate")
    op.execute("DELETE FROM payment WHERE mode = 'exchange'")
    with op.batch_alter_table("payment") as batch:
        batch.drop_constraint(op.f("ck_payment_mode"), type_="check")
        batch.create_check_constraint("mode", OLD)
