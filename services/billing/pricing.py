"""The pricing engine: one pure function from lines, bill discount, coupons and payments to every amount.

Billing v1, NamastePMS billing, the POS bill builder and held-bill estimates all call `price_bill`;
nothing else in the code base computes a bill amount.

Per line (DESIGN.md "Pricing engine"), each amount rounded half-up to 0.01 at the line:
    base     = unit_price x qty
    discount = base x value / 100 (percent) or value (flat, at most base)
    taxable  = base - discount
    cgst     = taxable x cgst% / 100, sgst likewise
    total    = taxable + cgst + sgst
Bill:
    sub_total   = sum of line totals;  tax_amount = sum of line taxes
    discount    = bill discount + coupon amounts (percent coupons on sub_total), at most sub_total
    grand_total = sub_total - discount (so never below 0)
    paid        = sum of payments;  dues = grand_total - paid (callers refuse paid > grand_total)
    status      = paid (dues 0) | partial (something paid) | unpaid
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Sequence

from services.vocabulary import FLAT, PAID, PARTIAL, PERCENT, UNPAID

PAISA = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def money(value) -> Decimal:
    """Half-up to the paisa; floats go through str so no binary fraction leaks in."""
    if isinstance(value, float):
        value = str(value)
    return Decimal(value).quantize(PAISA, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineInput:
    unit_price: Decimal
    qty: int
    discount_type: str = FLAT  # percent | flat
    discount_value: Decimal = ZERO
    cgst_rate: Decimal = ZERO
    sgst_rate: Decimal = ZERO


@dataclass(frozen=True)
class LineAmounts:
    base_amount: Decimal
    discount_amount: Decimal
    taxable_amount: Decimal
    cgst_amount: Decimal
    sgst_amount: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class CouponInput:
    code: str
    kind: str  # percent | flat
    value: Decimal


@dataclass(frozen=True)
class Totals:
    sub_total: Decimal
    discount: Decimal
    tax_amount: Decimal
    cgst_amount: Decimal
    sgst_amount: Decimal
    grand_total: Decimal
    paid: Decimal
    dues: Decimal
    status: str
    coupon_discount: Decimal  # the part of `discount` that came from coupons


@dataclass(frozen=True)
class PricedBill:
    lines: tuple[LineAmounts, ...]
    totals: Totals


def price_line(line: LineInput) -> LineAmounts:
    """One line's amounts, each rounded half-up at the line."""
    base = money(Decimal(line.unit_price) * int(line.qty))
    value = Decimal(line.discount_value)
    if line.discount_type == PERCENT:
        discount = money(base * value / HUNDRED)
    elif line.discount_type == FLAT:
        discount = money(value)
    else:
        raise ValueError(f"unknown discount type {line.discount_type!r}")
    discount = min(discount, base)
    taxable = base - discount
    cgst = money(taxable * Decimal(line.cgst_rate) / HUNDRED)
    sgst = money(taxable * Decimal(line.sgst_rate) / HUNDRED)
    return LineAmounts(base, discount, taxable, cgst, sgst, taxable + cgst + sgst)


def bill_status(grand_total: Decimal, paid: Decimal) -> str:
    if paid >= grand_total:
        return PAID
    return PARTIAL if paid > 0 else UNPAID


def price_bill(
    lines: Sequence[LineInput],
    discount=ZERO,
    payments: Iterable = (),
    coupons: Iterable[CouponInput] = (),
) -> PricedBill:
    """Every amount of a bill. `payments` are amounts; paid may exceed grand_total only if the caller allows it."""
    amounts = tuple(price_line(line) for line in lines)
    sub_total = sum((a.line_total for a in amounts), ZERO)
    cgst = sum((a.cgst_amount for a in amounts), ZERO)
    sgst = sum((a.sgst_amount for a in amounts), ZERO)
    coupon_discount = ZERO
    for coupon in coupons:
        if coupon.kind == PERCENT:
            coupon_discount += money(sub_total * Decimal(coupon.value) / HUNDRED)
        else:
            coupon_discount += money(coupon.value)
    requested = money(discount) + coupon_discount
    applied = min(requested, sub_total)
    grand_total = sub_total - applied
    paid = sum((money(p) for p in payments), ZERO)
    dues = grand_total - paid
    totals = Totals(
        sub_total=sub_total,
        discount=applied,
        tax_amount=cgst + sgst,
        cgst_amount=cgst,
        sgst_amount=sgst,
        grand_total=grand_total,
        paid=paid,
        dues=dues,
        status=bill_status(grand_total, paid),
        coupon_discount=min(coupon_discount, applied),
    )
    return PricedBill(amounts, totals)
