"""The trigram index behind catalogue search (name, SKU, barcode contains a term).

PostgreSQL: pg_trgm GIN indexes on the three columns, which ILIKE '%term%' uses as it is, each with a short pending
list (PENDING_LIST_KB).
SQLite: an FTS5 table with the trigram tokenizer (case-insensitive) holding the live products (rowid = product.id),
kept in step with `product` by triggers, and an index that covers what the search reads of its candidates.
db.create_all builds either through the product table's DDL events (models.py); migration b7e3f1a2c9d4 builds
the same for `flask db upgrade` (and d6a4c2e8f1b3 shortens the pending lists). Neither is in the models' metadata,
so migrations/env.py leaves them out of `flask db check`.

A later migration that rebuilds `product` on SQLite (batch_alter_table copies the table) drops its triggers:
such a migration must call create_sqlite() again.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

FTS_TABLE = "product_search"
TRGM_INDEXES = {
    "ix_product_name_trgm": "product_name",
    "ix_product_sku_trgm": "sku",
    "ix_product_barcode_trgm": "barcode",
}
# A GIN index queues new entries in a pending list that every search reads in full until it is merged (by a
# vacuum, or when it outgrows this limit, in kB; PostgreSQL's default is 4 MB, some 25,000 entries of these indexes
# after a bulk change, milliseconds of every search). Migration d6a4c2e8f1b3 sets it on existing databases.
PENDING_LIST_KB = 256
SQLITE_TRIGGERS = ("product_search_insert", "product_search_update", "product_search_delete")
# The FTS table names the candidates by id; this index answers the store, archived and contains tests and the
# name order for them without reading the (wide) product rows.
SQLITE_COVER = "ix_product_search_cover"

SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(product_name, sku, barcode, tokenize='trigram')",
    f"""CREATE TRIGGER IF NOT EXISTS product_search_insert AFTER INSERT ON product WHEN NOT new.archived BEGIN
        INSERT INTO {FTS_TABLE}(rowid, product_name, sku, barcode)
        VALUES (new.id, new.product_name, new.sku, new.barcode);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS product_search_update
    AFTER UPDATE OF id, product_name, sku, barcode, archived ON product BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
        INSERT INTO {FTS_TABLE}(rowid, product_name, sku, barcode)
        SELECT new.id, new.product_name, new.sku, new.barcode WHERE NOT new.archived;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS product_search_delete AFTER DELETE ON product BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
    END""",
    f"CREATE INDEX IF NOT EXISTS {SQLITE_COVER} ON product (id, store_id, archived, product_name, sku, barcode)",
    f"DELETE FROM {FTS_TABLE}",
    f"""INSERT INTO {FTS_TABLE}(rowid, product_name, sku, barcode)
    SELECT id, product_name, sku, barcode FROM product WHERE NOT archived""",
)


def is_search_object(name: str | None, type_: str) -> bool:
    """The FTS table (and its shadow tables) or a trigram index: built here, not by the models."""
    if not name:
        return False
    if type_ == "table":
        return name.startswith(FTS_TABLE)
    return type_ == "index" and (name in TRGM_INDEXES or name == SQLITE_COVER)


def trgm_opclass(connection: Connection) -> str:
    """pg_trgm's GIN operator class, schema-qualified: the extension lives in one schema of the database, which
    need not be on the search_path (the tests' per-worker schemas)."""
    connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    schema = connection.execute(text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'")).scalar_one()
    return f'"{schema}".gin_trgm_ops'


def create_postgresql(connection: Connection) -> None:
    opclass = trgm_opclass(connection)
    for name, column in TRGM_INDEXES.items():
        connection.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON product USING gin ({column} {opclass}) "
                                f"WITH (gin_pending_list_limit = {PENDING_LIST_KB})"))


def create_sqlite(connection: Connection) -> None:
    for statement in SQLITE_DDL:
        connection.execute(text(statement))


def create(target, connection: Connection, **kw) -> None:
    """after_create of the product table: the trigram index of this backend."""
    if connection.dialect.name == "postgresql":
        create_postgresql(connection)
    elif connection.dialect.name == "sqlite":
        create_sqlite(connection)


def drop(target, connection: Connection, **kw) -> None:
    """before_drop of the product table: the FTS table goes with it (indexes and triggers go by themselves)."""
    if connection.dialect.name == "sqlite":
        connection.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))
