"""The bill page's "Return items" (managers and owners), the credit note page (store-scoped) and its PDF (GST rule 53
fields, read back with pdftotext)."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Bill, CreditNote, Product
from services.billing import bills as billing
from services.billing import returns
from services.documents.credit_notes import render_credit_note_pdf
from tests.fixtures_documents import pdf_text
from tests.fixtures_pos import sign_in

D = Decimal


@pytest.fixture
def sale(till_shop, make_customer):
    """4 soaps at 40.00 (9 % + 9 %: 188.80) to a registered customer, 100.00 paid: dues 88.80."""
    store = till_shop.store
    store.gstin, store.state_code, store.address = "27AAPFU0939F1ZV", "27", "12 MG Road, Pune"
    customer = make_customer(store, "Mehta Traders", gstin="27AABCU9603R1ZN", address="4 FC Road, Pune")
    bill = billing.save_bill(store, till_shop.cashier, billing.BillDraft(
        lines=[billing.DraftLine(product=till_shop.soap, qty=4)], customer=customer,
        payments=[billing.DraftPayment(mode="cash", amount=D("100"))]))
    db.session.commit()
    assert (bill.total_amount, bill.due_amount) == (D("188.80"), D("88.80"))
    till_shop.bill = bill
    return till_shop


def notes() -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(CreditNote)).scalar_one()


def test_a_manager_returns_items_from_the_bill_page_and_lands_on_the_credit_note(client, sale):
    sign_in(client, sale.manager)
    page = client.get(f"/bills/{sale.bill.id}").get_data(as_text=True)
    assert 'id="return-items"' in page and 'data-returnable="1">4<' in page
    done = client.post_form(f"/bills/{sale.bill.id}/returns", {"qty-1": "3", "refund_mode": "upi",
                                                               "reason": "Wrong fragrance"})
    assert done.status_code == 303
    note = db.session.execute(select(CreditNote)).scalar_one()
    assert done.headers["Location"].endswith(f"/bills/credit-notes/{note.id}")
    # 3 x 40.00 = 120.00 + 10.80 + 10.80 = 141.60: 88.80 off the dues, 52.80 back by UPI
    assert (note.total_amount, note.dues_reduced, note.refund_amount, note.refund_mode) == (
        D("141.60"), D("88.80"), D("52.80"), "upi")
    assert db.session.get(Product, sale.soap.id).quantity == 29
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert note.number in shown and sale.bill.invoice_number in shown and "₹141.60" in shown
    bill_page = client.get(f"/bills/{sale.bill.id}").get_data(as_text=True)
    assert f'href="/bills/credit-notes/{note.id}">{note.number}</a>' in bill_page
    assert 'data-returnable="1">1<' in bill_page and 'id="bill-dues">₹0.00<' in bill_page


@pytest.mark.parametrize("form, field, message", [
    ({"qty-1": "5", "refund_mode": "cash"}, "line1.qty", "Only 4 of line 1 (Lux Soap 100g) left to return"),
    ({"qty-1": "1.5", "refund_mode": "none"}, "line1.qty", "Quantity must be a whole number"),
    ({"qty-1": "abc", "refund_mode": "none"}, "line1.qty", "Enter a number"),
    ({"qty-1": "", "refund_mode": "none"}, "items", "Enter a quantity to return for at least one line."),
    ({"qty-1": "4", "refund_mode": "none"}, "refund_mode", "is to be paid back"),
])
def test_a_refused_return_re_renders_the_form_with_422_and_the_error_beside_its_field(client, sale, form, field,
                                                                                       message):
    sign_in(client, sale.manager)
    fragment = client.post_form(f"/bills/{sale.bill.id}/returns", form, htmx=True)
    assert fragment.status_code == 422
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith('<form id="return-items"') and "<html" not in html
    error = re.search(rf'<small class="field-error" role="alert" data-field="{re.escape(field)}">([^<]+)</small>',
                      html)
    assert error and message in error.group(1).replace("&#39;", "'"), html
    page = client.post_form(f"/bills/{sale.bill.id}/returns", form)
    assert page.status_code == 422 and "<html" in page.get_data(as_text=True)
    assert "<details open>" in page.get_data(as_text=True)
    assert notes() == 0 and db.session.get(Bill, sale.bill.id).due_amount == D("88.80")


def test_cashiers_see_no_return_form_and_may_not_post_one(client, sale):
    sign_in(client, sale.cashier)
    assert 'id="return-items"' not in client.get(f"/bills/{sale.bill.id}").get_data(as_text=True)
    assert client.post_form(f"/bills/{sale.bill.id}/returns", {"qty-1": "1"}).status_code == 403
    assert notes() == 0


def test_credit_notes_of_another_store_and_missing_ones_are_404(client, sale, make_user):
    note = returns.create_return(sale.store, sale.manager, sale.bill, returns.ReturnDraft(
        lines=[returns.ReturnLine(line_no=1, qty=1)]))
    db.session.commit()
    sign_in(client, sale.cashier)
    assert client.get(f"/bills/credit-notes/{note.id}").status_code == 200
    stranger = make_user("stranger")
    sign_in(client, stranger)
    for note_id in (note.id, note.id + 999):
        assert client.get(f"/bills/credit-notes/{note_id}").status_code == 404
        assert client.get(f"/bills/credit-notes/{note_id}/credit-note.pdf").status_code == 404
    assert client.post_form(f"/bills/{sale.bill.id}/returns", {"qty-1": "1"}).status_code == 404


def test_the_credit_note_pdf_carries_the_rule_53_fields(client, sale):
    note = returns.create_return(sale.store, sale.manager, sale.bill, returns.ReturnDraft(
        lines=[returns.ReturnLine(line_no=1, qty=1)], reason="Damaged box"))
    db.session.commit()
    sign_in(client, sale.manager)
    response = client.get(f"/bills/credit-notes/{note.id}/credit-note.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    rendered = render_credit_note_pdf(note)
    assert (rendered.err, rendered.warn) == (0, 0), rendered.messages
    text = pdf_text(response.data)
    for expected in ("CREDIT NOTE", note.number, "Original invoice No.", sale.bill.invoice_number,
                     "27AAPFU0939F1ZV", "Asha General Store", "12 MG Road, Pune", "Mehta Traders", "27AABCU9603R1ZN",
                     "Place of supply", "27 - Maharashtra", "Lux Soap 100g", "₹40.00", "₹3.60", "₹47.20",
                     "Authorised signatory", "Damaged box", "Forty Seven"):
        assert expected in text, (expected, text)


def test_an_htmx_return_answers_hx_location_to_the_credit_note(client, sale):
    sign_in(client, sale.manager)
    done = client.post_form(f"/bills/{sale.bill.id}/returns", {"qty-1": "1", "refund_mode": "none"}, htmx=True)
    assert done.status_code == 200
    note = db.session.execute(select(CreditNote)).scalar_one()
    assert f'"/bills/credit-notes/{note.id}"' in done.headers["HX-Location"]


def test_an_inter_state_credit_note_prints_igst_instead_of_cgst_and_sgst(client, sale, make_customer):
    buyer = make_customer(sale.store, "Bengaluru Stores", gstin="29AABCU9603R1ZJ", address="MG Road, Bengaluru")
    bill = billing.save_bill(sale.store, sale.cashier, billing.BillDraft(
        lines=[billing.DraftLine(product=sale.soap, qty=2)], customer=buyer))
    db.session.commit()
    assert (bill.place_of_supply, bill.igst_amount) == ("29", D("14.40"))
    note = returns.create_return(sale.store, sale.manager, bill, returns.ReturnDraft(
        lines=[returns.ReturnLine(line_no=1, qty=1)]))
    db.session.commit()
    assert [(i.igst_rate, i.igst_amount, i.cgst_amount, i.line_total) for i in note.items] == [
        (D("18.00"), D("7.20"), D("0.00"), D("47.20"))]
    text = pdf_text(render_credit_note_pdf(note).data)
    assert "IGST" in text and "CGST" not in text and "29 - Karnataka" in text and "29AABCU9603R1ZJ" in text
