"""A HUID is unique in its store: partial unique index on product (store_id, huid) where huid is not null

Revision ID: c4d8e1f2a9b7
Revises: b7e3f1a2c9d4
Create Date: 2026-11-26 20:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "c4d8e1f2a9b7"
down_revision = "b7e3f1a2c9d4"
branch_labels = None
depends_on = None

WHERE = sa.text("huid IS NOT NULL")


def upgrade():
    # Fails if a store already has one HUID on two pieces: resolve those by hand first (nothing is cleared
    # silently; the HUID columns are new, so none are expected).
    op.drop_index("ix_product_store_huid", table_name="product")
    op.create_index("uq_product_store_huid", "product", ["store_id", "huid"], unique=True,
                    postgresql_where=WHERE, sqlite_where=WHERE)


def downgrade():
    op.drop_index("uq_product_store_huid", table_name="product")
    op.create_index("ix_product_store_huid", "product", ["store_id", "huid"], unique=False)
