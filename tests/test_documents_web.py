"""Bill documents over HTTP: the A4 print page and 80 mm receipt (same numbers as the PDF), the PDF download, store
scoping, the public signed link, "email this bill", and GET /api/v1/billing/<storeId>/bills/<billId>/pdf."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from extensions import db
from models import AuditLog
from services.documents import invoices as documents
from services.formatting import inr
from tests.fixtures_documents import (  # noqa: F401  (make_bill is a fixture)
    data_uri_images,
    decode_qr_png,
    login,
    make_bill,
    money_in,
    pdf_text,
)

LINES = [
    {"name": "Aashirvaad Atta 5kg", "rate": "265.00", "qty": 2, "hsn_code": "1101", "cgst": "2.5", "sgst": "2.5"},
    {"name": "Amul Butter 500g", "rate": "285.00", "qty": 1, "hsn_code": "0405", "cgst": "6", "sgst": "6",
     "discount_type": "flat", "discount_value": "15"},
    {"name": "Surf Excel 1kg", "rate": "140.00", "qty": 3, "hsn_code": "3402"},
]


@pytest.fixture
def owner(make_user):
    return make_user(username="asha", store_name="Asha General Store", gstin="27AAPFU0939F1ZV", state_code="27",
                     upi_id="asha@okicici", address="5 Station Road, Nashik")


@pytest.fixture
def shop(owner):
    from services.accounts.access import current_store_for

    return current_store_for(owner)


@pytest.fixture
def bill(shop, make_bill, make_customer):
    customer = make_customer(shop, name="Ravi Kumar", email="ravi@example.com")
    return make_bill(shop, lines=LINES, party=customer, customer_name="Ravi Kumar", payments=["300.00"])


@pytest.fixture
def signed_in(client, owner):
    login(client, owner)
    return client


def test_a4_print_page_shows_the_same_amounts_as_the_pdf(signed_in, bill):
    html = signed_in.get(f"/documents/bills/{bill.id}/invoice").get_data(as_text=True)
    pdf = signed_in.get(f"/documents/bills/{bill.id}/invoice.pdf")
    assert pdf.status_code == 200
    assert money_in(html) == money_in(pdf_text(pdf.data))
    for item in bill.items:
        assert item.name in html and inr(item.line_total) in html
    assert inr(bill.total_amount) in html and bill.invoice_number in html
    assert "size: A4 portrait" in html
    assert f'href="/documents/bills/{bill.id}/invoice.pdf"' in html and "/documents/shared/" in html
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'>", html)


def test_thermal_receipt_is_80mm_wide_with_the_pdfs_numbers_and_upi_qr(signed_in, bill, tmp_path):
    response = signed_in.get(f"/documents/bills/{bill.id}/receipt")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r"@page\s*\{\s*size:\s*80mm", html)
    pdf_amounts = money_in(pdf_text(signed_in.get(f"/documents/bills/{bill.id}/invoice.pdf").data))
    receipt_amounts = money_in(html)
    assert receipt_amounts <= pdf_amounts
    for amount in [bill.total_amount, bill.paid_amount, bill.due_amount] + [i.line_total for i in bill.items]:
        assert inr(amount) in receipt_amounts
    assert bill.due_amount > 0
    expected = (f"upi://pay?pa=asha@okicici&pn=Asha%20General%20Store&am={bill.due_amount:f}&cu=INR"
                f"&tn={bill.invoice_number}")
    assert [decode_qr_png(png, tmp_path) for png in data_uri_images(html)] == [[expected]]


def test_pdf_download_is_a_pdf_named_after_the_invoice(signed_in, bill):
    response = signed_in.get(f"/documents/bills/{bill.id}/invoice.pdf?download=1")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{bill.invoice_number}.pdf"'
    assert response.headers["Cache-Control"] == "private, no-cache"  # revalidated by ETag; no proxy keeps it


PAGES = ["invoice", "receipt", "invoice.pdf"]


@pytest.mark.parametrize("page", PAGES)
def test_another_stores_bill_and_a_missing_bill_are_404(page, client, bill, make_user):
    stranger = make_user(username="other", store_name="Other Shop")
    login(client, stranger)
    assert client.get(f"/documents/bills/{bill.id}/{page}").status_code == 404
    assert client.get(f"/documents/bills/{bill.id + 999}/{page}").status_code == 404
    assert client.post_form(f"/documents/bills/{bill.id}/email", {"to": "x@example.com"}).status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_a_cashier_of_the_store_may_print(page, client, bill, shop, make_user):
    cashier = make_user(username="cashier", store=shop, role="cashier")
    login(client, cashier)
    assert client.get(f"/documents/bills/{bill.id}/{page}").status_code == 200


@pytest.mark.parametrize("page", PAGES)
def test_print_pages_need_a_login(page, app, client, bill):
    if "auth.login" not in app.view_functions:
        pytest.skip("the login page is not registered yet")
    response = client.get(f"/documents/bills/{bill.id}/{page}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_shared_link_opens_the_pdf_without_login(app, client, bill):
    with app.test_request_context():
        url = documents.share_url(bill)
    path = url.split("localhost", 1)[1]
    response = client.get(path)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert bill.invoice_number in pdf_text(response.data)


def test_shared_link_uses_public_base_url_when_set(app, bill):
    app.config["PUBLIC_BASE_URL"] = "https://shop.example.in/"
    with app.test_request_context():
        assert documents.share_url(bill).startswith("https://shop.example.in/documents/shared/")


def test_expired_shared_link_is_refused_with_410(client, bill):
    token = documents.share_token(bill, now=datetime.now(timezone.utc) - timedelta(days=7, minutes=1))
    response = client.get(f"/documents/shared/{token}")
    assert response.status_code == 410
    assert b"%PDF" not in response.data and "expired" in response.get_data(as_text=True)


def test_tampered_shared_link_is_404(client, bill):
    token = documents.share_token(bill)
    payload, signature = token.rsplit(".", 1)
    other = documents.share_token(bill, days=365)
    for bad in (f"{payload}.{signature[:-3]}abc", f"{other.rsplit('.', 1)[0]}.{signature}", "garbage"):
        response = client.get(f"/documents/shared/{bad}")
        assert response.status_code == 404 and b"%PDF" not in response.data


# --------------------------------------------------------------------------- email


def test_email_sends_the_pdf_to_the_customer_and_records_it(signed_in, bill, outbox):
    response = signed_in.post_form(f"/documents/bills/{bill.id}/email", {})
    assert response.status_code == 303
    [message] = outbox()
    assert message["To"] == "ravi@example.com"
    assert bill.invoice_number in message["Subject"]
    attachments = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    assert [a.get_filename() for a in attachments] == [f"{bill.invoice_number}.pdf"]
    assert bill.invoice_number in pdf_text(attachments[0].get_payload(decode=True))
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "/documents/shared/" in body and inr(bill.due_amount) in body
    log = db.session.execute(db.select(AuditLog).filter_by(action="email")).scalar_one()
    assert (log.entity, log.entity_id, log.meta["to"]) == ("bill", bill.uid, "ravi@example.com")


def test_email_to_a_typed_address_over_htmx_swaps_the_form(signed_in, bill, outbox):
    response = signed_in.post_form(f"/documents/bills/{bill.id}/email", {"to": "accounts@ravi.example.com"}, htmx=True)
    assert response.status_code == 200
    assert "Sent to accounts@ravi.example.com" in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]
    assert [m["To"] for m in outbox()] == ["accounts@ravi.example.com"]


def test_email_with_a_bad_address_is_422_and_sends_nothing(signed_in, bill, outbox):
    response = signed_in.post_form(f"/documents/bills/{bill.id}/email", {"to": "not-an-address"}, htmx=True)
    assert response.status_code == 422
    assert "Enter a valid email address." in response.get_data(as_text=True)
    assert outbox() == []
    assert db.session.execute(db.select(AuditLog).filter_by(action="email")).first() is None


def test_email_without_csrf_token_is_refused(signed_in, bill, outbox):
    response = signed_in.post(f"/documents/bills/{bill.id}/email", data={"to": "ravi@example.com"})
    assert response.status_code == 400
    assert outbox() == []


# --------------------------------------------------------------------------- Billing v1 API


def test_api_pdf_returns_the_bills_pdf(client, bill, shop, owner, api_headers):
    response = client.get(f"/api/v1/billing/{shop.uid}/bills/{bill.uid}/pdf", headers=api_headers(owner))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert bill.invoice_number in text and inr(bill.total_amount) in text


def test_api_pdf_errors_follow_billing_v1(client, bill, shop, owner, api_headers, make_user, make_bill):
    url = f"/api/v1/billing/{shop.uid}/bills/{bill.uid}/pdf"
    response = client.get(url)
    assert response.status_code == 401 and response.get_json()["success"] is False

    stranger = make_user(username="stranger", store_name="Stranger Shop")
    response = client.get(url, headers=api_headers(stranger))
    assert response.status_code == 403
    assert response.get_json() == {"success": False, "message": "You do not have access to this store"}
    unknown_store = f"/api/v1/billing/00000000-0000-4000-8000-000000000000/bills/{bill.uid}/pdf"
    assert client.get(unknown_store, headers=api_headers(owner)).status_code == 403

    missing = client.get(f"/api/v1/billing/{shop.uid}/bills/00000000-0000-4000-8000-000000000000/pdf",
                         headers=api_headers(owner))
    assert missing.status_code == 404
    assert missing.get_json() == {"success": False, "message": "Bill not found"}

    from services.accounts.access import current_store_for

    their_bill = make_bill(current_store_for(stranger))
    response = client.get(f"/api/v1/billing/{shop.uid}/bills/{their_bill.uid}/pdf", headers=api_headers(owner))
    assert response.status_code == 404


def test_a_bill_saved_through_billing_v1_prints_its_computed_totals(client, shop, owner, api_headers, make_product,
                                                                   make_customer):
    haircut = make_product(shop, product_name="Haircut Premium", type="service", unit_price="1000.00",
                           hsn_code="9997")
    customer = make_customer(shop, name="John Doe", phone_no="+919876543210")
    body = {
        "customer_id": customer.uid,
        "items": [{"line_no": 1, "type": "service", "id": haircut.uid, "qty": 1, "discount_type": "percent",
                   "discount_value": 10, "cgst": 9, "sgst": 9}],
        "discount": 50, "payment_mode": "upi", "payment_amount": 500,
        "payments": [{"mode": "upi", "amount": 500, "reference": "UPI-1", "timestamp": "2025-09-26T11:30:00.000Z"}],
        "billing_timestamp": "2025-09-26T11:29:00.000Z",
    }
    saved = client.post(f"/api/v1/billing/{shop.uid}/bills", json=body, headers=api_headers(owner))
    assert saved.status_code == 201, saved.get_json()
    data = saved.get_json()["data"]
    pdf = client.get(f"/api/v1/billing/{shop.uid}/bills/{data['bill_id']}/pdf", headers=api_headers(owner))
    text = pdf_text(pdf.data).replace("\n", " ")
    assert data["invoice_number"] in text and "Haircut Premium" in text and "John Doe" in text
    assert "₹1,012.00" in text and "₹512.00" in text and "One Thousand and Twelve Rupees Only" in text
