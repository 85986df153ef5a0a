"""Look-ups the till needs: catalogue search (name, SKU, barcode) and customer search, paged.

Billing v1's /catalog and /customers endpoints and the POS page call these. Catalogue search is one rule, a
contains-match, made fast at 100,000 items by trigram indexes (services/catalog/search_index.py): a search in name
order walks the postings of its term's rarest trigram (product_trigram, in name order) and stops at the page
(page_by_postings); a term the postings cannot answer cheaply goes to the trigram index (pg_trgm, FTS5).
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Optional, Sequence

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
    tuple_,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.util import ClauseAdapter

from extensions import db
from models import Customer, Party, Product, Store
from services.catalog.search_index import FTS_TABLE, POSTINGS_TABLE, SEPARATOR
from services.paging import Page, paginate, paginate_capped, paginate_uncounted
from services.parties.parties import e164_phone

TRIGRAM = 3  # a shorter term has no trigram to look up: it is matched by the contains test alone
WINDOW = 500  # the till first looks among this many items in name order; a common term fills its page there


def _contains(term: str, *columns) -> Any:
    """Any of the columns contains the term, case-insensitively; % and _ in the term match themselves."""
    return or_(*(column.icontains(term, autoescape=True) for column in columns))


def fts_phrase(term: str) -> str:
    """The term as one FTS5 phrase: inside double quotes every character is literal, a quote is doubled."""
    return '"' + term.replace('"', '""') + '"'


def _contains_term(term: str) -> Any:
    return _contains(term, Product.product_name, Product.sku, Product.barcode)


def catalogue_match(term: str, words: bool = False, walk: bool = False) -> Any:
    """Name, SKU or barcode contains the term, case aside (% and _ match themselves): the one search rule.

    With `words`, the same test written on PostgreSQL's narrow product_search table (see _words_match), for a
    query that reads that table (page_by_words); with `walk`, the contains test alone, for the candidates a walk of
    the postings names (page_by_postings).

    PostgreSQL's pg_trgm GIN indexes serve the ILIKE as it is. On SQLite the FTS5 trigram table first names the
    candidates; the contains test still applies to them, so the index makes the answer faster, never different
    (the FTS folds case more widely than SQLite's ASCII-only LIKE, so its candidates are a superset)."""
    if words:
        return _words_match(term)
    contains = _contains_term(term)
    if walk:  # the postings named the candidates (page_by_postings): the contains test on each
        return contains
    if len(term) < TRIGRAM or db.session.get_bind().dialect.name != "sqlite":
        return contains
    candidates = select(literal_column("rowid")).select_from(table(FTS_TABLE)).where(
        literal_column(FTS_TABLE).op("MATCH")(fts_phrase(term)))
    return and_(Product.id.in_(candidates), contains)


@contextmanager
def _trigram_plan(index_only: bool = True):
    """On PostgreSQL, the next query may read only the pg_trgm indexes: the planner would otherwise walk the name
    index for a common term (it assumes matches spread evenly, but "Tata ..." items all sort late), scan the
    table, or read a store index that holds every row of a one-store shop. Without `index_only`, index-only scans
    are ruled out too (product_search's name index covers words: walking it is the same mistake)."""
    if db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    switches = ("enable_seqscan", "enable_indexscan") + (() if index_only else ("enable_indexonlyscan",))
    db.session.execute(text("SELECT " + ", ".join(f"set_config('{name}', 'off', true)" for name in switches)))
    try:
        yield
    finally:
        db.session.execute(text("SELECT " + ", ".join(f"set_config('{name}', 'on', true)" for name in switches)))


def _by_trigrams(store: Store, term: str) -> Any:
    """Live items of the store matching the term, to be read through the trigram index. On PostgreSQL the store and
    archived tests are written so that no btree serves them (`store_id + 0`, `IS NOT TRUE`: the same rows, as
    both columns are NOT NULL); under _trigram_plan the pg_trgm indexes are then the planner's only way in."""
    if db.session.get_bind().dialect.name != "postgresql":
        return select(Product.id).where(Product.store_id == store.id, Product.archived.is_(False),
                                        catalogue_match(term))
    return select(Product.id).where((Product.store_id + 0) == store.id, Product.archived.isnot(True),
                                    catalogue_match(term))


def window_page(where: list, order: Sequence[Any], keys: Sequence[tuple[Any, bool]], term: str, page: int,
                limit: int) -> Page:
    """The page of the items among the first WINDOW rows of `order` (under `where`) that contain the term, in that
    order; `keys` are the order's columns, each with whether it descends.

    The window is a subquery with its own LIMIT, which the database reads as it is: those rows in order, each
    tested. Written as `id IN (window)` beside the contains test, PostgreSQL's planner could instead read every
    match of the catalogue through the trigram indexes and keep those in the window, doing the next step's work
    (when the window does not fill the page) twice."""
    names = ["id", "product_name", "sku", "barcode"]
    names += [column.key for column, _ in keys if column.key not in names]
    window = select(*(getattr(Product, name) for name in names)).where(*where).order_by(*order).limit(WINDOW).subquery()
    query = select(Product).join(window, Product.id == window.c.id).where(
        _contains(term, window.c.product_name, window.c.sku, window.c.barcode))
    outer = [window.c[column.key].desc() if descending else window.c[column.key] for column, descending in keys]
    return paginate_uncounted(query.order_by(*outer), page, limit)


def _page_by_ids(ids: Select, order: Sequence[Any], page: int, limit: int,
                 rows_order: Optional[Sequence[Any]] = None) -> Page:
    """paginate_uncounted for a query of ids (in `order`; `rows_order` is the same order in product's columns, when
    the ids come from another table): sorting thousands of hits moves ids, not whole rows; only the page's rows are
    read whole, in the same statement."""
    chosen = ids.order_by(*order).limit(limit + 1).offset((page - 1) * limit).subquery()
    rows = db.session.execute(select(Product).join(chosen, Product.id == chosen.c.id)
                              .order_by(*(rows_order or order))).scalars().all()
    return Page(rows[:limit], page, limit, None, len(rows) > limit)


_WORDS = table(FTS_TABLE, column("id"), column("store_id"), column("product_name"), column("words"))


def _words_match(term: str, words: Any = _WORDS.c.words) -> Any:
    """product_search.words (PostgreSQL) contains the term, case aside: the same rows as _contains_term, as
    `a ILIKE b` is `lower(a) LIKE lower(b)` and words is the lower-cased columns joined by a separator the term
    lacks (callers check has_words_path). `words` may be that column as a subquery reads it."""
    escaped = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
    pattern = literal_column("'%'").concat(func.lower(escaped)).concat(literal_column("'%'"))
    return words.like(pattern, escape="/")


def has_words_path(term: str) -> bool:
    """A term the narrow search table answers: PostgreSQL's, long enough for a trigram, without the separator."""
    return (len(term) >= TRIGRAM and SEPARATOR not in term
            and db.session.get_bind().dialect.name == "postgresql")


def page_by_words(store: Store, term: str, page: int, limit: int) -> Page:
    """Live items of the store containing the term, in name order, read from product_search (PostgreSQL); only the
    page's rows are read from product.

    First among the store's first WINDOW names, read from product_search's name index alone (it covers words): a
    common term that sorts early fills its page there. Else its trigram index names the candidates, which are
    re-checked and sorted there."""
    order = (_WORDS.c.product_name, _WORDS.c.id)
    window = select(_WORDS.c.id, _WORDS.c.product_name, _WORDS.c.words).where(
        _WORDS.c.store_id == store.id).order_by(*order).limit(WINDOW).subquery()
    in_window = select(window.c.id).where(_words_match(term, window.c.words))
    found = _page_by_ids(in_window, (window.c.product_name, window.c.id), page, limit,
                         rows_order=(Product.product_name, Product.id))
    if found.has_more:  # page * limit + 1 matches among the first WINDOW names: the same rows a full search gives
        return found
    ids = select(_WORDS.c.id).where(_WORDS.c.store_id == store.id, catalogue_match(term, words=True))
    with _trigram_plan(index_only=False):
        return _page_by_ids(ids, order, page, limit, rows_order=(Product.product_name, Product.id))


_POSTINGS = table(POSTINGS_TABLE, column("store_id"), column("trigram"), column("product_name"), column("product_id"))
SCAN = 2000  # postings a walk may read before it gives way to the trigram index (a term rare among them)
FILTERED = 100  # the same with a filter: the page found in these when the filter keeps a fifth of the term's matches


def term_trigrams(term: str) -> Optional[list[str]]:
    """The term's distinct trigrams as the postings hold them (lower-cased), or None for a term the postings do not
    serve: shorter than a trigram, or with a character outside ASCII (the databases' lower() and Python's agree on
    ASCII only; SQLite's folds nothing else)."""
    if len(term) < TRIGRAM or not term.isascii():
        return None
    low = term.lower()
    return sorted({low[i:i + TRIGRAM] for i in range(len(low) - TRIGRAM + 1)})


RECOUNT = 20_000  # the trigrams with more than SCAN postings are counted again up to this, to walk the rarest


def _posting_counts(store: Store, grams: list[str], cap: int) -> dict[str, int]:
    """How many postings each trigram has in the store, counted up to `cap` (one statement, index only)."""
    counts = [select(literal_column(f"'{n}'").label("n"), func.count().label("c")).select_from(
        select(literal_column("1").label("one")).select_from(_POSTINGS).where(
            _POSTINGS.c.store_id == store.id, _POSTINGS.c.trigram == gram).limit(cap).subquery())
        for n, gram in enumerate(grams)]
    rows = db.session.execute(counts[0].union_all(*counts[1:]) if len(counts) > 1 else counts[0]).all()
    return {grams[int(n)]: count for n, count in rows}


def _common_counts(store: Store, grams: list[str]) -> dict[str, int]:
    """Common trigrams ranked. PostgreSQL's statistics of the postings name the frequency of its most common
    trigrams (pg_stats, one small read; one not among them is rarer than all of those); else, or without
    statistics yet, each counted up to RECOUNT (reading that many index entries each)."""
    if db.session.get_bind().dialect.name == "postgresql":
        row = db.session.execute(text(
            "SELECT most_common_vals::text::text[], most_common_freqs FROM pg_stats WHERE schemaname = "
            "current_schema() AND tablename = :t AND attname = 'trigram'"), {"t": POSTINGS_TABLE}).first()
        if row is not None and row[0]:
            frequency = dict(zip(row[0], row[1]))
            least = min(frequency.values())
            # SCAN + 1 and more (the first count's cap), ordered by the table's frequency of each
            return {g: SCAN + 1 + round((frequency.get(g, least / 2)) * 1_000_000) for g in grams}
    return _posting_counts(store, grams, RECOUNT)


@lru_cache(maxsize=1)
def _pg_walk() -> tuple[Any, Any, Any]:
    """PostgreSQL's walk (see page_by_postings) as a statement of parameters (walk_store, walk_gram, walk_budget),
    built once: the product row looked up beside each posting has every column of product, and building those
    columns' proxies anew took milliseconds of every search."""
    in_order = (_POSTINGS.c.product_name, _POSTINGS.c.product_id)
    walked = select(*in_order).where(
        _POSTINGS.c.store_id == bindparam("walk_store", type_=Integer),
        _POSTINGS.c.trigram == bindparam("walk_gram", type_=String),
    ).order_by(*in_order).limit(bindparam("walk_budget", type_=Integer)).subquery("walked")
    row = select(Product).where(Product.id == walked.c.product_id).limit(1).lateral("row")
    return walked, row, aliased(Product, row)


def page_by_postings(store: Store, term: str, page: int, limit: int, where: Sequence[Any] = (),
                     filtered: bool = False) -> Optional[Page]:
    """Live items of the store containing the term (and meeting `where`), in name order, found by walking the
    postings of the term's rarest trigram in name order: each candidate is re-checked with the contains test and
    the walk stops once the page (and one more) is found. Every match has every trigram of the term, so the
    postings of any one of them hold all matches, in name order: the first matches found are the first of all.

    None when the postings cannot answer cheaply (a term they do not serve; a rarest trigram with more than SCAN
    postings, SCAN of them walked, and the page still not full): the caller's trigram-index search answers then.
    `filtered` (a category, kind or stock filter in `where`, which may leave few of the term's matches): FILTERED
    postings are walked before giving way (the caller's filtered paths are cheap: each posting walked costs a look-up
    of its product, where the filter's own index reads its rows in order or as a bitmap)."""
    grams = term_trigrams(term)
    if grams is None:
        return None
    counts = _posting_counts(store, grams, SCAN + 1)
    common = [g for g in grams if counts.get(g, 0) > SCAN]
    if len(common) == len(grams) > 1:  # every one is common: which is rarest? ("tat" of "tata", not "ata")
        counts.update(_common_counts(store, common))
    gram = min(grams, key=lambda g: (counts.get(g, 0), g))
    if counts.get(gram, 0) == 0:  # a trigram no product has: nothing contains the term
        return Page([], page, limit, None, False)
    postings = [_POSTINGS.c.store_id == store.id, _POSTINGS.c.trigram == gram]
    in_order = (_POSTINGS.c.product_name, _POSTINGS.c.product_id)
    budget = FILTERED if filtered else SCAN
    bounded = counts[gram] > budget
    match = catalogue_match(term, walk=True)
    if db.session.get_bind().dialect.name == "postgresql":
        # The walk as PostgreSQL must run it: the first `budget` postings in order, each product looked up by its id
        # beside its posting (LATERAL, with LIMIT 1 so that it is not flattened into a join, and only the id inside
        # so that the primary key is the one way in), then tested: a nested loop in the postings' order, which the
        # outer LIMIT stops. Written as a plain join, its estimate of the contains test leads it to hash every
        # match and sort them, the cost of a common term.
        walked, row, entity = _pg_walk()
        on_row = ClauseAdapter(row).traverse  # the conditions, written on product, on the looked-up row
        query = select(entity).select_from(walked).join(row, true()).where(
            row.c.product_name == walked.c.product_name, *(on_row(condition) for condition in (*where, match))
        ).order_by(walked.c.product_name, walked.c.product_id).params(
            walk_store=store.id, walk_gram=gram, walk_budget=budget)
    else:
        # SQLite walks the postings' key in order with a plain join (each product by its rowid) and stops at the
        # LIMIT; a bounded walk stops at the budget-th posting.
        if bounded:
            last = db.session.execute(select(*in_order).where(*postings).order_by(*in_order)
                                      .limit(1).offset(budget - 1)).one()
            postings.append(tuple_(*in_order) <= tuple_(*last))
        same = and_(Product.id == _POSTINGS.c.product_id, Product.product_name == _POSTINGS.c.product_name)
        query = select(Product).join(_POSTINGS, same).where(*postings, *where, match).order_by(*in_order)
    rows = db.session.execute(query.limit(limit + 1).offset((page - 1) * limit)).scalars().all()
    if bounded and len(rows) <= limit:  # the page (and one more) not found among the first `budget` postings
        return None
    return Page(rows[:limit], page, limit, None, len(rows) > limit)


def find_by_code(store: Store, code: Optional[str]) -> Optional[Product]:
    """The live item whose barcode or SKU is exactly this code (what a scanner types before Enter)."""
    code = (code or "").strip()
    if not code:
        return None
    return db.session.execute(
        select(Product).where(
            Product.store_id == store.id, Product.archived.is_(False),
            or_(Product.barcode == code, Product.sku == code),
        ).order_by(Product.id).limit(1)
    ).scalar_one_or_none()


def search_catalog(store: Store, q: Optional[str] = None, type: Optional[str] = None, page: int = 1,
                   limit: int = 20) -> Page:
    """Live catalogue items of the store; q matches name, SKU or barcode (an exact code match sorts first)."""
    query = select(Product).where(Product.store_id == store.id, Product.archived.is_(False))
    if type:
        query = query.where(Product.type == type)
    order = [Product.product_name, Product.id]
    if q and q.strip():
        term = q.strip()
        query = query.where(catalogue_match(term))
        exact = case((or_(Product.barcode == term, Product.sku == term), 0), else_=1)
        order.insert(0, exact)
    return paginate(query.order_by(*order), page, limit)


def search_customers(store: Store, q: Optional[str] = None, page: int = 1, limit: int = 20) -> Page:
    """Customers of the store whose name, phone or email contains q (case aside), or whose phone is q however
    it was typed ("98765 43210" finds +919876543210)."""
    query = select(Customer).join(Party).where(Customer.store_id == store.id, Party.is_active.is_(True))
    if q and q.strip():
        matches = [_contains(q.strip(), Customer.name, Customer.phone_no, Customer.email)]
        phone = e164_phone(q)
        if phone is not None:
            matches.append(Customer.phone_no == phone)
        query = query.where(or_(*matches))
    return paginate_capped(query.order_by(Customer.name, Customer.id), page, limit)


def quick_search(store: Store, q: str, page: int = 1, limit: int = 8) -> Page:
    """The till's live search: the same matches as search_catalog (name, SKU or barcode contains q), but an exact
    barcode or SKU alone when there is one, and pages without counting every match, so a 100,000-item catalogue
    still answers while the cashier types.

    A page is found by walking the postings (page_by_postings); failing that, among the first WINDOW items in name
    order (where a common term fills it at once: the first matches of all are then the first matches there), else
    through the trigram index (a rare term)."""
    exact = find_by_code(store, q)
    if exact is not None:
        return Page([exact], 1, limit, None, False)
    term = (q or "").strip()
    where = [Product.store_id == store.id, Product.archived.is_(False)]
    order = (Product.product_name, Product.id)
    if len(term) < TRIGRAM:
        return paginate_uncounted(select(Product).where(*where, _contains_term(term)).order_by(*order), page, limit)
    found = page_by_postings(store, term, page, limit)
    if found is not None:
        return found
    if has_words_path(term):
        return page_by_words(store, term, page, limit)
    found = window_page(where, order, ((Product.product_name, False), (Product.id, False)), term, page, limit)
    if found.has_more:  # page * limit + 1 matches among the first WINDOW: the same rows a full search gives
        return found
    with _trigram_plan():
        return _page_by_ids(_by_trigrams(store, term), order, page, limit)
