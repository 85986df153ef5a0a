"""Catalogue search on PostgreSQL: a narrow product_search table (id, store, name, lower-cased words) kept by a trigger

A search in name order for a common term ("tata": 10,000 items of 100,000) read every candidate from the wide
product rows through three trigram indexes, re-checked each with three ILIKEs and sorted them. The narrow table
holds the live products' name and `words` (name, SKU and barcode lower-cased and joined by chr(31)) with one
trigram index, so the same search re-checks and sorts rows a tenth as wide. A trigger keeps it in step with
product; rows go with their product (ON DELETE CASCADE, and TRUNCATE ... CASCADE). PostgreSQL only: SQLite has its
FTS5 table of the same name. services/catalog/search_index.py builds the same for db.create_all.

Revision ID: e9b1d3f5a7c2
Revises: a8b0c2d4e6f7
Create Date: 2026-11-27 10:00:00
"""
from alembic import op

revision = "e9b1d3f5a7c2"
down_revision = "a8b0c2d4e6f7"
branch_labels = None
depends_on = None

WORDS = "lower({p}.product_name || chr(31) || coalesce({p}.sku, '') || chr(31) || coalesce({p}.barcode, ''))"


def _opclass() -> str:
    bind = op.get_bind()
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema = bind.exec_driver_sql("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                                  "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'").scalar_one()
    return f'"{schema}".gin_trgm_ops'


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""CREATE TABLE IF NOT EXISTS product_search (
        id integer PRIMARY KEY REFERENCES product (id) ON DELETE CASCADE,
        store_id integer NOT NULL,
        product_name varchar(255) NOT NULL,
        words text NOT NULL)""")
    op.execute(f"""CREATE OR REPLACE FUNCTION product_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.archived THEN
            DELETE FROM product_search WHERE id = NEW.id;
        ELSE
            INSERT INTO product_search (id, store_id, product_name, words)
            VALUES (NEW.id, NEW.store_id, NEW.product_name, {WORDS.format(p="NEW")})
            ON CONFLICT (id) DO UPDATE SET store_id = EXCLUDED.store_id, product_name = EXCLUDED.product_name,
                                           words = EXCLUDED.words;
        END IF;
        RETURN NULL;
    END $$""")
    op.execute("DROP TRIGGER IF EXISTS product_search_sync ON product")
    op.execute("""CREATE TRIGGER product_search_sync AFTER INSERT OR UPDATE OF store_id, product_name, sku, barcode,
        archived ON product FOR EACH ROW EXECUTE FUNCTION product_search_sync()""")
    op.execute(f"""INSERT INTO product_search (id, store_id, product_name, words)
        SELECT id, store_id, product_name, {WORDS.format(p="product")} FROM product WHERE NOT archived
        ON CONFLICT (id) DO NOTHING""")
    op.execute(f"CREATE INDEX IF NOT EXISTS ix_product_search_words ON product_search USING gin (words {_opclass()}) "
               "WITH (gin_pending_list_limit = 256)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS product_search")
    op.execute("DROP TRIGGER IF EXISTS product_search_sync ON product")
    op.execute("DROP FUNCTION IF EXISTS product_search_sync()")
