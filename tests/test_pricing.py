"""The pricing engine: the seed's worked example to the paisa, rounding at the line, invariants over random bills."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.billing.pricing import CouponInput, LineInput, price_bill, price_line

D = Decimal


def test_seed_worked_example_comes_out_to_the_paisa():
    priced = price_bill(
        [LineInput(unit_price=D("1000"), qty=1, discount_type="percent", discount_value=D("10"),
                   cgst_rate=D("9"), sgst_rate=D("9"))],
        discount=D("50"),
        payments=[D("612.00"), D("400.00")],
    )
    line = priced.lines[0]
    assert (line.base_amount, line.discount_amount, line.taxable_amount) == (D("1000.00"), D("100.00"), D("900.00"))
    assert (line.cgst_amount, line.sgst_amount, line.line_total) == (D("81.00"), D("81.00"), D("1062.00"))
    totals = priced.totals
    assert totals.sub_total == D("1062.00")
    assert totals.tax_amount == D("162.00")
    assert totals.grand_total == D("1012.00")
    assert (totals.paid, totals.dues, totals.status) == (D("1012.00"), D("0.00"), "paid")


def test_each_line_amount_is_rounded_half_up_at_the_line():
    # 3 x 33.335 = 100.005 -> 100.01 (half-up, not banker's 100.00); 12.5% of 100.01 = 12.50125 -> 12.50
    line = price_line(LineInput(D("33.335"), 3, "percent", D("12.5"), D("2.5"), D("2.5")))
    assert line.base_amount == D("100.01")
    assert line.discount_amount == D("12.50")
    assert line.taxable_amount == D("87.51")
    # 2.5% of 87.51 = 2.18775 -> 2.19
    assert line.cgst_amount == line.sgst_amount == D("2.19")
    assert line.line_total == D("91.89")


def test_half_paisa_rounds_up_not_to_even():
    line = price_line(LineInput(D("0.25"), 1, "flat", D("0"), D("10"), D("0")))  # 0.025 -> 0.03
    assert line.cgst_amount == D("0.03")


def test_flat_discount_is_capped_at_the_line_base():
    line = price_line(LineInput(D("40"), 1, "flat", D("55"), D("9"), D("9")))
    assert line.discount_amount == D("40.00")
    assert line.line_total == D("0.00")


def test_bill_discount_larger_than_sub_total_leaves_grand_total_zero():
    priced = price_bill([LineInput(D("10"), 1)], discount=D("25"))
    assert priced.totals.discount == D("10.00")
    assert priced.totals.grand_total == D("0.00")
    assert priced.totals.status == "paid"


def test_coupons_add_to_the_bill_discount_percent_on_sub_total():
    priced = price_bill(
        [LineInput(D("200"), 1)], discount=D("5"),
        coupons=[CouponInput("SAVE10", "percent", D("10")), CouponInput("FLAT20", "flat", D("20"))],
    )
    assert priced.totals.coupon_discount == D("40.00")
    assert priced.totals.discount == D("45.00")
    assert priced.totals.grand_total == D("155.00")


def test_status_follows_paid_against_grand_total():
    lines = [LineInput(D("100"), 1)]
    assert price_bill(lines, payments=[]).totals.status == "unpaid"
    assert price_bill(lines, payments=[D("40")]).totals.status == "partial"
    assert price_bill(lines, payments=[D("60"), D("40")]).totals.status == "paid"


money_values = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=0, max_value=28, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def lines(draw):
    kind = draw(st.sampled_from(["percent", "flat"]))
    value = draw(st.decimals(min_value=0, max_value=100, places=2) if kind == "percent" else money_values)
    return LineInput(draw(money_values), draw(st.integers(1, 50)), kind, value, draw(rates), draw(rates))


@settings(max_examples=300, deadline=None)
@given(st.lists(lines(), min_size=1, max_size=8), money_values, st.data())
def test_random_bills_keep_the_bill_invariants(line_inputs, discount, data):
    first = price_bill(line_inputs, discount=discount)
    paid_cap = first.totals.grand_total
    payment = data.draw(st.decimals(min_value=0, max_value=paid_cap, places=2)) if paid_cap > 0 else D("0")
    priced = price_bill(line_inputs, discount=discount, payments=[payment] if payment > 0 else [])
    totals = priced.totals
    assert totals.sub_total == sum(line.line_total for line in priced.lines)
    assert totals.tax_amount == totals.cgst_amount + totals.sgst_amount
    assert totals.grand_total == totals.sub_total - totals.discount >= 0
    assert totals.dues == totals.grand_total - totals.paid >= 0
    for line in priced.lines:
        assert line.line_total == line.taxable_amount + line.cgst_amount + line.sgst_amount
        assert 0 <= line.discount_amount <= line.base_amount
    every = [totals.sub_total, totals.discount, totals.tax_amount, totals.grand_total, totals.paid, totals.dues]
    every += [getattr(line, f) for line in priced.lines for f in ("base_amount", "discount_amount", "cgst_amount",
                                                                    "sgst_amount", "line_total")]
    assert all(amount.as_tuple().exponent == -2 for amount in every)
