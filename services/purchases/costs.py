"""A product's cost per unit, kept by purchases: `last_cost` and `average_cost` (Numeric(14,4), Decimal only).

The cost of a purchase line is its taxable value (after its discounts, before GST: input tax is claimed back, so it
is no cost) over its quantity. When a purchase is saved (services.billing.bills.save_bill, after stock.add):

    last_cost    = the bill's taxable value of the product / its quantity (all its lines on the bill together)
    average_cost = (old_qty * old_avg + value) / (old_qty + qty)      rounded half-up to 4 decimals

where old_qty is the stock on hand before the purchase. With no stock before it (old_qty <= 0: nothing on hand
carries a value) or no average yet (stock from opening stock or an import, never purchased), the new average is
the purchase's own unit cost.

Cancelling a purchase (cancel_bill) takes its units out at the average they are carried at, so `average_cost`
does not change (as any issue of stock under weighted average); `last_cost` goes back to the newest purchase of
the product that is not cancelled (None when there is none). A sale never changes either.

Stock value = quantity x average_cost; profit on a sale line = taxable value - qty x average_cost at the time of
the sale (docs/design.md, "Purchases and cost").
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Optional

from sqlalchemy import func, select, update

from extensions import db
from models import Bill, BillItem, Product, Store

COST_PLACES = Decimal("0.0001")
ZERO = Decimal("0")


def unit_cost(value: Decimal) -> Decimal:
    return Decimal(value).quantize(COST_PLACES, rounding=ROUND_HALF_UP)


def weighted_average(old_qty: Decimal, old_avg: Optional[Decimal], qty: Decimal, value: Decimal) -> Decimal:
    """The average cost after adding `qty` units worth `value` (before GST) to `old_qty` units at `old_avg`."""
    if old_avg is None or old_qty <= 0:
        return unit_cost(value / qty)
    return unit_cost((old_qty * old_avg + value) / (old_qty + qty))


def record_purchase(lines: Iterable[tuple[Product, Decimal, Decimal]]) -> None:
    """After a purchase's stock.add: each stocked product's (qty, taxable value) lines update its costs.

    Reads the quantity after the stock UPDATE (which holds the product row's lock), so old_qty is exact."""
    totals: dict[Product, list[Decimal]] = {}
    for product, qty, value in lines:
        qty = Decimal(qty)
        if not product.tracks_stock or qty <= 0:
            continue
        entry = totals.setdefault(product, [ZERO, ZERO])
        entry[0] += qty
        entry[1] += Decimal(value)
    for product in sorted(totals, key=lambda p: p.id):
        qty, value = totals[product]
        on_hand, old_avg = db.session.execute(
            select(Product.quantity, Product.average_cost).where(Product.id == product.id)).one()
        average = weighted_average(Decimal(on_hand) - qty, old_avg, qty, value)
        db.session.execute(update(Product).where(Product.id == product.id).values(
            last_cost=unit_cost(value / qty), average_cost=average))
        db.session.expire(product, ["last_cost", "average_cost"])


def after_cancel(bill: Bill) -> None:
    """A purchase was cancelled: each product's last_cost goes back to its newest purchase still standing."""
    product_ids = sorted({item.product_id for item in bill.items if item.product_id is not None})
    for product_id in product_ids:
        newest = db.session.execute(
            select(BillItem.taxable_amount, BillItem.qty).join(Bill, Bill.id == BillItem.bill_id)
            .where(BillItem.product_id == product_id, Bill.kind == "purchase", Bill.cancelled_at.is_(None),
                   Bill.id != bill.id, BillItem.qty > 0)
            .order_by(Bill.created_at.desc(), Bill.id.desc(), BillItem.line_no.desc()).limit(1)
        ).first()
        last = unit_cost(Decimal(newest.taxable_amount) / Decimal(newest.qty)) if newest else None
        db.session.execute(update(Product).where(Product.id == product_id).values(last_cost=last))
    for item in bill.items:
        if item.product is not None:
            db.session.expire(item.product, ["last_cost"])


def stock_value(store: Store) -> Decimal:
    """The store's stock at cost: sum of quantity x average_cost over live stocked products (to the paisa).

    PostgreSQL sums the NUMERIC products exactly in the database; SQLite keeps NUMERIC as binary floats, so there
    the rows are read and summed as Decimals."""
    live = (Product.store_id == store.id, Product.archived.is_(False), Product.type == "product",
            Product.quantity > 0, Product.average_cost.is_not(None))
    if db.session.get_bind().dialect.name == "postgresql":
        total = db.session.execute(select(func.sum(Product.quantity * Product.average_cost)).where(*live)).scalar()
        total = Decimal(total) if total is not None else ZERO
    else:
        rows = db.session.execute(select(Product.quantity, Product.average_cost).where(*live)).all()
        total = sum((Decimal(str(qty)) * Decimal(str(avg)) for qty, avg in rows), ZERO)
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

