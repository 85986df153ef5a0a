"""B2B invoices and cancelled bills on every document and page (issue 11): the recipient's GSTIN, legal name and
place of supply; IGST columns and tax summary on an inter-state bill; the round-off line; MRP lines; quantities with
their unit; a cancelled bill with no dues and no UPI QR. PDFs are read back with pdftotext."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from extensions import db
from models import Bill
from services.billing import bills as billing
from services.documents import invoices as documents
from tests.fixtures_documents import make_bill, pdf_text  # noqa: F401  (make_bill is a fixture)
from tests.fixtures_pos import sign_in
from tests.test_billing_v1_api import D
from tests.test_billing_v1_retail import KARNATAKA_BUYER, line, racks_bill, retail_shop, save


@pytest.fixture
def shop(billing_shop, make_product):
    shop = retail_shop(billing_shop, make_product)
    shop.store.upi_id = "b2b@okaxis"
    shop.store.settings = {**(shop.store.settings or {}), "round_off": True}
    db.session.commit()
    return shop


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def pdf_of(client, shop, bill_uid: str) -> str:
    response = client.get(f"{shop.url}/bills/{bill_uid}/pdf", headers=shop.headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return squash(pdf_text(response.data))


def b2b_bill(client, shop) -> dict:
    """To a Karnataka buyer from a Maharashtra store, round-off on:
    rack 3518.32 + IGST 18 % 633.30 = 4151.62; shelf 989.98 + IGST 12 % 118.80 = 1108.78;
    rice 0.750 kg x 64.00 = 48.00 + IGST 5 % 2.40 = 50.40; sub total 5310.80 -> 5311.00, round off +0.20."""
    body = racks_bill(shop, customer={"name": "Bengaluru Traders", "contact_no": "+919845012345",
                                      "gstin": KARNATAKA_BUYER, "legal_name": "Bengaluru Traders Pvt Ltd"})
    body["items"].append(line(shop.rice.uid, D("0.750"), 3, D("2.5"), D("2.5")))
    data = save(client, shop, body)
    assert (data["totals"]["igst_amount"], data["totals"]["round_off"], data["totals"]["grand_total"]) == (
        D("754.50"), D("0.20"), D("5311.00"))
    return data


def test_the_b2b_igst_invoice_pdf(client, shop):
    data = b2b_bill(client, shop)
    text = pdf_of(client, shop, data["bill_id"])
    assert KARNATAKA_BUYER in text and "Legal name: Bengaluru Traders Pvt Ltd" in text
    assert "Place of supply: 29 - Karnataka" in text
    assert "IGST" in text and "CGST" not in text and "SGST" not in text
    for amount in ("₹633.30", "₹118.80", "₹2.40", "₹754.50", "₹3,518.32", "₹4,556.30"):
        assert amount in text, amount
    assert "0.75 kg" in text and "3 pcs" in text
    # The round-off line comes before the grand total.
    assert re.search(r"Round off \+₹0\.20 Grand total ₹5,311\.00", text), text
    assert "Dues ₹5,311.00" in text and "Scan to pay ₹5,311.00" in text


def test_a_same_state_invoice_with_an_mrp_line_shows_cgst_and_sgst(client, shop, make_product):
    mrp = make_product(shop.store, "Rice 1kg pack", unit_price="145.00", cgst_rate="2.5", sgst_rate="2.5",
                       price_includes_tax=True)
    # 145.00 includes 5 %: CGST 3.45, SGST 3.45, taxable 138.10; no round-off needed
    body = racks_bill(shop)
    body["items"] = [line(mrp.uid, 1, 1, D("2.5"), D("2.5"))]
    data = save(client, shop, body)
    text = pdf_of(client, shop, data["bill_id"])
    assert "CGST" in text and "SGST" in text and "IGST" not in text and "Round off" not in text
    assert "₹145.00 incl. GST" in text and "₹138.10" in text and "₹3.45" in text
    assert "Place of supply 27 - Maharashtra" in text  # the header's row; no B2B recipient block
    assert "Unregistered (no GSTIN)" in text


def test_a_cancelled_bill_has_no_dues_and_no_upi_qr_anywhere(client, shop):
    data = b2b_bill(client, shop)
    bill = db.session.execute(select(Bill).filter_by(uid=data["bill_id"])).scalar_one()
    assert documents.upi_uri(bill) is not None
    billing.cancel_bill(shop.store, shop.owner, bill, "Wrong buyer")
    db.session.commit()
    text = pdf_of(client, shop, data["bill_id"])
    assert "CANCELLED" in text and "Status Cancelled" in text
    assert "Dues None (cancelled)" in text and "Scan to pay" not in text and "₹5,311.00 with any UPI" not in text
    assert documents.upi_uri(bill) is None
    sign_in(client, shop.owner)
    receipt = squash(client.get(f"/documents/bills/{bill.id}/receipt").get_data(as_text=True))
    assert "Dues</td><td class=\"r\">None (cancelled)" in receipt and "Scan to pay" not in receipt
    page = client.get(f"/bills/{bill.id}").get_data(as_text=True)
    assert 'id="bill-status">cancelled<' in page and 'id="bill-dues">₹0.00<' in page
    assert 'id="record-payment"' not in page
    listing = squash(client.get("/bills", query_string={"status": "cancelled"}).get_data(as_text=True))
    assert bill.invoice_number in listing and "₹0.00</td> <td><span class=\"badge cancelled\">cancelled" in listing


def test_an_old_style_cancelled_bill_still_reads_as_no_dues(app, shop, make_bill, client):
    """A cancelled bill whose row still carries dues (as before the migration) prints none either."""
    bill = make_bill(shop.store, cancelled=True)
    assert bill.due_amount > 0
    assert documents.invoice_document(bill).dues == D("0.00") and documents.upi_uri(bill) is None
    sign_in(client, shop.owner)
    page = client.get(f"/bills/{bill.id}").get_data(as_text=True)
    assert 'id="bill-dues">₹0.00<' in page and 'id="bill-status">cancelled<' in page


def test_the_bill_page_of_a_b2b_igst_bill(client, shop):
    data = b2b_bill(client, shop)
    bill = db.session.execute(select(Bill).filter_by(uid=data["bill_id"])).scalar_one()
    sign_in(client, shop.owner)
    page = squash(client.get(f"/bills/{bill.id}").get_data(as_text=True))
    assert f'id="bill-buyer-gstin">{KARNATAKA_BUYER}<' in page and "Bengaluru Traders Pvt Ltd" in page
    assert 'id="bill-place-of-supply">29 - Karnataka</span> (IGST)' in page
    assert ">IGST</th>" in page and ">CGST</th>" not in page
    assert "₹633.30 <small>18%</small>" in page and "0.75 kg" in page
    assert 'id="bill-round-off">+₹0.20<' in page and 'id="bill-total">₹5,311.00<' in page
    receipt = squash(client.get(f"/documents/bills/{bill.id}/receipt").get_data(as_text=True))
    assert "GSTIN " + KARNATAKA_BUYER in receipt and "Place of supply: 29 - Karnataka" in receipt
    assert "<td>IGST</td>" in receipt and "<td>CGST</td>" not in receipt and "Round off" in receipt
    invoice = squash(client.get(f"/documents/bills/{bill.id}/invoice").get_data(as_text=True))
    assert "Place of supply:</span> 29 - Karnataka" in invoice and ">IGST</th>" in invoice
