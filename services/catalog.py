"""Look-ups the till needs: catalogue search (name, SKU, barcode) and customer search, paged.

Billing v1's /catalog and /customers endpoints and the POS page call these.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import case, func, or_, select

from extensions import db
from models import Customer, Party, Product, Store
from services.parties import e164_phone


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page: int
    limit: int
    total: int


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _paged(query, page: int, limit: int) -> Page:
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = db.session.execute(query.limit(limit).offset((page - 1) * limit)).scalars().all()
    return Page(list(rows), page, limit, total)


def search_catalog(store: Store, q: Optional[str] = None, type: Optional[str] = None, page: int = 1,
                   limit: int = 20) -> Page:
    """Live catalogue items of the store; q matches name, SKU or barcode (an exact code match sorts first)."""
    query = select(Product).where(Product.store_id == store.id, Product.archived.is_(False))
    if type:
        query = query.where(Product.type == type)
    order = [Product.product_name, Product.id]
    if q and q.strip():
        term = q.strip()
        pattern = _like(term)
        query = query.where(or_(
            func.lower(Product.product_name).like(pattern, escape="\\"),
            func.lower(Product.sku).like(pattern, escape="\\"),
            func.lower(Product.barcode).like(pattern, escape="\\"),
        ))
        exact = case((or_(Product.barcode == term, Product.sku == term), 0), else_=1)
        order.insert(0, exact)
    return _paged(query.order_by(*order), page, limit)


def search_customers(store: Store, q: Optional[str] = None, page: int = 1, limit: int = 20) -> Page:
    """Customers of the store whose name, phone or email contains q (case aside), or whose phone is q however
    it was typed ("98765 43210" finds +919876543210)."""
    query = select(Customer).join(Party).where(Customer.store_id == store.id, Party.is_active.is_(True))
    if q and q.strip():
        pattern = _like(q.strip())
        matches = [
            func.lower(Customer.name).like(pattern, escape="\\"),
            func.lower(Customer.phone_no).like(pattern, escape="\\"),
            func.lower(Customer.email).like(pattern, escape="\\"),
        ]
        phone = e164_phone(q)
        if phone is not None:
            matches.append(Customer.phone_no == phone)
        query = query.where(or_(*matches))
    return _paged(query.order_by(Customer.name, Customer.id), page, limit)


@dataclass(frozen=True)
class QuickPage:
    items: list[Any]
    page: int
    limit: int
    has_more: bool


def quick_search(store: Store, q: str, page: int = 1, limit: int = 8) -> QuickPage:
    """The till's live search: the same matches as search_catalog (name, SKU or barcode contains q), but an exact
    barcode or SKU alone when there is one, and pages read in name order along the (store, archived, name)
    index without counting every match, so a 100,000-item catalogue still answers while the cashier types."""
    term = (q or "").strip()
    live = select(Product).where(Product.store_id == store.id, Product.archived.is_(False))
    exact = db.session.execute(
        live.where(or_(Product.barcode == term, Product.sku == term)).order_by(Product.id).limit(1)
    ).scalar_one_or_none() if term else None
    if exact is not None:
        return QuickPage([exact], 1, limit, False)
    pattern = _like(term)
    rows = db.session.execute(
        live.where(or_(
            func.lower(Product.product_name).like(pattern, escape="\\"),
            func.lower(Product.sku).like(pattern, escape="\\"),
            func.lower(Product.barcode).like(pattern, escape="\\"),
        )).order_by(Product.product_name, Product.id).limit(limit + 1).offset((page - 1) * limit)
    ).scalars().all()
    return QuickPage(list(rows[:limit]), page, limit, len(rows) > limit)
