"""The catalogue's case-blind name check by index: product (store_id, lower(product_name))

Revision ID: b3e8d1c5f7a2
Revises: a9d3f6c1e2b4
Create Date: 2026-11-27 00:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "b3e8d1c5f7a2"
down_revision = "a9d3f6c1e2b4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_product_store_lower_name", "product", ["store_id", sa.text("lower(product_name)")])


def downgrade():
    op.drop_index("ix_product_store_lower_name", table_name="product")
