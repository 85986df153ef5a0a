"""Commissions (issue 16): each staff member's rules (a default, per-category and per-product overrides) and each
bill line's commission, fixed by the rule in force when the bill was saved

Revision ID: e6c1a3b5d7f9
Revises: e9b1d3f5a7c2
Create Date: 2026-11-27 09:20:00
"""
import sqlalchemy as sa
from alembic import op

import models

revision = "e6c1a3b5d7f9"
down_revision = "e9b1d3f5a7c2"
branch_labels = None
depends_on = None


def upgrade():
    # Nullable, plain ADD COLUMN: lines saved before this, and lines with no staff member or no rule, earn nothing.
    op.add_column("bill_item", sa.Column("commission_amount", sa.Numeric(12, 2), nullable=True))
    op.create_table(
        "commission_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Numeric(12, 2), nullable=False),
        sa.Column("created_at", models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", models.UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('percent', 'flat')", name=op.f("ck_commission_rule_kind")),
        sa.CheckConstraint("value >= 0", name=op.f("ck_commission_rule_value_not_negative")),
        sa.CheckConstraint("kind <> 'percent' OR value <= 100", name=op.f("ck_commission_rule_percent_at_most_100")),
        sa.CheckConstraint("product_id IS NULL OR category_id IS NULL", name=op.f("ck_commission_rule_one_target")),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_commission_rule_store_id_store"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_commission_rule_staff_id_staff"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_commission_rule_product_id_product"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["category_id"], ["category.id"],
                                name=op.f("fk_commission_rule_category_id_category"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_rule")),
    )
    op.create_index("ix_commission_rule_staff_id", "commission_rule", ["staff_id"])
    default = sa.text("product_id IS NULL AND category_id IS NULL")
    product = sa.text("product_id IS NOT NULL")
    category = sa.text("category_id IS NOT NULL")
    op.create_index("ux_commission_rule_default", "commission_rule", ["staff_id"], unique=True,
                    postgresql_where=default, sqlite_where=default)
    op.create_index("ux_commission_rule_product", "commission_rule", ["staff_id", "product_id"], unique=True,
                    postgresql_where=product, sqlite_where=product)
    op.create_index("ux_commission_rule_category", "commission_rule", ["staff_id", "category_id"], unique=True,
                    postgresql_where=category, sqlite_where=category)


def downgrade():
    op.drop_index("ux_commission_rule_category", table_name="commission_rule")
    op.drop_index("ux_commission_rule_product", table_name="commission_rule")
    op.drop_index("ux_commission_rule_default", table_name="commission_rule")
    op.drop_index("ix_commission_rule_staff_id", table_name="commission_rule")
    op.drop_table("commission_rule")
    with op.batch_alter_table("bill_item") as batch:
        batch.drop_column("commission_amount")
