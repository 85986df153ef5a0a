"""Indexes of the inventory list: sorts by price, stock and last change; category and kind in name order; low stock

Revision ID: a9d3f6c1e2b4
Revises: f1a2b3c4d5e6
Create Date: 2026-11-26 23:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = "a9d3f6c1e2b4"
down_revision = "f1a2b3c4d5e6"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_product_store_archived_price": ["store_id", "archived", "unit_price", "id"],
    "ix_product_store_archived_quantity": ["store_id", "archived", "quantity", "id"],
    "ix_product_store_archived_updated": ["store_id", "archived", "updated_at", "id"],
    "ix_product_store_category_name": ["store_id", "category_id", "product_name"],
    "ix_product_store_type_name": ["store_id", "type", "product_name"],
    "ix_product_store_low_stock": ["store_id", "archived", sa.text("(quantity - low_stock_threshold)")],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, "product", columns)


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name="product")
