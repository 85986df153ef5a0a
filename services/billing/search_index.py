"""The trigram indexes behind the bills list's search (customer name, phone or invoice number contains a term).

PostgreSQL: a pg_trgm GIN index on each of bill.customer_name, bill.phone and bill.invoice_number. The list's test,
`column ILIKE '%term%'` (SQLAlchemy's icontains on PostgreSQL), uses them as it is: a BitmapOr of the three names
the matching bills, and only those are read and sorted (services.billing.bills.list_bills), instead of a walk of the
store's bills in date order until a page matches. A term of one or two characters has no trigram and reads the
whole index; at that length the list's other filters are the better way in. Each index keeps a short pending list
(search_index.PENDING_LIST_KB), as the catalogue's do, so a search does not read thousands of queued entries.
SQLite keeps its plain scan of the store's bills (no FTS table: SQLite serves a single shop, not a million bills).

db.create_all builds them through the bill table's after_create (models.py); migration 8c4f2a6e1d3b builds them for
`flask db upgrade`. They are not in the models' metadata (an operator class on a GIN index), so migrations/env.py
leaves them out of `flask db check` (is_search_object).
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from services.catalog.search_index import PENDING_LIST_KB, trgm_opclass

BILL_TRGM_INDEXES = {
    "ix_bill_customer_name_trgm": "customer_name",
    "ix_bill_phone_trgm": "phone",
    "ix_bill_invoice_number_trgm": "invoice_number",
}


def create_postgresql(connection: Connection) -> None:
    """The three trigram indexes (pg_trgm is created if missing)."""
    opclass = trgm_opclass(connection)
    for name, column in BILL_TRGM_INDEXES.items():
        connection.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON bill USING gin ({column} {opclass}) "
                                f"WITH (gin_pending_list_limit = {PENDING_LIST_KB})"))


def drop_postgresql(connection: Connection) -> None:
    for name in BILL_TRGM_INDEXES:
        connection.execute(text(f"DROP INDEX IF EXISTS {name}"))


def create(target, connection: Connection, **kw) -> None:
    """after_create of the bill table: the trigram indexes on PostgreSQL (nothing on SQLite)."""
    if connection.dialect.name == "postgresql":
        create_postgresql(connection)


def is_search_object(name: str | None, type_: str) -> bool:
    """One of the bill trigram indexes: built here, not by the models."""
    return type_ == "index" and name in BILL_TRGM_INDEXES
