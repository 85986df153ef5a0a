"""The pricing engine's retail rules, hand-checked to the paisa (docs/api.md "How amounts are computed").

Every expected figure below was worked out by hand from the rule in services/billing/pricing.py's docstring, and the
working is written beside it, so a change of rule shows up as a wrong figure here, not as a silently new number.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from services.billing.pricing import LineInput, price_bill, price_line, shares

D = Decimal


def mrp(price, qty=1, gst="0", **kw) -> LineInput:
    half = D(gst) / 2
    return LineInput(D(price), qty, cgst_rate=half, sgst_rate=half, price_includes_tax=True, **kw)


def before_tax(price, qty=1, gst="0", **kw) -> LineInput:
    half = D(gst) / 2
    return LineInput(D(price), qty, cgst_rate=half, sgst_rate=half, **kw)


def amounts(line) -> tuple:
    return (line.line_total, line.taxable_amount, line.cgst_amount, line.sgst_amount, line.igst_amount)


# --------------------------------------------------------------------------- MRP lines (price includes GST)


@pytest.mark.parametrize(("price", "gst", "expected"), [
    # 145 x 100/105 = 138.0952..; 2.5 % of it = 3.4523.. -> 3.45 each; taxable = 145 - 6.90 = 138.10
    ("145", "5", ("145.00", "138.10", "3.45", "3.45", "0.00")),
    # 110 x 100/112 = 98.2142..; 6 % = 5.8928.. -> 5.89 each; taxable = 110 - 11.78 = 98.22
    ("110", "12", ("110.00", "98.22", "5.89", "5.89", "0.00")),
    # 20 x 100/118 = 16.9491..; 9 % = 1.5254.. -> 1.53 each; taxable = 20 - 3.06 = 16.94
    ("20", "18", ("20.00", "16.94", "1.53", "1.53", "0.00")),
    # 650 x 100/112 = 580.3571..; 6 % = 34.8214.. -> 34.82 each; taxable = 650 - 69.64 = 580.36
    ("650", "12", ("650.00", "580.36", "34.82", "34.82", "0.00")),
    # 0 %: the price is the taxable value
    ("68", "0", ("68.00", "68.00", "0.00", "0.00", "0.00")),
])
def test_an_mrp_line_costs_its_printed_price_and_splits_it_into_taxable_and_gst(price, gst, expected):
    line = price_line(mrp(price, gst=gst))
    assert amounts(line) == tuple(D(v) for v in expected)
    assert line.base_amount == D(price)
    assert line.taxable_amount + line.cgst_amount + line.sgst_amount == line.line_total


@pytest.mark.parametrize(("price", "gst", "expected"), [
    # IGST is the whole rate on the exact taxable value: 138.0952.. x 5 % = 6.9047.. -> 6.90; taxable 138.10
    ("145", "5", ("145.00", "138.10", "0.00", "0.00", "6.90")),
    # 98.2142.. x 12 % = 11.7857.. -> 11.79; taxable 110 - 11.79 = 98.21 (intra-state it was 98.22: two roundings)
    ("110", "12", ("110.00", "98.21", "0.00", "0.00", "11.79")),
    # 16.9491.. x 18 % = 3.0508.. -> 3.05; taxable 16.95 (intra-state 16.94 + 1.53 + 1.53)
    ("20", "18", ("20.00", "16.95", "0.00", "0.00", "3.05")),
])
def test_an_inter_state_mrp_line_carries_igst_at_the_whole_rate(price, gst, expected):
    line = price_line(mrp(price, gst=gst), inter_state=True)
    assert amounts(line) == tuple(D(v) for v in expected)
    assert (line.cgst_rate, line.sgst_rate, line.igst_rate) == (0, 0, D(gst))


def test_an_mrp_line_discount_comes_off_the_printed_price_before_the_split():
    # 2 x 145 = 290.00, 10 % off = 29.00, gross 261.00; 261 x 100/105 = 248.5714..; 2.5 % = 6.2142.. -> 6.21 each
    line = price_line(mrp("145", 2, "5", discount_type="percent", discount_value=D("10")))
    assert (line.base_amount, line.discount_amount) == (D("290.00"), D("29.00"))
    assert amounts(line) == (D("261.00"), D("248.58"), D("6.21"), D("6.21"), D("0.00"))


# --------------------------------------------------------------------------- loose goods by weight


def test_three_quarters_of_a_kilo_at_40_a_kilo_is_30_rupees_at_0_percent():
    line = price_line(mrp("40", D("0.750"), "0"))
    assert amounts(line) == (D("30.00"), D("30.00"), D("0.00"), D("0.00"), D("0.00"))


def test_three_quarters_of_a_kilo_at_40_a_kilo_is_30_rupees_at_5_percent_mrp():
    # 30 x 100/105 = 28.5714..; 2.5 % = 0.7142.. -> 0.71 each; taxable 30 - 1.42 = 28.58
    line = price_line(mrp("40", D("0.750"), "5"))
    assert line.base_amount == D("30.00")
    assert amounts(line) == (D("30.00"), D("28.58"), D("0.71"), D("0.71"), D("0.00"))


def test_three_quarters_of_a_kilo_priced_before_tax_adds_gst_on_top():
    # 0.750 x 40 = 30.00 taxable; 2.5 % = 0.75 each; 31.50
    line = price_line(before_tax("40", D("0.750"), "5"))
    assert amounts(line) == (D("31.50"), D("30.00"), D("0.75"), D("0.75"), D("0.00"))


def test_a_weight_times_a_price_is_rounded_half_up_once_at_the_line():
    # 1.255 kg x 44.50 = 55.8475 -> 55.85 (the quantity is never rounded, the amount is, once)
    line = price_line(before_tax("44.50", D("1.255")))
    assert line.base_amount == line.line_total == D("55.85")


# --------------------------------------------------------------------------- round-off


def test_round_off_takes_1012_26_down_to_1012():
    # 857.84 taxable; 9 % = 77.2056 -> 77.21 each; 857.84 + 154.42 = 1012.26 -> 1012.00, round off -0.26
    priced = price_bill([before_tax("857.84", 1, "18")], round_off=True)
    t = priced.totals
    assert (t.sub_total, t.tax_amount, t.grand_total, t.round_off) == (
        D("1012.26"), D("154.42"), D("1012.00"), D("-0.26"))
    assert t.dues == D("1012.00") and t.status == "unpaid"


def test_round_off_takes_half_a_rupee_up():
    t = price_bill([before_tax("100.50")], round_off=True).totals
    assert (t.grand_total, t.round_off) == (D("101.00"), D("0.50"))
    t = price_bill([before_tax("100.49")], round_off=True).totals
    assert (t.grand_total, t.round_off) == (D("100.00"), D("-0.49"))


def test_round_off_applies_after_the_bill_discount():
    # 1012.26 - 0.76 = 1011.50 -> 1012.00 (+0.50)
    t = price_bill([before_tax("857.84", 1, "18")], discount=D("0.76"), round_off=True).totals
    assert (t.sub_total, t.discount, t.grand_total, t.round_off) == (
        D("1012.26"), D("0.76"), D("1012.00"), D("0.50"))


def test_without_round_off_the_paise_stay():
    t = price_bill([before_tax("857.84", 1, "18")]).totals
    assert (t.grand_total, t.round_off) == (D("1012.26"), D("0.00"))


# --------------------------------------------------------------------------- bill discount before tax


def test_a_bill_discount_before_tax_is_spread_in_proportion_and_the_tax_falls():
    lines = [before_tax("1000", 1, "18"), before_tax("500", 1, "5")]
    # Default (the contract's arithmetic): 1180.00 + 525.00 = 1705.00, tax 205.00, less 100 = 1605.00.
    default = price_bill(lines, discount=D("100"))
    assert (default.totals.tax_amount, default.totals.grand_total) == (D("205.00"), D("1605.00"))
    # Before tax: 100 x 1000/1500 = 66.666.. -> 66.67; the last line takes 100 - 66.67 = 33.33.
    # 933.33 x 9 % = 83.9997 -> 84.00 each, line 1101.33; 466.67 x 2.5 % = 11.66675 -> 11.67 each, line 490.01.
    priced = price_bill(lines, discount=D("100"), discount_before_tax=True)
    first, second = priced.lines
    assert (first.bill_discount_amount, second.bill_discount_amount) == (D("66.67"), D("33.33"))
    assert amounts(first) == (D("1101.33"), D("933.33"), D("84.00"), D("84.00"), D("0.00"))
    assert amounts(second) == (D("490.01"), D("466.67"), D("11.67"), D("11.67"), D("0.00"))
    t = priced.totals
    assert (t.discount, t.tax_amount, t.cgst_amount, t.sgst_amount) == (D("100.00"), D("191.34"), D("95.67"),
                                                                        D("95.67"))
    assert (t.grand_total, t.sub_total, t.taxable_amount) == (D("1591.34"), D("1691.34"), D("1400.00"))
    assert t.grand_total == t.sub_total - t.discount
    assert t.tax_amount < default.totals.tax_amount


def test_a_bill_discount_before_tax_on_mrp_lines_reprices_the_taxes_on_what_is_left():
    # 145 MRP at 5 % -> taxable 138.10; 20 MRP at 18 % -> taxable 16.94; value 155.04.
    # 10 x 138.10/155.04 = 8.9073.. -> 8.91; the last line takes 10 - 8.91 = 1.09.
    # 129.19 x 2.5 % = 3.22975 -> 3.23 each, line 135.65; 15.85 x 9 % = 1.4265 -> 1.43 each, line 18.71.
    priced = price_bill([mrp("145", 1, "5"), mrp("20", 1, "18")], discount=D("10"), discount_before_tax=True)
    first, second = priced.lines
    assert (first.bill_discount_amount, second.bill_discount_amount) == (D("8.91"), D("1.09"))
    assert amounts(first) == (D("135.65"), D("129.19"), D("3.23"), D("3.23"), D("0.00"))
    assert amounts(second) == (D("18.71"), D("15.85"), D("1.43"), D("1.43"), D("0.00"))
    assert priced.totals.grand_total == D("154.36")
    assert priced.totals.sub_total == D("164.36")


def test_a_bill_discount_before_tax_on_an_inter_state_bill_reprices_igst():
    # 1000 at 18 % IGST and 500 at 5 % IGST, 100 off: taxable 933.33 and 466.67 as above;
    # IGST 933.33 x 18 % = 167.9994 -> 168.00; 466.67 x 5 % = 23.3335 -> 23.33
    priced = price_bill([before_tax("1000", 1, "18"), before_tax("500", 1, "5")], discount=D("100"),
                        discount_before_tax=True, inter_state=True)
    first, second = priced.lines
    assert amounts(first) == (D("1101.33"), D("933.33"), D("0.00"), D("0.00"), D("168.00"))
    assert amounts(second) == (D("490.00"), D("466.67"), D("0.00"), D("0.00"), D("23.33"))
    assert (priced.totals.igst_amount, priced.totals.grand_total) == (D("191.33"), D("1591.33"))


def test_shares_add_up_exactly_and_never_leave_a_line_below_zero():
    assert shares(D("100"), [D("1000"), D("500")]) == [D("66.67"), D("33.33")]
    assert shares(D("0.10"), [D("1"), D("1"), D("1")]) == [D("0.03"), D("0.03"), D("0.04")]
    # A tiny last line must not take more than its own value, nor a negative share
    for amount, weights in [
        (D("0.02"), [D("2.82"), D("0.05"), D("2.90"), D("2.57"), D("1.52")]),
        (D("8.53"), [D("0.75"), D("2.86"), D("2.27"), D("2.00"), D("2.38"), D("0.02")]),
        (D("2.82"), [D("0.72"), D("0.89"), D("1.80"), D("0.01")]),
    ]:
        result = shares(amount, weights)
        assert sum(result) == amount
        assert all(D("0") <= share <= weight for share, weight in zip(result, weights)), result


# --------------------------------------------------------------------------- the default mode is unchanged


def test_the_billing_v1_worked_example_is_still_1012_with_the_default_options():
    priced = price_bill(
        [LineInput(D("1000"), 1, "percent", D("10"), D("9"), D("9"))],
        discount=D("50"), payments=[D("612.00"), D("400.00")],
    )
    line, t = priced.lines[0], priced.totals
    assert (line.taxable_amount, line.cgst_amount, line.sgst_amount, line.line_total) == (
        D("900.00"), D("81.00"), D("81.00"), D("1062.00"))
    assert (t.sub_total, t.discount, t.tax_amount, t.grand_total, t.round_off, t.igst_amount) == (
        D("1062.00"), D("50.00"), D("162.00"), D("1012.00"), D("0.00"), D("0.00"))
    assert (t.paid, t.dues, t.status) == (D("1012.00"), D("0.00"), "paid")


def test_the_worked_example_with_round_off_on_is_still_1012():
    t = price_bill([LineInput(D("1000"), 1, "percent", D("10"), D("9"), D("9"))], discount=D("50"),
                   round_off=True).totals
    assert (t.grand_total, t.round_off) == (D("1012.00"), D("0.00"))


def test_docs_api_states_the_engines_rule_word_for_word():
    """docs/api.md "How amounts are computed" carries the engine's docstring rule as it is, so neither drifts."""
    from pathlib import Path

    import services.billing.pricing as pricing

    rule = pricing.__doc__[pricing.__doc__.index("Per line"):].rstrip("\n")
    docs = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text(encoding="utf-8")
    assert "## How amounts are computed" in docs
    assert "```\n" + rule + "\n```" in docs
