"""Properties of the retail rules over random bills: MRP lines split to the paisa, no paisa drift over many lines,
shares of a discount before tax that add up exactly, and whole-rupee round-off (services/billing/pricing.py)."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.billing.pricing import LineInput, money, price_bill, price_line, shares

D = Decimal
ZERO = D("0.00")

prices = st.decimals(min_value=0, max_value=20000, places=2)
half_rates = st.sampled_from([D("0"), D("1.5"), D("2.5"), D("6"), D("9"), D("14")])
pieces = st.integers(1, 50).map(D)
weights = st.decimals(min_value=D("0.001"), max_value=100, places=3)  # kg, l, m with three decimals
either_pricing = st.booleans()  # price before tax, or MRP (price includes tax)


@st.composite
def retail_lines(draw, includes_tax=either_pricing):
    """A line as a kirana rings it: pieces or a weight, an optional discount, equal or unequal CGST/SGST."""
    kind = draw(st.sampled_from(["percent", "flat"]))
    value = draw(st.decimals(min_value=0, max_value=100, places=2) if kind == "percent" else prices)
    cgst = draw(half_rates)
    sgst = cgst if draw(st.booleans()) else draw(half_rates)
    return LineInput(draw(prices), draw(st.one_of(pieces, weights)), kind, value, cgst, sgst, draw(includes_tax))


mrp_lines = retail_lines(includes_tax=st.just(True))


def _two_places(*amounts: Decimal) -> bool:
    return all(a.as_tuple().exponent == -2 for a in amounts)


@settings(max_examples=500, deadline=None)
@given(mrp_lines, st.booleans())
def test_an_mrp_line_is_its_price_less_its_discount_and_splits_into_taxable_and_taxes_exactly(line, inter_state):
    a = price_line(line, inter_state)
    assert a.line_total == money(line.unit_price * line.qty) - a.discount_amount
    assert a.line_total == a.base_amount - a.discount_amount
    assert a.taxable_amount + a.cgst_amount + a.sgst_amount + a.igst_amount == a.line_total
    assert a.taxable_amount >= 0
    assert _two_places(a.base_amount, a.discount_amount, a.taxable_amount, a.cgst_amount, a.sgst_amount,
                       a.igst_amount, a.line_total)
    if inter_state:
        assert a.cgst_amount == a.sgst_amount == 0
        assert a.igst_rate == line.cgst_rate + line.sgst_rate
    else:
        assert a.igst_amount == 0
    if line.cgst_rate == line.sgst_rate:
        assert a.cgst_amount == a.sgst_amount
    # The tax is the whole rate's share of the line, within the roundings (at most half a paisa per tax)
    rate = line.cgst_rate + line.sgst_rate
    exact_tax = a.line_total * rate / (100 + rate)
    assert abs(a.cgst_amount + a.sgst_amount + a.igst_amount - exact_tax) <= D("0.01")


@settings(max_examples=300, deadline=None)
@given(st.lists(retail_lines(), min_size=1, max_size=40), st.decimals(min_value=0, max_value=5000, places=2),
       st.booleans(), st.booleans(), st.booleans())
def test_no_paisa_drift_over_many_lines(lines, discount, inter_state, round_off, before_tax):
    priced = price_bill(lines, discount=discount, inter_state=inter_state, round_off=round_off,
                        discount_before_tax=before_tax)
    t = priced.totals
    line_totals = sum((a.line_total for a in priced.lines), ZERO)
    assert t.tax_amount == sum((a.cgst_amount + a.sgst_amount + a.igst_amount for a in priced.lines), ZERO)
    assert t.tax_amount == t.cgst_amount + t.sgst_amount + t.igst_amount
    assert t.taxable_amount == sum((a.taxable_amount for a in priced.lines), ZERO)
    assert t.taxable_amount + t.tax_amount == line_totals
    if before_tax:
        assert t.grand_total == line_totals + t.round_off
    else:
        assert t.sub_total == line_totals
    assert t.grand_total == t.sub_total - t.discount + t.round_off
    assert t.grand_total >= 0
    for a in priced.lines:
        assert a.taxable_amount + a.cgst_amount + a.sgst_amount + a.igst_amount == a.line_total
        assert a.taxable_amount >= 0
        if a.cgst_rate == a.sgst_rate:
            assert a.cgst_amount == a.sgst_amount
    assert _two_places(t.sub_total, t.discount, t.tax_amount, t.grand_total, t.round_off, t.dues)


@settings(max_examples=300, deadline=None)
@given(st.lists(retail_lines(), min_size=1, max_size=12), st.decimals(min_value=0, max_value=50000, places=2),
       st.booleans())
def test_a_discount_before_tax_is_shared_exactly_and_leaves_no_line_below_zero(lines, discount, inter_state):
    plain = price_bill(lines, inter_state=inter_state)
    priced = price_bill(lines, discount=discount, inter_state=inter_state, discount_before_tax=True)
    value = sum((a.taxable_amount for a in plain.lines), ZERO)
    applied = min(discount, value)
    assert priced.totals.discount == applied
    assert sum((a.bill_discount_amount for a in priced.lines), ZERO) == applied
    for before, after in zip(plain.lines, priced.lines):
        assert 0 <= after.bill_discount_amount <= before.taxable_amount
        assert after.taxable_amount == before.taxable_amount - after.bill_discount_amount >= 0
        # the tax falls (or stays) with the taxable value
        assert after.cgst_amount + after.sgst_amount + after.igst_amount <= (
            before.cgst_amount + before.sgst_amount + before.igst_amount) + D("0.02")
        assert after.line_total == after.taxable_amount + after.cgst_amount + after.sgst_amount + after.igst_amount


@settings(max_examples=500, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=10000, places=2), min_size=1, max_size=15), st.data())
def test_shares_add_up_to_the_amount_and_stay_within_each_weight(raw_weights, data):
    total = sum(raw_weights, ZERO)
    amount = data.draw(st.decimals(min_value=0, max_value=total, places=2)) if total > 0 else ZERO
    result = shares(amount, raw_weights)
    assert len(result) == len(raw_weights)
    if total > 0:
        assert sum(result, ZERO) == amount
    for share, weight in zip(result, raw_weights):
        assert 0 <= share <= weight
        if total > 0:
            assert abs(share - amount * weight / total) < D("0.01")


@settings(max_examples=300, deadline=None)
@given(st.lists(retail_lines(), min_size=1, max_size=10), st.decimals(min_value=0, max_value=2000, places=2),
       st.booleans(), st.booleans())
def test_round_off_makes_whole_rupees_within_half_a_rupee(lines, discount, inter_state, before_tax):
    unrounded = price_bill(lines, discount=discount, inter_state=inter_state, discount_before_tax=before_tax).totals
    t = price_bill(lines, discount=discount, inter_state=inter_state, discount_before_tax=before_tax,
                   round_off=True).totals
    assert t.grand_total == t.grand_total.to_integral_value()
    assert abs(t.round_off) <= D("0.50")
    assert t.grand_total == unrounded.grand_total + t.round_off
    # rounding touches only the total: every other amount is the same
    assert (t.sub_total, t.discount, t.tax_amount, t.taxable_amount) == (
        unrounded.sub_total, unrounded.discount, unrounded.tax_amount, unrounded.taxable_amount)
    assert t.round_off != D("-0.50")  # half a rupee goes up
