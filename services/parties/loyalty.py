"""Loyalty points: a store's customers earn points on what they pay and redeem them at the till as a discount.

The store sets the scheme (services.accounts.billing_options): `loyalty_per_100`, points earned per ₹100 paid, and
`loyalty_point_value`, a point's worth in rupees when redeemed; either at 0 turns that half off.

- Earned when a sale bill is saved for a customer: floor(paid now x per_100 / 100), paid now being what the bill
  took at Save (a redemption is a discount, not a payment, so it earns nothing). Later payments earn nothing.
- Redeemed on a sale bill (BillDraft.loyalty_points): the engine takes points x value off the bill as a bill
  discount (price_draft), and save_bill takes the points from the balance with one conditional UPDATE
  (`loyalty_points >= n`): two tills redeeming the same points at once cannot both have them.
- A return takes back its share of the points the bill earned (floor(earned x credit note total / bill total));
  a cancellation takes back whatever the bill earned and has not given back yet, and gives back the points it
  redeemed. Nothing is ever taken below zero: a customer who has spent the points keeps a zero balance, and the
  entry says how much was actually taken.

Customer.loyalty_points is the balance; every change is a LoyaltyEntry with the balance after it, so the balance
always equals the sum of the entries (an API write of `loyalty_points` is an `adjust` entry).
"""
from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Optional

from sqlalchemy import func, select, update

from extensions import db
from models import Bill, Customer, LoyaltyEntry, Store, User
from services.accounts.billing_options import billing_options
from services.errors import ValidationError
from services.paging import Page, paginate

CENT = Decimal("0.01")


def value_of(store: Store, points: int) -> Decimal:
    """What `points` are worth as a discount (₹, to the paisa)."""
    if not points:
        return Decimal("0.00")
    return (Decimal(points) * billing_options(store).loyalty_point_value).quantize(CENT)


def points_for(store: Store, paid: Decimal) -> int:
    """Points earned on `paid` rupees (whole points, rounded down)."""
    per_100 = billing_options(store).loyalty_per_100
    if not per_100 or paid <= 0:
        return 0
    return int((Decimal(paid) * per_100 / 100).to_integral_value(rounding=ROUND_FLOOR))


def redeem_problem(store: Store, customer: Optional[Customer], points: object) -> Optional[str]:
    """Why `points` cannot be redeemed on a bill for `customer` (before anything is written), or None."""
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        return "Enter whole points, 0 or more."
    if not points:
        return None
    if not billing_options(store).loyalty_point_value:
        return "This store does not take loyalty points as payment."
    if customer is None:
        return "Choose the customer whose points these are."
    if points > customer.loyalty_points:
        return f"{customer.name} has {customer.loyalty_points} points; redeem at most that."
    return None


def _change(store: Store, party_id: int, points: int, kind: str, *, bill: Optional[Bill], user: Optional[User],
            value: Decimal = Decimal("0.00"), floor: bool = False) -> Optional[LoyaltyEntry]:
    """Add `points` (below zero: take) to the customer's balance in one conditional UPDATE and write the entry.
    Taking more than the balance: None (nothing changed), or with `floor` take what there is."""
    if not points:
        return None
    if points < 0 and floor:
        held = db.session.execute(select(Customer.loyalty_points).where(
            Customer.party_id == party_id, Customer.store_id == store.id).with_for_update()).scalar_one_or_none()
        points = -min(-points, held or 0)
        if not points:
            return None
    statement = update(Customer).where(Customer.party_id == party_id, Customer.store_id == store.id)
    if points < 0:
        statement = statement.where(Customer.loyalty_points >= -points)
    balance = db.session.execute(statement.values(loyalty_points=Customer.loyalty_points + points)
                                 .returning(Customer.loyalty_points)).scalar_one_or_none()
    if balance is None:
        return None
    entry = LoyaltyEntry(store_id=store.id, party_id=party_id, bill_id=bill.id if bill is not None else None,
                         kind=kind, points=points, balance=balance, value=value,
                         user_id=user.id if user is not None else None)
    db.session.add(entry)
    customer = db.session.execute(select(Customer).where(Customer.party_id == party_id)).scalar_one_or_none()
    if customer is not None:
        db.session.expire(customer, ["loyalty_points"])  # the UPDATE changed it under the ORM
    return entry


def after_sale(store: Store, user: Optional[User], bill: Bill, redeemed: int) -> None:
    """A sale bill was written for a customer: take the points it redeemed (refused when the balance no longer
    holds them), then add the points its payment earned."""
    if bill.kind != "sale" or bill.party_id is None:
        return
    if redeemed:
        entry = _change(store, bill.party_id, -redeemed, "redeem", bill=bill, user=user,
                        value=value_of(store, redeemed))
        if entry is None:
            held = db.session.execute(select(Customer.loyalty_points).where(
                Customer.party_id == bill.party_id)).scalar_one_or_none() or 0
            raise ValidationError.field("loyalty_points", f"The customer has {held} points now; redeem at most that.")
    _change(store, bill.party_id, points_for(store, bill.paid_amount), "earn", bill=bill, user=user)


def _of_bill(bill: Bill, *kinds: str) -> int:
    return db.session.execute(select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
        LoyaltyEntry.bill_id == bill.id, LoyaltyEntry.kind.in_(kinds))).scalar_one()


def after_return(store: Store, user: Optional[User], bill: Bill, credited: Decimal) -> None:
    """A return of `credited` rupees against `bill`: take back that share of the points the bill earned."""
    if bill.party_id is None or not bill.total_amount:
        return
    earned = _of_bill(bill, "earn")
    share = int((Decimal(earned) * Decimal(credited) / bill.total_amount).to_integral_value(rounding=ROUND_FLOOR))
    share = min(share, earned + _of_bill(bill, "return"))  # never more than is left of what it earned
    _change(store, bill.party_id, -share, "return", bill=bill, user=user, floor=True)


def after_cancel(store: Store, user: Optional[User], bill: Bill) -> None:
    """A cancelled sale: take back what it earned and has not given back, give back what it redeemed."""
    if bill.kind != "sale" or bill.party_id is None:
        return
    left = _of_bill(bill, "earn", "return")
    redeemed = -_of_bill(bill, "redeem")
    if redeemed:
        _change(store, bill.party_id, redeemed, "cancel", bill=bill, user=user)
    if left > 0:
        _change(store, bill.party_id, -left, "cancel", bill=bill, user=user, floor=True)


def adjust(store: Store, user: Optional[User], party_id: int, before: int, after: int) -> None:
    """A balance written directly (the NamastePMS customer's loyalty_points): the difference as an entry."""
    if after != before:
        db.session.add(LoyaltyEntry(store_id=store.id, party_id=party_id, kind="adjust", points=after - before,
                                    balance=after, user_id=user.id if user is not None else None))


def entries(store: Store, party_id: int, page: int = 1, limit: int = 20) -> Page:
    """A customer's points, newest first."""
    query = (select(LoyaltyEntry).where(LoyaltyEntry.store_id == store.id, LoyaltyEntry.party_id == party_id)
             .order_by(LoyaltyEntry.id.desc()))
    return paginate(query, page, limit)
