"""Purchases (issue 14): a product's last and weighted average unit cost; a purchase bill's supplier invoice number
and date

Revision ID: f14c0a7e9b21
Revises: e5a1c7d2b8f3
Create Date: 2026-11-26 23:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "f14c0a7e9b21"
down_revision = "e5a1c7d2b8f3"
branch_labels = None
depends_on = None


def upgrade():
    # All nullable and without defaults: existing products have no cost until their next purchase.
    with op.batch_alter_table("product") as batch:
        batch.add_column(sa.Column("last_cost", sa.Numeric(14, 4), nullable=True))
        batch.add_column(sa.Column("average_cost", sa.Numeric(14, 4), nullable=True))
    with op.batch_alter_table("bill") as batch:
        batch.add_column(sa.Column("supplier_invoice_no", sa.String(50), nullable=True))
        batch.add_column(sa.Column("supplier_invoice_date", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("bill") as batch:
        batch.drop_column("supplier_invoice_date")
        batch.drop_column("supplier_invoice_no")
    with op.batch_alter_table("product") as batch:
        batch.drop_column("average_cost")
        batch.drop_column("last_cost")
