"""The trigram index behind catalogue search (name, SKU, barcode contains a term).

PostgreSQL: pg_trgm GIN indexes on the three columns, which ILIKE '%term%' uses as it is, each with a short pending
list (PENDING_LIST_KB). Beside them a narrow table, `product_search` (id, store, name and `words`: the lower-cased
name, SKU and barcode joined by a unit separator, chr(31)), holds the live products, kept by a trigger, with a
trigram index on `words` and a name index that covers `words`. A search in name order reads its candidates there:
first the store's first names, from the name index alone; then, for a term those do not answer (a common term,
"tata", 10,000 items of 100,000, sorting late), through the trigram index, re-checked and sorted over rows a tenth as
wide as product's, in one index instead of three.
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

FTS_TABLE = "product_search"  # SQLite's FTS5 table; on PostgreSQL the narrow table of the same name
SEPARATOR = "\x1f"  # joins name, SKU and barcode in product_search.words (PostgreSQL); no term containing it uses them
PG_WORDS_INDEX = "ix_product_search_words"
# The store's names in order, covering words: a search's first look, among the first names, reads this index alone.
PG_NAME_INDEX = "ix_product_search_name"
PG_NAME_INDEX_DDL = (f"CREATE INDEX IF NOT EXISTS {PG_NAME_INDEX} ON {FTS_TABLE} (store_id, product_name, id) "
                     "INCLUDE (words)")
PG_FUNCTION = "product_search_sync"
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


# The postings: each live product's distinct trigrams (of its lower-cased name, SKU and barcode, each on its own),
# with its name, in name order within a store and trigram. A search walks its rarest trigram's postings in name
# order, re-checks each product with the contains test and stops at the page (services.catalog.search
# page_by_postings): a common term ("tata", 10,000 items sorting late) reads about a page of rows, not 10,000.
# Kept by triggers on both databases, like the search table.
POSTINGS_TABLE = "product_trigram"
POSITIONS_TABLE = "trigram_position"  # SQLite: 1..255, the positions a trigram may start at (no CTE in a trigger)
POSTINGS_FIELDS = ("product_name", "sku", "barcode")
POSTINGS_PG_FUNCTION = "product_trigram_sync"
# No index by product: a change deletes the old postings by their key (the old row's trigrams), which keeps the
# table to its one b-tree (some 26 postings a product, about 40 bytes each on SQLite).


def _sqlite_trigrams_of(row: str) -> str:
    """FROM ... of the trigrams of one product row (`new` or `old`) on SQLite: f.w the field, p.n the position."""
    fields = " UNION ALL ".join(f"SELECT lower({row}.{field}) AS w" for field in POSTINGS_FIELDS)
    return f"FROM ({fields}) AS f JOIN {POSITIONS_TABLE} AS p ON p.n <= length(f.w) - 2"


_SQLITE_INSERT_NEW = (f"INSERT OR IGNORE INTO {POSTINGS_TABLE} (store_id, trigram, product_name, product_id) "
                      "SELECT new.store_id, substr(f.w, p.n, 3), new.product_name, new.id "
                      f"{_sqlite_trigrams_of('new')}")
_SQLITE_DELETE_OLD = (f"DELETE FROM {POSTINGS_TABLE} WHERE store_id = old.store_id AND product_name = old.product_name "
                      "AND product_id = old.id AND trigram IN (SELECT substr(f.w, p.n, 3) "
                      f"{_sqlite_trigrams_of('old')})")

SQLITE_POSTINGS_DDL = (
    f"CREATE TABLE IF NOT EXISTS {POSITIONS_TABLE} (n INTEGER PRIMARY KEY)",
    f"""WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 255)
        INSERT OR IGNORE INTO {POSITIONS_TABLE} (n) SELECT n FROM c""",
    f"""CREATE TABLE IF NOT EXISTS {POSTINGS_TABLE} (
        store_id INTEGER NOT NULL, trigram TEXT NOT NULL, product_name TEXT NOT NULL, product_id INTEGER NOT NULL,
        PRIMARY KEY (store_id, trigram, product_name, product_id)) WITHOUT ROWID""",
    f"""CREATE TRIGGER IF NOT EXISTS product_trigram_insert AFTER INSERT ON product WHEN NOT new.archived BEGIN
        {_SQLITE_INSERT_NEW};
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS product_trigram_update
    AFTER UPDATE OF id, store_id, product_name, sku, barcode, archived ON product BEGIN
        {_SQLITE_DELETE_OLD};
        {_SQLITE_INSERT_NEW} WHERE NOT new.archived;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS product_trigram_delete AFTER DELETE ON product BEGIN
        {_SQLITE_DELETE_OLD};
    END""",
    f"DELETE FROM {POSTINGS_TABLE}",
    f"""INSERT OR IGNORE INTO {POSTINGS_TABLE} (store_id, trigram, product_name, product_id)
        SELECT f.store_id, substr(f.w, p.n, 3), f.product_name, f.id FROM ({" UNION ALL ".join(
            f"SELECT store_id, product_name, id, lower({field}) AS w FROM product WHERE NOT archived"
            for field in POSTINGS_FIELDS)}) AS f JOIN {POSITIONS_TABLE} AS p ON p.n <= length(f.w) - 2""",
)
SQLITE_POSTINGS_TRIGGERS = ("product_trigram_insert", "product_trigram_update", "product_trigram_delete")

_PG_TRIGRAMS_OF = ("FROM unnest(ARRAY[lower({p}.product_name), lower({p}.sku), lower({p}.barcode)]) AS f(w) "
                   "CROSS JOIN LATERAL generate_series(1, length(f.w) - 2) AS n WHERE f.w IS NOT NULL")

PG_POSTINGS_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {POSTINGS_TABLE} (
        store_id integer NOT NULL,
        trigram text NOT NULL,
        product_name varchar(100) NOT NULL,
        product_id integer NOT NULL,
        PRIMARY KEY (store_id, trigram, product_name, product_id))""",
    f"""CREATE OR REPLACE FUNCTION {POSTINGS_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM {POSTINGS_TABLE} WHERE store_id = OLD.store_id AND product_name = OLD.product_name
                AND product_id = OLD.id AND trigram IN (SELECT substr(f.w, n, 3) {_PG_TRIGRAMS_OF.format(p="OLD")});
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NOT NEW.archived THEN
            INSERT INTO {POSTINGS_TABLE} (store_id, trigram, product_name, product_id)
            SELECT DISTINCT NEW.store_id, substr(f.w, n, 3), NEW.product_name, NEW.id {_PG_TRIGRAMS_OF.format(p="NEW")}
            ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END $$""",
    f"DROP TRIGGER IF EXISTS {POSTINGS_PG_FUNCTION} ON product",
    f"""CREATE TRIGGER {POSTINGS_PG_FUNCTION}
        AFTER INSERT OR DELETE OR UPDATE OF id, store_id, product_name, sku, barcode, archived
        ON product FOR EACH ROW EXECUTE FUNCTION {POSTINGS_PG_FUNCTION}()""",
    f"""INSERT INTO {POSTINGS_TABLE} (store_id, trigram, product_name, product_id)
        SELECT DISTINCT product.store_id, substr(f.w, n, 3), product.product_name, product.id FROM product
        CROSS JOIN LATERAL unnest(ARRAY[lower(product.product_name), lower(product.sku), lower(product.barcode)])
            AS f(w)
        CROSS JOIN LATERAL generate_series(1, length(f.w) - 2) AS n
        WHERE NOT product.archived AND f.w IS NOT NULL
        ON CONFLICT DO NOTHING""",
)


def create_postings(connection: Connection) -> None:
    """The postings table with its triggers, filled from product (migration 5d1e3a7c9b2f and db.create_all)."""
    for statement in (PG_POSTINGS_DDL if connection.dialect.name == "postgresql" else SQLITE_POSTINGS_DDL):
        connection.execute(text(statement))


def drop_postings(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"DROP TRIGGER IF EXISTS {POSTINGS_PG_FUNCTION} ON product"))
        connection.execute(text(f"DROP FUNCTION IF EXISTS {POSTINGS_PG_FUNCTION}()"))
    else:
        for name in SQLITE_POSTINGS_TRIGGERS:
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        connection.execute(text(f"DROP TABLE IF EXISTS {POSITIONS_TABLE}"))
    connection.execute(text(f"DROP TABLE IF EXISTS {POSTINGS_TABLE}"))


def is_search_object(name: str | None, type_: str) -> bool:
    """The FTS table (and its shadow tables), the postings or a trigram index: built here, not by the models."""
    if not name:
        return False
    if type_ == "table":
        return name.startswith(FTS_TABLE) or name in (POSTINGS_TABLE, POSITIONS_TABLE)
    return type_ == "index" and (name in TRGM_INDEXES or name in (SQLITE_COVER, PG_WORDS_INDEX, PG_NAME_INDEX))


def trgm_opclass(connection: Connection) -> str:
    """pg_trgm's GIN operator class, schema-qualified: the extension lives in one schema of the database, which
    need not be on the search_path (the tests' per-worker schemas)."""
    connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    schema = connection.execute(text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'")).scalar_one()
    return f'"{schema}".gin_trgm_ops'


WORDS_SQL = "lower({p}.product_name || chr(31) || coalesce({p}.sku, '') || chr(31) || coalesce({p}.barcode, ''))"

PG_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {FTS_TABLE} (
        id integer PRIMARY KEY REFERENCES product (id) ON DELETE CASCADE,
        store_id integer NOT NULL,
        product_name varchar(255) NOT NULL,
        words text NOT NULL)""",
    f"""CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.archived THEN
            DELETE FROM {FTS_TABLE} WHERE id = NEW.id;
        ELSE
            INSERT INTO {FTS_TABLE} (id, store_id, product_name, words)
            VALUES (NEW.id, NEW.store_id, NEW.product_name, {WORDS_SQL.format(p="NEW")})
            ON CONFLICT (id) DO UPDATE SET store_id = EXCLUDED.store_id, product_name = EXCLUDED.product_name,
                                           words = EXCLUDED.words;
        END IF;
        RETURN NULL;
    END $$""",
    f"DROP TRIGGER IF EXISTS {PG_FUNCTION} ON product",
    f"""CREATE TRIGGER {PG_FUNCTION} AFTER INSERT OR UPDATE OF store_id, product_name, sku, barcode, archived
        ON product FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()""",
    f"""INSERT INTO {FTS_TABLE} (id, store_id, product_name, words)
        SELECT id, store_id, product_name, {WORDS_SQL.format(p="product")} FROM product WHERE NOT archived
        ON CONFLICT (id) DO NOTHING""",
)


def create_postgresql(connection: Connection) -> None:
    """The three column indexes, and the narrow table with its trigger and index (filled from product)."""
    opclass = trgm_opclass(connection)
    for name, column in TRGM_INDEXES.items():
        connection.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON product USING gin ({column} {opclass}) "
                                f"WITH (gin_pending_list_limit = {PENDING_LIST_KB})"))
    for statement in PG_DDL:
        connection.execute(text(statement))
    connection.execute(text(f"CREATE INDEX IF NOT EXISTS {PG_WORDS_INDEX} ON {FTS_TABLE} USING gin (words {opclass}) "
                            f"WITH (gin_pending_list_limit = {PENDING_LIST_KB})"))
    connection.execute(text(PG_NAME_INDEX_DDL))


def drop_postgresql(connection: Connection) -> None:
    connection.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))
    connection.execute(text(f"DROP TRIGGER IF EXISTS {PG_FUNCTION} ON product"))
    connection.execute(text(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()"))


def create_sqlite(connection: Connection) -> None:
    for statement in SQLITE_DDL:
        connection.execute(text(statement))


def create(target, connection: Connection, **kw) -> None:
    """after_create of the product table: the trigram index of this backend."""
    if connection.dialect.name == "postgresql":
        create_postgresql(connection)
    elif connection.dialect.name == "sqlite":
        create_sqlite(connection)
    create_postings(connection)


def drop(target, connection: Connection, **kw) -> None:
    """before_drop of the product table: the search table and the postings go with it (indexes and triggers go by
    themselves)."""
    drop_postings(connection)
    if connection.dialect.name == "sqlite":
        connection.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))
    elif connection.dialect.name == "postgresql":
        drop_postgresql(connection)
