"""Catalogue search by trigrams: pg_trgm GIN indexes on PostgreSQL, an FTS5 trigram table on SQLite

The till's search (name, SKU or barcode contains the term) reads these instead of every product. On SQLite the
FTS table holds the live products (rowid = product.id), triggers keep it in step, and an index on product covers
what the search reads of the candidates. Downgrading drops the
indexes, the table and the triggers; the pg_trgm extension stays (other objects may use it).

Revision ID: b7e3f1a2c9d4
Revises: b7e2a9c41d03
Create Date: 2026-11-26 20:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = "b7e3f1a2c9d4"
down_revision = "b7e2a9c41d03"
branch_labels = None
depends_on = None

TRGM_INDEXES = {
    "ix_product_name_trgm": "product_name",
    "ix_product_sku_trgm": "sku",
    "ix_product_barcode_trgm": "barcode",
}
SQLITE_UP = (
    "CREATE VIRTUAL TABLE product_search USING fts5(product_name, sku, barcode, tokenize='trigram')",
    """CREATE TRIGGER product_search_insert AFTER INSERT ON product WHEN NOT new.archived BEGIN
        INSERT INTO product_search(rowid, product_name, sku, barcode)
        VALUES (new.id, new.product_name, new.sku, new.barcode);
    END""",
    """CREATE TRIGGER product_search_update
    AFTER UPDATE OF id, product_name, sku, barcode, archived ON product BEGIN
        DELETE FROM product_search WHERE rowid = old.id;
        INSERT INTO product_search(rowid, product_name, sku, barcode)
        SELECT new.id, new.product_name, new.sku, new.barcode WHERE NOT new.archived;
    END""",
    """CREATE TRIGGER product_search_delete AFTER DELETE ON product BEGIN
        DELETE FROM product_search WHERE rowid = old.id;
    END""",
    """INSERT INTO product_search(rowid, product_name, sku, barcode)
    SELECT id, product_name, sku, barcode FROM product WHERE NOT archived""",
    # The search's candidates come by id: this index answers store, archived, contains and name order for them.
    "CREATE INDEX ix_product_search_cover ON product (id, store_id, archived, product_name, sku, barcode)",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS product_search_insert",
    "DROP TRIGGER IF EXISTS product_search_update",
    "DROP TRIGGER IF EXISTS product_search_delete",
    "DROP TABLE IF EXISTS product_search",
    "DROP INDEX IF EXISTS ix_product_search_cover",
)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # The extension lives in one schema of the database, not necessarily on the search_path: qualify its opclass.
    schema = bind.execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'")).scalar_one()
    for name, column in TRGM_INDEXES.items():
        op.execute(f'CREATE INDEX {name} ON product USING gin ({column} "{schema}".gin_trgm_ops)')


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
        return
    for name in TRGM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
