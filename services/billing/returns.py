"""Returns: a sale's lines given back in part or in full, each return one credit note.

    create_return(store: Store, user: User, bill: Bill, draft: ReturnDraft, *, now=None) -> CreditNote

is what Billing v1 (POST .../bills/<billId>/returns) and the bill page's "Return items" call. Managers and owners
only (a return moves money back, as cancelling does). It flushes and never commits: the caller commits once, or
rolls back on any DomainError (then nothing at all was written, not even a credit-note number).

Order inside the transaction (as save_bill's, see services.billing.numbering):
1. read-only checks: the bill is a sale and not cancelled; each line exists, its qty fits its unit
   (services.catalog.units.qty_problem) and what is left to return; the refund mode is one of REFUND_MODES;
2. the FIRST write: the credit-note number, CN + financial year + 5 digits (numbering.take_next, series "CN"), which
   locks the store's CN counter until commit;
3. the bill row is re-read locked (FOR UPDATE on PostgreSQL) so its dues and earlier credits are current;
4. each line's returned_qty grows by a CONDITIONAL UPDATE (... WHERE returned_qty + q <= qty): no row updated means
   someone returned it first, and the whole return is refused naming "items[i].qty" with how many are left;
5. amounts from services.billing.pricing.price_return; the credit first reduces the bill's dues, the rest is
   refunded in `refund_mode` (400 on refund_mode when money is due back and no mode was given);
6. CreditNote + CreditNoteItems, stock back through services.catalog.stock.add(reason="return"), bill credited and
   refunded amounts, bills.settle(bill) (the one place dues and status change), the audit row.
"""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Optional, Union

from sqlalchemy import func, select, update

from extensions import db
from models import Bill, BillItem, CreditNote, CreditNoteItem, Store, User
from services import audit
from services.accounts.access import require_role
from services.billing import numbering
from services.billing.bills import lock_bill, settle
from services.billing.pricing import ZERO, BillForReturn, PricedReturn, ReturnedLine, money, price_return
from services.catalog import stock, units
from services.errors import FieldErrors, ValidationError
from services.parties import loyalty, wallet
from services.salon import memberships
from services.vocabulary import NO_PAYMENT, REFUND_MODES

SERIES = "CN"
ITEM = BillItem.__table__
REASON_LENGTH = 255


@dataclass
class ReturnLine:
    line_no: int
    qty: Union[int, Decimal]  # whole for pcs; up to 3 decimals for kg, g, l, ml, m
    field: Optional[str] = None  # the request path to blame ("items[0]")


@dataclass
class ReturnDraft:
    lines: list[ReturnLine] = dc_field(default_factory=list)
    refund_mode: Optional[str] = None  # cash | card | upi | wallet | none; needed when money is paid back
    reason: Optional[str] = None


def _where(line: ReturnLine, index: int) -> str:
    return line.field or f"items[{index}]"


def left_to_return(item: BillItem) -> Decimal:
    return Decimal(item.qty) - Decimal(item.returned_qty or 0)


def _left_message(item: BillItem, left: Decimal) -> str:
    unit = "" if item.unit == units.PCS else f" {item.unit}"
    if left <= 0:
        return f"Line {item.line_no} ({item.name}) has been returned in full"
    return f"Only {units.qty_out(left)}{unit} of line {item.line_no} ({item.name}) left to return"


def check_bill(bill: Bill) -> None:
    """A return needs a sale that is not cancelled."""
    if bill.kind != "sale":
        raise ValidationError.field("bill", "Only a sale can be returned; this bill is a purchase")
    if bill.cancelled_at is not None:
        raise ValidationError.field("bill", "This bill is cancelled; a cancelled bill cannot be returned")


def _check_draft(bill: Bill, draft: ReturnDraft) -> dict[int, BillItem]:
    """Every read-only rule; returns the bill's items by line_no."""
    check_bill(bill)
    errors = FieldErrors()
    items = {item.line_no: item for item in bill.items}
    if not draft.lines:
        errors.add("items", "At least one line to return is required")
    seen: set[int] = set()
    fine = []
    for index, line in enumerate(draft.lines):
        where = _where(line, index)
        item = items.get(line.line_no)
        if item is None:
            errors.add(f"{where}.line_no", f"The bill has no line {line.line_no}")
            continue
        if line.line_no in seen:
            errors.add(f"{where}.line_no", f"Line {line.line_no} is given twice")
            continue
        seen.add(line.line_no)
        if problem := units.qty_problem(line.qty, item.unit):
            errors.add(f"{where}.qty", problem)
        elif Decimal(line.qty) > left_to_return(item):
            errors.add(f"{where}.qty", _left_message(item, left_to_return(item)))
        else:
            fine.append((where, item, Decimal(line.qty)))
    memberships.return_problems(fine, errors)  # a line partly paid by sessions: whole or not at all
    if draft.refund_mode is not None and draft.refund_mode not in REFUND_MODES:
        errors.add("refund_mode", "Must be one of: " + ", ".join(REFUND_MODES))
    if draft.reason is not None and len(draft.reason) > REASON_LENGTH:
        errors.add("reason", f"At most {REASON_LENGTH} characters")
    errors.raise_if()
    return items


def _take_returned(item: BillItem, qty: Decimal, where: str) -> None:
    """returned_qty += qty unless that would pass the sold qty (the guard two concurrent returns meet)."""
    # round(..., 3): SQLite keeps NUMERIC as a binary float, where 0.1 + 0.2 > 0.3.
    grown = func.round(ITEM.c.returned_qty + qty, 3)
    result = db.session.execute(
        update(ITEM).where(ITEM.c.id == item.id, grown <= ITEM.c.qty).values(returned_qty=grown)
    )
    if result.rowcount != 1:
        db.session.refresh(item)
        message = _left_message(item, left_to_return(item))
        raise ValidationError(message, {f"{where}.qty": [message]})
    db.session.expire(item, ["returned_qty"])


def _credited_before(bill: Bill) -> tuple[dict[int, tuple[Decimal, ...]], tuple[Decimal, ...]]:
    """What earlier credit notes took: per bill item (taxable, cgst, sgst, igst), and per bill (value, discount,
    round_off, total)."""
    per_item = {
        row[0]: tuple(row[1:])
        for row in db.session.execute(
            select(CreditNoteItem.bill_item_id, func.sum(CreditNoteItem.taxable_amount),
                   func.sum(CreditNoteItem.cgst_amount), func.sum(CreditNoteItem.sgst_amount),
                   func.sum(CreditNoteItem.igst_amount))
            .join(CreditNote, CreditNote.id == CreditNoteItem.credit_note_id)
            .where(CreditNote.bill_id == bill.id).group_by(CreditNoteItem.bill_item_id)
        )
    }
    totals = db.session.execute(
        select(func.sum(CreditNote.sub_total), func.sum(CreditNote.discount), func.sum(CreditNote.round_off),
               func.sum(CreditNote.total_amount)).where(CreditNote.bill_id == bill.id)
    ).one()
    return per_item, tuple(Decimal(v or 0) for v in totals)


def _money_tuple(values) -> tuple[Decimal, ...]:
    return tuple(Decimal(v or 0) for v in values)


def price_bill_return(bill: Bill, draft: ReturnDraft, items: dict[int, BillItem]) -> PricedReturn:
    """The engine's amounts for this return against the bill as it now stands (after the lines were taken)."""
    per_item, (value, discount, round_off, total) = _credited_before(bill)
    returning = {line.line_no: Decimal(line.qty) for line in draft.lines}
    lines = []
    for line in draft.lines:
        item = items[line.line_no]
        returned_after = Decimal(item.returned_qty)
        lines.append(ReturnedLine(
            qty=Decimal(item.qty), returned_before=returned_after - returning[line.line_no],
            taxable_amount=item.taxable_amount, cgst_amount=item.cgst_amount, sgst_amount=item.sgst_amount,
            igst_amount=item.igst_amount or ZERO,
            credited_before=_money_tuple(per_item.get(item.id, (0, 0, 0, 0))), returning=returning[line.line_no],
        ))
    before_tax = any(item.bill_discount_amount for item in bill.items)
    completes = all(Decimal(item.returned_qty) >= Decimal(item.qty) for item in bill.items)
    facts = BillForReturn(
        lines_value=sum((item.line_total for item in bill.items), ZERO),
        discount=ZERO if before_tax else bill.discount, round_off=bill.round_off or ZERO,
        total_amount=bill.total_amount, credited_value_before=value, credited_discount_before=discount,
        credited_round_off_before=round_off, credited_total_before=total,
    )
    return price_return(facts, lines, completes_bill=completes)


def create_return(store: Store, user: User, bill: Bill, draft: ReturnDraft, *,
                  now: Optional[datetime] = None) -> CreditNote:
    """Return lines of a sale as one credit note (flushes; the caller commits). See the module docstring."""
    now = now or datetime.now(timezone.utc)
    require_role(user, store, "manager")
    if bill.store_id != store.id:
        raise ValidationError.field("bill", "Bill not found in this store")
    _check_draft(bill, draft)

    # First write of the transaction: the CN counter lock (see services.billing.numbering).
    taken = numbering.take_next(store, series=SERIES, now=now)
    bill = lock_bill(bill)
    check_bill(bill)  # cancelled while we waited for the lock?
    items = {item.line_no: item for item in db.session.execute(
        select(BillItem).where(BillItem.bill_id == bill.id).execution_options(populate_existing=True)
    ).scalars()}
    for index, line in enumerate(draft.lines):
        _take_returned(items[line.line_no], Decimal(line.qty), _where(line, index))
    priced = price_bill_return(bill, draft, items)
    totals = priced.totals

    dues_reduced = min(totals.grand_total, bill.due_amount)
    refund = totals.grand_total - dues_reduced
    mode = draft.refund_mode
    if refund > 0 and mode in (None, NO_PAYMENT):
        raise ValidationError.field(
            "refund_mode", f"{refund} is to be paid back: choose how (one of: cash, card, upi, wallet)")
    note = CreditNote(
        store_id=store.id, bill_id=bill.id, user_id=user.id, number=taken.number, series=taken.series,
        fy=taken.fy, seq=taken.seq, note_date=store.local_today(now), reason=draft.reason,
        refund_mode=mode if refund > 0 else NO_PAYMENT, refund_amount=refund, dues_reduced=dues_reduced,
        sub_total=totals.sub_total, discount=totals.discount, taxable_amount=totals.taxable_amount,
        cgst_amount=totals.cgst_amount, sgst_amount=totals.sgst_amount, igst_amount=totals.igst_amount,
        tax=totals.tax_amount, round_off=totals.round_off, total_amount=totals.grand_total, created_at=now,
    )
    for line, amounts in zip(draft.lines, priced.lines):
        item = items[line.line_no]
        note.items.append(CreditNoteItem(
            bill_item_id=item.id, line_no=item.line_no, product_id=item.product_id, name=item.name,
            hsn_code=item.hsn_code, unit=item.unit, qty=Decimal(line.qty), rate=item.rate,
            taxable_amount=amounts.taxable_amount, cgst_rate=item.cgst_rate, sgst_rate=item.sgst_rate,
            igst_rate=item.igst_rate or ZERO, cgst_amount=amounts.cgst_amount, sgst_amount=amounts.sgst_amount,
            igst_amount=amounts.igst_amount, line_total=amounts.line_total,
        ))
    db.session.add(note)

    before = audit.snapshot(bill, ("credited_amount", "refunded_amount", "due_amount", "status"))
    bill.credited_amount = bill.credited_amount + totals.grand_total
    bill.refunded_amount = bill.refunded_amount + refund
    settle(bill)
    db.session.flush()
    returned = stock.quantities((items[line.line_no].product, line.qty) for line in draft.lines
                                if items[line.line_no].product is not None)
    stock.add(returned, reason="return", bill=bill, user_id=user.id, note=taken.number)
    loyalty.after_return(store, user, bill, note.total_amount)
    wallet.after_return(store, user, bill, note)
    memberships.after_return(store, user, bill, note)  # a plan returned ends; sessions returned go back
    audit.record("return", "bill", bill.uid, store_id=store.id, user_id=user.id, before=before,
                 after=audit.snapshot(bill, ("credited_amount", "refunded_amount", "due_amount", "status")),
                 meta={"credit_note": note.number, "total": f"{note.total_amount:f}", "refund": f"{refund:f}",
                       "refund_mode": note.refund_mode, "reason": draft.reason})
    db.session.flush()
    return note


def membership_discounts_returned(note: CreditNote) -> dict[int, Decimal]:
    """Per credit-note item id, the part of its bill line's membership discount that belongs to the units this note
    returned: money(line's membership discount x units returned up to and with this note / qty) less the same for
    the notes before it, so a line returned in full over several notes adds up to its membership discount exactly."""
    lines = {item.bill_item_id: item for item in note.items}
    if not any(item.bill_item.membership_discount for item in note.items):
        return {item.id: ZERO for item in note.items}
    before = dict(db.session.execute(
        select(CreditNoteItem.bill_item_id, func.sum(CreditNoteItem.qty))
        .where(CreditNoteItem.bill_item_id.in_(lines), CreditNoteItem.credit_note_id < note.id)
        .group_by(CreditNoteItem.bill_item_id)).all())
    shares = {}
    for bill_item_id, item in lines.items():
        line = item.bill_item
        sold, earlier = Decimal(line.qty), Decimal(before.get(bill_item_id) or 0)
        whole = Decimal(line.membership_discount or 0)
        shares[item.id] = (money(whole * (earlier + Decimal(item.qty)) / sold) - money(whole * earlier / sold)
                           if whole else ZERO)
    return shares


def credit_notes_of(bill: Bill) -> list[CreditNote]:
    """The bill's credit notes, oldest first (no query for a bill nothing was returned from: every credit note
    returns some quantity of a line)."""
    if not any(item.returned_qty for item in bill.items):
        return []
    return list(db.session.execute(
        select(CreditNote).where(CreditNote.bill_id == bill.id).order_by(CreditNote.id)
    ).scalars())
