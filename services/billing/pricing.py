"""The pricing engine: one pure function from lines, bill discount, coupons and payments to every amount.

Billing v1, NamastePMS billing, the till, held-bill estimates and credit notes all call it; nothing else in the code
base computes a bill amount. docs/api.md ("How amounts are computed") states the same rules for API consumers.

Per line, each amount rounded half-up to 0.01 at the line:
    base      = unit_price x qty                       (qty may have 3 decimals for kg, g, l, ml, m)
    discount  = base x value / 100 (percent) or value (flat), at most base
    sessions  = (base - discount) x n / qty           (n of the line's qty units redeemed as sessions of the
                customer's plan, services/salon/memberships.py; 0 for everyone else; n = qty: the line is at 0)
    membership discount = sessions + (base - discount - sessions) x membership% / 100  (the customer's active
                plan's percent on the units not redeemed); the line's discount_amount includes it,
                membership_discount is that part of it and session_value the sessions' part of that
    gross     = base - discount - membership discount
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
Additional charges (the jewellery add-invoice's bill-level `additional_charges`, not taxed; a charge that bears GST
belongs on a line): grand_total = sub_total - discount + additional_charges (+ round_off).
Round-off (store option round_off): grand_total rounded half-up to the rupee; round_off = rounded - unrounded.
    paid = sum of payments;  dues = grand_total - paid;  status = paid (dues 0) | partial | unpaid
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Iterable, Optional, Sequence, Union

from services.bounds import money_problem
from services.vocabulary import (
    DISCOUNT_TYPES,
    FLAT,
    JEWELLERY_GST_RATE,
    JEWELLERY_HSN,
    MAKING_PER_GRAM,
    MAKING_PER_PIECE,
    MAKING_PERCENT,
    MAKING_TYPES,
    PAID,
    PARTIAL,
    PERCENT,
    PURITIES,
    STONE_UNITS,
    UNPAID,
)

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
    membership_percent: Decimal = ZERO  # the customer's membership discount on this line (services/salon/memberships)
    membership_sessions: int = 0  # units of qty redeemed as sessions of the customer's plan (at most qty)


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
    jewellery: Optional["JewelleryAmounts"] = None  # a jewellery line's breakdown (price_jewellery_line)
    membership_discount: Decimal = ZERO  # the part of discount_amount that is the membership discount
    session_value: Decimal = ZERO  # the part of membership_discount that is the sessions redeemed (not stored)


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


def _rates(cgst_rate, sgst_rate, inter_state: bool) -> tuple[Decimal, Decimal, Decimal]:
    cgst, sgst = Decimal(cgst_rate), Decimal(sgst_rate)
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


def _line_discount(base: Decimal, discount_type: str, discount_value) -> Decimal:
    value = Decimal(discount_value)
    if discount_type == PERCENT:
        discount = money(base * value / HUNDRED)
    elif discount_type == FLAT:
        discount = money(value)
    else:
        raise ValueError(f"unknown discount type {discount_type!r}")
    return min(discount, base)


def price_line(line: Union[LineInput, "JewelleryLine"], inter_state: bool = False) -> LineAmounts:
    """One line's amounts, each rounded half-up at the line (a jewellery piece: price_jewellery_line)."""
    if isinstance(line, JewelleryLine):
        return price_jewellery_line(line, inter_state)
    base = money(Decimal(line.unit_price) * Decimal(line.qty))
    discount = _line_discount(base, line.discount_type, line.discount_value)
    sessions = session_value(base, discount, line.qty, line.membership_sessions)
    membership = sessions + money((base - discount - sessions) * Decimal(line.membership_percent) / HUNDRED)
    rates = _rates(line.cgst_rate, line.sgst_rate, inter_state)
    amounts = _amounts(base, discount + membership, base - discount - membership, rates, line.price_includes_tax)
    return replace(amounts, membership_discount=membership, session_value=sessions) if membership else amounts


def session_value(base: Decimal, discount: Decimal, qty, sessions: int) -> Decimal:
    """What `sessions` of a line's `qty` units are worth after the line's own discount: the membership discount
    that redeems them (all of base - discount when every unit is a session)."""
    qty = Decimal(qty)
    if not sessions or qty <= 0:
        return ZERO
    if sessions >= qty:
        return base - discount
    return money((base - discount) * sessions / qty)


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
        cgst, sgst, igst = _taxes(taxable, (a.cgst_rate, a.sgst_rate, a.igst_rate))
        spread.append(replace(a, taxable_amount=taxable, cgst_amount=cgst, sgst_amount=sgst, igst_amount=igst,
                              line_total=taxable + cgst + sgst + igst, bill_discount_amount=share))
    return tuple(spread)


def price_bill(
    lines: Sequence[Union[LineInput, "JewelleryLine"]],
    discount=ZERO,
    payments: Iterable = (),
    coupons: Iterable[CouponInput] = (),
    *,
    inter_state: bool = False,
    round_off: bool = False,
    discount_before_tax: bool = False,
    additional_charges=ZERO,
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
    unrounded += money(additional_charges)
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


# --------------------------------------------------------------------------- jewellery lines

GRAM = Decimal("0.001")
_HSN = re.compile(r"^\d{4}(\d{2}){0,2}$")


@dataclass(frozen=True)
class Stone:
    weight: Decimal  # 3 decimals, in `unit`
    unit: str  # carat | gram
    value: Decimal


@dataclass(frozen=True)
class Charge:
    name: str
    amount: Decimal


@dataclass(frozen=True)
class JewelleryLine:
    """One jewellery piece (quantity 1). `rate` is per gram of the piece's metal and purity, or of the fine metal
    (24K / 999) when `cutting_enabled`; `tounch` None means the purity's fineness / 10 (22K: 91.60)."""

    gross_weight: Decimal
    rate: Decimal
    metal: str = "gold"
    purity: str = "22K"
    less_weight: Decimal = Decimal("0.000")
    tounch: Optional[Decimal] = None
    wastage: Decimal = ZERO
    making_type: str = MAKING_PER_GRAM
    making_charge: Decimal = ZERO
    stones: tuple[Stone, ...] = ()
    hallmark_fee: Decimal = ZERO
    charges: tuple[Charge, ...] = ()
    discount_type: str = FLAT
    discount_value: Decimal = ZERO
    gst_rate: Decimal = Decimal(JEWELLERY_GST_RATE)
    hsn: str = JEWELLERY_HSN
    cutting_enabled: bool = False
    net_price: Optional[Decimal] = None  # the agreed taxable price of the piece (replaces the computed value)


@dataclass(frozen=True)
class JewelleryAmounts:
    net_weight: Decimal
    fine_weight: Decimal
    tounch: Decimal
    metal_value: Decimal
    making_amount: Decimal
    stones_value: Decimal
    hallmark_fee: Decimal
    charges_total: Decimal
    value: Decimal  # metal + making + stones + hallmark + charges (the computed price before discount and tax)
    agreed: bool  # True: the taxable value is the agreed net_price, not `value`
    piece: JewelleryLine  # what was priced (its rate is the one a saved bill keeps)


def fineness(metal: str, purity: str) -> int:
    """Parts per thousand of pure metal (22K gold: 916); KeyError for an unknown metal or purity."""
    return PURITIES[metal][purity]


def jewellery_rule() -> str:
    """The jewellery arithmetic as docs/api.md ("Jewellery amounts") states it."""
    return textwrap.dedent((price_jewellery_line.__doc__ or "").split("\n\n", 1)[1]).strip("\n")


def price_jewellery_line(line: JewelleryLine, inter_state: bool = False) -> LineAmounts:
    """A jewellery piece's amounts; the bill around it (discount, round-off, IGST) is price_bill's as for any line.

    Weights in grams with 3 decimals, money with 2, percentages with 2; "rounded" is half-up.
        net_weight    = gross_weight - less_weight                       (less above gross is refused)
        fine_weight   = net_weight x (tounch + wastage) / 100, rounded to 0.001 g
                        (tounch defaults to the purity's fineness / 10: 24K 99.90, 22K 91.60, 18K 75.00,
                        14K 58.50, 9K 37.50; silver 999 99.90, 925 92.50)
        metal_value   = net_weight x rate, rounded to the paisa; rate = the day's rate per gram of the piece's
                        metal and purity. With cutting_enabled: fine_weight x rate, where rate is the fine metal's
                        (gold 24K, silver 999), since the fine weight is already pure metal.
        making        = PG: making_charge x net_weight;  PP: making_charge (per piece);
                        PC: metal_value x making_charge / 100;  rounded to the paisa
        stones        = sum of the stones' values (their weights, in carat or gram, are recorded and shown, not
                        added to or taken from any weight: a stone's gram weight belongs in less_weight)
        value         = metal_value + making + stones + hallmark_fee + sum of the other charges
        base          = value, or the agreed net_price when one is given (the breakdown is still recorded)
        discount      = base x discount_value / 100 (percent) or discount_value (flat), at most base; none with
                        an agreed price
        taxable       = base - discount
        cgst = sgst   = taxable x (gst_rate / 2) / 100 rounded;  inter-state: igst = taxable x gst_rate / 100
                        rounded and cgst = sgst = 0  (gst_rate 3 by default: 1.5 % + 1.5 %; HSN 7113 by default)
        total         = taxable + taxes
    """
    problems = jewellery_problems(line)
    if problems:
        raise ValueError("; ".join(f"{k}: {v}" for k, v in problems.items()))
    net = Decimal(line.gross_weight) - Decimal(line.less_weight)
    tounch = Decimal(line.tounch) if line.tounch is not None else Decimal(fineness(line.metal, line.purity)) / 10
    fine = (net * (tounch + Decimal(line.wastage)) / HUNDRED).quantize(GRAM, rounding=ROUND_HALF_UP)
    metal_value = money((fine if line.cutting_enabled else net) * Decimal(line.rate))
    charge = Decimal(line.making_charge)
    making = money({MAKING_PER_GRAM: charge * net, MAKING_PER_PIECE: charge,
                    MAKING_PERCENT: metal_value * charge / HUNDRED}[line.making_type])
    stones = sum((money(s.value) for s in line.stones), ZERO)
    charges = sum((money(c.amount) for c in line.charges), ZERO)
    hallmark = money(line.hallmark_fee)
    value = metal_value + making + stones + hallmark + charges
    agreed = line.net_price is not None
    base = money(line.net_price) if agreed else value
    discount = ZERO if agreed else _line_discount(base, line.discount_type, line.discount_value)
    half = Decimal(line.gst_rate) / 2
    amounts = _amounts(base, discount, base - discount, _rates(half, half, inter_state), False)
    breakdown = JewelleryAmounts(net.quantize(GRAM), fine, tounch, metal_value, making, stones, hallmark, charges,
                                 value, agreed, line)
    return replace(amounts, jewellery=breakdown)


def decimal_problem(value, places: int, *, positive: bool = False, at_most: Optional[Decimal] = None,
                      unit: str = "") -> Optional[str]:
    """Why a number is not a finite value >= 0 (> 0 when `positive`) with at most `places` decimals, or None."""
    try:
        value = Decimal(value)
        exact = value == value.quantize(Decimal(1).scaleb(-places))
    except (InvalidOperation, TypeError, ValueError):
        return "Must be a number"
    if not value.is_finite():
        return "Must be a number"
    if positive and value <= 0:
        return "Must be greater than 0"
    if value < 0:
        return "Must not be negative"
    if not exact:
        return f"At most {places} decimal places"
    if at_most is not None and value > at_most:
        return f"Must be at most {at_most}{unit}"
    return money_problem(value) if places == 2 else None


def jewellery_problems(line: JewelleryLine) -> dict[str, str]:
    """Every reason the engine cannot price this piece, keyed by field ({} when it can)."""
    problems: dict[str, Optional[str]] = {}
    if line.metal not in PURITIES:
        problems["metal"] = "Unknown metal: must be one of " + ", ".join(PURITIES)
    elif line.purity not in PURITIES[line.metal]:
        problems["purity"] = f"Unknown purity for {line.metal}: must be one of " + ", ".join(PURITIES[line.metal])
    problems["gross_weight"] = decimal_problem(line.gross_weight, 3, positive=True, at_most=Decimal(99999))
    problems["less_weight"] = decimal_problem(line.less_weight, 3)
    if not (problems["gross_weight"] or problems["less_weight"]) and line.less_weight > line.gross_weight:
        problems["less_weight"] = "Less weight must not be more than the gross weight"
    if line.tounch is not None:
        problems["tounch"] = decimal_problem(line.tounch, 2, at_most=HUNDRED, unit=" %")
    problems["wastage"] = decimal_problem(line.wastage, 2, at_most=HUNDRED, unit=" %")
    problems["rate"] = decimal_problem(line.rate, 2, positive=True)
    if line.making_type not in MAKING_TYPES:
        problems["making_type"] = "Must be one of: " + ", ".join(MAKING_TYPES)
    else:
        limit = HUNDRED if line.making_type == MAKING_PERCENT else None
        problems["making_charge"] = decimal_problem(line.making_charge, 2, at_most=limit,
                                                      unit=" %" if limit else "")
    for i, stone in enumerate(line.stones):
        if stone.unit not in STONE_UNITS:
            problems[f"stones[{i}].unit"] = "Must be one of: " + ", ".join(STONE_UNITS)
        problems[f"stones[{i}].weight"] = decimal_problem(stone.weight, 3)
        problems[f"stones[{i}].value"] = decimal_problem(stone.value, 2)
    problems["hallmark_fee"] = decimal_problem(line.hallmark_fee, 2)
    for i, charge in enumerate(line.charges):
        if not str(charge.name or "").strip() or len(str(charge.name)) > 100:
            problems[f"charges[{i}].name"] = "A name of 1 to 100 characters is required"
        problems[f"charges[{i}].amount"] = decimal_problem(charge.amount, 2)
    if line.discount_type not in DISCOUNT_TYPES:
        problems["discount_type"] = "Must be one of: " + ", ".join(DISCOUNT_TYPES)
    else:
        limit = HUNDRED if line.discount_type == PERCENT else None
        problems["discount_value"] = decimal_problem(line.discount_value, 2, at_most=limit)
    problems["gst_rate"] = decimal_problem(line.gst_rate, 2, at_most=HUNDRED, unit=" %")
    if not problems["gst_rate"] and decimal_problem(Decimal(line.gst_rate) / 2, 2):
        problems["gst_rate"] = "Must split into two equal halves of at most 2 decimal places (e.g. 3 or 1.5)"
    if not _HSN.match(str(line.hsn or "")):
        problems["hsn"] = "HSN must be 4, 6 or 8 digits"
    if line.net_price is not None:
        problems["net_price"] = decimal_problem(line.net_price, 2)
        if Decimal(line.discount_value or 0) != 0:
            problems["discount_value"] = "Give either an agreed net price or a discount, not both"
    return {key: message for key, message in problems.items() if message}
