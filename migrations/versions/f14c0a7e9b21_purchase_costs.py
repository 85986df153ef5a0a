"""Purchases (issue 14): product last and average cost; a purchase bill's supplier invoice number and date

Revision ID: f14c0a7e9b21
Revises: f1b2c3d4e5a6
Create Date: 2026-11-26 23:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "f14c0a7e9b21"
down_revision = "f1b2c3d4e5a6"
branch_labels = None
depends_on = None

COSTED = sa.text("average_cost IS NOT NULL")


def upgrade():
    # Plain ADD COLUMN (no batch): on SQLite a rebuilt product table would lose the search index's triggers
    # (services/catalog/search_index.py). All nullable: existing products have no cost until their next purchase.
    op.add_column("product", sa.Column("last_cost", sa.Numeric(14, 4), nullable=True))
    op.add_column("product", sa.Column("average_cost", sa.Numeric(14, 4), nullable=True))
    op.add_column("bill", sa.Column("supplier_invoice_no", sa.String(50), nullable=True))
    op.add_column("bill", sa.Column("supplier_invoice_date", sa.Date(), nullable=True))
    # The stock value reads only costed products, from this index alone (100,000 products: ~1 s -> ~7 ms SQLite).
    op.create_index("ix_product_store_costed", "product",
                    ["store_id", "archived", "type", "quantity", "average_cost"],
                    postgresql_where=COSTED, sqlite_where=COSTED)


def downgrade():
    # DROP COLUMN in place (SQLite 3.35+ and PostgreSQL), again without rebuilding product.
    op.drop_index("ix_product_store_costed", table_name="product")
    op.drop_column("bill", "supplier_invoice_date")
    op.drop_column("bill", "supplier_invoice_no")
    op.drop_column("product", "average_cost")
    op.drop_column("product", "last_cost")
