"""Jewellery pieces may share a name: product names are unique in a store only among items without a gross weight

Revision ID: f1b2c3d4e5a6
Revises: e5a1c7d2b8f3
Create Date: 2026-11-26 23:40:00
"""
import sqlalchemy as sa
from alembic import op

from services.catalog import search_index

revision = "f1b2c3d4e5a6"
down_revision = "e5a1c7d2b8f3"
branch_labels = None
depends_on = None

NOT_PIECE = sa.text("gross_weight IS NULL")
HUID_SET = sa.text("huid IS NOT NULL")


def _rebuild(change) -> None:
    """Drop the product table's unique name constraint (SQLite copies the table; its partial HUID index and the
    search triggers are made again after the copy)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.drop_index("uq_product_store_huid", table_name="product")
    with op.batch_alter_table("product") as batch:
        change(batch)
    if sqlite:
        op.create_index("uq_product_store_huid", "product", ["store_id", "huid"], unique=True, sqlite_where=HUID_SET)
        search_index.create_sqlite(op.get_bind())


def upgrade():
    _rebuild(lambda batch: batch.drop_constraint(op.f("uq_product_store_id_product_name"), type_="unique"))
    op.create_index("uq_product_store_name", "product", ["store_id", "product_name"], unique=True,
                    postgresql_where=NOT_PIECE, sqlite_where=NOT_PIECE)


def downgrade():
    # Fails if two pieces share a name: rename them first (nothing is renamed silently).
    op.drop_index("uq_product_store_name", table_name="product")
    _rebuild(lambda batch: batch.create_unique_constraint(op.f("uq_product_store_id_product_name"),
                                                          ["store_id", "product_name"]))
