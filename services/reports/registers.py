"""The owner's and accountant's reports over a period of the store's days (issue 15): the sales and purchase
registers (invoice-wise), the day book (every voucher), profit and loss, the stock summary (quantity and value at
cost), top products and sales by staff member. Each answers services.reports.tables.Table(s); managers and owners only.

Conventions: a period is [first day, last day] in the store's time zone, bills by their billing time; cancelled
bills are listed in the registers as cancelled with no amounts and count in no total; taxable value is the sum of
the bill's lines' taxable values (after discounts, before GST); quantities and values of sales are net of returns
(a line's returned quantity takes its share of the line's taxable value back).
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import case, func, select

from extensions import db
from models import (
    Bill,
    BillItem,
    Category,
    CreditNote,
    Expense,
    OpeningPayment,
    Party,
    Payment,
    Product,
    Staff,
    Store,
    User,
)
from services.accounts.access import require_role
from services.billing.pricing import money as to_paisa
from services.catalog.units import qty_out
from services.parties import wallet
from services.reports.dashboard import day_bounds
from services.reports.tables import DATE, MONEY, NUMBER, Column, Table
from services.vocabulary import WALLET, payment_mode_label

CENT = Decimal("0.01")


def money(value: Any) -> Decimal:
    """A sum from the database to the paisa (services.billing.pricing.money; an empty sum is 0)."""
    return to_paisa(value if value is not None else 0)


def bounds(store: Store, first: date, last: date) -> tuple[datetime, datetime]:
    """From the store's midnight of `first` to the midnight after `last` (aware)."""
    return day_bounds(store, first)[0], day_bounds(store, last)[1]


PAGE_ROWS = 200  # rows of a long table on one page (a download has them all)


def _limit(query, page: Optional[int]):
    """The page of `query` (one row more says another page follows), or every row when `page` is None."""
    return query if page is None else query.limit(PAGE_ROWS + 1).offset((page - 1) * PAGE_ROWS)


def _paged(table: Table, page: Optional[int]) -> Table:
    """Keep the page's rows; the extra one read says whether another page follows."""
    if page is not None:
        table.page, table.paged = page, True
        table.has_more = len(table.rows) > PAGE_ROWS
        del table.rows[PAGE_ROWS:], table.links[PAGE_ROWS:]
    return table


def _register(store: Store, first: date, last: date, kind: str, page: Optional[int]) -> Table:
    start, end = bounds(store, first, last)
    where = [Bill.store_id == store.id, Bill.kind == kind, Bill.billing_timestamp >= start,
             Bill.billing_timestamp < end]
    bills = db.session.execute(_limit(
        select(Bill.id, Bill.invoice_date, Bill.billing_timestamp, Bill.invoice_number, Bill.customer_name,
               Bill.VAt_number, Bill.place_of_supply, Bill.supplier_invoice_no, Bill.supplier_invoice_date,
               Bill.cgst_amount, Bill.sgst_amount, Bill.igst_amount, Bill.total_amount, Bill.paid_amount,
               Bill.due_amount, Bill.status, Bill.cancelled_at)
        .where(*where).order_by(Bill.billing_timestamp, Bill.id), page)).all()
    taxable: dict[int, Any] = {}
    ids = [bill.id for bill in bills]
    for offset in range(0, len(ids), 5000):  # the lines of these bills only, a bounded IN list at a time
        taxable.update(db.session.execute(
            select(BillItem.bill_id, func.sum(BillItem.taxable_amount))
            .where(BillItem.bill_id.in_(ids[offset:offset + 5000])).group_by(BillItem.bill_id)).all())
    sale = kind == "sale"
    columns = [Column("date", "Date", DATE), Column("number", "Invoice" if sale else "Purchase no.")]
    columns += ([Column("party", "Customer"), Column("gstin", "GSTIN"), Column("pos", "Place of supply")] if sale
                else [Column("party", "Supplier"), Column("their_number", "Supplier invoice"),
                      Column("their_date", "Supplier invoice date", DATE)])
    columns += [Column("taxable", "Taxable value", MONEY), Column("cgst", "CGST", MONEY),
                Column("sgst", "SGST", MONEY), Column("igst", "IGST", MONEY), Column("total", "Total", MONEY),
                Column("paid", "Paid", MONEY), Column("due", "Due", MONEY), Column("status", "Status")]
    table = Table("Sales register" if sale else "Purchase register", columns)
    for bill in bills:
        day = bill.invoice_date or bill.billing_timestamp.astimezone(store.zone).date()
        head = [day, bill.invoice_number, bill.customer_name]
        head += ([bill.VAt_number, bill.place_of_supply] if sale
                 else [bill.supplier_invoice_no, bill.supplier_invoice_date])
        if bill.cancelled_at is not None:
            table.rows.append(head + [None] * 7 + ["cancelled"])
        else:
            table.rows.append(head + [money(taxable.get(bill.id)), money(bill.cgst_amount), money(bill.sgst_amount),
                                      money(bill.igst_amount), money(bill.total_amount), money(bill.paid_amount),
                                      money(bill.due_amount), bill.status])
        table.links.append(f"/bills/{bill.id}" if sale else f"/purchases/{bill.id}")
    # The totals are the whole period's (every page), bills that stand only: summed by the database.
    live = where + [Bill.cancelled_at.is_(None)]
    sums = db.session.execute(select(
        func.sum(Bill.cgst_amount), func.sum(Bill.sgst_amount), func.sum(Bill.igst_amount),
        func.sum(Bill.total_amount), func.sum(Bill.paid_amount), func.sum(Bill.due_amount)).where(*live)).one()
    lines = db.session.execute(select(func.sum(BillItem.taxable_amount)).join(Bill, Bill.id == BillItem.bill_id)
                               .where(*live)).scalar_one()
    table.total = ["Total"] + [None] * (len(columns) - 9) + [money(lines)] + [money(v) for v in sums] + [None]
    return _paged(table, page)


def sales_register(store: Store, user: User, first: date, last: date, page: Optional[int] = None) -> list[Table]:
    require_role(user, store, "manager")
    return [_register(store, first, last, "sale", page)]


def purchase_register(store: Store, user: User, first: date, last: date, page: Optional[int] = None) -> list[Table]:
    require_role(user, store, "manager")
    return [_register(store, first, last, "purchase", page)]


def day_book(store: Store, user: User, first: date, last: date, page: Optional[int] = None) -> list[Table]:
    """Every voucher of the period in time order: sales and purchases (their totals), credit notes, money received
    and paid on bills, refunds and expenses, with money in and out totalled."""
    require_role(user, store, "manager")
    start, end = bounds(store, first, last)
    entries: list[tuple[datetime, list[Any], Optional[str]]] = []
    live = [Bill.store_id == store.id, Bill.cancelled_at.is_(None)]
    for bill in db.session.execute(select(Bill).where(*live, Bill.billing_timestamp >= start,
                                                      Bill.billing_timestamp < end)).scalars():
        sale = bill.kind == "sale"
        entries.append((bill.billing_timestamp, ["Sale" if sale else "Purchase", bill.invoice_number,
                                                 bill.customer_name, money(bill.total_amount), None, None],
                        f"/bills/{bill.id}" if sale else f"/purchases/{bill.id}"))
    payments = db.session.execute(select(Payment, Bill).join(Bill, Bill.id == Payment.bill_id)
                                  .where(*live, Payment.timestamp >= start, Payment.timestamp < end)).all()
    for payment, bill in payments:
        sale = bill.kind == "sale"
        amount = money(payment.amount)
        if sale and payment.mode == WALLET:  # the money came in with the top-up; this only spends the balance
            entries.append((payment.timestamp, ["Receipt (wallet)", bill.invoice_number, bill.customer_name, amount,
                                                None, None], None))
            continue
        entries.append((payment.timestamp, ["Receipt" if sale else "Payment", bill.invoice_number,
                                            bill.customer_name, amount, amount if sale else None,
                                            None if sale else amount], None))
    for entry in wallet.top_ups(store, start, end):
        name = entry.party.customer.name if entry.party.customer else ""
        amount = money(entry.amount)
        entries.append((entry.created_at, ["Wallet top-up", payment_mode_label(entry.pay_mode), name, amount, amount,
                                           None], f"/parties/customers/{entry.party_id}"))
    for row, party in db.session.execute(  # payments that settled a party's opening balance
            select(OpeningPayment, Party).join(Party, Party.id == OpeningPayment.party_id)
            .where(OpeningPayment.store_id == store.id, OpeningPayment.timestamp >= start,
                   OpeningPayment.timestamp < end)):
        sale = party.Category_type == "Customer"
        amount = money(row.amount)
        entries.append((row.timestamp, ["Receipt" if sale else "Payment", "Opening balance", party.display_name,
                                        amount, amount if sale else None, None if sale else amount], None))
    notes = db.session.execute(select(CreditNote, Bill).join(Bill, Bill.id == CreditNote.bill_id)
                               .where(CreditNote.store_id == store.id, CreditNote.created_at >= start,
                                      CreditNote.created_at < end)).all()
    for note, bill in notes:
        refund = money(note.refund_amount) if note.refund_mode != WALLET else None  # a wallet refund stays here
        refund = refund or None
        entries.append((note.created_at, ["Credit note", note.number, bill.customer_name,
                                          money(note.total_amount), None, refund], None))
    for expense in db.session.execute(select(Expense).where(Expense.store_id == store.id, Expense.date >= first,
                                                            Expense.date <= last)).scalars():
        moment = datetime.combine(expense.date, time.max, tzinfo=store.zone)  # a day's expenses close it
        entries.append((moment, ["Expense", expense.category, expense.description, money(expense.amount), None,
                                  money(expense.amount)], None))
    entries.sort(key=lambda entry: entry[0])
    table = Table("Day book", [Column("when", "When"), Column("voucher", "Voucher"), Column("number", "Number"),
                               Column("party", "Party / details"), Column("amount", "Amount", MONEY),
                               Column("in", "Money in", MONEY), Column("out", "Money out", MONEY)])
    for moment, cells, link in entries:
        local = moment.astimezone(store.zone)
        when = local.strftime("%d %b") if local.time() == time.max else local.strftime("%d %b %H:%M")
        table.rows.append([when] + cells)
        table.links.append(link)
    table.sum_of("in", "out")
    return [table]


def stock_summary(store: Store, user: User, first: date, last: date, page: Optional[int] = None) -> list[Table]:
    """Stock on hand now, per product and per category: quantity and value at weighted average cost (a product
    never purchased has no cost yet: its value is blank and counts as nothing). The totals are the database's."""
    require_role(user, store, "manager")
    stocked = [Product.store_id == store.id, Product.archived.is_(False), Product.type == "product"]
    rows = db.session.execute(_limit(
        select(Product.id, Product.product_name, Product.quantity, Product.unit, Product.average_cost, Category.name)
        .outerjoin(Category, Category.id == Product.category_id).where(*stocked)
        .order_by(func.coalesce(Category.name, ""), Product.product_name, Product.id), page)).all()
    products = Table("Stock by product", [Column("product", "Product"), Column("category", "Category"),
                                          Column("qty", "Quantity", NUMBER), Column("unit", "Unit"),
                                          Column("cost", "Average cost", MONEY), Column("value", "Value", MONEY)])
    for pid, name, quantity, unit, average, category in rows:
        quantity = Decimal(str(quantity))
        cost = Decimal(str(average)) if average is not None else None
        products.rows.append([name, category or "", qty_out(quantity), unit,
                              cost.quantize(CENT) if cost is not None else None,
                              money(quantity * cost) if cost is not None else None])
        products.links.append(f"/inventory/{pid}/history")
    value = func.round(Product.quantity * Product.average_cost, 2)  # each row as shown, to the paisa
    groups = db.session.execute(
        select(Category.name, func.count(Product.id), func.sum(value))
        .outerjoin(Category, Category.id == Product.category_id).where(*stocked).group_by(Category.name)).all()
    groups = sorted(((name or "No category", count, amount) for name, count, amount in groups),
                    key=lambda group: group[0])
    categories = Table("Stock by category", [Column("category", "Category"), Column("products", "Products", NUMBER),
                                             Column("value", "Value", MONEY)])
    for name, count, amount in groups:
        categories.rows.append([name, count, money(amount)])
    whole = sum((row[2] for row in categories.rows), Decimal("0.00"))
    categories.total = ["Total", sum(row[1] for row in categories.rows), whole]
    products.total = ["Total", None, None, None, None, whole]
    return [_paged(products, page), categories]


def _net_sales(store: Store, first: date, last: date):
    """Sale lines of the period on bills not cancelled: the quantity kept (sold less returned) and its share of the
    line's taxable value."""
    start, end = bounds(store, first, last)
    kept = BillItem.qty - BillItem.returned_qty
    value = BillItem.taxable_amount * kept / BillItem.qty
    where = [Bill.store_id == store.id, Bill.kind == "sale", Bill.cancelled_at.is_(None),
             Bill.billing_timestamp >= start, Bill.billing_timestamp < end]
    return kept, value, where


def top_products(store: Store, user: User, first: date, last: date, page: Optional[int] = None,
                 limit: int = 100) -> list[Table]:
    """The best sellers of the period by value (taxable, net of returns), with quantity and bills."""
    require_role(user, store, "manager")
    kept, value, where = _net_sales(store, first, last)
    rows = db.session.execute(
        select(BillItem.name, BillItem.unit, func.sum(kept), func.sum(value), func.count(func.distinct(Bill.id)))
        .join(Bill, Bill.id == BillItem.bill_id).where(*where).group_by(BillItem.name, BillItem.unit)
        .order_by(func.sum(value).desc(), BillItem.name).limit(limit)).all()
    table = Table("Top products", [Column("product", "Product"), Column("qty", "Quantity", NUMBER),
                                   Column("unit", "Unit"), Column("bills", "Bills", NUMBER),
                                   Column("value", "Sales (taxable)", MONEY)])
    for name, unit, quantity, amount, bills in rows:
        table.rows.append([name, qty_out(Decimal(str(quantity or 0))), unit, bills, money(amount)])
    table.sum_of("value")
    return [table]


def sales_by_staff(store: Store, user: User, first: date, last: date, page: Optional[int] = None) -> list[Table]:
    """Each staff member's lines of the period (the stylist or salesperson chosen on the line): lines, quantity
    and value (taxable, net of returns); lines with nobody chosen together."""
    require_role(user, store, "manager")
    kept, value, where = _net_sales(store, first, last)
    rows = db.session.execute(
        select(Staff.name, func.count(BillItem.id), func.sum(kept), func.sum(value))
        .select_from(BillItem).join(Bill, Bill.id == BillItem.bill_id)
        .outerjoin(Staff, Staff.id == BillItem.staff_id).where(*where).group_by(Staff.id, Staff.name)
        .order_by(func.sum(value).desc())).all()
    table = Table("Sales by staff member", [Column("staff", "Staff member"), Column("lines", "Lines", NUMBER),
                                            Column("qty", "Quantity", NUMBER), Column("value", "Sales (taxable)",
                                                                                       MONEY)])
    for name, lines, quantity, amount in rows:
        table.rows.append([name or "Nobody chosen", lines, qty_out(Decimal(str(quantity or 0))), money(amount)])
    table.sum_of("value")
    return [table]



def profit_and_loss(store: Store, user: User, first: date, last: date, page: Optional[int] = None) -> list[Table]:
    """Sales (taxable, net of returns) less the cost of the goods sold (each line's unit cost when it was sold,
    times the quantity kept) is the gross profit; less the period's expenses by category, the net profit. A stocked
    line sold before its product was ever purchased has no known cost: its sales are in, its cost is not, and the
    table says how much of the sales that is."""
    require_role(user, store, "manager")
    kept, value, where = _net_sales(store, first, last)
    unknown = (BillItem.type == "product") & BillItem.unit_cost.is_(None)
    sales, cost, uncosted = db.session.execute(
        select(func.sum(value), func.sum(BillItem.unit_cost * kept),
               func.sum(case((unknown, value), else_=0)))
        .select_from(BillItem).join(Bill, Bill.id == BillItem.bill_id).where(*where)).one()
    sales, cost, uncosted = money(sales), money(cost), money(uncosted)
    expenses = db.session.execute(
        select(Expense.category, func.sum(Expense.amount)).where(Expense.store_id == store.id, Expense.date >= first,
                                                                 Expense.date <= last)
        .group_by(Expense.category).order_by(Expense.category)).all()
    table = Table("Profit and loss", [Column("item", "Item"), Column("amount", "Amount", MONEY)])
    gross = sales - cost
    table.rows += [["Sales (taxable value, net of returns)", sales],
                   ["Cost of goods sold (at weighted average cost)", -cost],
                   ["Gross profit", gross]]
    spent = Decimal(0)
    for category, amount in expenses:
        table.rows.append([f"Expense: {category}", -money(amount)])
        spent += money(amount)
    if uncosted:
        table.rows.append([f"Of the sales, with no known cost (never purchased): {uncosted}", None])
    table.total = ["Net profit", gross - spent]
    return [table]
