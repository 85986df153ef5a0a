"""Interest on credit with a return (services/jewellery/interest.py, bills.settle, bills.record_payment): the credit
note takes its value off the principal on its day and interest after it runs on what is left, and the bill page,
the invoice PDF, the contract's product-detail (payment_history, interest_amount, remaining_balance), the contract's
invoice lists (`total`) and the payment limit all show the same figures.

The golden bill, checked by hand to the paisa. Two 22K rings of tests/fixtures_jewellery (each taxable 78545.00, CGST
= SGST 1178.18, line 80901.36): total 161802.72. Flat 1.5 % a month, grace 15 days: interest accrues from day 15.

    day 45  payment 30000.00. Interest day 15 -> 45, 30 days: 161802.72 x 1.5 % x 30 / 30 = 2427.0408 -> 2427.04.
            The payment pays it first, then 30000.00 - 2427.04 = 27572.96 of principal: 161802.72 - 27572.96
            = 134229.76 left (remaining_balance 134229.76).
    day 60  return of one ring (credit note 80901.36). Interest day 45 -> 60, 15 days on 134229.76:
            134229.76 x 1.5 % x 15 / 30 = 1006.7232 -> 1006.72, unpaid. Principal 134229.76 - 80901.36 = 53328.40.
    day 90  (today) interest day 60 -> 90, 30 days on 53328.40: 53328.40 x 1.5 % = 799.926 -> 799.93.
            Interest due 1006.72 + 799.93 = 1806.65; accrued 2427.04 + 1006.72 + 799.93 = 4233.69;
            paid 2427.04; remaining balance 53328.40 + 1806.65 = 55135.05.

The same bill at compound 1.5 % (every 30 days on principal and unpaid interest; a part month simple):
    day 45  30 days on 161802.72: x (1.015 - 1) = 2427.04, paid; principal 134229.76, unpaid 0.
    day 60  15 days: 134229.76 x (1.5 % x 15 / 30 = 0.0075) = 1006.7232 -> 1006.72 unpaid; principal 53328.40.
    day 90  30 days on 53328.40 + 1006.72 = 54335.12: x 0.015 = 815.0268 -> 815.03.
            Interest due 1006.72 + 815.03 = 1821.75; accrued 4248.79; balance 53328.40 + 1821.75 = 55150.15.
    day 100 40 days = 1 month + 10 days: 54335.12 x (1.015 x (1 + 0.015 x 10 / 30) - 1) = 54335.12 x 0.020075
            = 1090.777534 -> 1090.78; due 2097.50; balance 55425.90.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from blueprints.api.jewellery.serialize import history_json
from extensions import db
from models import Bill
from services.billing import bills as billing
from services.billing.bills import BillDraft, DraftLine, DraftPayment, JewelleryTerms
from services.billing.returns import ReturnDraft, ReturnLine, create_return
from services.documents import invoices as documents
from services.errors import ValidationError
from services.jewellery.interest import COMPOUND, FLAT, InterestTerms, statement
from services.jewellery.rates import RateEntry, set_rates
from tests.fixtures_documents import login, pdf_text

D = Decimal
TERMS = {"interest_enabled": True, "interest_rate": "1.5", "grace_period_enabled": True, "grace_period_days": 15}


def squash(value: str) -> str:
    return re.sub(r"\s+", "", value)


def credit_sale_with_a_return(shop, make_piece, kind: str):
    """The golden bill: sold 90 days ago, 30000.00 paid on day 45, one of its two rings returned on day 60."""
    now = datetime.now(timezone.utc)
    sold = now - timedelta(days=90)
    set_rates(shop.store, shop.owner, [RateEntry("gold", "22K", D("7150.00"))], now=sold)
    kept, returned = make_piece(shop.store, "Kept ring"), make_piece(shop.store, "Returned ring")
    draft = BillDraft(
        lines=[DraftLine(product=piece, qty=1, jewellery=JewelleryTerms()) for piece in (kept, returned)],
        source="jewellery", billing_timestamp=sold,
        columns={"interest_terms": {**TERMS, "interest_type": kind}})
    bill = billing.save_bill(shop.store, shop.owner, draft, now=sold)
    db.session.commit()
    assert bill.total_amount == D("161802.72")
    billing.record_payment(shop.store, shop.owner, bill,
                           DraftPayment("cash", D("30000.00"), timestamp=sold + timedelta(days=45)))
    db.session.commit()
    assert (bill.due_amount, bill.status) == (D("134229.76"), "partial")
    note = create_return(shop.store, shop.owner, bill, ReturnDraft(lines=[ReturnLine(line_no=2, qty=1)]),
                         now=sold + timedelta(days=60))
    db.session.commit()
    assert (note.total_amount, note.dues_reduced, note.refund_amount) == (D("80901.36"), D("80901.36"), D("0.00"))
    assert note.note_date == bill.invoice_date + timedelta(days=60)
    return bill, kept, sold


@pytest.fixture
def golden(jeweller, make_piece):
    return credit_sale_with_a_return(jeweller, make_piece, FLAT)


FLAT_FIGURES = {"interest-accrued": "₹4,233.69", "interest-paid": "₹2,427.04", "interest-due": "₹1,806.65",
                "interest-principal": "₹53,328.40", "interest-balance": "₹55,135.05"}


def test_the_statement_takes_a_partial_return_off_the_principal_on_its_day_flat():
    terms = InterestTerms(FLAT, D("1.5"), date(2026, 1, 1), grace_days=15)
    result = statement(D("161802.72"), terms, [(date(2026, 2, 15), D("30000.00"))], date(2026, 4, 1),
                       credits=[(date(2026, 3, 2), D("80901.36"))])  # days 45, 60 and 90
    [row] = result.rows
    assert (row.amount, row.interest_paid, row.principal_paid, row.remaining_balance) == (
        D("30000.00"), D("2427.04"), D("27572.96"), D("134229.76"))
    assert (result.principal_left, result.interest_due, result.interest_total, result.balance) == (
        D("53328.40"), D("1806.65"), D("4233.69"), D("55135.05"))
    ignored = statement(D("161802.72"), terms, [(date(2026, 2, 15), D("30000.00"))], date(2026, 4, 1))
    assert ignored.balance != result.balance  # without the credit the principal would stay 134229.76


def test_the_statement_takes_a_partial_return_off_the_principal_on_its_day_compound():
    terms = InterestTerms(COMPOUND, D("1.5"), date(2026, 1, 1), grace_days=15)
    args = (D("161802.72"), terms, [(date(2026, 2, 15), D("30000.00"))])
    credits = [(date(2026, 3, 2), D("80901.36"))]
    on_day_90 = statement(*args, date(2026, 4, 1), credits=credits)
    assert on_day_90.rows[0].interest_paid == D("2427.04")
    assert (on_day_90.principal_left, on_day_90.interest_due, on_day_90.interest_total, on_day_90.balance) == (
        D("53328.40"), D("1821.75"), D("4248.79"), D("55150.15"))
    on_day_100 = statement(*args, date(2026, 4, 11), credits=credits)
    assert (on_day_100.interest_due, on_day_100.balance) == (D("2097.50"), D("55425.90"))


def test_a_return_on_a_credit_bill_lowers_its_dues_and_the_payment_limit(golden, jeweller):
    bill, _, _ = golden
    assert (bill.due_amount, bill.status) == (D("53328.40"), "partial")
    with pytest.raises(ValidationError) as refused:
        billing.record_payment(jeweller.store, jeweller.owner, bill, DraftPayment("cash", D("55135.06")))
    assert refused.value.errors["amount"] == [
        "Amount exceeds what is owed (55135.05: 53328.40 dues and 1806.65 interest)"]
    db.session.rollback()
    billing.record_payment(jeweller.store, jeweller.owner, bill, DraftPayment("upi", D("55135.05")))
    db.session.commit()
    assert (bill.due_amount, bill.status) == (D("0.00"), "paid")
    # paid 30000.00 + 55135.05 = 85135.05 = the one ring kept (80901.36) + all the interest (4233.69)
    assert bill.paid_amount == D("85135.05") == D("80901.36") + D("4233.69")
    assert documents.invoice_document(bill).interest.statement.balance == D("0.00")


def test_the_bill_page_the_a4_view_and_the_pdf_show_the_figures_after_the_return(golden, jeweller, client):
    bill, _, _ = golden
    login(client, jeweller.owner)
    for url in (f"/bills/{bill.id}", f"/documents/bills/{bill.id}/invoice"):
        page = client.get(url).get_data(as_text=True)
        for element_id, figure in FLAT_FIGURES.items():
            assert re.search(rf'id="{element_id}">{re.escape(figure)}<', page), (url, element_id)
    page = client.get(f"/bills/{bill.id}").get_data(as_text=True)
    assert re.search(r'id="payment-amount" name="amount" inputmode="decimal" value="55135.05"', page)
    result = documents.render_invoice_pdf(bill)
    assert (result.err, result.warn) == (0, 0), result.messages
    found = squash(pdf_text(result.data))
    assert squash("₹30,000.00 ₹2,427.04 ₹27,572.96 ₹1,34,229.76") in found
    for label, figure in (("Interest accrued to", "₹4,233.69"), ("Interest due", "₹1,806.65"),
                          ("Principal outstanding", "₹53,328.40"), ("Remaining balance", "₹55,135.05")):
        assert squash(label) in found and squash(figure) in found, label


def test_the_contract_shows_the_same_payment_history_and_balance_after_the_return(golden, jeweller, client):
    bill, kept, sold = golden
    detail = client.post("/product-detail-by-id", headers=jeweller.headers, json={"id": kept.id}).get_json()["data"]
    day_45 = (bill.invoice_date + timedelta(days=45)).isoformat()
    assert detail["payment_history"] == [
        {"amount": "30000.00", "date": day_45, "interest_paid": "2427.04", "remaining_balance": "134229.76"}]
    assert (detail["interest_amount"], detail["remaining_balance"], detail["invoice_id"]) == (
        "4233.69", "55135.05", str(bill.id))
    [row] = [r for r in client.get("/get-invoice-home", headers=jeweller.headers).get_json()["data"]
             if r["id"] == str(bill.id)]
    assert (row["bill_total"], row["amount_paid"], row["total"]) == ("161802.72", "30000.00", "55135.05")
    assert history_json(bill)["total"] == "55135.05"  # user-contact-invoice-history's `total` too


def test_a_compound_credit_bill_with_a_return_agrees_everywhere(jeweller, make_piece, client):
    bill, kept, _ = credit_sale_with_a_return(jeweller, make_piece, COMPOUND)
    assert bill.due_amount == D("53328.40")
    owed = documents.invoice_document(bill).interest.statement
    assert (owed.interest_due, owed.interest_total, owed.balance) == (D("1821.75"), D("4248.79"), D("55150.15"))
    detail = client.post("/product-detail-by-id", headers=jeweller.headers, json={"id": kept.id}).get_json()["data"]
    assert (detail["interest_amount"], detail["remaining_balance"]) == ("4248.79", "55150.15")
    login(client, jeweller.owner)
    page = client.get(f"/bills/{bill.id}").get_data(as_text=True)
    assert re.search(r'id="interest-balance">₹55,150.15<', page)
    with pytest.raises(ValidationError) as refused:
        billing.record_payment(jeweller.store, jeweller.owner, bill, DraftPayment("cash", D("55150.16")))
    assert "55150.15: 53328.40 dues and 1821.75 interest" in refused.value.errors["amount"][0]
    db.session.rollback()
    billing.record_payment(jeweller.store, jeweller.owner, bill, DraftPayment("cash", D("55150.15")))
    db.session.commit()
    assert (db.session.get(Bill, bill.id).due_amount, bill.status) == (D("0.00"), "paid")
