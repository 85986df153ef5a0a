"""The jewellery line of the pricing engine (services/billing/pricing.py, price_jewellery_line), checked by hand.

The ring used throughout: 22K gold, gross 10.500 g, less 0.500 g, tounch 91.60 %, wastage 2.00 %, rate 7150.00 per
gram of 22K, one stone 0.250 carat worth 2500.00, hallmark fee 45.00, GST 3 % (1.5 + 1.5). Working:
    net   = 10.500 - 0.500 = 10.000 g
    fine  = 10.000 x (91.60 + 2.00) / 100 = 9.360 g
    metal = 10.000 x 7150.00 = 71500.00
    PG making 450.00/g: 450.00 x 10.000 = 4500.00
    taxable = 71500.00 + 4500.00 + 2500.00 + 45.00 = 78545.00
    CGST = SGST = 78545.00 x 1.5 % = 1178.175 -> 1178.18 (half-up);  total 78545.00 + 2356.36 = 80901.36
    inter-state: IGST = 78545.00 x 3 % = 2356.35 exactly;  total 80901.35
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.billing.pricing import (
    Charge,
    JewelleryLine,
    LineInput,
    Stone,
    jewellery_problems,
    jewellery_rule,
    price_bill,
    price_jewellery_line,
)

D = Decimal

RING = JewelleryLine(
    gross_weight=D("10.500"), less_weight=D("0.500"), tounch=D("91.60"), wastage=D("2.00"), metal="gold",
    purity="22K", rate=D("7150.00"), making_type="PG", making_charge=D("450.00"),
    stones=(Stone(D("0.250"), "carat", D("2500.00")),), hallmark_fee=D("45.00"),
)


def amounts(line, inter_state=False):
    a = price_jewellery_line(line, inter_state)
    return (a.base_amount, a.discount_amount, a.taxable_amount, a.cgst_amount, a.sgst_amount, a.igst_amount,
            a.line_total)


def figures(*values: str) -> tuple[Decimal, ...]:
    return tuple(D(v) for v in values)


def test_ring_with_per_gram_making_one_stone_and_hallmark_fee_at_three_percent_gst():
    assert amounts(RING) == figures("78545.00", "0.00", "78545.00", "1178.18", "1178.18", "0.00", "80901.36")
    j = price_jewellery_line(RING).jewellery
    assert (j.net_weight, j.fine_weight, j.metal_value, j.making_amount, j.stones_value, j.hallmark_fee) == figures(
        "10.000", "9.360", "71500.00", "4500.00", "2500.00", "45.00")


def test_same_ring_inter_state_is_three_percent_igst():
    assert amounts(RING, inter_state=True) == figures(
        "78545.00", "0.00", "78545.00", "0.00", "0.00", "2356.35", "80901.35")


def test_per_piece_making():
    # 71500.00 + 3000.00 + 2500.00 + 45.00 = 77045.00; 1.5 % = 1155.675 -> 1155.68 each; 77045.00 + 2311.36
    line = replace(RING, making_type="PP", making_charge=D("3000.00"))
    assert amounts(line) == figures("77045.00", "0.00", "77045.00", "1155.68", "1155.68", "0.00", "79356.36")


def test_percentage_making_is_a_share_of_the_metal_value():
    # 12.50 % of 71500.00 = 8937.50; 71500.00 + 8937.50 + 2500.00 + 45.00 = 82982.50
    # 1.5 % = 1244.7375 -> 1244.74 each; 82982.50 + 2489.48 = 85471.98
    line = replace(RING, making_type="PC", making_charge=D("12.50"))
    assert amounts(line) == figures("82982.50", "0.00", "82982.50", "1244.74", "1244.74", "0.00", "85471.98")
    assert price_jewellery_line(line).jewellery.making_amount == D("8937.50")


def test_cutting_enabled_values_the_fine_weight_at_the_fine_rate():
    # fine 9.360 g x 7800.00 (24K) = 73008.00; making stays per gram of NET weight: 4500.00
    # 73008.00 + 4500.00 + 2500.00 + 45.00 = 80053.00; 1.5 % = 1200.795 -> 1200.80 each; total 82454.60
    line = replace(RING, cutting_enabled=True, rate=D("7800.00"))
    assert amounts(line) == figures("80053.00", "0.00", "80053.00", "1200.80", "1200.80", "0.00", "82454.60")
    assert price_jewellery_line(line).jewellery.metal_value == D("73008.00")


def test_agreed_net_price_replaces_the_taxable_value_and_keeps_the_breakdown():
    # taxable 75000.00; 1.5 % = 1125.00 each; total 77250.00
    line = replace(RING, net_price=D("75000.00"))
    assert amounts(line) == figures("75000.00", "0.00", "75000.00", "1125.00", "1125.00", "0.00", "77250.00")
    j = price_jewellery_line(line).jewellery
    assert j.agreed and j.value == D("78545.00") and j.metal_value == D("71500.00")


def test_other_charges_discount_and_a_configured_gst_rate_and_hsn():
    # job work at 5 % (2.5 + 2.5), HSN 9988: 78545.00 + 150.00 + 99.50 = 78794.50; 2 % off = 1575.89 -> taxable
    # 77218.61; 2.5 % = 1930.46525 -> 1930.47 each; total 77218.61 + 3860.94 = 81079.55
    line = replace(RING, charges=(Charge("Polish", D("150.00")), Charge("Certificate", D("99.50"))),
                   discount_type="percent", discount_value=D("2.00"), gst_rate=D("5"), hsn="9988")
    assert amounts(line) == figures("78794.50", "1575.89", "77218.61", "1930.47", "1930.47", "0.00", "81079.55")


def test_tounch_defaults_to_the_purity_fineness():
    line = replace(RING, tounch=None, wastage=D("0"))
    j = price_jewellery_line(line).jewellery
    assert (j.tounch, j.fine_weight) == (D("91.6"), D("9.160"))
    silver = replace(RING, metal="silver", purity="925", tounch=None, wastage=D("0"), rate=D("95.00"))
    assert price_jewellery_line(silver).jewellery.fine_weight == D("9.250")


def test_a_jewellery_line_reconciles_with_ordinary_lines_bill_discount_and_round_off():
    # ring 80901.36 + sizing service 200.00 at 9 + 9 (236.00) = 81137.36; less 500.00 = 80637.36 -> 80637.00
    service = LineInput(D("200.00"), 1, cgst_rate=D("9"), sgst_rate=D("9"))
    priced = price_bill([RING, service], discount=D("500.00"), round_off=True)
    t = priced.totals
    assert (t.sub_total, t.discount, t.tax_amount, t.round_off, t.grand_total) == figures(
        "81137.36", "500.00", "2392.36", "-0.36", "80637.00")
    assert t.cgst_amount == t.sgst_amount == D("1196.18")


def test_a_bill_discount_before_tax_keeps_the_jewellery_breakdown():
    priced = price_bill([RING], discount=D("545.00"), discount_before_tax=True)
    [line] = priced.lines
    # taxable 78545.00 - 545.00 = 78000.00; 1.5 % = 1170.00 each; total 80340.00
    assert (line.taxable_amount, line.cgst_amount, line.line_total) == figures("78000.00", "1170.00", "80340.00")
    assert line.jewellery.metal_value == D("71500.00")


@pytest.mark.parametrize("change, field", [
    ({"gross_weight": D("10.5001")}, "gross_weight"),
    ({"less_weight": D("0.0001")}, "less_weight"),
    ({"gross_weight": D("-1.000")}, "gross_weight"),
    ({"less_weight": D("-0.500")}, "less_weight"),
    ({"less_weight": D("10.501")}, "less_weight"),
    ({"tounch": D("100.01")}, "tounch"),
    ({"wastage": D("-1")}, "wastage"),
    ({"metal": "platinum"}, "metal"),
    ({"purity": "20K"}, "purity"),
    ({"rate": D("0")}, "rate"),
    ({"rate": D("7150.001")}, "rate"),
    ({"making_type": "XX"}, "making_type"),
    ({"making_type": "PC", "making_charge": D("101")}, "making_charge"),
    ({"stones": (Stone(D("0.25"), "pound", D("1")),)}, "stones[0].unit"),
    ({"charges": (Charge("", D("1")),)}, "charges[0].name"),
    ({"gst_rate": D("0.25")}, "gst_rate"),
    ({"hsn": "71A3"}, "hsn"),
    ({"net_price": D("75000.00"), "discount_value": D("10")}, "discount_value"),
])
def test_bad_jewellery_input_is_refused_naming_the_field(change, field):
    line = replace(RING, **change)
    assert field in jewellery_problems(line)
    with pytest.raises(ValueError):
        price_jewellery_line(line)


def test_a_weight_written_with_trailing_zeros_is_still_three_decimals():
    assert jewellery_problems(replace(RING, gross_weight=D("10.5000"))) == {}


def test_docs_carry_the_jewellery_rule_as_the_engine_states_it():
    docs = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text(encoding="utf-8")
    assert "## Jewellery amounts" in docs
    assert "```\n" + jewellery_rule() + "\n```" in docs


# --------------------------------------------------------------------------- properties

grams = st.decimals(min_value=D("0.001"), max_value=D("500"), places=3)
money = st.decimals(min_value=0, max_value=D("50000"), places=2)


@st.composite
def pieces(draw):
    gross = draw(grams)
    less = draw(st.decimals(min_value=0, max_value=gross, places=3))
    making_type = draw(st.sampled_from(["PG", "PP", "PC"]))
    making = draw(st.decimals(min_value=0, max_value=100, places=2) if making_type == "PC" else money)
    metal = draw(st.sampled_from(["gold", "silver"]))
    purity = draw(st.sampled_from({"gold": ["24K", "22K", "18K", "14K", "9K"], "silver": ["999", "925"]}[metal]))
    stones = tuple(Stone(draw(grams), draw(st.sampled_from(["carat", "gram"])), draw(money))
                   for _ in range(draw(st.integers(0, 3))))
    return JewelleryLine(
        gross_weight=gross, less_weight=less, metal=metal, purity=purity,
        tounch=draw(st.none() | st.decimals(min_value=0, max_value=100, places=2)),
        wastage=draw(st.decimals(min_value=0, max_value=20, places=2)),
        rate=draw(st.decimals(min_value=D("0.01"), max_value=D("12000"), places=2)),
        making_type=making_type, making_charge=making, stones=stones, hallmark_fee=draw(money),
        gst_rate=draw(st.sampled_from([D("3"), D("5"), D("18"), D("0"), D("1.5")])),
        cutting_enabled=draw(st.booleans()), net_price=draw(st.none() | money),
    )


@settings(max_examples=300, deadline=None)
@given(pieces(), st.booleans())
def test_taxable_plus_taxes_is_the_line_total_and_cgst_equals_sgst(piece, inter_state):
    a = price_jewellery_line(piece, inter_state)
    assert a.taxable_amount + a.cgst_amount + a.sgst_amount + a.igst_amount == a.line_total
    assert a.cgst_amount == a.sgst_amount
    assert (a.igst_amount == 0) if not inter_state else (a.cgst_amount == 0)
    j = a.jewellery
    assert j.net_weight == piece.gross_weight - piece.less_weight >= 0
    assert j.value == j.metal_value + j.making_amount + j.stones_value + j.hallmark_fee + j.charges_total
    assert a.taxable_amount == (piece.net_price if piece.net_price is not None else j.value)
    for amount in (a.taxable_amount, a.cgst_amount, a.line_total, j.metal_value, j.making_amount):
        assert amount.as_tuple().exponent == -2
    assert j.fine_weight.as_tuple().exponent == -3


@settings(max_examples=200, deadline=None)
@given(st.lists(pieces(), min_size=1, max_size=4), st.decimals(min_value=0, max_value=D("20000"), places=2),
       st.booleans(), st.booleans(), st.booleans())
def test_jewellery_lines_reconcile_with_the_bill_to_the_paisa(lines, discount, inter_state, round_off, before_tax):
    bill = price_bill([*lines, LineInput(D("200.00"), 1, cgst_rate=D("9"), sgst_rate=D("9"))], discount=discount,
                      inter_state=inter_state, round_off=round_off, discount_before_tax=before_tax)
    t = bill.totals
    assert t.tax_amount == sum(a.cgst_amount + a.sgst_amount + a.igst_amount for a in bill.lines)
    assert t.cgst_amount == t.sgst_amount
    assert t.taxable_amount + t.tax_amount == sum(a.line_total for a in bill.lines)
    assert t.grand_total == t.sub_total - t.discount + t.round_off
    for a in bill.lines:
        assert a.taxable_amount + a.cgst_amount + a.sgst_amount + a.igst_amount == a.line_total
    assert all(a.jewellery is not None for a in bill.lines[:-1])
