"""Catalogue search on PostgreSQL: product_search's names in order, covering words

A search first looks among the store's first 500 names for a page of matches (a common term that sorts early fills
it there). It read those names from the wide product rows; this index serves them from product_search alone
(an index-only scan). PostgreSQL only. services/catalog/search_index.py builds the same for db.create_all.

Revision ID: c3e5a7b9d1f2
Revises: 1c8d438ef041
Create Date: 2026-11-27 13:10:00
"""
from alembic import op

revision = "c3e5a7b9d1f2"
down_revision = "1c8d438ef041"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX IF NOT EXISTS ix_product_search_name ON product_search (store_id, product_name, id) "
               "INCLUDE (words)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_product_search_name")
