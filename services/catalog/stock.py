"""Stock on hand: every change is one conditional statement plus a StockMove row explaining it.

A sale decrements with `UPDATE product SET quantity = quantity - :n WHERE id = :id AND quantity >= :n`; zero rows
updated means not enough stock, and the caller's whole transaction is refused (InsufficientStock, a 400 naming
the product). Products are touched in id order so two bills never deadlock. Purchases add; cancelling a bill
writes the reverse moves. Services and memberships carry no stock.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Mapping, Optional, Union

from sqlalchemy import func, select, update

from extensions import db
from models import Bill, Product, StockMove
from services.bounds import MAX_STOCK
from services.catalog.units import qty_out
from services.errors import ValidationError

Qty = Union[int, Decimal]

PRODUCT = Product.__table__


class InsufficientStock(ValidationError):
    """Not enough units of a product; `product` is the one that ran short."""

    def __init__(self, product: Product, requested: Qty, available: Qty, field: str):
        unit = "" if product.unit == "pcs" else f" {product.unit}"
        message = (f"Insufficient stock for {product.product_name}: {qty_out(available)}{unit} available, "
                   f"{qty_out(requested)}{unit} requested")
        super().__init__(message, {field: [message]})
        self.product = product


def _move(product: Product, delta: Qty, reason: str, bill: Optional[Bill], user_id: Optional[int],
          note=None) -> StockMove:
    move = StockMove(
        store_id=product.store_id, product_id=product.id, delta=delta, reason=reason,
        bill_id=bill.id if bill is not None else None, user_id=user_id, note=note,
    )
    db.session.add(move)
    return move


def _apply(product: Product, delta: Qty) -> bool:
    """Add `delta` to the quantity unless that would take it below zero (or past MAX_STOCK); True when applied."""
    # round(..., 3): SQLite keeps a NUMERIC column as a binary float, where 1.0 - 0.9 < 0.1; rounded to the
    # column's three decimals, selling the last 0.1 kg works and the stock stays exactly the sum of its moves.
    after = func.round(PRODUCT.c.quantity + delta, 3)
    statement = update(PRODUCT).where(PRODUCT.c.id == product.id)
    if delta < 0:
        statement = statement.where(after >= 0)
    else:
        statement = statement.where(after <= MAX_STOCK)  # the column's bound: a clear refusal, never an overflow
    result = db.session.execute(statement.values(quantity=after))
    # The ORM copy of the quantity is now stale; reload it on next access.
    db.session.expire(product, ["quantity"])
    return result.rowcount == 1


def _refuse(product: Product, delta: Qty, field: str) -> None:
    """Why _apply refused `delta`: not enough stock (InsufficientStock), or more than the column holds."""
    if delta > 0:
        raise ValidationError.field(field, f"The stock of {product.product_name} would pass {MAX_STOCK}")
    available = db.session.execute(select(PRODUCT.c.quantity).where(PRODUCT.c.id == product.id)).scalar_one()
    raise InsufficientStock(product, -delta, available, field)


def adjust(
    product: Product,
    delta: Qty,
    *,
    reason: str = "adjust",
    user_id: Optional[int] = None,
    note: Optional[str] = None,
    field: str = "quantity",
) -> Optional[StockMove]:
    """Change one product's stock by `delta` (opening stock, a count, an import) with the move explaining it.

    Refuses to go below zero (InsufficientStock blaming `field`); a zero delta changes nothing (None). The caller
    decides whether the product tracks stock: a product changing type moves its stock before the type changes.
    """
    if not delta:
        return None
    if not _apply(product, delta):
        _refuse(product, delta, field)
    return _move(product, delta, reason, None, user_id, note)


def take_for_sale(
    wanted: Mapping[Product, Qty],
    *,
    bill: Optional[Bill] = None,
    user_id: Optional[int] = None,
    fields: Optional[Mapping[int, str]] = None,
    reason: str = "sale",
) -> None:
    """Decrement each stocked product by its quantity, in id order, or raise InsufficientStock (nothing kept).

    `fields` maps product id to the request field to blame (e.g. "items[2].qty").
    """
    taken = []
    for product in sorted((p for p in wanted if p.tracks_stock), key=lambda p: p.id):
        qty = Decimal(wanted[product])
        if qty <= 0:
            continue
        if not _apply(product, -qty):
            available = db.session.execute(select(PRODUCT.c.quantity).where(PRODUCT.c.id == product.id)).scalar_one()
            raise InsufficientStock(product, qty, available, (fields or {}).get(product.id, "items"))
        taken.append((product, qty))
    # Moves are added after the UPDATEs so each UPDATE does not first autoflush the previous move.
    for product, qty in taken:
        _move(product, -qty, reason, bill, user_id)


def add(
    wanted: Mapping[Product, Qty],
    *,
    reason: str = "purchase",
    bill: Optional[Bill] = None,
    user_id: Optional[int] = None,
    note: Optional[str] = None,
) -> None:
    """Increase stock (purchases, returns, cancellations), in id order."""
    for product in sorted((p for p in wanted if p.tracks_stock), key=lambda p: p.id):
        qty = Decimal(wanted[product])
        if qty <= 0:
            continue
        if not _apply(product, qty):
            _refuse(product, qty, "items")
        _move(product, qty, reason, bill, user_id, note)


def reverse_bill(bill: Bill, user_id: Optional[int] = None) -> None:
    """Write the moves that undo a bill's stock effect (reason cancel): a sale gives back what was not returned
    already, a purchase takes."""
    moves = db.session.execute(
        select(StockMove).where(StockMove.bill_id == bill.id, StockMove.reason.in_(("sale", "purchase", "return")))
    ).scalars().all()
    net: dict[int, Decimal] = {}
    for move in moves:
        net[move.product_id] = net.get(move.product_id, Decimal(0)) + move.delta
    products = {p.id: p for p in db.session.execute(select(Product).where(Product.id.in_(net))).scalars()}
    for product_id in sorted(net):
        delta = -net[product_id]
        if delta == 0:
            continue
        product = products[product_id]
        if not _apply(product, delta):
            _refuse(product, delta, "bill")
        _move(product, delta, "cancel", bill, user_id)


def quantities(lines: Iterable[tuple[Product, Qty]]) -> dict[Product, Decimal]:
    """Total quantity per product over a bill's lines (one product may appear on several lines)."""
    total: dict[Product, Decimal] = {}
    for product, qty in lines:
        total[product] = total.get(product, Decimal(0)) + Decimal(qty)
    return total
