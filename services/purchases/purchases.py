"""Purchase bills: the supplier they are from, the supplier's invoice number rule, and the list.

A purchase is a Bill of kind "purchase" saved by services.billing.bills.save_bill (numbered PUR..., stock added,
costs kept by services.purchases.costs); its party is a Supplier party of the store. Payments to the supplier are
bills.record_payment (the bill's dues are what the store still owes the supplier); cancelling is bills.cancel_bill.

Duplicate supplier invoice numbers are REFUSED: a supplier's invoice number (trimmed, case aside) may appear on
one purchase of that supplier that is not cancelled. save_bill checks it after taking the invoice-counter lock, so
two concurrent entries of the same supplier bill are serialised and the second is refused.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy import func, or_, select

from extensions import db
from models import Bill, Party, Store, Supplier
from services.errors import ValidationError
from services.paging import Page, paginate_capped

KIND = "purchase"
DUPLICATE_INVOICE = "This supplier's invoice {number} is already entered as purchase {purchase}."


def resolve_supplier(store: Store, party) -> Optional[Party]:
    """The purchase's supplier: a Supplier party of this store (or None: a purchase without a named supplier)."""
    if party is None:
        return None
    if not isinstance(party, Party) or party.store_id != store.id or party.Category_type != "Supplier":
        raise ValidationError.field("supplier", "Supplier not found in this store")
    return party


def check_supplier_invoice(store: Store, party: Optional[Party], number: Optional[str]) -> None:
    """Refuse a supplier invoice number already on a standing purchase of the same supplier."""
    number = (number or "").strip()
    if party is None or not number:
        return
    taken = db.session.execute(
        select(Bill.invoice_number).where(
            Bill.store_id == store.id, Bill.kind == KIND, Bill.party_id == party.id, Bill.cancelled_at.is_(None),
            func.lower(Bill.supplier_invoice_no) == number.lower(),
        ).limit(1)
    ).scalar_one_or_none()
    if taken is not None:
        raise ValidationError.field("supplier_invoice_no", DUPLICATE_INVOICE.format(number=number, purchase=taken))


def list_purchases(store: Store, q: Optional[str] = None, page: int = 1, limit: int = 20) -> Page:
    """The store's purchases, newest first; q matches the supplier, our number or the supplier's invoice number."""
    query = select(Bill).where(Bill.store_id == store.id, Bill.kind == KIND)
    if q and q.strip():
        term = q.strip()
        query = query.where(or_(*(column.icontains(term, autoescape=True) for column in
                                  (Bill.customer_name, Bill.invoice_number, Bill.supplier_invoice_no))))
    return paginate_capped(query.order_by(Bill.created_at.desc(), Bill.id.desc()), page, limit)


def suppliers(store: Store, q: Optional[str] = None, limit: int = 200) -> list[Supplier]:
    """Active suppliers of the store by name (q: name, code or phone contains it)."""
    query = select(Supplier).join(Party).where(Supplier.store_id == store.id, Party.is_active.is_(True))
    if q and q.strip():
        term = q.strip()
        query = query.where(or_(*(column.icontains(term, autoescape=True)
                                  for column in (Supplier.name, Supplier.code, Supplier.phone_no))))
    return list(db.session.execute(query.order_by(Supplier.name, Supplier.id).limit(limit)).scalars())
