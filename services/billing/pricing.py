"""The pricing engine: one pure function from lines, bill discount, coupons and payments to every amount.

Billing v1, NamastePMS billing, the till, held-bill estimates and credit notes all call it; nothing else in the code
base computes a bill amount. docs/api.md ("How amounts are computed") states the same rules for API consumers.

Per line, each amount rounded half-up to 0.01 at the line:
    base      = unit_price x qty                       (qty may have 3 decimals for kg, g, l, ml, m)
    discount  = base x value / 100 (percent) or value (flat), at most base
    gross     = base - discount
    rate      = cgst% + sgst%; on an inter-state bill the whole rate is IGST and CGST/SGST are 0
  price before tax (the default):
    taxable = gross;  cgst = taxable x cgst% / 100, sgst likewise (igst = taxable x rate / 100)
  price includes tax (MRP):
    exact   = gross x 100 / (100 + rate)               (not rounded)
    cgst    = exact x cgst% / 100 rounded, sgst likewise (igst = exact x rate / 100 rounded)
    taxable = gross - cgst - sgst - igst               so taxable + taxes = gross to the paisa, and CGST = SGST
                                                        whenever their rates are equal
    total   = taxable + taxes
Bill (default, the Billing v1 contract's arithmetic: the bill discount comes off the total after tax):
    sub_total   = sum of line totals;  tax_amount = cgst + sgst + igst
    discount    = bill discount + coupons (a percent coupon on sub_total), at most sub_total
    grand_total = sub_total - discount (+ round_off)
Bill, discount before tax (store option bill_discount_before_tax, CGST Act s.15(3)):
    value       = sum of the lines' taxable values
    discount    = bill discount + coupons (a percent coupon on value), at most value
    each line's share = discount x its taxable / value, rounded down to the paisa; the paise left over go one each to
    the lines whose shares lost most in that rounding (the later line first on a tie), so the shares add up to the
    discount exactly and no share is below 0 or above its line's taxable; the line's taxable falls by its share and
    its taxes are recomputed on what is left (before tax).
    grand_total = sum of line totals (+ round_off);  sub_total = that sum + discount (so that
    grand_total = sub_total - discount (+ round_off) holds in both modes)
Round-off (store option round_off): grand_total rounded half-up to the rupee; round_off = rounded - unrounded.
    paid = sum of payments;  dues = grand_total - paid;  status = paid (dues 0) | partial | unpaid
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Iterable, Sequence, Union

from services.vocabulary import FLAT, PAID, PARTIAL, PERCENT, UNPAID

PAISA = Decimal("0.01")
RUPEE = Decimal("1")
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
    qty: Union[int, Decimal]
    discount_type: str = FLAT  # percent | flat
    discount_value: Decimal = ZERO
    cgst_rate: Decimal = ZERO
    sgst_rate: Decimal = ZERO
    price_includes_tax: bool = False


@dataclass(frozen=True)
class LineAmounts:
    base_amount: Decimal
    discount_amount: Decimal
    taxable_amount: Decimal
    cgst_amount: Decimal
    sgst_amount: Decimal
    line_total: Decimal
    igst_amount: Decimal = ZERO
    cgst_rate: Decimal = ZERO  # the rates charged: 0 on an inter-state bill, where igst_rate carries them
    sgst_rate: Decimal = ZERO
    igst_rate: Decimal = ZERO
    bill_discount_amount: Decimal = ZERO  # this line's share of the bill discount (discount before tax)


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
    igst_amount: Decimal = ZERO
    round_off: Decimal = ZERO
    taxable_amount: Decimal = ZERO  # sum of the lines' taxable values


@dataclass(frozen=True)
class PricedBill:
    lines: tuple[LineAmounts, ...]
    totals: Totals


def _rates(line: LineInput, inter_state: bool) -> tuple[Decimal, Decimal, Decimal]:
    cgst, sgst = Decimal(line.cgst_rate), Decimal(line.sgst_rate)
    return (ZERO, ZERO, cgst + sgst) if inter_state else (cgst, sgst, ZERO)


def _taxes(taxable: Decimal, rates: tuple[Decimal, Decimal, Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    return tuple(money(taxable * rate / HUNDRED) for rate in rates)  # type: ignore[return-value]


def _amounts(base, discount, gross, rates, includes_tax: bool, share=ZERO) -> LineAmounts:
    cgst_rate, sgst_rate, igst_rate = rates
    if includes_tax:
        exact = gross * HUNDRED / (HUNDRED + cgst_rate + sgst_rate + igst_rate)
        cgst, sgst, igst = _taxes(exact, rates)
        taxable = gross - cgst - sgst - igst
    else:
        taxable = gross
        cgst, sgst, igst = _taxes(taxable, rates)
    return LineAmounts(base, discount, taxable, cgst, sgst, taxable + cgst + sgst + igst, igst,
                       cgst_rate, sgst_rate, igst_rate, share)


def price_line(line: LineInput, inter_state: bool = False) -> LineAmounts:
    """One line's amounts, each rounded half-up at the line."""
    base = money(Decimal(line.unit_price) * Decimal(line.qty))
    value = Decimal(line.discount_value)
    if line.discount_type == PERCENT:
        discount = money(base * value / HUNDRED)
    elif line.discount_type == FLAT:
        discount = money(value)
    else:
        raise ValueError(f"unknown discount type {line.discount_type!r}")
    discount = min(discount, base)
    return _amounts(base, discount, base - discount, _rates(line, inter_state), line.price_includes_tax)


def bill_status(grand_total: Decimal, paid: Decimal) -> str:
    if paid >= grand_total:
        return PAID
    return PARTIAL if paid > 0 else UNPAID


def _coupon_amount(coupons: Iterable[CouponInput], on: Decimal) -> Decimal:
    total = ZERO
    for coupon in coupons:
        if coupon.kind == PERCENT:
            total += money(on * Decimal(coupon.value) / HUNDRED)
        else:
            total += money(coupon.value)
    return total


def shares(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`amount` split in proportion to `weights` to the paisa, adding up to `amount` exactly (bill discounts, credit
    notes): each share rounded down to the paisa, then the paise left over one each to the shares that lost most in
    that rounding (the later one first on a tie). So for 0 <= amount <= sum(weights) every share lies between 0 and
    its weight (a "last line takes the remainder" split can go below 0 or above a small last line)."""
    total = sum(weights, ZERO)
    if total <= 0:
        return [ZERO for _ in weights]
    exact = [amount * w / total for w in weights]
    result = [e.quantize(PAISA, rounding=ROUND_DOWN) for e in exact]
    left = int((amount - sum(result, ZERO)) / PAISA)
    for i in sorted(range(len(weights)), key=lambda i: (exact[i] - result[i], i), reverse=True)[:left]:
        result[i] += PAISA
    return result


def _spread_before_tax(amounts: tuple[LineAmounts, ...], discount: Decimal) -> tuple[LineAmounts, ...]:
    """Each line's share of a bill discount taken off its taxable value, its taxes recomputed before tax."""
    spread = []
    for a, share in zip(amounts, shares(discount, [a.taxable_amount for a in amounts])):
        if not share:
            spread.append(a)
            continue
        taxable = a.taxable_amount - share
        rates = (a.cgst_rate, a.sgst_rate, a.igst_rate)
        cgst, sgst, igst = _taxes(taxable, rates)
        spread.append(LineAmounts(a.base_amount, a.discount_amount, taxable, cgst, sgst, taxable + cgst + sgst + igst,
                                  igst, *rates, share))
    return tuple(spread)


def price_bill(
    lines: Sequence[LineInput],
    discount=ZERO,
    payments: Iterable = (),
    coupons: Iterable[CouponInput] = (),
    *,
    inter_state: bool = False,
    round_off: bool = False,
    discount_before_tax: bool = False,
) -> PricedBill:
    """Every amount of a bill. `payments` are amounts; paid may exceed grand_total only if the caller allows it."""
    coupons = tuple(coupons)
    amounts = tuple(price_line(line, inter_state) for line in lines)
    if discount_before_tax:
        value = sum((a.taxable_amount for a in amounts), ZERO)
        coupon_discount = _coupon_amount(coupons, value)
        applied = min(money(discount) + coupon_discount, value)
        amounts = _spread_before_tax(amounts, applied)
        unrounded = sum((a.line_total for a in amounts), ZERO)
        sub_total = unrounded + applied
    else:
        sub_total = sum((a.line_total for a in amounts), ZERO)
        coupon_discount = _coupon_amount(coupons, sub_total)
        applied = min(money(discount) + coupon_discount, sub_total)
        unrounded = sub_total - applied
    grand_total = unrounded.quantize(RUPEE, rounding=ROUND_HALF_UP).quantize(PAISA) if round_off else unrounded
    cgst = sum((a.cgst_amount for a in amounts), ZERO)
    sgst = sum((a.sgst_amount for a in amounts), ZERO)
    igst = sum((a.igst_amount for a in amounts), ZERO)
    paid = sum((money(p) for p in payments), ZERO)
    totals = Totals(
        sub_total=sub_total,
        discount=applied,
        tax_amount=cgst + sgst + igst,
        cgst_amount=cgst,
        sgst_amount=sgst,
        grand_total=grand_total,
        paid=paid,
        dues=grand_total - paid,
        status=bill_status(grand_total, paid),
        coupon_discount=min(coupon_discount, applied),
        igst_amount=igst,
        round_off=grand_total - unrounded,
        taxable_amount=sum((a.taxable_amount for a in amounts), ZERO),
    )
    return PricedBill(amounts, totals)


# --------------------------------------------------------------------------- credit notes (returns)


@dataclass(frozen=True)
class ReturnedLine:
    """One bill line being returned: the line as sold, what earlier credit notes took of it, and this return."""

    qty: Decimal  # sold
    returned_before: Decimal
    taxable_amount: Decimal
    cgst_amount: Decimal
    sgst_amount: Decimal
    igst_amount: Decimal
    credited_before: tuple[Decimal, Decimal, Decimal, Decimal] = (ZERO, ZERO, ZERO, ZERO)  # taxable, cgst, sgst, igst
    returning: Decimal = ZERO


@dataclass(frozen=True)
class CreditedLine:
    taxable_amount: Decimal
    cgst_amount: Decimal
    sgst_amount: Decimal
    igst_amount: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class CreditTotals:
    sub_total: Decimal  # sum of the credited line totals
    discount: Decimal  # this note's share of the bill discount taken off after tax
    taxable_amount: Decimal
    cgst_amount: Decimal
    sgst_amount: Decimal
    igst_amount: Decimal
    tax_amount: Decimal
    round_off: Decimal
    grand_total: Decimal  # = sub_total - discount + round_off


@dataclass(frozen=True)
class PricedReturn:
    lines: tuple[CreditedLine, ...]
    totals: CreditTotals


@dataclass(frozen=True)
class BillForReturn:
    """What a credit note needs of its bill and of the credit notes already made against it."""

    lines_value: Decimal  # sum of the bill's line totals
    discount: Decimal  # the bill discount taken off after tax (0 when it was spread over the lines before tax)
    round_off: Decimal
    total_amount: Decimal
    credited_value_before: Decimal = ZERO  # sum of the earlier notes' sub_totals
    credited_discount_before: Decimal = ZERO
    credited_round_off_before: Decimal = ZERO
    credited_total_before: Decimal = ZERO


def credit_line(line: ReturnedLine) -> CreditedLine:
    """A returned line's taxable value and taxes: `returning / qty` of the line's, each rounded to the paisa; the
    return that completes the line takes what earlier notes left, so a line returned in full credits exactly its
    amounts."""
    amounts = (line.taxable_amount, line.cgst_amount, line.sgst_amount, line.igst_amount)
    if line.returned_before + line.returning >= line.qty:
        parts = [amount - before for amount, before in zip(amounts, line.credited_before)]
    else:
        parts = [money(amount * line.returning / line.qty) for amount in amounts]
    taxable, cgst, sgst, igst = parts
    return CreditedLine(taxable, cgst, sgst, igst, taxable + cgst + sgst + igst)


def price_return(bill: BillForReturn, lines: Sequence[ReturnedLine], *, completes_bill: bool) -> PricedReturn:
    """A credit note's amounts. Lines as `credit_line`. The bill discount taken off after tax and the bill's round-off
    are shared in proportion to the value credited, cumulatively (all notes so far get money(x * value so far /
    lines_value), this note the difference), so no note credits more than was paid for its items and the shares
    add up to the bill's. The note that completes the return of the whole bill takes whatever is left of the bill's
    total (through its round_off), so the notes add up exactly to total_amount."""
    credited = tuple(credit_line(line) for line in lines)
    sub_total = sum((c.line_total for c in credited), ZERO)
    value_after = bill.credited_value_before + sub_total
    if bill.lines_value > 0:
        discount = money(bill.discount * value_after / bill.lines_value) - bill.credited_discount_before
        round_off = money(bill.round_off * value_after / bill.lines_value) - bill.credited_round_off_before
    else:
        discount = round_off = ZERO
    discount = min(max(discount, ZERO), sub_total)
    if completes_bill:
        round_off = bill.total_amount - bill.credited_total_before - (sub_total - discount)
    grand_total = sub_total - discount + round_off
    if grand_total < 0:  # a paisa of rounding on a bill worth (almost) nothing
        round_off, grand_total = round_off - grand_total, ZERO
    cgst = sum((c.cgst_amount for c in credited), ZERO)
    sgst = sum((c.sgst_amount for c in credited), ZERO)
    igst = sum((c.igst_amount for c in credited), ZERO)
    totals = CreditTotals(
        sub_total=sub_total, discount=discount, taxable_amount=sum((c.taxable_amount for c in credited), ZERO),
        cgst_amount=cgst, sgst_amount=sgst, igst_amount=igst, tax_amount=cgst + sgst + igst, round_off=round_off,
        grand_total=grand_total,
    )
    return PricedReturn(credited, totals)
