"""Bills list indexes: each filter and sort read in order; trigram indexes for the search on PostgreSQL

The list (services/billing/bills.py list_bills) pages by store and kind, optionally a status, in date or amount
order, and searches customer name, phone and invoice number. Four B-tree indexes serve its filters and orders on
both databases; on PostgreSQL three pg_trgm GIN indexes serve the search (services/billing/search_index.py, which
builds the same for db.create_all). SQLite keeps its plain scan for the search.

Revision ID: 8c4f2a6e1d3b
Revises: 5d1e3a7c9b2f
Create Date: 2026-11-27 19:30:00
"""
from alembic import op

from services.billing.search_index import create_postgresql, drop_postgresql

revision = "8c4f2a6e1d3b"
down_revision = "5d1e3a7c9b2f"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_bill_store_kind_created": ["store_id", "kind", "created_at", "id"],
    "ix_bill_store_kind_amount": ["store_id", "kind", "total_amount", "id"],
    "ix_bill_store_kind_status_created": ["store_id", "kind", "status", "created_at", "id"],
    "ix_bill_store_kind_status_amount": ["store_id", "kind", "status", "total_amount", "id"],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.create_index(name, "bill", columns)
    if op.get_bind().dialect.name == "postgresql":
        create_postgresql(op.get_bind())


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        drop_postgresql(op.get_bind())
    for name in INDEXES:
        op.drop_index(name, table_name="bill")
