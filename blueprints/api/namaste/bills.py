"""NamastePMS billing (the contract's adapter): its request
turned into a BillDraft for services.billing.bills.save_bill, and its header edits.

NamastePMS clients send their own totals, which are stored as sent (DESIGN.md "Pricing"); their items still move
stock through save_bill (a decimal `quantity` for products sold by weight or volume). Lines carry the client's rate
and no per-line tax (the client sends the bill's tax).
Saving, numbering, stock and cancelling are services.billing.bills's; this module only translates and edits headers.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional, Union

from blueprints.api.namaste.fields import Fields, RuleError
from blueprints.api.namaste.parse import line_quantity, refuse_exchange
from extensions import db
from models import INVOICE_STATUSES, Bill, Party, Product, Store, User
from services import audit
from services.accounts.access import has_role, membership_for, require_role
from services.billing import bills as billing
from services.billing.bills import settle
from services.billing.pricing import bill_status
from services.catalog import units
from services.catalog.categories import payment_method_exists
from services.catalog.products import get_product
from services.catalog.stock import InsufficientStock
from services.errors import FieldErrors, PermissionDenied, ValidationError
from services.parties import wallet
from services.parties.parties import customer_party_exists

NO_ITEMS = "At least one billing item is required."
AMOUNT_FIELDS = ("sub_total", "discount", "tax", "total_amount", "paid_amount", "due_amount")
PRICE_FIELDS = ("sub_total", "discount", "tax", "total_amount")
ZERO_RATE = Decimal("0.00")
STATUS_WORDS = {"paid": "Paid", "partial": "Pending", "unpaid": "Unpaid"}


def bills_query(store: Store):
    """The store's live sale bills, oldest first; cancelled bills keep their number but leave the list."""
    return (
        db.select(Bill)
        .where(Bill.store_id == store.id, Bill.kind == "sale", Bill.cancelled_at.is_(None))
        .order_by(Bill.id)
    )


def get_bill(store: Store, bill_id: int) -> Optional[Bill]:
    return db.session.execute(bills_query(store).where(Bill.id == bill_id)).scalar_one_or_none()


def invoice_status(bill: Bill) -> str:
    """NamastePMS's status word: as the client sent it, or read from the payment status for other surfaces' bills."""
    return bill.invoice_status or STATUS_WORDS.get(bill.status, "Unpaid")


def _parse_header(store: Store, data: dict[str, Any], partial: bool) -> Fields:
    fields = Fields(data, partial=partial)
    fields.string("invoice_number", required=True, max_length=50, allow_blank=False)
    fields.date("invoice_date", allow_null=True)
    fields.date("due_date", allow_null=True)
    fields.primary_key("payment_method", payment_method_exists)
    refuse_exchange(fields, data, ("payment_method",))
    fields.choice("invoice_status", INVOICE_STATUSES)
    fields.primary_key("party", lambda pk: customer_party_exists(store, pk))
    fields.string("phone", max_length=20, allow_null=True)
    fields.string("VAt_number", max_length=50, allow_null=True)
    fields.text("address", allow_null=True)
    fields.text("notes", allow_null=True)
    for name in AMOUNT_FIELDS:
        fields.decimal(name)
    return fields


def _parse_items(store: Store, raw: Any, fields: Fields) -> list[tuple[Product, Union[int, Decimal], Decimal]]:
    if raw is None or (isinstance(raw, list) and not raw):
        raise RuleError(NO_ITEMS, "items")
    if not isinstance(raw, list):
        fields.errors["items"] = [f'Expected a list of items but got type "{_json_type(raw)}".']
        return []
    item_errors: list[dict[str, Any]] = []
    lines = []
    for entry in raw:
        if not isinstance(entry, dict):
            detail = f"Invalid data. Expected a dictionary, but got {_json_type(entry)}."
            item_errors.append({"non_field_errors": [detail]})
            continue
        item = Fields(entry)
        item.primary_key("item", lambda pk: get_product(store, pk) is not None, required=True, allow_null=False)
        product = get_product(store, item.values["item"]) if "item" in item.values else None
        # a whole number of pieces, or up to 3 decimals of a product sold by weight or volume (kg, g, l, ml, m)
        line_quantity(item, product.unit if product is not None else units.PCS)
        item.decimal("rate", required=True)
        item_errors.append(item.errors)
        if not item.errors:
            lines.append((product, item.values["quantity"], item.values["rate"]))
    if any(item_errors):
        fields.errors["items"] = item_errors
    return lines


def _json_type(value: Any) -> str:
    return {dict: "dict", list: "list", str: "str", bool: "bool", int: "int"}.get(type(value), "float")


def create_bill(store: Store, user: User, data: dict[str, Any]) -> Bill:
    """A NamastePMS bill through save_bill: client totals as sent, client number unique, items move stock."""
    require_role(user, store, "cashier")
    fields = _parse_header(store, data, partial=False)
    if "items" not in data:
        fields.check()
        raise RuleError(NO_ITEMS, "items")
    lines = _parse_items(store, data["items"], fields)
    values = fields.check()
    columns = {name: values[name] for name in ("invoice_date", "due_date", "phone", "VAt_number", "address", "notes")
               if values.get(name) is not None}
    columns["invoice_status"] = values.get("invoice_status", "Draft")
    if values.get("payment_method") is not None:
        columns["payment_method_id"] = values["payment_method"]
    party = db.session.get(Party, values["party"]) if values.get("party") else None
    draft = billing.BillDraft(
        lines=[billing.DraftLine(product=product, qty=qty, unit_price=rate, cgst_rate=ZERO_RATE, sgst_rate=ZERO_RATE,
                                 field=f"items[{index}]")
               for index, (product, qty, rate) in enumerate(lines)],
        customer=party,
        source="namaste",
        invoice_number=values["invoice_number"],
        client_totals=billing.ClientTotals(**{name: values.get(name, Decimal("0.00")) for name in AMOUNT_FIELDS}),
        columns=columns,
    )
    try:
        return billing.save_bill(store, user, draft)
    except InsufficientStock as exc:
        # DRF's nested shape: the message sits on the quantity of every line of the product that ran short.
        message = exc.message
        raise ValidationError(message, {"items": [
            {"quantity": [message]} if product.id == exc.product.id else {} for product, _, _ in lines
        ]}) from exc


def update_bill(store: Store, user: User, bill: Bill, data: dict[str, Any]) -> Bill:
    """Partial update of a bill's header; items and the number stay as saved (cancel and re-bill to change them)."""
    membership = membership_for(user, store)
    role = membership.role if membership else None
    if not has_role(role, "cashier"):
        raise PermissionDenied("You do not have permission to perform this action.")
    fields = _parse_header(store, data, partial=True)
    values = fields.check()
    errors = FieldErrors()
    if "items" in data:
        errors.add("items", "The items of a saved bill cannot be changed; cancel it and create a new one.")
    if "invoice_number" in values and values["invoice_number"] != bill.invoice_number:
        errors.add("invoice_number", "The invoice number of a saved bill cannot be changed.")
    if bill.source != "namaste":
        for name in AMOUNT_FIELDS:
            if name in values and values[name] != getattr(bill, name):
                errors.add(name, "This bill's amounts were computed by the shop; record payments on the bill instead.")
    if errors:
        raise ValidationError("Invalid input.", dict(errors))
    if any(n in values and values[n] != getattr(bill, n) for n in PRICE_FIELDS) and not has_role(role, "manager"):
        raise PermissionDenied("You do not have permission to perform this action.")
    before = audit.snapshot(bill, ("invoice_status", "status", *AMOUNT_FIELDS, "party_id", "payment_method_id"))
    renames = {"payment_method": "payment_method_id", "party": "party_id"}
    paid_before = bill.paid_amount
    for name, value in values.items():
        if name != "invoice_number":
            setattr(bill, renames.get(name, name), value)
    db.session.flush()
    _wallet_follows_paid(store, user, bill, paid_before)
    if bill.cancelled_at is not None:
        settle(bill)  # a cancelled bill stays cancelled, with no dues
    else:
        bill.status = bill_status(bill.total_amount, bill.paid_amount)  # the client's amounts, as sent
    db.session.flush()
    audit.record("update", "bill", bill.uid, store_id=store.id, user_id=user.id, before=before,
                 after=audit.snapshot(bill, ("invoice_status", "status", *AMOUNT_FIELDS, "party_id",
                                             "payment_method_id")))
    return bill


def _wallet_follows_paid(store: Store, user: User, bill: Bill, paid_before: Decimal) -> None:
    """A bill in the Wallet payment method whose paid_amount goes up (the contract's "mark it paid" update) takes
    the difference from the customer's wallet, as a new bill's paid_amount does: refused naming the balance, or
    without a customer, on paid_amount (services.parties.wallet). Lowering what a wallet paid is refused: the money
    goes back by a return or by cancelling the bill, which credit the wallet."""
    if bill.kind != "sale" or bill.payment_method_id not in wallet.wallet_method_ids():
        return
    more = bill.paid_amount - paid_before
    if more > 0:
        wallet.take(store, user, bill, [wallet.Draw(more, "paid_amount")])
    elif more < 0 and wallet.paid_from_wallet(bill) > bill.paid_amount:
        raise ValidationError.field("paid_amount", "This bill was paid from the customer's wallet: to give the "
                                                   "money back, cancel the bill (DELETE) instead.")


def cancel_bill(store: Store, user: User, bill: Bill) -> Bill:
    """DELETE on NamastePMS: the billing service's cancel (number kept, stock returned, audit kept)."""
    return billing.cancel_bill(store, user, bill, reason="Deleted through the NamastePMS API")

