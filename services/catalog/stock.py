"""Stock on hand: every change is one conditional statement plus a StockMove row explaining it.

A change decrements with `UPDATE product SET quantity = quantity - :n WHERE id = :id AND quantity >= :n`; zero rows
updated means not enough stock, and the caller's whole transaction is refused (InsufficientStock, a 400 naming
the product). A sale takes all its products in one such UPDATE, the guard holding for each row (`_take_all`), and
writes its moves in one INSERT. Products are locked in id order so two bills never deadlock. Purchases add;
cancelling a bill writes the reverse moves. Services and memberships carry no stock.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Iterable, Mapping, Optional, Union

from sqlalchemy import Numeric, bindparam, case, func, insert, select, update

from extensions import db
from models import Bill, Product, StockMove, Store, User
from services import audit
from services.accounts.access import require_role
from services.bounds import MAX_STOCK
from services.catalog.units import qty_out, qty_problem
from services.errors import FieldErrors, RuleBroken, ValidationError
from services.paging import Page

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


def opening(product: Product, qty: Qty, field: str = "quantity") -> None:
    """A product about to be added starts with `qty` in stock (0 for an item that keeps none); once the new rows
    have their ids, `opening_moves` writes the moves that explain their stock. Refuses more than the column holds,
    as `adjust` does."""
    qty = Decimal(qty if product.tracks_stock else 0)
    if qty > MAX_STOCK:
        raise ValidationError.field(field, f"The stock of {product.product_name} would pass {MAX_STOCK}")
    product.quantity = qty


def opening_moves(products: Iterable[Product], *, reason: str, user_id: Optional[int] = None,
                  note: Optional[str] = None) -> None:
    """The moves of products just added with their opening stock (`opening`), so stock = sum of moves holds."""
    for product in products:
        if product.quantity:
            _move(product, product.quantity, reason, None, user_id, note)


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
    taken = [(product, Decimal(wanted[product]))
             for product in sorted((p for p in wanted if p.tracks_stock), key=lambda p: p.id)]
    taken = [(product, qty) for product, qty in taken if qty > 0]
    if not taken:
        return
    applied = _take_all(taken)
    for product, qty in taken:  # the first product (in id order) that ran short is the one blamed
        if product.id not in applied:
            available = db.session.execute(select(PRODUCT.c.quantity).where(PRODUCT.c.id == product.id)).scalar_one()
            raise InsufficientStock(product, qty, available, (fields or {}).get(product.id, "items"))
    # One multi-row INSERT for the moves (no ids read back: nothing here uses them).
    db.session.execute(insert(StockMove), [
        {"store_id": product.store_id, "product_id": product.id, "delta": -qty, "reason": reason,
         "bill_id": bill.id if bill is not None else None, "user_id": user_id, "note": None}
        for product, qty in taken
    ])


def _take_all(taken: list[tuple[Product, Decimal]]) -> set[int]:
    """Decrement every product by its quantity in one statement; the ids it decremented.

    The WHERE is the one-product guard, `round(quantity - n, 3) >= 0`, evaluated on each row as it is updated (on
    PostgreSQL re-checked on the latest version after waiting for its lock), so each product is still taken
    atomically or not at all. On PostgreSQL the rows are first locked in id order (FOR UPDATE in a sorted
    sub-select), so two bills never deadlock, as with one UPDATE per product in id order; SQLite has one writer.
    """
    statement = _take_all_statement(len(taken), db.session.get_bind().dialect.name == "postgresql")
    params: dict[str, object] = {"ids": [product.id for product, _ in taken]}
    for index, (product, qty) in enumerate(taken):
        params[f"id_{index}"], params[f"delta_{index}"] = product.id, -qty
    applied = set(db.session.execute(statement, params).scalars())
    for product, _ in taken:  # the ORM copies of the quantities are now stale; reload on next access
        db.session.expire(product, ["quantity"])
    return applied


@lru_cache(maxsize=64)
def _take_all_statement(count: int, postgresql: bool):
    """`_take_all`'s UPDATE for `count` products, built once per count (building it cost more than running it):
    id_<i> and delta_<i> in the CASE, the ids again in `ids`."""
    delta = case(*((bindparam(f"id_{i}", type_=PRODUCT.c.id.type), bindparam(f"delta_{i}", type_=Numeric()))
                   for i in range(count)), value=PRODUCT.c.id)
    after = func.round(PRODUCT.c.quantity + delta, 3)
    ids = bindparam("ids", expanding=True, type_=PRODUCT.c.id.type)
    statement = update(PRODUCT)
    if postgresql:
        locked = select(PRODUCT.c.id).where(PRODUCT.c.id.in_(ids)).order_by(PRODUCT.c.id).with_for_update().subquery()
        statement = statement.where(PRODUCT.c.id == locked.c.id)
    else:
        statement = statement.where(PRODUCT.c.id.in_(ids))
    return statement.where(after >= 0).values(quantity=after).returning(PRODUCT.c.id)


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


# --------------------------------------------------------------------------- adjustments with a reason

# The reasons a manager gives an adjustment (stock_move.reason), in the order the form offers them.
ADJUST_REASONS = {
    "opening": "Opening stock", "count": "Stock count", "damage": "Damaged", "theft": "Theft or loss",
    "expiry": "Expired", "correction": "Correction", "to_supplier": "Returned to supplier",
}
# Reasons that can only take stock away.
LOSS_REASONS = ("damage", "theft", "expiry", "to_supplier")
REASON_LABELS = {
    "sale": "Sale", "purchase": "Purchase", "adjust": "Adjustment", "cancel": "Bill cancelled",
    "import": "Import", "return": "Customer return", **ADJUST_REASONS,
}
MODES = ("add", "remove", "set")  # add n, remove n, or set the stock to n (what was counted)
NOTE_MAX = 255
STOCKTAKE_MAX_LINES = 500


@dataclass(frozen=True)
class Adjustment:
    """One adjustment as typed: `mode` add / remove / set, `amount` (a Decimal; anything else is refused beside its
    field), the reason and an optional note."""

    mode: str
    amount: object
    reason: str
    note: Optional[str] = None


def _amount_problem(product: Product, mode: str, amount: object) -> Optional[str]:
    if mode == "set":
        if isinstance(amount, Decimal) and amount == 0:
            return None  # counted none: a valid count
        return qty_problem(amount, product.unit)
    return qty_problem(amount, product.unit)


def adjust_with_reason(store: Store, user: User, product: Product, given: Adjustment) -> StockMove:
    """Add to, remove from or set a product's stock with a reason and a note (owners and managers), audited.

    Refuses a product that keeps no stock, a change to the same figure, a loss reason that would add stock, and
    anything that would take the stock below zero; the move goes through `adjust`, like every other change.
    """
    require_role(user, store, "manager")
    errors = FieldErrors()
    if given.reason not in ADJUST_REASONS:
        errors.add("reason", "Choose a reason from the list")
    if given.mode not in MODES:
        errors.add("mode", "Choose add, remove or set to")
    elif (problem := _amount_problem(product, given.mode, given.amount)) is not None:
        errors.add("amount", problem)
    note = (given.note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        errors.add("note", f"At most {NOTE_MAX} characters")
    if not product.tracks_stock:
        errors.add("amount", f"{product.product_name} is a {product.type}: it keeps no stock")
    errors.raise_if()
    locked = db.session.execute(
        select(Product).where(Product.id == product.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    before = locked.quantity
    amount = Decimal(given.amount)
    delta = {"add": amount, "remove": -amount, "set": amount - before}[given.mode]
    if delta == 0:
        raise ValidationError.field("amount", f"The stock of {locked.product_name} is already "
                                              f"{qty_out(before)}: nothing to change")
    if delta > 0 and given.reason in LOSS_REASONS:
        raise ValidationError.field("reason", f"“{ADJUST_REASONS[given.reason]}” takes stock away: "
                                              "remove units or set a lower count")
    if before + delta < 0:
        raise ValidationError.field("amount", f"That would take the stock of {locked.product_name} below zero: "
                                              f"{qty_out(before)} on hand, removing {qty_out(-delta)}")
    move = adjust(locked, delta, reason=given.reason, user_id=user.id, note=note, field="amount")
    db.session.flush()
    audit.record("adjust", "stock", locked.id, store_id=store.id, user_id=user.id,
                 before={"quantity": f"{before:f}"}, after={"quantity": f"{locked.quantity:f}"},
                 meta={"reason": given.reason, "delta": f"{delta:f}", "note": note, "move_id": move.id})
    return move


@dataclass(frozen=True)
class HistoryRow:
    move: StockMove
    balance: Decimal  # the stock right after this move
    username: Optional[str]
    invoice_number: Optional[str]

    @property
    def label(self) -> str:
        return REASON_LABELS.get(self.move.reason, self.move.reason)


def history(product: Product, page: int, limit: int) -> Page:
    """A product's stock moves, newest first, each with the stock it left (a running sum in id order), the user
    and the bill's number."""
    running = select(
        StockMove.id.label("move_id"),
        func.sum(StockMove.delta).over(order_by=StockMove.id).label("balance"),
    ).where(StockMove.product_id == product.id).subquery()
    total = db.session.execute(
        select(func.count()).select_from(StockMove).where(StockMove.product_id == product.id)).scalar_one()
    rows = db.session.execute(
        select(StockMove, running.c.balance, User.username, Bill.invoice_number)
        .join(running, running.c.move_id == StockMove.id)
        .outerjoin(User, User.id == StockMove.user_id)
        .outerjoin(Bill, Bill.id == StockMove.bill_id)
        .order_by(StockMove.id.desc()).limit(limit).offset((page - 1) * limit)
    ).all()
    items = [HistoryRow(move, Decimal(balance).quantize(Decimal("0.001")), name, number)
             for move, balance, name, number in rows]
    return Page(items, page, limit, total, page * limit < total)


# --------------------------------------------------------------------------- stocktake


@dataclass(frozen=True)
class CountLine:
    """One line of a count sheet: the product, the stock on hand when it was put on the sheet (`seen`) and what
    was counted (a Decimal, or the text typed when it is not one)."""

    product: Product
    seen: Decimal
    counted: object


def count_problems(lines: list[CountLine]) -> FieldErrors:
    """Every line's problem at once, keyed "counted-<product id>"."""
    errors = FieldErrors()
    if not lines:
        errors.add("code", "Add at least one item to the count sheet")
    if len(lines) > STOCKTAKE_MAX_LINES:
        errors.add("code", f"At most {STOCKTAKE_MAX_LINES} items on one count sheet: post this one first")
    for line in lines:
        key = f"counted-{line.product.id}"
        if not line.product.tracks_stock:
            errors.add(key, f"{line.product.product_name} is a {line.product.type}: it keeps no stock")
        elif line.counted is None or line.counted == "":
            errors.add(key, "Type the quantity counted (0 if none)")
        elif (problem := _amount_problem(line.product, "set", line.counted)) is not None:
            errors.add(key, problem)
    return errors


class StockChanged(RuleBroken):
    """The stock of some items moved (a sale, a purchase) since they were put on the count sheet."""

    def __init__(self, changed: dict[int, Decimal], names: list[str]):
        super().__init__("The stock of " + ", ".join(names) + " changed since you added them to the count sheet. "
                         "Their stock on hand is now shown: check the counts and post again.", "stock_changed")
        self.changed = changed  # product id -> quantity now


def post_count(store: Store, user: User, lines: list[CountLine], note: Optional[str] = None) -> list[StockMove]:
    """Post a whole count sheet as one adjustment (reason "count", one move per item that differs), or nothing.

    Each line's stock must still be what it was when the line was added (`seen`); otherwise StockChanged names
    the items and their quantity now, and nothing is written: a sale during the count is never overwritten
    silently. Items are locked in id order (as bills do), so two posts cannot interleave.
    """
    require_role(user, store, "manager")
    errors = count_problems(lines)
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX - 20:
        errors.add("note", f"At most {NOTE_MAX - 20} characters")
    ids = [line.product.id for line in lines]
    if len(set(ids)) != len(ids):
        errors.add("code", "An item is on the sheet twice")
    errors.raise_if()
    by_id = {line.product.id: line for line in lines}
    locked = db.session.execute(
        select(Product).where(Product.id.in_(by_id), Product.store_id == store.id)
        .order_by(Product.id).with_for_update().execution_options(populate_existing=True)
    ).scalars().all()
    changed = {p.id: p.quantity for p in locked if p.quantity != by_id[p.id].seen}
    if changed:
        raise StockChanged(changed, [p.product_name for p in locked if p.id in changed])
    moves, shown = [], []
    sheet_note = "Stock count" + (f": {note}" if note else "")
    for product in locked:
        counted = Decimal(by_id[product.id].counted)
        delta = counted - product.quantity
        shown.append({"product_id": product.id, "before": f"{product.quantity:f}", "counted": f"{counted:f}"})
        move = adjust(product, delta, reason="count", user_id=user.id, note=sheet_note, field=f"counted-{product.id}")
        if move is not None:
            moves.append(move)
    db.session.flush()
    audit.record("stocktake", "stock", None, store_id=store.id, user_id=user.id,
                 meta={"note": note, "lines": shown, "moves": [m.id for m in moves]})
    return moves
