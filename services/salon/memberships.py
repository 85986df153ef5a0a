"""Memberships and packages (issue 16): plans a salon sells, and what they do for the customer who bought one.

Plans. A plan has a name, a price, a validity in days and one or more benefits: a percent off services and a percent
off products (two rates, 0 to 100), sessions of given services (6 haircuts), a prepaid value credited to the
customer's wallet. It is sold through its own catalogue item of type `membership` (same name, price and GST), kept in
step with it by create_plan / update_plan: the till, Billing v1 and NamastePMS sell that item like any other.

Selling. save_bill calls `activate` in its own transaction: each `membership` line of a plan's item starts a
CustomerMembership for the bill's customer, valid from the bill's day for validity_days days (the last day is
starts_on + validity_days - 1), with the plan's terms copied (a later plan edit changes future sales only) and one
MembershipAllowance per service. A sale with any `membership` line needs a customer (`draft_problems`); a plan is
sold one at a time (qty 1). The prepaid value is recorded on the membership and credited through `_credit_prepaid`.

Benefits (`perks`, read by price_draft, so the till's running total, estimates and the saved bill agree). On a later
sale to that customer, while a membership is active and the bill's day is within its dates:
- a service line's whole units are redeemed from the sessions left of that service (the membership ending first
  gives first; one line may draw on several): n of its qty units as sessions. The line stays one line (its qty,
  rate and line_no as sent: Billing v1 and NamastePMS echo it unchanged); the engine takes the sessions' value off
  it as part of its membership discount (pricing.price_line: (value after its own discount) x n / qty), so a line
  all of whose units are sessions totals 0, and a line asking for more than is left (3 haircuts, 2 left) redeems
  the 2 and prices the third, less the plan's percent. GST is on what is left (the paid units), a commission's
  percent on that value, a flat commission on every unit served. save_bill then takes the sessions with one
  conditional UPDATE per allowance (used + n <= sessions) and writes the ledger row (MembershipSession). Two bills
  racing for the last sessions: one UPDATE matches, the other bill is refused;
- the units not redeemed get the service percent, every product line the product percent, as the line's
  membership discount (on the line's value after its own discount, before tax). With several active memberships
  the best percent applies.
Lines whose amounts the client sends (NamastePMS client amounts or totals), jewellery pieces and `membership` lines
get no benefit. Nothing applies after ends_on, once the sessions are used, or to a cancelled membership.
Shown (`line_memberships`, the till's LinePerk.label): "Membership session (Gold)" with the sessions' value, and
"Membership discount" with the percent's part, on the till, the bill page, the invoice PDF and the receipt.

Cancelling the bill that sold a plan cancels the membership, if it is unused (no session taken; refused otherwise);
cancelling a bill that redeemed sessions gives them back (the ledger row is marked reversed). Returning units of a
line gives back its sessions first (`_given_back`: a session is what a returned unit of that line is, as long as
the line has one; a line all sessions credits nothing and gives its sessions back one by one). A line partly paid
by sessions is returned whole or not at all (`return_problems`): a part of it could not say whether it was a
session or a paid unit, and its credit, GST and commission all follow the paid units.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping, Optional

from sqlalchemy import bindparam, func, select, update

from extensions import db
from models import (
    Bill,
    CustomerMembership,
    MembershipAllowance,
    MembershipPlan,
    MembershipPlanService,
    MembershipSession,
    Party,
    Product,
    Store,
    User,
)
from services import audit
from services.accounts.access import require_role
from services.billing.pricing import HUNDRED, ZERO, money, session_value
from services.bounds import MAX_MONEY
from services.catalog.products import ProductInput, archive_product, create_product, restore_product, update_product
from services.catalog.units import qty_out
from services.errors import FieldErrors, NotFound, ValidationError
from services.parties import wallet

UNSET = object()  # "not looked up yet" (None is a real answer: no stored customer)
MEMBERSHIP = "membership"
SERVICE = "service"
MEMBERSHIP_HSN = "999722"  # SAC: beauty and physical well-being services
MAX_VALIDITY_DAYS = 3660
MAX_SESSIONS = 1000
NEEDS_CUSTOMER = "A bill with a membership needs a customer: choose the customer or add a new one"
ONE_AT_A_TIME = "A membership is sold one at a time (qty 1)"


# --------------------------------------------------------------------------- plans


@dataclass
class PlanInput:
    """A plan as typed on the page: numbers parsed, sessions as (service id, count) pairs."""

    name: str = ""
    price: Optional[Decimal] = None
    validity_days: Optional[int] = None
    gst_rate: Optional[Decimal] = Decimal("18")
    service_discount: Decimal = ZERO
    product_discount: Decimal = ZERO
    prepaid_value: Decimal = ZERO
    sessions: list[tuple[Optional[int], Optional[int]]] = field(default_factory=list)
    active: bool = True


def _number(raw: Any, key: str, errors: FieldErrors, *, required: bool = False, places: int = 2,
            at_most: Optional[Decimal] = None) -> Optional[Decimal]:
    text = str(raw or "").strip().replace(",", "")
    if not text:
        if required:
            errors.add(key, "This field is required")
        return None if required else ZERO
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.add(key, "Must be a number")
        return None
    if not value.is_finite():
        errors.add(key, "Must be a number")
    elif value < 0:
        errors.add(key, "Must not be negative")
    elif value != value.quantize(Decimal(1).scaleb(-places)):
        errors.add(key, f"At most {places} decimal places")
    elif at_most is not None and value > at_most:
        errors.add(key, f"Must be at most {at_most}")
    else:
        return value.quantize(Decimal(1).scaleb(-places))
    return None


def _whole(raw: Any, key: str, errors: FieldErrors, *, low: int, high: int) -> Optional[int]:
    text = str(raw or "").strip()
    if not text:
        errors.add(key, "This field is required")
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        errors.add(key, f"Must be a whole number from {low} to {high}")
        return None
    return int(text)


def parse_plan(form: Mapping[str, Any], service_ids: list[Any], counts: list[Any]) -> PlanInput:
    """The plan form as a PlanInput; ValidationError keyed by the form's field names (sessions[i].count ...)."""
    errors = FieldErrors()
    data = PlanInput(name=str(form.get("name") or "").strip(), active=form.get("active") in ("1", "on", "true"))
    if not data.name:
        errors.add("name", "A plan needs a name")
    elif len(data.name) > 100:
        errors.add("name", "At most 100 characters")
    data.price = _number(form.get("price"), "price", errors, required=True, at_most=MAX_MONEY)
    data.validity_days = _whole(form.get("validity_days"), "validity_days", errors, low=1, high=MAX_VALIDITY_DAYS)
    data.gst_rate = _number(form.get("gst_rate"), "gst_rate", errors, at_most=HUNDRED)
    if data.gst_rate is not None and data.gst_rate != (data.gst_rate / 2).quantize(Decimal("0.01")) * 2:
        errors.add("gst_rate", "Must split into two equal halves of at most 2 decimals (e.g. 18 or 5)")
    data.service_discount = _number(form.get("service_discount"), "service_discount", errors, at_most=HUNDRED)
    data.product_discount = _number(form.get("product_discount"), "product_discount", errors, at_most=HUNDRED)
    data.prepaid_value = _number(form.get("prepaid_value"), "prepaid_value", errors, at_most=MAX_MONEY)
    for index, (raw_id, raw_count) in enumerate(zip(service_ids, counts)):
        if not str(raw_id or "").strip() and not str(raw_count or "").strip():
            continue  # an empty row of the form
        key = f"sessions[{index}]"
        service_id = int(raw_id) if str(raw_id or "").strip().isdigit() else None
        if service_id is None:
            errors.add(f"{key}.product_id", "Choose a service")
        count = _whole(raw_count, f"{key}.count", errors, low=1, high=MAX_SESSIONS)
        data.sessions.append((service_id, count))
    errors.raise_if()
    return data


def plan_problems(store: Store, data: PlanInput, plan: Optional[MembershipPlan] = None) -> FieldErrors:
    """Every rule a plan must meet, keyed by form field."""
    errors = FieldErrors()
    if not (data.service_discount or data.product_discount or data.prepaid_value or data.sessions):
        errors.add("benefits", "Give the plan at least one benefit: a discount, sessions or a prepaid value")
    taken = db.session.execute(select(MembershipPlan.id).where(
        MembershipPlan.store_id == store.id, MembershipPlan.name == data.name,
        MembershipPlan.id != (plan.id if plan else -1))).first()
    if taken:
        errors.add("name", "Another plan has this name")
    seen: set[int] = set()
    for index, (service_id, _) in enumerate(data.sessions):
        if service_id is None:
            continue
        service = db.session.get(Product, service_id)
        if service is None or service.store_id != store.id or service.archived or service.type != SERVICE:
            errors.add(f"sessions[{index}].product_id", "Service not found in this store")
        elif service_id in seen:
            errors.add(f"sessions[{index}].product_id", f"{service.product_name} is listed twice")
        seen.add(service_id)
    return errors


def services_for_plans(store: Store) -> list[Product]:
    """The store's live services, for the plan form's session rows."""
    return list(db.session.execute(select(Product).where(
        Product.store_id == store.id, Product.type == SERVICE, Product.archived.is_(False))
        .order_by(Product.product_name)).scalars())


def list_plans(store: Store) -> list[MembershipPlan]:
    return list(db.session.execute(select(MembershipPlan).where(MembershipPlan.store_id == store.id)
                                   .order_by(MembershipPlan.active.desc(), MembershipPlan.name)).scalars())


def get_plan(store: Store, plan_id: Any) -> MembershipPlan:
    """The store's plan, or NotFound (404) for a missing id and another store's alike."""
    plan = db.session.get(MembershipPlan, plan_id) if str(plan_id).isdigit() and int(plan_id) < 2**31 else None
    if plan is None or plan.store_id != store.id:
        raise NotFound("Plan not found")
    return plan


def _product_input(data: PlanInput) -> ProductInput:
    half = (data.gst_rate or ZERO) / 2
    return ProductInput.of(product_name=data.name, unit_price=data.price, cgst_rate=half, sgst_rate=half)


def _product_errors(exc: ValidationError) -> ValidationError:
    """The catalogue item's problems named as the plan form's fields."""
    names = {"product_name": "name", "unit_price": "price", "cgst_rate": "gst_rate", "sgst_rate": "gst_rate"}
    return ValidationError(exc.message, {names.get(k, k): v for k, v in exc.errors.items()})


def _set_terms(plan: MembershipPlan, data: PlanInput) -> None:
    plan.name, plan.price, plan.validity_days = data.name, data.price, data.validity_days
    plan.service_discount, plan.product_discount = data.service_discount, data.product_discount
    plan.prepaid_value, plan.active = data.prepaid_value, data.active
    wanted = {service_id: count for service_id, count in data.sessions}
    plan.services = [row for row in plan.services if row.product_id in wanted]
    for row in plan.services:
        row.sessions = wanted.pop(row.product_id)
    plan.services.extend(MembershipPlanService(product_id=pid, sessions=count) for pid, count in wanted.items())


def create_plan(store: Store, user: User, data: PlanInput) -> MembershipPlan:
    """A new plan and the `membership` catalogue item that sells it (managers and owners)."""
    require_role(user, store, "manager")
    plan_problems(store, data).raise_if()
    try:
        product = create_product(store, user, ProductInput.of(
            type=MEMBERSHIP, hsn_code=MEMBERSHIP_HSN, **_product_input(data).changes()))
    except ValidationError as exc:
        raise _product_errors(exc) from exc
    plan = MembershipPlan(store_id=store.id, product_id=product.id)
    _set_terms(plan, data)
    db.session.add(plan)
    if not data.active:
        archive_product(store, user, product)
    db.session.flush()
    audit.record("create", "membership_plan", str(plan.id), store_id=store.id, user_id=user.id,
                 after=audit.snapshot(plan, ("name", "price", "validity_days", "prepaid_value")))
    return plan


def update_plan(store: Store, user: User, plan: MembershipPlan, data: PlanInput) -> MembershipPlan:
    """Change a plan (future sales only: memberships sold keep their terms) and its catalogue item with it."""
    require_role(user, store, "manager")
    plan_problems(store, data, plan).raise_if()
    before = audit.snapshot(plan, ("name", "price", "validity_days", "prepaid_value", "active"))
    product = plan.product
    if product.archived:
        restore_product(store, user, product)
    try:
        update_product(store, user, product, _product_input(data))
    except ValidationError as exc:
        raise _product_errors(exc) from exc
    _set_terms(plan, data)
    if not data.active:
        archive_product(store, user, product)
    db.session.flush()
    audit.record("update", "membership_plan", str(plan.id), store_id=store.id, user_id=user.id, before=before,
                 after=audit.snapshot(plan, ("name", "price", "validity_days", "prepaid_value", "active")))
    return plan


# --------------------------------------------------------------------------- benefits on a bill


@dataclass
class LinePerk:
    """What a customer's memberships do for one bill line: `draws` redeems sessions, (allowance id, units) from each
    allowance, as many of the line's units as the sessions left cover; `percent` comes off the units left."""

    percent: Decimal = ZERO
    draws: tuple[tuple[int, int], ...] = ()
    plans: tuple[str, ...] = ()  # the names of the memberships the sessions come from (the line's label)

    @property
    def sessions(self) -> int:
        return sum(n for _, n in self.draws)

    @property
    def label(self) -> str:
        return session_label(self.sessions, self.plans)


NO_PERK = LinePerk()


def session_label(sessions: int, plans: Iterable[str]) -> str:
    """"Membership session (Gold)", "2 x Membership session (Gold)": what a line that redeemed sessions says."""
    if not sessions:
        return ""
    names = ", ".join(dict.fromkeys(plans))
    return f"{'' if sessions == 1 else f'{sessions} × '}Membership session ({names})"


def customer_party(store: Store, customer: Any) -> Optional[Party]:
    """The stored customer a draft's customer is (a Party, or a NewCustomer whose phone the store knows)."""
    from services.parties.parties import find_customer_by_phone

    if isinstance(customer, Party):
        return customer if customer.store_id == store.id else None
    phone = getattr(customer, "phone_no", None)
    return find_customer_by_phone(store, phone) if phone else None


# Built once: every sale to a known customer runs it, and building it cost more than running it.
_ACTIVE_MEMBERSHIPS = select(CustomerMembership).where(
    CustomerMembership.store_id == bindparam("store_id"), CustomerMembership.party_id == bindparam("party_id"),
    CustomerMembership.status == "active", CustomerMembership.starts_on <= bindparam("day"),
    CustomerMembership.ends_on >= bindparam("day")).order_by(CustomerMembership.ends_on, CustomerMembership.id)


def active_memberships(store: Store, party: Optional[Party], day: date) -> list[CustomerMembership]:
    """The customer's memberships in force on `day`, the one ending first first."""
    if party is None or party.id is None:
        return []
    return list(db.session.execute(_ACTIVE_MEMBERSHIPS,
                                   {"store_id": store.id, "party_id": party.id, "day": day}).scalars())


def _whole_qty(qty: Any) -> Optional[int]:
    value = Decimal(qty)
    return int(value) if value == value.to_integral_value() and value > 0 else None


def perks(store: Store, draft: Any, day: date, party: Optional[Party] | object = UNSET) -> list[LinePerk]:
    """Each draft line's membership benefit (NO_PERK when none): see the module docstring. `party`: the draft's
    `customer_party`, when the caller has looked it up already."""
    if draft.kind != "sale" or draft.client_totals is not None or draft.customer is None:
        return [NO_PERK for _ in draft.lines]
    held = active_memberships(store, customer_party(store, draft.customer) if party is UNSET else party, day)
    if not held:
        return [NO_PERK for _ in draft.lines]
    service_percent = max(m.service_discount for m in held)
    product_percent = max(m.product_discount for m in held)
    left = {a.id: a.sessions - a.used for m in held for a in m.allowances}
    by_service: dict[int, list[tuple[MembershipAllowance, str]]] = {}
    for membership in held:  # the membership ending first gives its sessions first
        for allowance in membership.allowances:
            by_service.setdefault(allowance.product_id, []).append((allowance, membership.name))
    result = []
    for line in draft.lines:
        product = line.product
        if (product is None or line.client_amounts is not None or line.jewellery is not None
                or product.type == MEMBERSHIP):
            result.append(NO_PERK)
            continue
        if product.type != SERVICE:
            result.append(LinePerk(percent=product_percent))
            continue
        wanted = _whole_qty(line.qty) or 0  # a part of a unit is never a session
        draws, plans = [], []
        for allowance, name in by_service.get(product.id, []):
            take = min(wanted, left[allowance.id])
            if take > 0:
                left[allowance.id] -= take
                wanted -= take
                draws.append((allowance.id, take))
                plans.append(name)
        result.append(LinePerk(percent=service_percent, draws=tuple(draws), plans=tuple(plans)))
    return result


def draft_problems(store: Store, draft: Any, errors: FieldErrors, field_of) -> None:
    """A sale with a membership line needs a customer; a plan's item is sold one at a time."""
    if draft.kind != "sale":
        return
    lines = [(i, line) for i, line in enumerate(draft.lines)
             if line.product is not None and line.product.type == MEMBERSHIP]
    if lines and draft.customer is None:
        errors.add("customer", NEEDS_CUSTOMER)
    plans = _plans_of([line.product.id for _, line in lines])
    for index, line in lines:
        if line.product.id in plans and Decimal(line.qty) != 1:
            errors.add(f"{field_of(line, index)}.qty", ONE_AT_A_TIME)


def _plans_of(product_ids: Iterable[int]) -> dict[int, MembershipPlan]:
    ids = list(product_ids)
    if not ids:
        return {}
    return {p.product_id: p for p in db.session.execute(
        select(MembershipPlan).where(MembershipPlan.product_id.in_(ids))).scalars()}


def after_save(store: Store, user: Optional[User], bill: Bill, draft: Any, line_perks: list[LinePerk],
               party: Optional[Party]) -> None:
    """In save_bill's transaction: start the memberships the bill sold and take the sessions it redeemed."""
    if bill.kind != "sale":
        return
    _redeem(bill, line_perks)
    _activate(store, user, bill, draft, party)


def _redeem(bill: Bill, line_perks: list[LinePerk]) -> None:
    table = MembershipAllowance.__table__
    for index, (item, perk) in enumerate(zip(bill.items, line_perks)):
        for allowance_id, sessions in perk.draws:
            # Conditional update, the guard against two bills taking the last sessions: only one can match.
            result = db.session.execute(update(table).where(
                table.c.id == allowance_id, table.c.used + sessions <= table.c.sessions,
            ).values(used=table.c.used + sessions))
            if result.rowcount != 1:
                raise ValidationError.field(
                    f"items[{index}].qty",
                    f"The membership sessions of {item.name} have just been used on another bill: add the line again")
            db.session.add(MembershipSession(allowance_id=allowance_id, bill_id=bill.id, bill_item_id=item.id,
                                             qty=sessions))


def _activate(store: Store, user: Optional[User], bill: Bill, draft: Any, party: Optional[Party]) -> None:
    plans = _plans_of([item.product_id for item in bill.items if item.type == MEMBERSHIP and item.product_id])
    for item in bill.items:
        plan = plans.get(item.product_id)
        if plan is None:
            continue  # a membership item with no plan behind it sells nothing more than itself
        start = store.local_today(bill.billing_timestamp)  # the bill's day, as perks() reads it
        membership = CustomerMembership(
            store_id=store.id, party_id=party.id, plan_id=plan.id, bill_id=bill.id, name=plan.name,
            starts_on=start, ends_on=start + timedelta(days=plan.validity_days - 1),
            service_discount=plan.service_discount, product_discount=plan.product_discount,
            credit_amount=plan.prepaid_value, status="active",
            allowances=[MembershipAllowance(product_id=s.product_id, name=s.product.product_name,
                                            sessions=s.sessions, used=0) for s in plan.services],
        )
        db.session.add(membership)
        db.session.flush()
        audit.record("activate", "customer_membership", str(membership.id), store_id=store.id,
                     user_id=user.id if user else None,
                     after={"plan": plan.name, "bill": bill.invoice_number, "ends_on": str(membership.ends_on)})
        if membership.credit_amount > 0:
            _credit_prepaid(store, party, membership, bill, user)


def _credit_prepaid(store: Store, party: Party, membership: CustomerMembership, bill: Bill,
                    user: Optional[User]) -> None:
    """Credit the plan's prepaid value to the customer's wallet (services.parties.wallet)."""
    wallet.credit_wallet(store, user, party, membership.credit_amount, kind="membership_credit", bill=bill,
                         note=f"{membership.name} ({bill.invoice_number})")


def _end(store: Store, user: User, membership: CustomerMembership, bill: Bill, why: str) -> None:
    """A sold membership taken back (its bill cancelled, or its line returned): refused once a session is used;
    its prepaid value leaves the wallet again (refused if spent)."""
    db.session.refresh(membership)
    used = sum(a.used for a in membership.allowances)
    if used:
        raise ValidationError.field("bill", f"The membership {membership.name} sold on this bill has been used "
                                            f"({used} session{'s' if used != 1 else ''}): it cannot be {why}")
    membership.status = "cancelled"
    if membership.credit_amount > 0:
        wallet.take_back_credit(store, user, membership.party_id, membership.credit_amount, bill,
                                f"{membership.name} {why} ({bill.invoice_number})")
    audit.record("cancel", "customer_membership", str(membership.id), store_id=store.id, user_id=user.id,
                 meta={"bill": bill.invoice_number, "why": why})


def _given_back(entries: list[MembershipSession], returned: Decimal) -> list[int]:
    """How many of each ledger entry's sessions `returned` units of its line have given back: a returned unit of a
    line is one of its sessions first (entry by entry, oldest first), then one it paid for."""
    units, result = int(returned or 0), []
    for entry in entries:
        back = min(units, entry.qty)
        result.append(back)
        units -= back
    return result


def _give_back(entry: MembershipSession, qty: int, now: datetime, *, whole: bool) -> None:
    """`qty` of the sessions a bill took go back to the allowance; the entry is marked reversed once all have."""
    table = MembershipAllowance.__table__
    if qty:
        db.session.execute(update(table).where(table.c.id == entry.allowance_id).values(used=table.c.used - qty))
    if whole:
        entry.reversed_at = now


def _entries_by_item(where) -> dict[Optional[int], list[MembershipSession]]:
    found: dict[Optional[int], list[MembershipSession]] = {}
    for entry in db.session.execute(select(MembershipSession).where(where).order_by(MembershipSession.id)).scalars():
        found.setdefault(entry.bill_item_id, []).append(entry)
    return found


def after_cancel(store: Store, user: User, bill: Bill) -> None:
    """In cancel_bill's transaction: cancel the memberships the bill sold (refused when used) and give back the
    sessions it redeemed (those its returns have not given back already)."""
    sold = list(db.session.execute(select(CustomerMembership).where(
        CustomerMembership.bill_id == bill.id, CustomerMembership.status == "active").with_for_update()).scalars())
    for membership in sold:
        _end(store, user, membership, bill, "cancelled")
    now = datetime.now(timezone.utc)
    items = {item.id: item for item in bill.items}
    for item_id, entries in _entries_by_item(MembershipSession.bill_id == bill.id).items():
        item = items.get(item_id)
        back = _given_back(entries, item.returned_qty if item is not None else ZERO)
        for entry, already in zip(entries, back):
            if entry.reversed_at is None:
                _give_back(entry, entry.qty - already, now, whole=True)
    db.session.flush()


def return_problems(lines: Iterable[tuple[str, Any, Decimal]], errors: FieldErrors) -> None:
    """A line partly paid by sessions (2 haircuts from the plan, 1 paid) is returned whole or not at all: a part
    of it could not say whether it is a session (nothing to refund) or a paid unit (its money back), and the line's
    commission and GST follow its paid units. `lines` are (field, bill item, qty to return now)."""
    lines = list(lines)
    ids = [item.id for _, item, _ in lines]
    if not ids:
        return
    held = dict(db.session.execute(select(MembershipSession.bill_item_id, func.sum(MembershipSession.qty)).where(
        MembershipSession.bill_item_id.in_(ids)).group_by(MembershipSession.bill_item_id)).all())
    for where, item, qty in lines:
        sessions = int(held.get(item.id) or 0)
        left = Decimal(item.qty) - Decimal(item.returned_qty or 0)
        if sessions and sessions < Decimal(item.qty) and Decimal(qty) != left:
            errors.add(f"{where}.qty", f"Line {item.line_no} ({item.name}) was paid partly with membership "
                                       f"sessions ({sessions} of {qty_out(item.qty)}): return all of it "
                                       f"({qty_out(left)}) or none")


def after_return(store: Store, user: User, bill: Bill, note) -> None:
    """In create_return's transaction: a returned membership line ends the membership it sold, as cancelling the
    bill would (refused when used, its wallet credit taken back); a returned line that redeemed sessions gives back
    as many sessions as units returned (its sessions first: see `_given_back`)."""
    now = datetime.now(timezone.utc)
    for returned in note.items:
        item = returned.bill_item
        if item.product is not None and item.product.type == MEMBERSHIP:
            sold = db.session.execute(select(CustomerMembership).join(
                MembershipPlan, MembershipPlan.id == CustomerMembership.plan_id).where(
                CustomerMembership.bill_id == bill.id, CustomerMembership.status == "active",
                MembershipPlan.product_id == item.product_id).with_for_update(of=CustomerMembership)).scalars()
            for membership in sold:
                _end(store, user, membership, bill, "returned")
        entries = _entries_by_item(MembershipSession.bill_item_id == item.id).get(item.id, [])
        after = Decimal(item.returned_qty)
        before = _given_back(entries, after - Decimal(returned.qty))
        for entry, was, now_back in zip(entries, before, _given_back(entries, after)):
            if entry.reversed_at is None and now_back > was:
                _give_back(entry, now_back - was, now, whole=now_back >= entry.qty)
    db.session.flush()


# --------------------------------------------------------------------------- what pages show


@dataclass(frozen=True)
class HeldPlan:
    membership: CustomerMembership
    sessions: list[tuple[str, int, int]]  # (service, left, of)

    @property
    def discounts(self) -> str:
        parts = []
        if self.membership.service_discount:
            parts.append(f"{self.membership.service_discount.normalize():f} % off services")
        if self.membership.product_discount:
            parts.append(f"{self.membership.product_discount.normalize():f} % off products")
        return ", ".join(parts)


def plans_held(store: Store, party: Optional[Party], day: Optional[date] = None) -> list[HeldPlan]:
    """The customer's memberships in force today, with the sessions left (customer page, till)."""
    day = day or store.local_today(None)
    return [HeldPlan(m, [(a.name, a.sessions - a.used, a.sessions) for a in m.allowances])
            for m in active_memberships(store, party, day)]


def percent_text(value: Decimal) -> str:
    return f"{money(value).normalize():f}"


@dataclass(frozen=True)
class LineMembership:
    """What a saved bill line owes to the customer's memberships, as the bill page, invoice and receipt say it."""

    sessions: int = 0  # units redeemed as sessions
    label: str = ""  # "Membership session (Gold)"
    session_value: Decimal = ZERO  # what those sessions took off the line
    discount: Decimal = ZERO  # the plan's percent on the rest of the line (the membership discount proper)


def line_memberships(bill: Bill) -> dict[int, LineMembership]:
    """Per bill item id, its sessions (from the ledger, as sold: a session later returned stays on the bill as it
    was issued) and its membership discount split into the sessions' value and the percent off (the engine's
    pricing.session_value on the line's stored amounts)."""
    ids = [item.id for item in bill.items]
    found: dict[int, list[tuple[int, str]]] = {}
    if ids:
        for item_id, qty, name in db.session.execute(
                select(MembershipSession.bill_item_id, MembershipSession.qty, CustomerMembership.name)
                .join(MembershipAllowance, MembershipAllowance.id == MembershipSession.allowance_id)
                .join(CustomerMembership, CustomerMembership.id == MembershipAllowance.membership_id)
                .where(MembershipSession.bill_item_id.in_(ids)).order_by(MembershipSession.id)):
            found.setdefault(item_id, []).append((qty, name))
    result = {}
    for item in bill.items:
        draws = found.get(item.id, [])
        total = Decimal(item.membership_discount or 0)
        if not draws and not total:
            continue
        sessions = sum(qty for qty, _ in draws)
        own = Decimal(item.discount_amount or 0) - total
        value = min(session_value(Decimal(item.base_amount or 0), own, item.qty, sessions), total)
        result[item.id] = LineMembership(sessions, session_label(sessions, [name for _, name in draws]), value,
                                         total - value)
    return result
