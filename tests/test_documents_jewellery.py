"""The jewellery invoice (services/documents/invoices.py, templates/pdf/invoice.html), read back with pdftotext: the BIS
fields of each piece and its bill_display_settings, old-gold exchange among the payments, and interest on credit on
the bill page and the PDF.

The ring is the golden one of tests/test_jewellery_bills.py (fixtures_jewellery): 22K, gross 10.500 g, less 0.500 g,
net 10.000 g, tounch 91.60, wastage 2.00, fine 9.360 g, at 7150.00 a gram (metal 71500.00), PG making 450.00 a gram
(4500.00), one stone 0.250 ct worth 2500.00, hallmark fee 45.00: taxable 78545.00, CGST = SGST 1.5 % 1178.18, total
80901.36; inter-state IGST 3 % 2356.35, total 80901.35.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from markupsafe import escape

from extensions import db
from models import Bill, Payment
from services.billing import bills as billing
from services.billing.bills import BillDraft, DraftLine, DraftPayment, JewelleryTerms
from services.documents import invoices as documents
from services.errors import ValidationError
from services.jewellery.rates import RateEntry, set_rates
from services.vocabulary import payment_label
from tests.fixtures_documents import login, make_bill, pdf_page_size, pdf_text  # noqa: F401  (make_bill: fixture)

D = Decimal


def squash(value: str) -> str:
    """Text without whitespace: a narrow table cell wraps anywhere."""
    return re.sub(r"\s+", "", value)


def render_text(bill: Bill) -> str:
    result = documents.render_invoice_pdf(bill)
    assert (result.err, result.warn) == (0, 0), result.messages
    return squash(pdf_text(result.data))


def sell(shop, piece, terms: JewelleryTerms | None = None, **draft_fields) -> Bill:
    draft = BillDraft(lines=[DraftLine(product=piece, qty=1, jewellery=terms or JewelleryTerms())],
                      source="jewellery", **draft_fields)
    bill = billing.save_bill(shop.store, shop.owner, draft)
    db.session.commit()
    return bill


GOLDEN_CELLS = {
    "huid": ["AB0001"], "purity": ["22K (916)", "Tounch 91.6%"], "gross_weight": ["10.500"],
    "less_weight": ["0.500"], "net_weight": ["10.000"], "wastage": ["2%"], "fine_weight": ["9.360"],
    "stones": ["0.250 ct", "₹2,500.00"], "rate": ["₹7,150.00/g"], "metal_value": ["₹71,500.00"],
    "making_charge": ["₹450.00/g", "₹4,500.00"], "hallmark_fee": ["₹45.00"],
}


def test_golden_22k_ring_invoice_prints_each_bis_field_with_its_value(jeweller, make_piece):
    bill = sell(jeweller, make_piece(jeweller.store))
    doc = documents.invoice_document(bill)
    assert doc.lines[0].jewellery == GOLDEN_CELLS
    assert [heading for _, heading in doc.jewellery_columns] == [
        "HUID", "Purity", "Gross wt (g)", "Less wt (g)", "Net wt (g)", "Wastage", "Fine wt (g)",
        "Stones (wt, value)", "Rate/g", "Metal value", "Making", "Hallmark fee"]
    data = documents.render_invoice_pdf(bill).data
    width, height = pdf_page_size(data)
    assert width > height
    found = squash(pdf_text(data))
    # the details table: its headings, then the ring's row in column order
    assert squash("Jewellery details (BIS hallmarking)") in found
    for _, heading in doc.jewellery_columns:
        assert squash(heading) in found
    row = squash("1 22K Ring 1 AB0001 22K (916) Tounch 91.6% 10.500 0.500 10.000 2% 9.360 0.250 ct ₹2,500.00 "
                 "₹7,150.00/g ₹71,500.00 ₹450.00/g ₹4,500.00 ₹45.00")
    assert row in found
    # the GST line: HSN 7113, CGST 1.5 % + SGST 1.5 % on 78545.00, and the total
    assert squash("7113 1 pcs ₹78,545.00 ₹0.00 ₹78,545.00 1.5% ₹1,178.18 1.5% ₹1,178.18 ₹80,901.36") in found
    assert squash("3% ₹78,545.00 1.5% ₹1,178.18 1.5% ₹1,178.18 ₹2,356.36") in found  # tax summary by rate


def test_golden_ring_inter_state_invoice_prints_igst_three_percent(jeweller, make_piece):
    found = render_text(sell(jeweller, make_piece(jeweller.store), place_of_supply="29"))
    assert squash("7113 1 pcs ₹78,545.00 ₹0.00 ₹78,545.00 3% ₹2,356.35 ₹80,901.35") in found
    assert "CGST" not in found and "IGST" in found and "AB0001" in found


@pytest.mark.parametrize(("flag", "key", "heading", "value"), [
    ("showHuidInBill", "huid", "HUID", "AB0001"),
    ("showGrossWeightInBill", "gross_weight", "Gross wt (g)", "10.500"),
    ("showLessWeightInBill", "less_weight", "Less wt (g)", None),  # "0.500" is inside "10.500"
    ("showNetWeightInBill", "net_weight", "Net wt (g)", None),
    ("showFineWeightInBill", "fine_weight", "Fine wt (g)", "9.360"),
    ("showRateInBill", "rate", "Rate/g", "₹7,150.00/g"),
    ("showMakingChargeInBill", "making_charge", "Making", "₹450.00/g"),
    ("showWastageInBill", "wastage", "Wastage", None),
])
def test_a_display_setting_off_hides_its_field_and_the_bis_fields_stay(jeweller, make_piece, flag, key, heading,
                                                                       value):
    bill = sell(jeweller, make_piece(jeweller.store, bill_display_settings={flag: False}))
    cells = documents.invoice_document(bill).lines[0].jewellery
    hidden = {k for k, _, f in documents.JEWELLERY_COLUMNS if f == flag}  # the rate hides the metal value too
    assert key in hidden and cells == {k: v for k, v in GOLDEN_CELLS.items() if k not in hidden}
    found = render_text(bill)
    assert squash(heading) not in found
    if value is not None:
        assert squash(value) not in found
    for kept in ("22K (916)", "0.250 ct", "Hallmark fee", "₹45.00"):  # purity, stones, hallmark: always printed
        assert squash(kept) in found


def test_tounch_setting_off_leaves_the_purity_and_fineness(jeweller, make_piece):
    bill = sell(jeweller, make_piece(jeweller.store, bill_display_settings={"showTounchInBill": False}))
    assert documents.invoice_document(bill).lines[0].jewellery["purity"] == ["22K (916)"]
    assert "Tounch" not in render_text(bill)


def test_the_store_setting_hides_a_field_the_piece_leaves_unset_and_the_piece_wins(jeweller, make_piece):
    jeweller.store.settings = {**(jeweller.store.settings or {}),
                               "bill_display_settings": {"showRateInBill": False, "showHuidInBill": False}}
    db.session.commit()
    piece = make_piece(jeweller.store, bill_display_settings={"showHuidInBill": True})
    found = render_text(sell(jeweller, piece))
    assert "Rate/g" not in found and "AB0001" in found


def test_ordinary_bill_pdf_has_no_jewellery_headings_and_stays_portrait(make_store, make_bill):
    shop = make_store(name="Sharma General Store", gstin="27AAPFU0939F1ZV", state_code="27")
    bill = make_bill(shop, lines=[{"name": "Tata Salt 1kg", "rate": "28.00", "qty": 2}], payments=["30.00"])
    doc = documents.invoice_document(bill)
    assert doc.jewellery_columns == [] and doc.interest is None
    data = documents.render_invoice_pdf(bill).data
    width, height = pdf_page_size(data)
    assert width < height
    found = squash(pdf_text(data))
    for absent in ("Jewellery", "HUID", "Purity", "Gross", "Hallmark", "Making", "Interest"):
        assert absent not in found
    assert squash("UPI UPI-TXN-1") in found  # the payment as before: mode, then its reference


# --------------------------------------------------------------------------- old-gold exchange


def test_exchange_payment_prints_as_old_gold_exchange_with_its_voucher(jeweller, make_piece, client):
    assert payment_label("exchange", "OG2026000001") == "Old gold exchange (voucher OG2026000001)"
    assert payment_label("upi", "UTR123") == "UPI"
    bill = sell(jeweller, make_piece(jeweller.store), payments=[DraftPayment("cash", D("40901.36"))])
    # the old gold's purchase voucher set against the bill, as the till records it (a Payment row of mode exchange)
    db.session.add(Payment(bill_id=bill.id, mode="exchange", amount=D("40000.00"), reference="OG2026000001",
                           timestamp=datetime.now(timezone.utc)))
    bill.paid_amount += D("40000.00")
    billing.settle(bill)
    db.session.commit()
    found = render_text(bill)
    assert squash("Old gold exchange (voucher OG2026000001)") in found
    assert found.count("OG2026000001") == 1  # not repeated in the reference column
    login(client, jeweller.owner)
    page = client.get(f"/bills/{bill.id}").get_data(as_text=True)
    assert "Old gold exchange (voucher OG2026000001)" in page and page.count("OG2026000001") == 1
    a4 = client.get(f"/documents/bills/{bill.id}/invoice").get_data(as_text=True)
    assert "Old gold exchange (voucher OG2026000001)" in a4


# --------------------------------------------------------------------------- interest on credit

# The ring sold on credit 90 days ago, flat 1.5 % a month from the bill date, grace 15 days; 20000.00 paid on day 45.
#   day 15 -> 45 (30 days): 80901.36 x 1.5 % = 1213.5204 -> 1213.52 interest; the 20000.00 pays it, then 18786.48 of
#   principal: 80901.36 - 18786.48 = 62114.88 left, remaining balance 62114.88.
#   day 45 -> 90 (45 days): 62114.88 x 1.5 % x 45 / 30 = 1397.5848 -> 1397.58 due.
#   accrued to date 1213.52 + 1397.58 = 2611.10; paid 1213.52; balance 62114.88 + 1397.58 = 63512.46.
INTEREST_FIGURES = {"interest-accrued": "₹2,611.10", "interest-paid": "₹1,213.52", "interest-due": "₹1,397.58",
                    "interest-principal": "₹62,114.88", "interest-balance": "₹63,512.46"}


@pytest.fixture
def credit_bill(jeweller, make_piece):
    now = datetime.now(timezone.utc)
    sold = now - timedelta(days=90)
    set_rates(jeweller.store, jeweller.owner, [RateEntry("gold", "22K", D("7150.00"))], now=sold)
    draft = BillDraft(
        lines=[DraftLine(product=make_piece(jeweller.store), qty=1, jewellery=JewelleryTerms())], source="jewellery",
        billing_timestamp=sold, columns={"interest_terms": {
            "interest_enabled": True, "interest_type": "1", "interest_rate": "1.5",
            "grace_period_enabled": True, "grace_period_days": 15}})
    bill = billing.save_bill(jeweller.store, jeweller.owner, draft, now=sold)
    billing.record_payment(jeweller.store, jeweller.owner, bill,
                           DraftPayment("cash", D("20000.00"), timestamp=sold + timedelta(days=45)))
    db.session.commit()
    # The payment paid the interest first (1213.52): the dues are the principal left, not 80901.36 - 20000.00.
    assert (bill.total_amount, bill.due_amount, bill.status) == (D("80901.36"), D("62114.88"), "partial")
    return bill


def test_a_credit_bill_takes_its_whole_balance_interest_first_and_no_more(credit_bill, jeweller):
    # On day 90 the balance is 62114.88 of principal and 1397.58 of interest due: 63512.46.
    with pytest.raises(ValidationError) as refused:
        billing.record_payment(jeweller.store, jeweller.owner, credit_bill, DraftPayment("cash", D("63512.47")))
    assert refused.value.errors["amount"] == [
        "Amount exceeds what is owed (63512.46: 62114.88 dues and 1397.58 interest)"]
    db.session.rollback()
    billing.record_payment(jeweller.store, jeweller.owner, credit_bill, DraftPayment("upi", D("1397.58")))
    db.session.commit()
    assert (credit_bill.due_amount, credit_bill.status) == (D("62114.88"), "partial")  # that paid the interest only
    billing.record_payment(jeweller.store, jeweller.owner, credit_bill, DraftPayment("cash", D("62114.88")))
    db.session.commit()
    assert (credit_bill.due_amount, credit_bill.status) == (D("0.00"), "paid")
    assert credit_bill.paid_amount == D("83512.46")  # the bill's 80901.36 and 2611.10 of interest
    assert documents.invoice_document(credit_bill).interest.statement.balance == D("0.00")


def test_interest_on_credit_pdf_shows_accrued_interest_payments_and_balance(credit_bill):
    doc = documents.invoice_document(credit_bill)
    [row] = doc.interest.statement.rows
    assert (row.amount, row.interest_paid, row.principal_paid, row.remaining_balance) == (
        D("20000.00"), D("1213.52"), D("18786.48"), D("62114.88"))
    found = render_text(credit_bill)
    assert squash("Flat interest at 1.5% a month") in found and squash("grace 15 days") in found
    assert squash("₹20,000.00 ₹1,213.52 ₹18,786.48 ₹62,114.88") in found
    for label, figure in (("Interest accrued to", "₹2,611.10"), ("Interest paid", "₹1,213.52"),
                          ("Interest due", "₹1,397.58"), ("Principal outstanding", "₹62,114.88"),
                          ("Remaining balance", "₹63,512.46")):
        assert squash(label) in found and squash(figure) in found


def test_interest_on_credit_bill_page_shows_the_same_figures(credit_bill, jeweller, client):
    login(client, jeweller.owner)
    page = client.get(f"/bills/{credit_bill.id}").get_data(as_text=True)
    for element_id, figure in INTEREST_FIGURES.items():
        assert re.search(rf'id="{element_id}">{re.escape(figure)}<', page), element_id
    assert "₹18,786.48" in page
    a4 = client.get(f"/documents/bills/{credit_bill.id}/invoice").get_data(as_text=True)
    for element_id, figure in INTEREST_FIGURES.items():
        assert re.search(rf'id="{element_id}">{re.escape(figure)}<', a4), element_id


def test_a_bill_without_interest_terms_shows_no_interest(jeweller, make_piece, client):
    bill = sell(jeweller, make_piece(jeweller.store))
    assert documents.invoice_document(bill).interest is None
    login(client, jeweller.owner)
    assert "Interest on credit" not in client.get(f"/bills/{bill.id}").get_data(as_text=True)


def test_a_cancelled_credit_bill_shows_no_interest(credit_bill, jeweller):
    billing.cancel_bill(jeweller.store, jeweller.owner, credit_bill, "Customer returned the ring")
    db.session.commit()
    assert documents.invoice_document(credit_bill).interest is None
    assert "Interest" not in render_text(credit_bill)


def test_the_bill_page_offers_the_whole_balance_and_takes_it(credit_bill, jeweller, client):
    login(client, jeweller.owner)
    page = client.get(f"/bills/{credit_bill.id}").get_data(as_text=True)
    assert re.search(r'id="payment-amount" name="amount" inputmode="decimal" value="63512.46"', page)
    assert "interest due is paid first" in page
    response = client.post_form(f"/bills/{credit_bill.id}/payments", {"mode": "cash", "amount": "63512.46"})
    assert response.status_code in (200, 303), response.get_data(as_text=True)[:500]
    db.session.expire_all()
    bill = db.session.get(Bill, credit_bill.id)
    assert (bill.due_amount, bill.status) == (D("0.00"), "paid")


def test_the_bill_page_and_the_a4_view_show_the_bis_table_the_pdf_prints(jeweller, make_piece, client,
                                                                          make_store, make_bill):
    bill = sell(jeweller, make_piece(jeweller.store))
    login(client, jeweller.owner)
    for url in (f"/bills/{bill.id}", f"/documents/bills/{bill.id}/invoice"):
        page = client.get(url).get_data(as_text=True)
        assert "Jewellery details (BIS hallmarking)" in page, url
        table = page[page.index('id="jewellery-details"'):page.index("</table>", page.index('id="jewellery-details"'))]
        for cells in GOLDEN_CELLS.values():
            for text in cells:
                assert str(escape(text)) in table, (url, text)
    plain = make_bill(make_store())
    assert "jewellery-details" not in client.get(f"/bills/{plain.id}").get_data(as_text=True)


def bis_table(page: str) -> str:
    start = page.index('id="jewellery-details"')
    return page[start:page.index("</table>", start)]


def test_the_bill_page_honours_each_pieces_display_settings_as_the_a4_view_does(jeweller, make_piece, client):
    hidden = make_piece(jeweller.store, "Quiet ring", bill_display_settings={
        "showHuidInBill": False, "showRateInBill": False, "showMakingChargeInBill": False})
    shown = make_piece(jeweller.store, "Plain ring", huid="PL0001")
    draft = BillDraft(lines=[DraftLine(product=hidden, qty=1, line_no=1, jewellery=JewelleryTerms()),
                             DraftLine(product=shown, qty=1, line_no=2, jewellery=JewelleryTerms())],
                      source="jewellery")
    bill = billing.save_bill(jeweller.store, jeweller.owner, draft)
    db.session.commit()
    login(client, jeweller.owner)
    page = bis_table(client.get(f"/bills/{bill.id}").get_data(as_text=True))
    assert page == bis_table(client.get(f"/documents/bills/{bill.id}/invoice").get_data(as_text=True))
    quiet, plain = page.split("<tr>")[2:4]  # after the heading row: the lines in bill order
    assert "Quiet ring" in quiet and "Plain ring" in plain
    assert hidden.huid not in quiet and "/g" not in quiet  # no HUID, rate or making per gram
    assert "PL0001" in plain and str(escape("₹7,150.00/g")) in plain and str(escape("₹450.00/g")) in plain
    for cell in ("22K (916)", "10.500", "10.000", "0.250 ct", "₹2,500.00", "₹45.00"):  # BIS fields on both
        assert str(escape(cell)) in quiet and str(escape(cell)) in plain, cell
    cells = {line.line_no: line.jewellery for line in documents.invoice_document(bill).lines}
    page_rows = documents.jewellery_details(bill)[1]
    assert {row.line_no: row.jewellery for row in page_rows} == cells  # one helper: the same cells


def test_a_return_on_a_credit_bill_with_interest_comes_off_the_principal(credit_bill, jeweller):
    from services.billing.returns import ReturnDraft, ReturnLine, create_return

    # Returned today (day 90): the interest to today (1397.58) stays due; the ring's 80901.36 clears the 62114.88
    # of principal left and the 18786.48 of principal already paid goes back in cash.
    note = create_return(jeweller.store, jeweller.owner, credit_bill,
                         ReturnDraft(lines=[ReturnLine(line_no=1, qty=1)], refund_mode="cash"))
    db.session.commit()
    assert (note.total_amount, note.dues_reduced, note.refund_amount) == (
        D("80901.36"), D("62114.88"), D("18786.48"))
    statement = documents.invoice_document(credit_bill).interest.statement
    assert (statement.principal_left, statement.interest_due, statement.balance) == (
        D("0.00"), D("1397.58"), D("1397.58"))
    assert credit_bill.due_amount == D("0.00")
