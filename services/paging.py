"""One page of a list, whichever list: catalogue, customers, bills, held bills, the till's search."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import Select, func, literal, select
from sqlalchemy.sql import operators

from extensions import db

# How many rows past a page's first a capped count reads at most (paginate_capped): 500 pages of 20. Reading them
# is an index range of that many entries at worst (a few milliseconds), whatever the size of the store.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Page:
    """`total` is None when the matches were not counted (the till's search reads one row more instead); when
    `total_exact` is False, `total` is a lower bound: there are at least that many (paginate_capped)."""

    items: list[Any]
    page: int
    limit: int
    total: Optional[int] = None
    has_more: bool = False
    total_exact: bool = True

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1); for an uncounted page, or one counted up to a cap, as far as is
        known."""
        if self.total is None:
            return self.page + 1 if self.has_more else self.page
        known = max((self.total + self.limit - 1) // self.limit, 1)
        return max(known, self.page + 1) if self.has_more else known


def paginate(query: Select, page: int, limit: int) -> Page:
    """The page of `query` (already ordered), with the count of all its rows."""
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = db.session.execute(query.limit(limit).offset((page - 1) * limit)).scalars().all()
    return Page(list(rows), page, limit, total, page * limit < total)


def paginate_uncounted(query: Select, page: int, limit: int) -> Page:
    """The page of `query` without counting: one row more than asked says whether another page follows."""
    rows = db.session.execute(query.limit(limit + 1).offset((page - 1) * limit)).scalars().all()
    return Page(list(rows[:limit]), page, limit, None, len(rows) > limit)


def paginate_capped(query: Select, page: int, limit: int, cap: Optional[int] = None) -> Page:
    """The page of `query` (already ordered) with its rows counted up to `cap` (default COUNT_CAP) past the page's
    first: the exact total when that many or fewer follow it, else the lower bound `offset + cap` with `total_exact`
    False. The count reads no more than the page's OFFSET already does plus `cap` rows, so a store's size never makes
    it slower, and it runs only when the page itself does not tell (a last page with rows knows its total)."""
    offset = (page - 1) * limit
    rows = db.session.execute(query.limit(limit + 1).offset(offset)).scalars().all()
    items = list(rows[:limit])
    has_more = len(rows) > limit
    if not has_more and (items or page == 1):
        return Page(items, page, limit, offset + len(items), False)
    bound = offset + max(COUNT_CAP if cap is None else cap, limit + 1)
    head = query.order_by(None).with_only_columns(literal(1), maintain_column_froms=True).limit(bound + 1)
    counted = db.session.execute(select(func.count()).select_from(head.subquery())).scalar_one()
    return Page(items, page, limit, min(counted, bound), has_more, counted <= bound)


def paginate_matches(query: Select, entity: Any, keys: list[Any], page: int, limit: int,
                     cap: Optional[int] = None) -> Optional[Page]:
    """paginate_capped for a filter whose index names its matches out of order (a trigram index): the matches are
    read once, up to the cap, as `entity`'s id and the sort `keys` (ascending or descending column expressions, the
    id last), counted and ordered in one statement, and the page's rows loaded by id; paginate_capped would read the
    index twice, once for the page and once for the count. None when more match than the cap (their order is then
    not known from the ones read: the caller pages as paginate_capped does) or the page is past the end."""
    offset = (page - 1) * limit
    bound = offset + max(COUNT_CAP if cap is None else cap, limit + 1)
    columns = [key.element for key in keys]
    hits = query.order_by(None).with_only_columns(*columns, maintain_column_froms=True).limit(bound + 1).cte("hits")
    ordered = [getattr(hits.c[column.key], "desc" if key.modifier is operators.desc_op else "asc")()
               for key, column in zip(keys, columns)]
    counted = select(func.count()).select_from(hits).scalar_subquery()
    rows = db.session.execute(select(hits.c[entity.id.key], counted).order_by(*ordered)
                              .limit(limit + 1).offset(offset)).all()
    if not rows or rows[0][1] > bound:
        return None
    ids = [row[0] for row in rows[:limit]]
    loaded = {item.id: item for item in db.session.execute(select(entity).where(entity.id.in_(ids))).scalars()}
    # (a row deleted between the two statements is left out rather than failing the page)
    return Page([loaded[i] for i in ids if i in loaded], page, limit, rows[0][1], len(rows) > limit)
