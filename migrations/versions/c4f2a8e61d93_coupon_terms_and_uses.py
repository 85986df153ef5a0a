"""Coupons on a page (issue 15): uses per customer, minimum bill value, codes unique whatever their case, and one
row per bill that used a coupon (coupon_use: the customer and the discount it gave)

Revision ID: c4f2a8e61d93
Revises: b3e8d1c5f7a2
Create Date: 2026-11-27 06:30:00
"""
import sqlalchemy as sa
from alembic import op

import models

revision = "c4f2a8e61d93"
down_revision = "b3e8d1c5f7a2"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("coupon", sa.Column("max_uses_per_customer", sa.Integer(), nullable=True))
    op.add_column("coupon", sa.Column("min_bill_value", sa.Numeric(12, 2), nullable=True))
    op.execute("UPDATE coupon SET code = upper(code)")
    op.create_index("ux_coupon_store_upper_code", "coupon", ["store_id", sa.text("upper(code)")], unique=True)
    op.create_table(
        "coupon_use",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("coupon_id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("discount", sa.Numeric(12, 2), nullable=False),
        sa.Column("created_at", models.UTCDateTime(), nullable=False),
        sa.CheckConstraint("discount >= 0", name=op.f("ck_coupon_use_discount_not_negative")),
        sa.ForeignKeyConstraint(["bill_id"], ["bill.id"], name=op.f("fk_coupon_use_bill_id_bill"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["coupon_id"], ["coupon.id"], name=op.f("fk_coupon_use_coupon_id_coupon"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name=op.f("fk_coupon_use_party_id_party"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_coupon_use_store_id_store"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_use")),
    )
    op.create_index("ix_coupon_use_bill_id", "coupon_use", ["bill_id"])
    op.create_index("ix_coupon_use_coupon_party", "coupon_use", ["coupon_id", "party_id"])


def downgrade():
    op.drop_index("ix_coupon_use_coupon_party", table_name="coupon_use")
    op.drop_index("ix_coupon_use_bill_id", table_name="coupon_use")
    op.drop_table("coupon_use")
    op.drop_index("ux_coupon_store_upper_code", table_name="coupon")
    with op.batch_alter_table("coupon") as batch:
        batch.drop_column("min_bill_value")
        batch.drop_column("max_uses_per_customer")
