"""One page of a list, whichever list: catalogue, customers, bills, held bills, the till's search."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import Select, func, select

from extensions import db


@dataclass(frozen=True)
class Page:
    """`total` is None when the matches were not counted (the till's search reads one row more instead)."""

    items: list[Any]
    page: int
    limit: int
    total: Optional[int] = None
    has_more: bool = False

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1); for an uncounted page, as far as is known."""
        if self.total is None:
            return self.page + 1 if self.has_more else self.page
        return max((self.total + self.limit - 1) // self.limit, 1)


def paginate(query: Select, page: int, limit: int) -> Page:
    """The page of `query` (already ordered), with the count of all its rows."""
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = db.session.execute(query.limit(limit).offset((page - 1) * limit)).scalars().all()
    return Page(list(rows), page, limit, total, page * limit < total)


def paginate_uncounted(query: Select, page: int, limit: int) -> Page:
    """The page of `query` without counting: one row more than asked says whether another page follows."""
    rows = db.session.execute(query.limit(limit + 1).offset((page - 1) * limit)).scalars().all()
    return Page(list(rows[:limit]), page, limit, None, len(rows) > limit)
