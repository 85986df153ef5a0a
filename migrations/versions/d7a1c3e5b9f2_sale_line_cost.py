"""Profit (issue 15): a sale line's unit cost at the time of the sale (the product's weighted average then)

Revision ID: d7a1c3e5b9f2
Revises: c4f2a8e61d93
Create Date: 2026-11-27 06:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = "d7a1c3e5b9f2"
down_revision = "c4f2a8e61d93"
branch_labels = None
depends_on = None


def upgrade():
    # Nullable, plain ADD COLUMN: lines sold before this (or of products never purchased) have no known cost.
    op.add_column("bill_item", sa.Column("unit_cost", sa.Numeric(14, 4), nullable=True))


def downgrade():
    op.drop_column("bill_item", "unit_cost")
