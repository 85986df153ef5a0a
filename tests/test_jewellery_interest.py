"""Interest on credit (services/jewellery/interest.py), checked by hand to the paisa."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.jewellery.interest import COMPOUND, FLAT, InterestTerms, statement, terms_from_json

D = Decimal
JAN1 = date(2026, 1, 1)


def test_flat_interest_starts_after_the_grace_days_and_payments_pay_interest_first():
    terms = InterestTerms(FLAT, D("1.50"), JAN1, grace_days=15)  # accrues from 16 Jan
    # 16 Jan -> 17 Mar is 60 days: 100000 x 1.5 % x 60 / 30 = 3000.00 interest; the 20000 pays it, then 17000
    # of principal: 83000.00 left. 17 Mar -> 16 Apr, 30 days: 83000 x 1.5 % = 1245.00.
    result = statement(D("100000.00"), terms, [(date(2026, 3, 17), D("20000.00"))], date(2026, 4, 16))
    row = result.rows[0]
    assert (row.amount, row.interest_paid, row.remaining_balance) == (D("20000.00"), D("3000.00"), D("83000.00"))
    assert (result.principal_left, result.interest_due, result.interest_total) == (
        D("83000.00"), D("1245.00"), D("4245.00"))
    assert result.balance == D("84245.00")


def test_nothing_accrues_inside_the_grace_period_and_a_payment_there_is_all_principal():
    terms = InterestTerms(FLAT, D("2.00"), JAN1, grace_days=30)
    result = statement(D("50000.00"), terms, [(date(2026, 1, 20), D("10000.00"))], date(2026, 1, 31))
    assert result.rows[0].interest_paid == D("0.00") and result.rows[0].remaining_balance == D("40000.00")
    assert result.interest_total == D("0.00") and result.balance == D("40000.00")


def test_compound_interest_compounds_every_30_days_and_part_months_are_simple():
    terms = InterestTerms(COMPOUND, D("2.00"), JAN1)
    # 60 days: 100000 x (1.02^2 - 1) = 4040.00;  75 days: 100000 x (1.02^2 x 1.01 - 1) = 5080.40
    assert statement(D("100000.00"), terms, [], date(2026, 3, 2)).interest_due == D("4040.00")
    assert statement(D("100000.00"), terms, [], date(2026, 3, 17)).interest_due == D("5080.40")


def test_compound_interest_after_a_part_payment_runs_on_what_is_left():
    terms = InterestTerms(COMPOUND, D("2.00"), JAN1)
    # 30 days: 2000.00 interest; the 1500 pays 1500 of it: principal 100000, unpaid 500.00, balance 100500.00.
    # Next 30 days on 100500.00: 2010.00 -> unpaid 2510.00, balance 102510.00.
    result = statement(D("100000.00"), terms, [(date(2026, 1, 31), D("1500.00"))], date(2026, 3, 2))
    assert (result.rows[0].interest_paid, result.rows[0].remaining_balance) == (D("1500.00"), D("100500.00"))
    assert (result.interest_due, result.balance) == (D("2510.00"), D("102510.00"))


def test_terms_are_read_from_the_bill_and_off_means_no_interest():
    raw = {"interest_enabled": True, "interest_type": "2", "interest_rate": "1.25",
           "interest_start_date": "2026-02-01", "grace_period_enabled": True, "grace_period_days": 10}
    terms = terms_from_json(raw, JAN1)
    assert terms == InterestTerms(COMPOUND, D("1.25"), date(2026, 2, 1), 10)
    assert terms.accrues_from == date(2026, 2, 11)
    assert terms_from_json({**raw, "grace_period_enabled": False}, JAN1).grace_days == 0
    assert terms_from_json({**raw, "interest_start_date": None}, JAN1).start == JAN1
    assert terms_from_json({**raw, "interest_enabled": False}, JAN1) is None
    assert statement(D("100.00"), None, [(JAN1, D("40.00"))], date(2027, 1, 1)).balance == D("60.00")


def test_a_return_takes_its_value_off_the_principal_on_its_day():
    terms = InterestTerms(FLAT, D("2.00"), JAN1)
    # 1 Jan -> 31 Jan (30 days): 100000 x 2 % = 2000.00; the return of 40000.00 leaves 60000.00 of principal.
    # 31 Jan -> 2 Mar (30 days): 60000 x 2 % = 1200.00; unpaid 3200.00; the 10000 pays it, then 6800 of principal:
    # 53200.00 left. 2 Mar -> 17 Mar (15 days): 53200 x 2 % x 15 / 30 = 532.00.
    result = statement(D("100000.00"), terms, [(date(2026, 3, 2), D("10000.00"))], date(2026, 3, 17),
                       credits=[(date(2026, 1, 31), D("40000.00"))])
    [row] = result.rows  # a return is not a payment: the payment history has the payment only
    assert (row.interest_paid, row.principal_paid, row.remaining_balance) == (
        D("3200.00"), D("6800.00"), D("53200.00"))
    assert (result.principal_left, result.interest_due, result.interest_total, result.balance) == (
        D("53200.00"), D("532.00"), D("3732.00"), D("53732.00"))


def test_a_return_above_the_principal_left_stops_it_at_zero_and_the_interest_due_stays():
    terms = InterestTerms(FLAT, D("2.00"), JAN1)
    result = statement(D("1000.00"), terms, [], date(2026, 3, 2), credits=[(date(2026, 1, 31), D("1500.00"))])
    assert (result.principal_left, result.interest_due) == (D("0.00"), D("20.00"))
