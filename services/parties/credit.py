"""Credit limits: how much a customer may owe the store (Customer.credit_limmit, the NamastePMS contract's spelling;
0 means no limit is set).

What a customer owes is their opening balance (less what payments settled of it) plus the dues of their sale bills
that are not cancelled (a bill's dues are already net of its payments and credit notes). The till refuses a bill that
leaves dues when they would take the customer past their limit, unless an owner or manager allows it; allowing it is
written to the audit log.
A bill paid in full is never refused, whatever the customer already owes. The check runs after the bill is
written, under a lock on the customer's row, so two tills billing the same customer at once cannot both slip
under the limit (the second waits, then counts the first's bill).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Optional

from sqlalchemy import func, select

from extensions import db
from models import Bill, Customer, OpeningPayment, Store, User
from services import audit
from services.accounts.access import has_role, membership_for
from services.errors import PermissionDenied, ValidationError
from services.formatting import inr

OVER_LIMIT = ("{name} would owe {owed}, over their credit limit of {limit}: take {over} more now, or a manager can "
              "allow it")
NOT_ALLOWED = "Only a manager or the owner can allow a bill over a customer's credit limit"


def owed_by(store: Store, party_id: int, opening: Decimal) -> Decimal:
    """What the customer owes now: `opening` (their opening balance) less what payments settled of it, and the dues
    of their live sale bills."""
    dues = db.session.execute(select(func.coalesce(func.sum(Bill.due_amount), 0)).where(
        Bill.store_id == store.id, Bill.party_id == party_id, Bill.kind == "sale", Bill.cancelled_at.is_(None),
        Bill.due_amount > 0)).scalar_one()
    settled = db.session.execute(select(func.coalesce(func.sum(OpeningPayment.amount), 0))
                                 .where(OpeningPayment.party_id == party_id)).scalar_one()
    return (Decimal(opening or 0) - Decimal(settled) + Decimal(dues)).quantize(Decimal("0.01"))


def check_limit(store: Store, user: User, bill: Bill, *, allow: bool = False) -> Optional[dict]:
    """After `bill` is written (flushed): refuse it (ValidationError on `credit_limit`) when its dues take its
    customer past their limit, unless `allow` by an owner or manager, which is audited. Returns what was allowed
    (the limit and what is owed), or None when nothing was over."""
    if bill.kind != "sale" or bill.party_id is None or bill.due_amount <= 0:
        return None
    customer = db.session.execute(select(Customer).where(Customer.party_id == bill.party_id,
                                                         Customer.store_id == store.id)
                                  .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()
    if customer is None or not customer.credit_limmit or customer.credit_limmit <= 0:
        return None
    owed = owed_by(store, bill.party_id, customer.open_balance)
    if owed <= customer.credit_limmit:
        return None
    if not allow:
        message = OVER_LIMIT.format(name=customer.name, owed=inr(owed), limit=inr(customer.credit_limmit),
                                    over=inr(owed - customer.credit_limmit))
        raise ValidationError.field("credit_limit", message)
    membership = membership_for(user, store)
    if membership is None or not has_role(membership.role, "manager"):
        raise PermissionDenied(NOT_ALLOWED)
    allowed = {"customer": customer.name, "party_id": bill.party_id, "limit": f"{customer.credit_limmit:f}",
               "owed": f"{owed:f}", "bill_dues": f"{bill.due_amount:f}"}
    audit.record("credit_override", "bill", bill.uid, store_id=store.id, user_id=user.id, meta=allowed)
    return allowed
