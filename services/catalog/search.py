"""Look-ups the till needs: catalogue search (name, SKU, barcode) and customer search, paged.

Billing v1's /catalog and /customers endpoints and the POS page call these.
"""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import case, or_, select

from extensions import db
from models import Customer, Party, Product, Store
from services.paging import Page, paginate, paginate_uncounted
from services.parties.parties import e164_phone


def _contains(term: str, *columns) -> Any:
    """Any of the columns contains the term, case-insensitively; % and _ in the term match themselves."""
    return or_(*(column.icontains(term, autoescape=True) for column in columns))


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
        query = query.where(_contains(term, Product.product_name, Product.sku, Product.barcode))
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
    return paginate(query.order_by(Customer.name, Customer.id), page, limit)


def quick_search(store: Store, q: str, page: int = 1, limit: int = 8) -> Page:
    """The till's live search: the same matches as search_catalog (name, SKU or barcode contains q), but an exact
    barcode or SKU alone when there is one, and pages read in name order along the (store, archived, name)
    index without counting every match, so a 100,000-item catalogue still answers while the cashier types."""
    exact = find_by_code(store, q)
    if exact is not None:
        return Page([exact], 1, limit, None, False)
    live = select(Product).where(Product.store_id == store.id, Product.archived.is_(False))
    matches = live.where(_contains((q or "").strip(), Product.product_name, Product.sku, Product.barcode))
    return paginate_uncounted(matches.order_by(Product.product_name, Product.id), page, limit)
