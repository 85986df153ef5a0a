"""Catalogue search: the pg_trgm GIN indexes keep a short pending list (gin_pending_list_limit 256 kB)

A GIN index queues new entries in a pending list that every search reads through in full, until a vacuum (or the
list outgrowing its limit, 4 MB by default) merges them into the index. After an import or a bulk price change the
three trigram indexes held some 25,000 queued entries, and each search spent milliseconds reading them whatever the
term. With a 256 kB limit an insert that fills the list merges it at once (a few milliseconds, now and then), and a
search reads at most a few hundred queued entries. PostgreSQL only; SQLite's FTS table has no such list.

Revision ID: d6a4c2e8f1b3
Revises: c7a1d9e3b5f2
Create Date: 2026-11-27 06:20:00
"""
from alembic import op

revision = "d6a4c2e8f1b3"
down_revision = "c7a1d9e3b5f2"
branch_labels = None
depends_on = None

TRGM_INDEXES = ("ix_product_name_trgm", "ix_product_sku_trgm", "ix_product_barcode_trgm")
PENDING_LIST_KB = 256  # services/catalog/search_index.py builds the indexes (db.create_all) with the same


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in TRGM_INDEXES:
        op.execute(f"ALTER INDEX {name} SET (gin_pending_list_limit = {PENDING_LIST_KB})")
        op.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")  # what is queued now, merged at once


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in TRGM_INDEXES:
        op.execute(f"ALTER INDEX {name} RESET (gin_pending_list_limit)")
