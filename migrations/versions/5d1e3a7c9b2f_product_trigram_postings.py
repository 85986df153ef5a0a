"""Catalogue search: each live product's trigrams in name order (product_trigram), kept by triggers

A search walks the postings of its term's rarest trigram in name order and stops at the page, so a common term
reads about a page of rows instead of every match (services/catalog/search.py page_by_postings). SQLite and
PostgreSQL; services/catalog/search_index.py builds the same for db.create_all.

Revision ID: 5d1e3a7c9b2f
Revises: c3e5a7b9d1f2
Create Date: 2026-11-27 16:20:00
"""
from alembic import op

from services.catalog.search_index import create_postings, drop_postings

revision = "5d1e3a7c9b2f"
down_revision = "c3e5a7b9d1f2"
branch_labels = None
depends_on = None


def upgrade():
    create_postings(op.get_bind())


def downgrade():
    drop_postings(op.get_bind())
