"""Catalogue search through the trigram index (pg_trgm on PostgreSQL, FTS5 on SQLite) gives exactly the plain
contains-match: the same rows in the same order, never an archived item or another store's, and the index follows
every insert, rename, archive and delete."""
from __future__ import annotations

import pytest
from sqlalchemy import and_, func, insert, literal_column, select, text

from extensions import db
from models import Category, Product, Store
from services.catalog import listing, search
from services.catalog.search import fts_phrase, quick_search, search_catalog
from tests.test_migrations import empty_database_url, migration_app  # noqa: F401  (a fixture and its helper)

NAMES = [
    ("Tata Salt 1kg", "SALT-1", "8901234500011"), ("tata tea gold", "TEA-GOLD", "8901234500028"),
    ("Amul Butter 500g", "BUT-500", "8901725100010"), ("TATA SAMPANN dal", None, None),
    ("100% cotton towel", "TOWEL_100", "8900000000100"), ("a_b tea", "AB-1", None),
    ('Rose "Gulab" water', "ROSE-1", None), ("Chana (kabuli) 1kg", "CHANA-1", None),
    ("Star*Biscuit", "STAR-1", None), ("तूर दाल 1kg", "DAL-1", "8906000000011"),
    ("मूंग दाल", "DAL-2", None), ("Éclair toffee", "ECL-1", None), ("Eno sachet", "ENO", "8901725100027"),
]
TERMS = ["tata", "TaTa", "ata", "sal", "salt 1", "tea", "1kg", "SALT-1", "8901234500011", "89017251", "0000",
         "t", "ta", "10", "%", "100%", "_", "a_b", "a%b", '"', '"gulab"', 'Rose "', "(kabuli)", "(", "star*", "*",
         "दाल", "तूर", "दा", "éclair", "Éclair", "nothing here", "' OR 1=1 --", "tea gold", "-"]


@pytest.fixture
def shop(make_store, make_product):
    store = make_store("Search Shop")
    for name, sku, barcode in NAMES:
        make_product(store, name, sku=sku, barcode=barcode, quantity=0)
    gone = make_product(store, "Tata Archived Salt", sku="OLD-1", barcode="8901234599999", quantity=0)
    gone.archived = True
    other = make_store("Other Shop")
    make_product(other, "Tata Salt other shop", sku="SALT-1X", barcode="8901234500012", quantity=0)
    db.session.commit()
    return store


def plain(store, term: str, exact_first: bool) -> list[str]:
    """What the search gave before the index: the contains-match over every live item of the store."""
    query = select(Product).where(Product.store_id == store.id, Product.archived.is_(False))
    order = [Product.product_name, Product.id]
    if term:
        query = query.where(search._contains_term(term))
    rows = db.session.execute(query.order_by(*order)).scalars().all()
    if exact_first:
        rows.sort(key=lambda p: 0 if term in (p.barcode, p.sku) else 1)  # stable: name order kept otherwise
    return [p.product_name for p in rows]


def till_pages(store, term: str, limit: int) -> list[str]:
    names, page = [], 1
    while True:
        found = quick_search(store, term, page=page, limit=limit)
        names += [p.product_name for p in found.items]
        if not found.has_more:
            return names
        page += 1


@pytest.fixture(params=["postings", "postings-scan-1", "no-postings"])
def walk(request, monkeypatch):
    """Each search three ways: the postings walk (every posting of the rarest trigram read); the walk bounded to
    one posting (a page found there, or the trigram index after it); the trigram index alone."""
    if request.param == "postings-scan-1":
        monkeypatch.setattr(search, "SCAN", 1)
    elif request.param == "no-postings":
        monkeypatch.setattr(search, "page_by_postings", lambda *args, **kwargs: None)
    return request.param


@pytest.mark.parametrize("term", TERMS)
def test_search_gives_exactly_the_contains_match(shop, term, walk):
    expected = plain(shop, term.strip(), exact_first=True)
    assert [p.product_name for p in search_catalog(shop, q=term, limit=100).items] == expected
    exact = search.find_by_code(shop, term)
    till_expected = [exact.product_name] if exact else plain(shop, term.strip(), exact_first=False)
    for limit in (1, 2, 100):  # a page found in the name-order window, and through the index
        assert till_pages(shop, term, limit) == till_expected


@pytest.mark.parametrize("window", [1, 3])
def test_a_window_too_small_for_the_page_falls_back_to_the_index(shop, monkeypatch, window):
    monkeypatch.setattr(search, "page_by_postings", lambda *args, **kwargs: None)
    monkeypatch.setattr(search, "WINDOW", window)
    for term in ("tata", "tea", "दाल", "1kg"):
        assert till_pages(shop, term, 2) == plain(shop, term, exact_first=False)


@pytest.mark.parametrize("window", [1, 3, 500])
def test_the_inventory_list_gives_the_contains_match_in_every_order_whatever_the_window(shop, monkeypatch, window,
                                                                                        walk):
    """The products page walks the postings (name order), or looks among the first WINDOW rows of its order before
    the index: the same pages, with and without filters."""
    monkeypatch.setattr(search, "WINDOW", window)
    category = Category(store_id=shop.id, name="Tea and salt")
    db.session.add(category)
    db.session.flush()
    for product in db.session.execute(select(Product).where(Product.store_id == shop.id)).scalars():
        if "a" in product.product_name.lower():
            product.category_id = category.id
    db.session.commit()
    for sort in listing.SORTS:
        for stock, category_id in ((None, None), ("out", None), (None, category.id)):
            for term in ("tata", "tea", "दाल", "1kg", "salt-1", "xyzzy", "zzz"):
                where = [Product.store_id == shop.id, Product.archived.is_(False), search._contains_term(term)]
                if stock:
                    where.append(listing.out_of_stock_condition())
                if category_id:
                    where.append(Product.category_id == category_id)
                expected = db.session.execute(select(Product.id).where(*where).order_by(
                    *listing._order(sort))).scalars().all()
                filters = listing.ProductFilters(q=term, sort=sort, stock=stock, category_id=category_id)
                found, page = [], 1
                while True:
                    result = listing.list_products(shop, filters, page=page, limit=2)
                    found += [p.id for p in result.items]
                    if not result.has_more:
                        break
                    page += 1
                assert found == expected, (sort, stock, category_id, term)


def test_archived_and_other_stores_items_are_never_found(shop):
    for term in ("tata", "Archived", "OLD-1", "8901234599999", "other shop", "SALT-1X"):
        found = [p.product_name for p in quick_search(shop, term, limit=50).items]
        found += [p.product_name for p in search_catalog(shop, q=term, limit=50).items]
        assert "Tata Archived Salt" not in found and "Tata Salt other shop" not in found


def test_search_follows_insert_rename_archive_and_delete(shop, make_product):
    def names(term: str) -> list[str]:
        return [p.product_name for p in quick_search(shop, term, limit=50).items]

    item = make_product(shop, "Kesar Badam Milk", sku="KBM-1", barcode="8907777000011", quantity=0)
    assert names("badam") == ["Kesar Badam Milk"]
    assert names("7777000") == ["Kesar Badam Milk"]
    item.product_name, item.barcode = "Kesar Pista Milk", "8905555000011"
    db.session.commit()
    assert names("badam") == [] and names("pista") == ["Kesar Pista Milk"]
    assert names("5555000") == ["Kesar Pista Milk"] and names("7777000") == []
    item.archived = True
    db.session.commit()
    assert names("pista") == []
    item.archived = False
    db.session.commit()
    assert names("pista") == ["Kesar Pista Milk"]
    db.session.delete(item)
    db.session.commit()
    assert names("pista") == []


def _postings() -> set[tuple]:
    return set(db.session.execute(text(
        "SELECT store_id, trigram, product_name, product_id FROM product_trigram")).all())


def _expected_postings() -> set[tuple]:
    """Each live product's distinct trigrams of its lower-cased name, SKU and barcode (each on its own)."""
    expected = set()
    for product in db.session.execute(select(Product).where(Product.archived.is_(False))).scalars():
        for field in (product.product_name, product.sku, product.barcode):
            if field is None:
                continue
            low = db.session.execute(select(func.lower(field))).scalar_one()  # the database's own lower()
            expected |= {(product.store_id, low[i:i + 3], product.product_name, product.id)
                         for i in range(len(low) - 2)}
    return expected


def test_the_postings_hold_exactly_the_live_items_trigrams_through_every_change(shop, make_product):
    assert _postings() == _expected_postings() and _postings()
    item = make_product(shop, "Kesar Badam Milk", sku="KBM-1", barcode="8907777000011", quantity=0)
    assert _postings() == _expected_postings()
    assert (shop.id, "bad", "Kesar Badam Milk", item.id) in _postings()
    item.product_name, item.sku, item.barcode = "Kesar Pista Milk", None, "8905555000011"
    db.session.commit()
    assert _postings() == _expected_postings()
    assert not {row for row in _postings() if row[3] == item.id and row[2] == "Kesar Badam Milk"}
    item.archived = True
    db.session.commit()
    assert _postings() == _expected_postings() and not {row for row in _postings() if row[3] == item.id}
    item.archived = False
    db.session.commit()
    assert _postings() == _expected_postings()
    db.session.delete(item)
    db.session.commit()
    assert _postings() == _expected_postings() and not {row for row in _postings() if row[3] == item.id}


def test_a_common_term_reads_a_page_of_postings_not_every_match(shop, monkeypatch):
    """3,000 items all containing 'item', sorting after the shop's others: the walk of the rarest trigram's
    postings (in name order) stops at the page: the product rows read are the page and one more, not 3,000."""
    rows = [{"uid": f"00000000-0000-0000-0000-{n:012d}", "store_id": shop.id, "product_name": f"Zulk item {n:05d}",
             "sku": f"ZULK-{n:05d}", "barcode": f"77{n:011d}", "type": "service", "unit": "pcs",
             "unit_price": 1, "cgst_rate": 0, "sgst_rate": 0, "quantity": 0, "archived": False}
            for n in range(3000)]
    db.session.execute(insert(Product), rows)
    db.session.commit()
    reads = []
    if db.session.get_bind().dialect.name == "sqlite":  # count the product rows the contains test looks at
        db.session.connection().connection.driver_connection.create_function(
            "row_read", 1, lambda product_id: reads.append(product_id) or 1)
        contains = search._contains_term
        monkeypatch.setattr(search, "_contains_term",
                            lambda term: and_(func.row_read(literal_column("product.id")) == 1, contains(term)))
    seen = []
    from sqlalchemy import event

    def remember(conn, cursor, statement, params, context, many):
        seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        found = quick_search(shop, "ITEM 0", limit=5)
        listed = listing.list_products(shop, listing.ProductFilters(q="item"), page=3, limit=20)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert [p.product_name for p in found.items] == [f"Zulk item 0000{n}" for n in range(5)] and found.has_more
    assert [p.product_name for p in listed.items] == [f"Zulk item {n:05d}" for n in range(40, 60)]
    assert listed.has_more
    if db.session.get_bind().dialect.name == "sqlite":  # 6 + 61 rows looked at (the pages and one more each)
        assert len(reads) <= 6 + 61 + 10, len(reads)
    assert not any("product_search" in statement for statement, _ in seen), seen
    walk = next((statement, params) for statement, params in reversed(seen)
                if "product_trigram" in statement and "count(" not in statement
                and not statement.lstrip().startswith("SELECT product_trigram"))
    explain = "EXPLAIN QUERY PLAN " if db.session.get_bind().dialect.name == "sqlite" else "EXPLAIN "
    cursor = db.session.connection().connection.driver_connection.cursor()
    cursor.execute(explain + walk[0], walk[1])
    plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    # the walk follows the postings' order (no sort, no hash of every match) and looks each product up by its id
    assert "sort" not in plan.lower() and "hash" not in plan.lower(), plan
    by_id = ("Nested Loop" in plan and "pk_product" in plan) if explain == "EXPLAIN " else "product_trigram" in plan
    assert by_id, plan


def _fts_rows(product_id: int) -> list[tuple]:
    return db.session.execute(text("SELECT product_name, sku, barcode FROM product_search WHERE rowid = :id"),
                              {"id": product_id}).all()


@pytest.mark.sqlite_only
def test_the_fts_table_holds_exactly_the_live_items(shop, make_product):
    item = make_product(shop, "Haldi Powder", sku="HALDI", barcode=None, quantity=0)
    assert _fts_rows(item.id) == [("Haldi Powder", "HALDI", None)]
    item.product_name = "Haldi Powder 200g"
    db.session.commit()
    assert _fts_rows(item.id) == [("Haldi Powder 200g", "HALDI", None)]
    item.archived = True
    db.session.commit()
    assert _fts_rows(item.id) == []
    item.archived = False
    db.session.commit()
    assert len(_fts_rows(item.id)) == 1
    item_id = item.id
    db.session.delete(item)
    db.session.commit()
    assert _fts_rows(item_id) == []
    live = db.session.execute(select(Product.id).where(Product.archived.is_(False))).scalars().all()
    indexed = db.session.execute(text("SELECT rowid FROM product_search")).scalars().all()
    assert sorted(indexed) == sorted(live)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("term", ['"', 'a"b', "a*", "(x", "x) OR (y", "NOT", "AND", "^ab", "col:ab", "दाल"])
def test_any_term_is_one_literal_fts_phrase(shop, term):
    db.session.execute(text("SELECT count(*) FROM product_search WHERE product_search MATCH :q"),
                       {"q": fts_phrase(term)}).scalar_one()  # no syntax error


@pytest.mark.postgres_only
def test_postgresql_reads_a_rare_term_through_the_trigram_index(shop):
    rows = [{"uid": f"00000000-0000-0000-0000-{n:012d}", "store_id": shop.id, "product_name": f"Bulk item {n:05d}",
             "sku": f"BULK-{n:05d}", "barcode": f"77{n:011d}", "type": "service", "unit": "pcs",
             "unit_price": 1, "cgst_rate": 0, "sgst_rate": 0, "quantity": 0, "archived": False}
            for n in range(3000)]
    db.session.execute(insert(Product), rows)
    db.session.execute(text("ANALYZE product"))
    query = search._by_trigrams(shop, "em 0142").order_by(Product.product_name, Product.id).limit(9)
    compiled = query.compile(db.engine)
    with search._trigram_plan():  # as quick_search reads it, once the name-order window has not filled a page
        plan = "\n".join(row[0] for row in db.session.connection().exec_driver_sql(f"EXPLAIN {compiled}",
                                                                                     compiled.params))
    assert "Bitmap Index Scan on ix_product_name_trgm" in plan and "ix_product_store" not in plan, plan
    assert db.session.execute(text("SHOW enable_seqscan")).scalar_one() == "on"  # and it is put back
    assert [p.product_name for p in quick_search(shop, "em 0142").items] == [f"Bulk item 0142{n}" for n in range(8)]


@pytest.mark.postgres_only
def test_postgresql_reads_a_common_term_in_a_category_through_the_category_index(shop):
    """'zulk' is in 3,000 names, none in the 'Other' category: the filtered walk gives way after FILTERED postings
    and the trigram search reads the category through its index (ix_product_store_category_name: its bitmap alone
    for a small category, ANDed with the trigram index's for a large one), not all 3,000 of the term's matches."""
    zulk, other = Category(store_id=shop.id, name="Zulk"), Category(store_id=shop.id, name="Other")
    db.session.add_all([zulk, other])
    db.session.flush()
    rows = [{"uid": f"00000000-0000-0000-0000-{n:012d}", "store_id": shop.id,
             "product_name": f"{'Zulk item' if n < 3000 else 'Plain thing'} {n:05d}", "sku": None, "barcode": None,
             "category_id": zulk.id if n < 3000 else other.id, "type": "service", "unit": "pcs", "unit_price": 1,
             "cgst_rate": 0, "sgst_rate": 0, "quantity": 0, "archived": False} for n in range(3300)]
    db.session.execute(insert(Product), rows)
    db.session.commit()
    db.session.execute(text("ANALYZE product"))
    filters = listing.ProductFilters(q="zulk", category_id=other.id)
    query = select(Product.id).where(*listing._conditions(shop, filters, indexed=True), search.catalogue_match("zulk"))
    compiled = query.order_by(Product.product_name, Product.id).limit(21).compile(db.engine)
    with search._trigram_plan():  # as list_products reads it once the walk and the window have not filled a page
        plan = "\n".join(row[0] for row in db.session.connection().exec_driver_sql(f"EXPLAIN {compiled}",
                                                                                     compiled.params))
    assert "Bitmap Index Scan on ix_product_store_category_name" in plan, plan
    assert f"Index Cond: ((store_id = {shop.id}) AND (category_id = {other.id}))" in plan, plan  # its prefix
    assert listing.list_products(shop, filters).items == []
    found = listing.list_products(shop, listing.ProductFilters(q="zulk", category_id=zulk.id), page=2)
    assert [p.product_name for p in found.items] == [f"Zulk item {n:05d}" for n in range(20, 40)] and found.has_more


def _words_rows(product_id: int) -> list[tuple]:
    return db.session.execute(text("SELECT store_id, product_name, words FROM product_search WHERE id = :id"),
                              {"id": product_id}).all()


@pytest.mark.postgres_only
def test_the_narrow_search_table_holds_exactly_the_live_items(shop, make_product):
    """PostgreSQL's product_search: one row per live product, its words the lower-cased name, SKU and barcode."""
    item = make_product(shop, "Haldi Powder", sku="HALDI", barcode=None, quantity=0)
    assert _words_rows(item.id) == [(shop.id, "Haldi Powder", "haldi powder\x1fhaldi\x1f")]
    item.product_name, item.barcode = "Haldi Powder 200G", "8901111"
    db.session.commit()
    assert _words_rows(item.id) == [(shop.id, "Haldi Powder 200G", "haldi powder 200g\x1fhaldi\x1f8901111")]
    item.archived = True
    db.session.commit()
    assert _words_rows(item.id) == []
    item.archived = False
    db.session.commit()
    assert len(_words_rows(item.id)) == 1
    item_id = item.id
    db.session.delete(item)
    db.session.commit()
    assert _words_rows(item_id) == []
    live = db.session.execute(select(Product.id).where(Product.archived.is_(False))).scalars().all()
    indexed = db.session.execute(text("SELECT id FROM product_search")).scalars().all()
    assert sorted(indexed) == sorted(live)


@pytest.mark.postgres_only
def test_postgresql_reads_a_name_order_search_from_the_narrow_table(shop):
    rows = [{"uid": f"00000000-0000-0000-0000-{n:012d}", "store_id": shop.id, "product_name": f"Bulk item {n:05d}",
             "sku": f"BULK-{n:05d}", "barcode": f"77{n:011d}", "type": "service", "unit": "pcs",
             "unit_price": 1, "cgst_rate": 0, "sgst_rate": 0, "quantity": 0, "archived": False}
            for n in range(3000)]
    db.session.execute(insert(Product), rows)
    db.session.execute(text("ANALYZE product; ANALYZE product_search"))
    seen = []
    from sqlalchemy import event

    def remember(conn, cursor, statement, params, context, many):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    postings = search.page_by_postings
    search.page_by_postings = lambda *args, **kwargs: None  # the path a term the postings cannot answer takes
    try:
        found = quick_search(shop, "ITEM 0142", limit=5)
        listed = listing.list_products(shop, listing.ProductFilters(q="ITEM 0142"), page=2, limit=5)
    finally:
        search.page_by_postings = postings
        event.remove(db.engine, "before_cursor_execute", remember)
    assert [p.product_name for p in found.items] == [f"Bulk item 0142{n}" for n in range(5)] and found.has_more
    assert [p.product_name for p in listed.items] == [f"Bulk item 0142{n}" for n in range(5, 10)]
    assert not listed.has_more
    # each looked among the first names (not there: "Bulk item 0142x" sort after the 500th), then by trigrams
    assert sum("FROM product_search" in statement for statement in seen) == 4, seen
    with search._trigram_plan(index_only=False):
        plan = "\n".join(row[0] for row in db.session.execute(text(
            "EXPLAIN SELECT id FROM product_search WHERE store_id = :s AND words LIKE '%' || lower(:t) || '%' "
            "ESCAPE '/' ORDER BY product_name, id LIMIT 6"), {"s": shop.id, "t": "ITEM 0142"}))
    assert "ix_product_search_words" in plan, plan
    seen.clear()
    event.listen(db.engine, "before_cursor_execute", remember)
    search.page_by_postings = lambda *args, **kwargs: None
    try:  # a term that fills its page among the first names: one read of product_search's name index alone
        early = quick_search(shop, "ITEM 001", limit=5)
    finally:
        search.page_by_postings = postings
        event.remove(db.engine, "before_cursor_execute", remember)
    assert [p.product_name for p in early.items] == [f"Bulk item 0010{n}" for n in range(5)] and early.has_more
    assert sum("FROM product_search" in statement for statement in seen) == 1, seen  # (and the exact-code look-up)
    plan = "\n".join(row[0] for row in db.session.execute(text(
        "EXPLAIN SELECT id FROM (SELECT id, product_name, words FROM product_search WHERE store_id = :s "
        "ORDER BY product_name, id LIMIT 500) w WHERE words LIKE '%item 001%' ORDER BY product_name, id LIMIT 6"),
        {"s": shop.id}))
    assert "Index Only Scan using ix_product_search_name" in plan, plan


@pytest.mark.postgres_only
@pytest.mark.parametrize("term", ["100%", "a_b", "a/b", "/", "tea\x1fgold", "TATA", "Éclair"])
def test_the_narrow_table_match_treats_every_character_literally(shop, make_product, term):
    make_product(shop, "a/b masala", sku=None, barcode=None, quantity=0)
    assert till_pages(shop, term, 1) == plain(shop, term, exact_first=False)
    found = listing.list_products(shop, listing.ProductFilters(q=term), limit=100)
    assert [p.product_name for p in found.items] == plain(shop, term, exact_first=False)


def _search_objects(engine, backend: str) -> set[str]:
    with engine.connect() as connection:
        if backend == "sqlite":
            sql = ("SELECT name FROM sqlite_master WHERE name = 'ix_product_search_cover' "
                   "OR (name LIKE 'product_search%' AND type IN ('table', 'trigger'))")
        else:
            sql = ("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                   "AND (indexname LIKE '%%_trgm' OR tablename = 'product_search') "
                   "UNION SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                   "JOIN pg_namespace n ON n.oid = c.relnamespace "
                   "WHERE n.nspname = current_schema() AND t.tgname = 'product_search_sync' "
                   "UNION SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                   "AND table_name = 'product_search'")
        return set(connection.exec_driver_sql(sql).scalars())


def test_the_migration_builds_the_search_index_and_takes_it_away(backend, tmp_path, empty_database_url):
    from flask_migrate import downgrade, upgrade

    from services.catalog.search_index import PG_FUNCTION, PG_WORDS_INDEX, SQLITE_COVER, SQLITE_TRIGGERS, TRGM_INDEXES

    expected = ({"product_search", SQLITE_COVER, *SQLITE_TRIGGERS} if backend == "sqlite"
                else {*TRGM_INDEXES, "product_search", "product_search_pkey", PG_WORDS_INDEX, PG_FUNCTION})
    application = migration_app(backend, tmp_path, empty_database_url)
    with application.app_context():
        upgrade()
        assert expected <= _search_objects(db.engine, backend)
        downgrade(revision="b7e2a9c41d03")
        assert _search_objects(db.engine, backend) == set()
        db.engine.dispose()


def test_the_migration_indexes_the_products_already_there(backend, tmp_path, empty_database_url):
    """A shop upgrading with its catalogue in place finds its items through the new index at once."""
    from flask_migrate import upgrade

    application = migration_app(backend, tmp_path, empty_database_url)
    with application.app_context():
        upgrade(revision="b7e2a9c41d03")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO store (uid, name, invoice_prefix, business_kind, timezone, allow_walk_in, settings, "
                "created_at) VALUES ('s-1', 'Shop', 'INV', 'general', 'Asia/Kolkata', true, '{}', '2025-01-01')"))
            for n, name in enumerate(["Tata Salt 1kg", "Amul Butter 500g", "Old Masala (archived)"], start=1):
                connection.execute(text(
                    "INSERT INTO product (uid, store_id, product_name, type, unit, unit_price, price_includes_tax, "
                    "cgst_rate, sgst_rate, quantity, archived, cutting_enabled, created_at, updated_at) VALUES "
                    f"('p-{n}', 1, :name, 'product', 'pcs', 10, false, 0, 0, 5, :archived, false, "
                    "'2025-01-01', '2025-01-01')"), {"name": name, "archived": n == 3})
        upgrade()
        store = db.session.get(Store, 1)
        assert [p.product_name for p in search_catalog(store, q="butter").items] == ["Amul Butter 500g"]
        assert [p.product_name for p in quick_search(store, "salt 1k").items] == ["Tata Salt 1kg"]
        assert quick_search(store, "masala").items == []  # archived items are not searchable
        # the search table (SQLite's FTS, PostgreSQL's narrow table) holds the live products that were there
        key = "rowid" if backend == "sqlite" else "id"
        rows = db.session.execute(text(f"SELECT {key} FROM product_search ORDER BY {key}")).scalars().all()
        assert rows == [1, 2]
        db.session.remove()
        db.engine.dispose()


def _trigram_index_options(engine) -> dict[str, list | None]:
    """The catalogue's trigram indexes and their options (the bills' own, services/billing/search_index.py, aside)."""
    from services.catalog.search_index import TRGM_INDEXES

    with engine.connect() as connection:
        return {name: options for name, options in connection.exec_driver_sql(
            "SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'i' AND c.relname LIKE '%%_trgm'").all()
                if name in TRGM_INDEXES}


@pytest.mark.postgres_only
def test_the_trigram_indexes_keep_a_short_pending_list(shop):
    """Built by db.create_all: a search reads the whole pending list, so it is kept short (search_index)."""
    from services.catalog.search_index import PENDING_LIST_KB, TRGM_INDEXES

    db.session.commit()
    expected = {name: [f"gin_pending_list_limit={PENDING_LIST_KB}"] for name in TRGM_INDEXES}
    assert _trigram_index_options(db.engine) == expected


@pytest.mark.postgres_only
def test_the_migration_shortens_the_trigram_indexes_pending_lists_and_puts_them_back(backend, tmp_path,
                                                                                     empty_database_url):
    from flask_migrate import downgrade, upgrade

    from services.catalog.search_index import PENDING_LIST_KB, TRGM_INDEXES

    application = migration_app(backend, tmp_path, empty_database_url)
    with application.app_context():
        upgrade()
        assert _trigram_index_options(db.engine) == {
            name: [f"gin_pending_list_limit={PENDING_LIST_KB}"] for name in TRGM_INDEXES}
        downgrade(revision="b3e8d1c5f7a2")
        assert _trigram_index_options(db.engine) == {name: None for name in TRGM_INDEXES}
        db.engine.dispose()


@pytest.mark.postgres_only
def test_postgresql_ranks_common_trigrams_by_its_statistics_and_walks_the_rarest(shop):
    """'tata': 'ata' is in 6,000 names sorting first (Patanjali), 'tat' in 3,000 (Tata): both past SCAN. With the
    postings analysed, pg_stats ranks them (no second count) and the walk of 'tat' fills the page at once."""
    rows = [{"uid": f"00000000-0000-0000-0000-{n:012d}", "store_id": shop.id,
             "product_name": f"{'Patanjali' if n < 6000 else 'Tata'} item {n:05d}", "sku": None, "barcode": None,
             "type": "service", "unit": "pcs", "unit_price": 1, "cgst_rate": 0, "sgst_rate": 0, "quantity": 0,
             "archived": False} for n in range(9000)]
    db.session.execute(insert(Product), rows)
    db.session.commit()
    db.session.execute(text("ANALYZE product_trigram"))
    seen = []
    from sqlalchemy import event

    def remember(conn, cursor, statement, params, context, many):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        found = quick_search(shop, "tata", limit=5)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert [p.product_name for p in found.items] == plain(shop, "tata", exact_first=False)[:5] and found.has_more
    assert any("pg_stats" in statement for statement in seen)
    assert sum("count(*)" in statement for statement in seen) == 1, seen  # the capped count only
    assert not any("product_search" in statement for statement in seen), seen  # the walk answered
