"""Old gold taken in exchange at the jewellery till.

    fine weight  = gross weight x tounch / 100                      (grams, rounded half up to 3 decimals)
    gross value  = fine weight x rate per gram of fine gold         (rupees, rounded half up to 2 decimals)
    deduction    = gross value x deduction % / 100                  (rupees, rounded half up to 2 decimals)
    value        = gross value - deduction                          (no GST: the shop buys from a consumer)

On Save the old gold is bought on a purchase voucher (a Bill of kind "purchase", source "pos", numbered in its own
series OG: OG202600001) and its value is set against the new sale as a payment of mode "exchange" whose reference is
the voucher's number; the voucher's own payment row (mode "exchange") names the sale. Voucher and sale are written in
the one transaction of the Save (services.till.session.save): if the sale is refused nothing is written.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

from extensions import db
from models import Bill, BillItem, Party, Payment, Store, User
from services import audit, bounds
from services.billing import numbering
from services.billing.fields import parse_decimal
from services.billing.pricing import ZERO, money
from services.errors import FieldErrors
from services.vocabulary import EXCHANGE, JEWELLERY_HSN

SERIES = "OG"
GRAM = Decimal("0.001")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class OldGold:
    description: str
    gross_weight: Decimal
    tounch: Decimal
    rate: Decimal
    deduction: Decimal = ZERO


@dataclass(frozen=True)
class OldGoldValue:
    fine_weight: Decimal
    gross_value: Decimal
    deduction_amount: Decimal
    value: Decimal


def value_of(old: OldGold) -> OldGoldValue:
    """What the shop pays for the old gold (formula in the module docstring and docs/api.md)."""
    fine = (old.gross_weight * old.tounch / HUNDRED).quantize(GRAM, rounding=ROUND_HALF_UP)
    gross_value = money(fine * old.rate)
    deduction = money(gross_value * old.deduction / HUNDRED)
    return OldGoldValue(fine, gross_value, deduction, gross_value - deduction)


def parse(form: Mapping[str, Any]) -> OldGold:
    """The old gold as typed at the till (errors keyed old_gold.*); ValidationError when a field is wrong."""
    errors = FieldErrors()
    description = (form.get("description") or "").strip()[:200] or "Old gold"

    def number(name: str, places: int, low: Decimal, high: Optional[Decimal], *, above: bool = True,
               default: Optional[str] = None) -> Optional[Decimal]:
        raw = (form.get(name) or "").strip() or default
        key = f"old_gold.{name}"
        if raw is None:
            errors.add(key, "This field is required.")
            return None
        value = parse_decimal(raw, key, errors, places=places)
        if value is None:
            return None
        if (value <= low) if above else (value < low):
            errors.add(key, f"Must be {'greater than' if above else 'at least'} {low}")
        elif high is not None and value > high:
            errors.add(key, f"Must be at most {high}")
        elif problem := bounds.money_problem(value):
            errors.add(key, problem)
        return value

    weight = number("gross_weight", 3, ZERO, Decimal("100000"))
    tounch = number("tounch", 2, ZERO, HUNDRED)
    rate = number("rate", 2, ZERO, None)
    deduction = number("deduction", 2, ZERO, HUNDRED, above=False, default="0")
    errors.raise_if()
    return OldGold(description, weight, tounch, rate, deduction)


def as_state(old: OldGold) -> dict[str, str]:
    return {"description": old.description, "gross_weight": f"{old.gross_weight:f}", "tounch": f"{old.tounch:f}",
            "rate": f"{old.rate:f}", "deduction": f"{old.deduction:f}"}


def from_state(state: Optional[dict[str, str]]) -> Optional[OldGold]:
    if not state:
        return None
    return OldGold(state["description"], Decimal(state["gross_weight"]), Decimal(state["tounch"]),
                   Decimal(state["rate"]), Decimal(state["deduction"]))


def write_voucher(store: Store, user: Optional[User], old: OldGold, party: Optional[Party],
                  now: datetime) -> Bill:
    """The purchase voucher for the old gold (OG series, no GST, no stock item); flushes, never commits.

    Takes the OG counter's lock: call it before save_bill, so every till Save takes OG then the sales series."""
    worth = value_of(old)
    taken = numbering.take_next(store, series=SERIES, now=now)
    customer = party.customer if party is not None else None
    bill = Bill(
        store_id=store.id, user_id=user.id if user else None, kind="purchase", source="pos",
        invoice_number=taken.number, series=taken.series, fy=taken.fy, seq=taken.seq,
        invoice_date=store.local_today(now), party_id=party.id if party else None,
        customer_name=customer.name if customer else None, phone=customer.phone_no if customer else None,
        payment_mode=None, sub_total=worth.value, discount=ZERO, tax=ZERO, cgst_amount=ZERO, sgst_amount=ZERO,
        total_amount=worth.value, paid_amount=ZERO, due_amount=worth.value, status="unpaid",
        billing_timestamp=now, created_at=now, notes="Old gold taken in exchange",
    )
    bill.items = [BillItem(
        line_no=1, product_id=None, type="product", name=old.description, hsn_code=JEWELLERY_HSN, unit="pcs",
        qty=Decimal("1"), rate=worth.value, base_amount=worth.value, taxable_amount=worth.value,
        line_total=worth.value, gross_weight=old.gross_weight, net_weight=old.gross_weight,
        fine_weight=worth.fine_weight, tounch=old.tounch, metal_rate=old.rate,
        extra={"old_gold": True, "deduction_percent": f"{old.deduction:f}",
               "gross_value": str(worth.gross_value), "deduction_amount": str(worth.deduction_amount)},
    )]
    db.session.add(bill)
    db.session.flush()
    return bill


def settle_voucher(voucher: Bill, sale: Bill, user: Optional[User], now: datetime) -> None:
    """The voucher is paid by the exchange: its payment row names the sale it was set against."""
    voucher.payments.append(Payment(mode=EXCHANGE, amount=voucher.total_amount, reference=sale.invoice_number,
                                    timestamp=now, user_id=user.id if user else None))
    voucher.paid_amount, voucher.due_amount, voucher.status = voucher.total_amount, ZERO, "paid"
    audit.record("create", "bill", voucher.uid, store_id=voucher.store_id, user_id=voucher.user_id,
                 after=audit.snapshot(voucher, ("invoice_number", "kind", "source", "total_amount", "paid_amount",
                                                "status")))
    db.session.flush()
