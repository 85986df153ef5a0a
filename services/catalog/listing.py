"""The inventory list: a store's products searched (the one catalogue rule), filtered, sorted and paged.

Search is services.catalog.search's contains-match on name, SKU or barcode, through its trigram index. Pages are
uncounted (one row more says whether another follows), so a 100,000-item catalogue answers while the owner types.
A term is first looked for among the first WINDOW rows of the chosen order (a common term fills its page there);
a rarer one is read through the trigram index, as the till's search does. Archived products are not in SQLite's
FTS table (it holds the live catalogue), so a search among them is the plain contains test: there are few.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import and_, literal_column, select

from extensions import db
from models import Product, Store
from services.catalog import search
from services.paging import Page, paginate_uncounted

SORTS: dict[str, str] = {"name": "Name", "stock": "Stock, least first", "price": "Price, lowest first",
                         "updated": "Recently changed"}
DEFAULT_SORT = "name"
STOCK_FILTERS: dict[str, str] = {"low": "Low stock", "out": "Out of stock"}


def low_stock_condition() -> Any:
    """At or below its low-stock threshold: products that track stock and have a threshold (the one rule the
    home page's tile and the low-stock list share)."""
    return and_(Product.type == "product", below_level() <= 0)  # NULL level: the comparison is never true


def below_level() -> Any:
    """Stock minus the low-stock level, the expression ix_product_store_low_stock holds (written the same way)."""
    return Product.quantity - Product.low_stock_threshold


def out_of_stock_condition() -> Any:
    return and_(Product.type == "product", Product.quantity <= 0)


@dataclass(frozen=True)
class ProductFilters:
    """What the inventory list was asked for (already checked by the surface)."""

    q: str = ""
    category_id: Optional[int] = None
    type: Optional[str] = None
    stock: Optional[str] = None  # "low" | "out"
    archived: bool = False
    sort: str = DEFAULT_SORT


SORT_KEYS: dict[str, tuple[tuple[Any, bool], ...]] = {  # each sort's columns, each with whether it descends
    "name": ((Product.product_name, False), (Product.id, False)),
    "stock": ((Product.quantity, False), (Product.id, False)),
    "price": ((Product.unit_price, False), (Product.id, False)),
    "updated": ((Product.updated_at, True), (Product.id, True)),
}


def _order(sort: str, stock_filter: bool = False) -> tuple:
    """The sort's columns, each the order of an index (models.py). With a stock filter on SQLite the first is
    written `+column`: SQLite's planner would otherwise walk that order's index to skip sorting, reading most of the
    catalogue when few items are low or out; this way it reads the few from the stock index and sorts them.
    (PostgreSQL's statistics choose well by themselves.)"""
    plain = stock_filter and db.session.get_bind().dialect.name == "sqlite"
    order = []
    for n, (column, descending) in enumerate(SORT_KEYS[sort]):
        key = literal_column(f"+product.{column.key}") if plain and n == 0 else column
        order.append(key.desc() if descending else key)
    return tuple(order)


def _conditions(store: Store, filters: ProductFilters, indexed: bool = False) -> list:
    """The filters as SQL. `indexed` writes the store and archived tests so that no btree serves them (PostgreSQL
    then reads the trigram indexes, see search._by_trigrams). With a category the store test stays plain: the
    store's category index (store, category, name) then gives a bitmap of the category's items that PostgreSQL
    ANDs with the trigram indexes' bitmap, so only the term's matches in the category are read from the table."""
    pg = indexed and db.session.get_bind().dialect.name == "postgresql"
    hidden = pg and filters.category_id is None
    where = [(Product.store_id + 0) == store.id if hidden else Product.store_id == store.id]
    if filters.type and not filters.archived and not pg and db.session.get_bind().dialect.name == "sqlite":
        # SQLite's statistics cannot tell a rare kind (services among 100,000 products) from a common one, and it
        # would walk the name index through the whole catalogue: `+archived` leaves it the kind's own index.
        where.append(literal_column("+product.archived") == 0)
    elif filters.archived:
        where.append(Product.archived.isnot(False) if pg else Product.archived.is_(True))
    else:
        where.append(Product.archived.isnot(True) if pg else Product.archived.is_(False))
    if filters.category_id is not None:
        where.append(Product.category_id == filters.category_id)
    if filters.type and filters.archived and db.session.get_bind().dialect.name == "sqlite":
        where.append(literal_column("+product.type") == filters.type)  # the few archived: the name index
    elif filters.type:
        where.append(Product.type == filters.type)
    if filters.stock == "low":
        where.append(low_stock_condition())
    elif filters.stock == "out":
        where.append(out_of_stock_condition())
    return where


def list_products(store: Store, filters: ProductFilters, page: int = 1, limit: int = 20) -> Page:
    """A page of the store's products for the inventory list (uncounted: Page.has_more says if more follow)."""
    order = _order(filters.sort, bool(filters.stock))
    where = _conditions(store, filters)
    query = select(Product).where(*where)
    term = filters.q.strip()
    if not term and filters.stock:
        # PostgreSQL, like SQLite, would walk the order's index hoping low items spread evenly through it; read them
        # from the stock index (a bitmap scan) and sort the few instead.
        with search._trigram_plan():
            return paginate_uncounted(query.order_by(*order), page, limit)
    if not term:
        return paginate_uncounted(query.order_by(*order), page, limit)
    if filters.archived:  # not in the FTS table: the contains test itself
        return paginate_uncounted(query.where(search._contains_term(term)).order_by(*order), page, limit)
    if len(term) < search.TRIGRAM:
        return paginate_uncounted(query.where(search.catalogue_match(term)).order_by(*order), page, limit)
    if filters.sort == "name":
        found = search.page_by_postings(store, term, page, limit, where,
                                        filtered=bool(filters.category_id or filters.type or filters.stock))
        if found is not None:
            return found
    if filters.sort == "name" and filters.category_id is None and not (filters.type or filters.stock) \
            and search.has_words_path(term):
        return search.page_by_words(store, term, page, limit)
    found = search.window_page(where, order, SORT_KEYS[filters.sort], term, page, limit)
    if found.has_more:  # a full page and one more among the first WINDOW rows: the same rows a full search gives
        return found
    with search._trigram_plan():
        ids = select(Product.id).where(*_conditions(store, filters, indexed=True), search.catalogue_match(term))
        return search._page_by_ids(ids, order, page, limit)


def low_stock(store: Store, page: int = 1, limit: int = 20) -> Page:
    """Live products at or below their threshold, the furthest below first."""
    query = select(Product).where(Product.store_id == store.id, Product.archived.is_(False), low_stock_condition())
    order = (below_level(), Product.product_name, Product.id)
    return paginate_uncounted(query.order_by(*order), page, limit)


def low_stock_count(store: Store) -> int:
    return db.session.execute(select(db.func.count(Product.id)).where(
        Product.store_id == store.id, Product.archived.is_(False), low_stock_condition())).scalar_one()
