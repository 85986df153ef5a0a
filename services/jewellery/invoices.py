"""Jewellery invoices: a sale or purchase of pieces priced by save_bill (the one engine), checked against the
figures the client shows, and the store's invoice lists.

    add_invoice(store, user, request: InvoiceRequest) -> Bill
    invoice_home(store, limit, offset, start, end) -> list[Bill]       newest first
    contact_invoices(store, party) -> list[Bill]                        newest first

add_invoice refuses, with nothing written: a contact that is not a customer of the store, a piece not in the store,
a gold piece of 2 g net or more without a HUID on a sale when the store marks hallmarking mandatory
(billing_options.hallmark_mandatory, default on), amount_paid above the server's total, and a client bill_total
more than TOLERANCE away from the server's.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import Bill, BillItem, Party, Product, Store, User
from services.billing import bills
from services.billing.bills import BillDraft, DraftLine, DraftPayment, JewelleryTerms
from services.errors import FieldErrors, ValidationError
from services.jewellery.pieces import hallmark_problem
from services.scoping import find_in_store

TOLERANCE = Decimal("1.00")  # rupees a client's bill_total may differ from the server's (its own rounding)
KINDS = {"1": "sale", "2": "purchase"}
_QTY = re.compile(r"^(item\[\d+\])\.qty$")


@dataclass
class InvoiceItem:
    product_id: Optional[int]
    net_price: Optional[Decimal] = None  # the agreed taxable price of the piece
    hsn: Optional[str] = None
    tounch: Optional[Decimal] = None
    wastage: Optional[Decimal] = None
    gross_weight: Optional[Decimal] = None
    size: Optional[str] = None
    show_size_in_bill: bool = False


@dataclass
class InvoiceRequest:
    invoice_type: str  # "1" sale | "2" purchase
    contact_id: Optional[int]
    payment_mode: str  # cash | card | upi | wallet
    payment_date: datetime
    bill_total: Decimal
    amount_paid: Decimal
    items: list[InvoiceItem]
    tax: Decimal = Decimal("3")
    additional_charges: Decimal = Decimal("0.00")
    interest_terms: Optional[dict[str, Any]] = None
    extra: dict[str, Any] = dc_field(default_factory=dict)


def _customer(store: Store, contact_id: Optional[int]) -> Party:
    party = find_in_store(Party, store, id=contact_id) if contact_id is not None else None
    if party is None or party.Category_type != "Customer":
        raise ValidationError.field("user_contact_id", "Customer not found in this store")
    return party


def _pieces(store: Store, items: list[InvoiceItem], errors: FieldErrors) -> list[Optional[Product]]:
    found = []
    seen: set[int] = set()
    for index, item in enumerate(items):
        piece = find_in_store(Product, store, id=item.product_id, live=True) if item.product_id else None
        if piece is None:
            errors.add(f"item[{index}].product_id", "Piece not found in this store")
        elif piece.id in seen:
            errors.add(f"item[{index}].product_id", f"{piece.product_name} is on the invoice twice")
        else:
            seen.add(piece.id)
        found.append(piece)
    return found


def _check_hallmark(store: Store, pieces: list[Optional[Product]], errors: FieldErrors) -> None:
    for index, piece in enumerate(pieces):
        if piece is not None and (problem := hallmark_problem(store, piece)):
            errors.add(f"item[{index}].product_id", problem)


def _draft(store: Store, request: InvoiceRequest, party: Party, pieces: list[Product], now: datetime,
           paid: bool) -> BillDraft:
    lines = [
        DraftLine(product=piece, qty=1, field=f"item[{i}]",
                  jewellery=JewelleryTerms(gst_rate=request.tax, net_price=item.net_price, hsn=item.hsn,
                                           tounch=item.tounch, wastage=item.wastage, gross_weight=item.gross_weight),
                  columns={"size": item.size or piece.size, "show_size_in_bill": item.show_size_in_bill})
        for i, (item, piece) in enumerate(zip(request.items, pieces))
    ]
    payments = [DraftPayment(request.payment_mode, request.amount_paid, timestamp=request.payment_date)] \
        if paid and request.amount_paid > 0 else []
    return BillDraft(
        lines=lines, customer=party, payments=payments,
        payment_mode=(request.payment_mode if payments else "none") if paid else None,
        kind=KINDS[request.invoice_type], source="jewellery", billing_timestamp=now,
        payment_timestamp=request.payment_date if payments else None,
        additional_charges=request.additional_charges,
        columns={"interest_terms": request.interest_terms} if request.interest_terms else {},
    )


def add_invoice(store: Store, user: User, request: InvoiceRequest, *, now: Optional[datetime] = None) -> Bill:
    """Price and save one sale or purchase invoice (flushes; the caller commits). See the module docstring."""
    now = now or datetime.now(timezone.utc)
    if request.invoice_type not in KINDS:
        raise ValidationError.field("invoice_type", 'Must be "1" (sale) or "2" (purchase)')
    party = _customer(store, request.contact_id)
    errors = FieldErrors()
    if not request.items:
        errors.add("item", "At least one item is required")
    pieces = _pieces(store, request.items, errors)
    if KINDS[request.invoice_type] == "sale":
        _check_hallmark(store, pieces, errors)
    errors.raise_if()
    if request.interest_terms is None:  # terms set on a piece before it was billed (update-product)
        request.interest_terms = next(((p.attributes or {}).get("interest_terms") for p in pieces
                                       if (p.attributes or {}).get("interest_terms")), None)
    with _naming_the_piece():
        priced, _ = bills.validate_draft(store, _draft(store, request, party, pieces, now, paid=False), now)
    total = priced.totals.grand_total
    if request.amount_paid > total:
        errors.add("amount_paid", f"Amount paid ({request.amount_paid:.2f}) is more than the bill total ({total})")
    if abs(request.bill_total - total) > TOLERANCE:
        errors.add("bill_total", f"The bill total sent ({request.bill_total:.2f}) differs from the server's "
                                 f"({total}) by more than {TOLERANCE}")
    errors.raise_if()
    with _naming_the_piece():  # the stock check runs again under the row lock: a concurrent sale may have won
        return bills.save_bill(store, user, _draft(store, request, party, pieces, now, paid=True), now=now)


@contextmanager
def _naming_the_piece():
    """The engine blames a line's quantity (`item[0].qty`: out of stock); the contract's items have no qty, so the
    error names the item's piece (`item[0].product_id`)."""
    try:
        yield
    except ValidationError as exc:
        exc.errors = {_QTY.sub(r"\1.product_id", field): messages for field, messages in (exc.errors or {}).items()}
        raise


def _bills_query(store: Store):
    return (select(Bill).where(Bill.store_id == store.id)
            .options(selectinload(Bill.items).selectinload(BillItem.product), selectinload(Bill.payments))
            .order_by(Bill.created_at.desc(), Bill.id.desc()))


def invoice_home(store: Store, limit: int, offset: int, start: Optional[date] = None,
                 end: Optional[date] = None) -> list[Bill]:
    """The store's invoices newest first, optionally those dated from `start` to `end` (inclusive)."""
    query = _bills_query(store)
    if start is not None:
        query = query.where(Bill.invoice_date >= start)
    if end is not None:
        query = query.where(Bill.invoice_date <= end)
    return list(db.session.execute(query.limit(limit).offset(offset)).scalars())


def contact_invoices(store: Store, contact_id: Optional[int]) -> list[Bill]:
    """A contact's invoices newest first; ValidationError when the contact is not the store's."""
    party = find_in_store(Party, store, id=contact_id) if contact_id is not None else None
    if party is None:
        raise ValidationError.field("user_contact_id", "Contact not found in this store")
    return list(db.session.execute(_bills_query(store).where(Bill.party_id == party.id)).scalars())
