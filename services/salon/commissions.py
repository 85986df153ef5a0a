"""Commissions (issue 16): what each staff member earns on the lines they served.

Rules. A staff member has at most one default rule and any number of overrides, each for one category or one
product (a service, or a retail product sold by them). A rule is a percent of the line's value (0 to 100), or a flat
amount per unit (>= 0), 2 decimals. The most specific rule wins: the product's override, else the product's
category's, else the default; no rule, no commission.

A line's value is its value after every discount and before tax (`line_value`): its taxable value, less its share of
a bill discount taken after tax (the default arithmetic, so shared in proportion to taxable value); a bill discount
taken before tax (store option) is already inside the taxable value.

Snapshot. `stamp` (called by save_bill, the one save path) fixes each served sale line's commission for the whole
line in `BillItem.commission_amount` from the rules in force then: percent -> value x percent / 100, flat ->
amount x quantity, to the paisa. Changing or deleting a rule later changes future bills only: last month's payout
is not rewritten. Lines saved before this existed, or with no staff member or no rule, earn nothing.

Counting (`commission_report`, read from the bills as they stand now): a line counts when its bill is a sale whose
status is `paid` (no dues left: a credit bill or a part-paid one counts nothing until its dues are paid; a
cancelled bill never counts); a return takes back the returned share (commission x kept / sold, so returning half
the quantity halves it). The period is by the bill's billing day in the store's time zone, so a bill paid or a line
returned after a payout changes that period's figure: run payouts once the period's bills are settled.

Reading fast (`staff_totals`): the plain lines (nothing returned; no bill discount after tax to share out) count as
stored, so the database sums them, in whole paise; only the others are counted line by line. The page reads only its
own lines; `commission_lines` takes a plain line's stored amounts as they are (nothing to work out) and the others
through line_value and kept_share. The CSV download is the summary alone (`lines=False`: no line is read); the XLSX
has every line, written by services.reports.xlsx. `tests/test_commissions.py` checks the ways agree on a mix of
bills with the old per-line computation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Optional

from sqlalchemy import BigInteger, String, and_, cast, exists, func, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from extensions import db
from models import Bill, BillItem, Category, CommissionRule, Product, Staff, Store, User
from services import audit
from services.accounts.access import require_role
from services.billing.pricing import HUNDRED, ZERO, money
from services.bounds import row_id
from services.catalog.units import qty_out
from services.errors import FieldErrors, ValidationError
from services.reports.registers import bounds
from services.reports.tables import DATE, MONEY, NUMBER, Column, Table
from services.scoping import find_in_store
from services.vocabulary import DISCOUNT_TYPES, FLAT, PAID, PERCENT

TARGETS = ("all", "category", "product")  # what a rule applies to: every line (the default), a category, a product
KIND_LABELS = {PERCENT: "% of the value", FLAT: "₹ per unit"}
PAGE_ROWS = 200
CENT = Decimal("0.01")


@dataclass(frozen=True)
class RuleInput:
    """A rule as typed: its target (the default or one category or product) and its terms."""

    staff_id: Optional[int]
    target: str
    kind: str
    value: Optional[Decimal]
    category_id: Optional[int] = None
    product_id: Optional[int] = None


@dataclass
class StaffRules:
    staff: Staff
    default: Optional[CommissionRule] = None
    overrides: list[CommissionRule] = field(default_factory=list)


def describe(rule: CommissionRule) -> str:
    """A rule's terms as the page shows them: "10.00 %" or "₹50.00 per unit"."""
    return f"{rule.value:.2f} %" if rule.kind == PERCENT else f"₹{rule.value:.2f} per unit"


def target_name(rule: CommissionRule) -> str:
    if rule.product_id is not None:
        return rule.product.product_name
    if rule.category_id is not None:
        return f"Category: {rule.category.name}"
    return "Every line (default)"


# --------------------------------------------------------------------------- rules


def _terms_problems(kind: str, value: Optional[Decimal], errors: FieldErrors) -> None:
    if kind not in DISCOUNT_TYPES:
        errors.add("kind", "Choose a percent or a flat amount per unit.")
        return
    if value is None:
        errors.add("value", "Enter the commission as a number, e.g. 10 or 50.00.")
    elif value < 0:
        errors.add("value", "Must be 0 or more.")
    elif kind == PERCENT and value > HUNDRED:
        errors.add("value", "A percent is at most 100.")
    elif value.as_tuple().exponent < -2:
        errors.add("value", "At most 2 decimal places.")
    elif value > Decimal("9999999999.99"):
        errors.add("value", "Must be at most 9999999999.99.")


def _target(store: Store, typed: RuleInput, errors: FieldErrors) -> tuple[Optional[Staff], Optional[Product],
                                                                           Optional[Category]]:
    staff = db.session.get(Staff, typed.staff_id) if typed.staff_id else None
    if staff is None or staff.store_id != store.id:
        errors.add("staff_id", "Choose a staff member of this store.")
        staff = None
    product = category = None
    if typed.target == "product":
        product = db.session.get(Product, typed.product_id) if typed.product_id else None
        if product is None or product.store_id != store.id or product.archived:
            errors.add("product_id", "Choose a service or product of this store.")
            product = None
    elif typed.target == "category":
        category = db.session.get(Category, typed.category_id) if typed.category_id else None
        if category is None or category.store_id != store.id:
            errors.add("category_id", "Choose a category of this store.")
            category = None
    elif typed.target != "all":
        errors.add("target", "Choose every line, a category or a service.")
    return staff, product, category


def _existing(staff: Staff, product: Optional[Product], category: Optional[Category]) -> Optional[CommissionRule]:
    query = select(CommissionRule).where(CommissionRule.staff_id == staff.id)
    query = query.where(CommissionRule.product_id == product.id if product else CommissionRule.product_id.is_(None),
                        CommissionRule.category_id == category.id if category
                        else CommissionRule.category_id.is_(None))
    return db.session.execute(query).scalar_one_or_none()


def _taken(staff: Staff, product: Optional[Product], category: Optional[Category]) -> ValidationError:
    what = (product.product_name if product else f"the category {category.name}" if category
            else "every line (a default rule)")
    key = "product_id" if product else "category_id" if category else "target"
    return ValidationError.field(key, f"{staff.name} already has a rule for {what}: change that one instead.")


def add_rule(store: Store, user: User, typed: RuleInput) -> CommissionRule:
    """Add a staff member's default rule or an override (owners and managers); one rule per target, audited."""
    require_role(user, store, "manager")
    errors = FieldErrors()
    staff, product, category = _target(store, typed, errors)
    _terms_problems(typed.kind, typed.value, errors)
    errors.raise_if()
    if _existing(staff, product, category) is not None:
        raise _taken(staff, product, category)
    rule = CommissionRule(store_id=store.id, staff_id=staff.id, product_id=product.id if product else None,
                          category_id=category.id if category else None, kind=typed.kind, value=money(typed.value))
    try:
        with db.session.begin_nested():  # two managers adding the same target at once: the unique index refuses one
            db.session.add(rule)
            db.session.flush()
    except IntegrityError:
        raise _taken(staff, product, category) from None
    audit.record("create", "commission_rule", rule.id, store_id=store.id, user_id=user.id,
                 after=audit.snapshot(rule, ("staff_id", "product_id", "category_id", "kind", "value")))
    return rule


def update_rule(store: Store, user: User, rule: CommissionRule, kind: str, value: Optional[Decimal]) -> CommissionRule:
    """Change a rule's terms (its target stays); bills already saved keep their commission."""
    require_role(user, store, "manager")
    errors = FieldErrors()
    _terms_problems(kind, value, errors)
    errors.raise_if()
    before = audit.snapshot(rule, ("kind", "value"))
    rule.kind, rule.value = kind, money(value)
    audit.record("update", "commission_rule", rule.id, store_id=store.id, user_id=user.id, before=before,
                 after=audit.snapshot(rule, ("kind", "value")))
    db.session.flush()
    return rule


def delete_rule(store: Store, user: User, rule: CommissionRule) -> None:
    """Remove a rule; bills already saved keep their commission."""
    require_role(user, store, "manager")
    audit.record("delete", "commission_rule", rule.id, store_id=store.id, user_id=user.id,
                 before=audit.snapshot(rule, ("staff_id", "product_id", "category_id", "kind", "value")))
    db.session.delete(rule)
    db.session.flush()


def rules_by_staff(store: Store) -> list[StaffRules]:
    """Every active staff member (and any inactive one who still has rules) with their default and overrides."""
    staff = db.session.execute(select(Staff).where(Staff.store_id == store.id)
                               .order_by(Staff.name, Staff.id)).scalars().all()
    rules = db.session.execute(select(CommissionRule).where(CommissionRule.store_id == store.id)
                               .order_by(CommissionRule.id)).scalars().all()
    by_staff = {member.id: StaffRules(member) for member in staff}
    for rule in rules:
        entry = by_staff[rule.staff_id]
        if rule.product_id is None and rule.category_id is None:
            entry.default = rule
        else:
            entry.overrides.append(rule)
    for entry in by_staff.values():
        entry.overrides.sort(key=lambda r: (r.product_id is not None, target_name(r).lower()))
    return [entry for entry in by_staff.values() if entry.staff.active or entry.default or entry.overrides]


# --------------------------------------------------------------------------- the rule applied to a line


def rule_for(rules: Iterable[CommissionRule], staff_id: int, product: Optional[Product]) -> Optional[CommissionRule]:
    """The staff member's rule for a product: its override, else its category's, else the default, else None."""
    default = by_category = None
    for rule in rules:
        if rule.staff_id != staff_id:
            continue
        if rule.product_id is not None:
            if product is not None and rule.product_id == product.id:
                return rule
        elif rule.category_id is not None:
            if product is not None and rule.category_id == product.category_id:
                by_category = rule
        else:
            default = rule
    return by_category or default


def line_value(taxable: Decimal, bill_discount: Decimal, sub_total: Decimal, discount_before_tax: bool) -> Decimal:
    """A line's value after every discount and before tax (see the module docstring)."""
    if discount_before_tax or not bill_discount or not sub_total:
        return money(taxable)
    return money(taxable - taxable * bill_discount / sub_total)


def _before_tax(items: Iterable[BillItem]) -> bool:
    """Whether the bill's discount was spread over its lines before tax (their shares are then on the lines)."""
    return any(item.bill_discount_amount for item in items)


def commission_for(rule: CommissionRule, value: Decimal, qty: Decimal) -> Decimal:
    if rule.kind == PERCENT:
        return money(value * rule.value / HUNDRED)
    return money(rule.value * Decimal(qty))


def stamp(store: Store, bill: Bill, products: list[Optional[Product]]) -> None:
    """Fix each served line's commission on a sale being saved, by the rules in force now (save_bill calls it)."""
    served = [(item, product) for item, product in zip(bill.items, products) if item.staff_id is not None]
    if bill.kind != "sale" or not served:
        return
    rules = db.session.execute(select(CommissionRule).where(
        CommissionRule.store_id == store.id,
        CommissionRule.staff_id.in_({item.staff_id for item, _ in served}))).scalars().all()
    before_tax = _before_tax(bill.items)
    for item, product in served:
        rule = rule_for(rules, item.staff_id, product)
        if rule is not None:
            value = line_value(item.taxable_amount, bill.discount, bill.sub_total, before_tax)
            item.commission_amount = commission_for(rule, value, item.qty)


def kept_share(amount: Decimal, qty: Decimal, returned: Decimal) -> Decimal:
    """The part of a line's amount that stands after returns: amount x (sold - returned) / sold, to the paisa."""
    qty, returned = Decimal(qty), Decimal(returned or 0)
    return money(Decimal(amount) * (qty - returned) / qty) if qty else ZERO


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class CommissionLine:
    bill_id: int
    day: date
    invoice_number: str
    staff_id: int
    staff: str
    service: str
    qty: Decimal  # kept: sold less returned
    value: Decimal
    commission: Decimal


def report_staff(store: Store) -> list[Staff]:
    """The staff members the report can be filtered by: every staff member of the store, active first."""
    return list(db.session.execute(select(Staff).where(Staff.store_id == store.id)
                                   .order_by(Staff.active.desc(), Staff.name, Staff.id)).scalars())


def staff_filter(store: Store, raw: object) -> Optional[Staff]:
    """The staff member the report is filtered by (`?staff=<id>`; empty: everyone), else a field error on staff."""
    if raw in (None, ""):
        return None
    member = find_in_store(Staff, store, id=row_id(raw))
    if member is None:
        raise ValidationError.field("staff", "Choose a staff member of this store (or everyone).")
    return member


def _period_lines(store: Store, first: date, last: date, staff_id: Optional[int]) -> list:
    """The conditions of a counted line: served (a staff member), on a paid sale of the period (and of one staff
    member when given)."""
    start, end = bounds(store, first, last)
    return [Bill.store_id == store.id, Bill.kind == "sale", Bill.status == PAID, Bill.cancelled_at.is_(None),
            Bill.billing_timestamp >= start, Bill.billing_timestamp < end,
            *([BillItem.staff_id == staff_id] if staff_id is not None else [])]


def _plain():
    """A line whose value and commission stand as stored: nothing returned, and no bill discount after tax to share
    out (none, or spread over the lines before tax). Most lines; the report sums them in the database."""
    shared = aliased(BillItem)
    spread = exists().where(shared.bill_id == Bill.id, shared.bill_discount_amount > 0)
    return and_(BillItem.returned_qty == 0, or_(Bill.discount == 0, Bill.sub_total == 0, spread))


def _scaled(column, scale: int):
    """A money (scale 100) or quantity (1000) column as a whole number of paise (thousandths): an int from the
    driver, exact on both databases, and far cheaper to read than a Decimal (SQLite hands NUMERIC back as a float)."""
    return cast(func.round(func.coalesce(column, 0) * scale), BigInteger)


def _paise(whole: int) -> Decimal:
    return Decimal(whole).scaleb(-2)


def commission_lines(store: Store, first: date, last: date, staff_id: Optional[int] = None, *,
                     only: Any = None, offset: int = 0, limit: Optional[int] = None) -> list[CommissionLine]:
    """Every served line of the period's paid sales (one staff member's when given), net of returns, in time order
    (see the module docstring); `only` narrows them further, `offset`/`limit` take one page. Amounts are read as
    whole paise and the day as text (a year's download reads 50,000 lines: no float, Decimal or datetime parsed by
    the driver), then each line worked out in Decimal."""
    query = (select(BillItem.staff_id, BillItem.name, _scaled(BillItem.qty, 1000).label("qty"),
                    _scaled(BillItem.returned_qty, 1000).label("returned"),
                    _scaled(BillItem.taxable_amount, 100).label("taxable"),
                    _scaled(BillItem.commission_amount, 100).label("earned"), Bill.id,
                    cast(Bill.invoice_date, String).label("day"), Bill.invoice_number,
                    _scaled(Bill.discount, 100).label("discount"), _scaled(Bill.sub_total, 100).label("sub_total"),
                    Staff.name.label("staff_name"))
             .join(Bill, Bill.id == BillItem.bill_id).join(Staff, Staff.id == BillItem.staff_id)
             .where(*_period_lines(store, first, last, staff_id), *([only] if only is not None else []))
             .order_by(Bill.billing_timestamp, Bill.id, BillItem.line_no))
    if limit is not None:
        query = query.offset(offset).limit(limit)
    rows = db.session.connection().execute(query).all()  # plain rows: no ORM loading for 50,000 of them
    shared = set()  # bills whose discount was spread over the lines before tax
    ids = sorted({row.id for row in rows})
    for start in range(0, len(ids), 5000):
        shared.update(db.session.execute(
            select(BillItem.bill_id).where(BillItem.bill_id.in_(ids[start:start + 5000]),
                                           BillItem.bill_discount_amount > 0).distinct()).scalars())
    undated = {row.id for row in rows if row.day is None}  # bills saved before invoice_date was kept
    days = {bill_id: moment.astimezone(store.zone).date() for bill_id, moment in db.session.execute(
        select(Bill.id, Bill.billing_timestamp).where(Bill.id.in_(undated))).all()} if undated else {}
    parsed: dict[str, date] = {}
    lines = []
    for row in rows:  # each line in Decimal, rounded per line as the bill was (exact on both databases)
        earned = _paise(row.earned)
        if not row.returned and (not row.discount or not row.sub_total or row.id in shared):
            # A plain line (_plain): its value and commission are the stored amounts, already to the paisa (what
            # line_value and kept_share would give back unchanged), so nothing is worked out.
            qty, value, commission = Decimal(row.qty).scaleb(-3), _paise(row.taxable), earned
        else:
            sold, returned = Decimal(row.qty).scaleb(-3), Decimal(row.returned).scaleb(-3)
            value = line_value(_paise(row.taxable), _paise(row.discount), _paise(row.sub_total), row.id in shared)
            qty, value, commission = (sold - returned, kept_share(value, sold, returned),
                                      kept_share(earned, sold, returned))
        if row.day is None:
            day = days[row.id]
        else:
            day = parsed.get(row.day) or parsed.setdefault(row.day, date.fromisoformat(row.day[:10]))
        lines.append(CommissionLine(
            bill_id=row.id, day=day, invoice_number=row.invoice_number, staff_id=row.staff_id,
            staff=row.staff_name, service=row.name, qty=qty, value=value, commission=commission))
    return lines


def _whole(column, scale: int):
    """SUM of a money or quantity column in whole paise (thousandths): exact on both databases (SQLite's SUM of a
    NUMERIC column is a float)."""
    return func.coalesce(func.sum(cast(func.round(func.coalesce(column, 0) * scale), BigInteger)), 0)


def staff_totals(store: Store, first: date, last: date, staff_id: Optional[int] = None) -> dict[int, list]:
    """Per staff member: [name, services kept, value, commission] over the period, each line counted exactly as
    commission_lines counts it: the plain lines summed in the database, the others line by line."""
    people: dict[int, list] = {}
    rows = db.session.execute(
        select(BillItem.staff_id, Staff.name, _whole(BillItem.qty, 1000), _whole(BillItem.taxable_amount, 100),
               _whole(BillItem.commission_amount, 100))
        .join(Bill, Bill.id == BillItem.bill_id).join(Staff, Staff.id == BillItem.staff_id)
        .where(*_period_lines(store, first, last, staff_id), _plain())
        .group_by(BillItem.staff_id, Staff.name)).all()
    for member, name, qty, value, commission in rows:
        people[member] = [name, Decimal(int(qty)) / 1000, (Decimal(int(value)) / 100).quantize(CENT),
                          (Decimal(int(commission)) / 100).quantize(CENT)]
    for line in commission_lines(store, first, last, staff_id, only=not_(_plain())):
        entry = people.setdefault(line.staff_id, [line.staff, Decimal(0), ZERO, ZERO])
        entry[1] += line.qty
        entry[2] += line.value
        entry[3] += line.commission
    return people


def commission_report(store: Store, user: User, first: date, last: date, page: Optional[int] = None, *,
                      staff: Optional[Staff] = None, lines: bool = True) -> list[Table]:
    """Per staff member: services done (quantity kept), their value and the commission; then line by line. With
    `staff` (staff_filter), that staff member's only: the page, the CSV and the XLSX alike. `lines=False` leaves
    the line table without rows (its total is still the period's): the CSV download is the summary alone."""
    require_role(user, store, "manager")
    if staff is not None and staff.store_id != store.id:
        raise ValidationError.field("staff", "Choose a staff member of this store (or everyone).")
    staff_id = staff.id if staff is not None else None
    people = staff_totals(store, first, last, staff_id)
    summary = Table("Commission by staff", [
        Column("staff", "Staff member"), Column("services", "Services", NUMBER),
        Column("value", "Value (after discounts, before tax)", MONEY), Column("commission", "Commission", MONEY)])
    for name, quantity, value, commission in sorted(people.values(), key=lambda e: (e[0].lower(), e[0])):
        summary.rows.append([name, qty_out(quantity), value, commission])
    summary.sum_of("services", "value", "commission")
    summary.total[1] = qty_out(summary.total[1])
    detail = Table("Commission by line", [
        Column("date", "Date", DATE), Column("invoice", "Invoice"), Column("staff", "Staff member"),
        Column("service", "Service"), Column("qty", "Quantity", NUMBER),
        Column("value", "Value (after discounts, before tax)", MONEY), Column("commission", "Commission", MONEY)])
    if not lines:
        found: list[CommissionLine] = []
    elif page is None:  # a download: every line
        found = commission_lines(store, first, last, staff_id)
    else:  # the page's lines only (one more to know whether there is a next page)
        found = commission_lines(store, first, last, staff_id, offset=(page - 1) * PAGE_ROWS, limit=PAGE_ROWS + 1)
        detail.page, detail.paged, detail.has_more = page, True, len(found) > PAGE_ROWS
        found = found[:PAGE_ROWS]
    shown: dict[Decimal, Any] = {}  # qty_out of each quantity met (a year's download has a handful of them)
    for line in found:
        qty = shown.get(line.qty)
        if qty is None:
            qty = shown[line.qty] = qty_out(line.qty)
        detail.rows.append([line.day, line.invoice_number, line.staff, line.service, qty, line.value,
                            line.commission])
        detail.links.append(f"/bills/{line.bill_id}")
    detail.sum_of("value", "commission")
    detail.total[5], detail.total[6] = summary.total[2], summary.total[3]  # the whole period's, on every page
    return [summary, detail]
