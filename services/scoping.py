"""Loading one row of the current store: another shop's id and a missing id are the same answer.

    get_in_store(Model, store, id=..., uid=...)   -> the row, or NotFound (404)
    find_in_store(Model, store, id=..., uid=...)  -> the row or None (for contracts that word their own 404)

Every per-store loader goes through these, so no view can forget the store scope.
"""
from __future__ import annotations

from typing import Any, Optional, TypeVar

from extensions import db
from services.bounds import MAX_ID
from services.errors import NotFound

T = TypeVar("T")


def find_in_store(model: type[T], store: Any, *, id: Any = None, uid: Any = None, live: bool = False,
                  for_update: bool = False) -> Optional[T]:
    """The store's row by integer id or by uid; None when missing, another store's, or (live) archived.

    `store` is a Store or its id; `for_update` locks the row and reloads it.
    """
    store_id = store if isinstance(store, int) else store.id
    if isinstance(id, int) and not 0 < id <= MAX_ID:
        return None  # no row has it, and PostgreSQL would refuse to compare an INTEGER column with it
    if id is not None:
        where = [model.id == id]
    elif uid is not None:
        where = [model.uid == str(uid)]
    else:
        return None
    query = db.select(model).where(model.store_id == store_id, *where)
    if live:
        query = query.where(model.archived.is_(False))
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one_or_none()


def get_in_store(model: type[T], store: Any, *, id: Any = None, uid: Any = None, live: bool = False,
                 for_update: bool = False, message: Optional[str] = None) -> T:
    """As find_in_store, but a missing row raises NotFound ("<Model> not found" unless `message`)."""
    row = find_in_store(model, store, id=id, uid=uid, live=live, for_update=for_update)
    if row is None:
        raise NotFound(message or f"{model.__name__} not found")
    return row
