"""The PDF cache (services/documents/pdf_cache.py): a bill's invoice and a credit note are rendered once per version
and read back after; the version is the ETag and If-None-Match gets a 304; a payment, a return or a change to the
store's details is a new version with new content; the store scoping of the routes still holds (a 304 included)."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from flask import current_app

from extensions import db
from models import Bill
from services.accounts.access import current_store_for
from services.accounts.store_settings import update_store_settings
from services.billing import bills as billing
from services.billing import returns
from services.documents import invoices
from services.documents.pdf_cache import cached_pdf, invoice_doc
from tests.fixtures_documents import pdf_text
from tests.fixtures_pos import sign_in
from tests.test_returns_pages import sale  # noqa: F401  (the fixture: 4 soaps to a customer, 88.80 due)

D = Decimal


@pytest.fixture
def renders(monkeypatch):
    """How many times xhtml2pdf was asked to make a PDF."""
    from xhtml2pdf import pisa

    calls = []
    real = pisa.CreatePDF

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pisa, "CreatePDF", counting)
    return calls


def pdf_url(sale) -> str:
    return f"/documents/bills/{sale.bill.id}/invoice.pdf"


def cached_files(store) -> list[str]:
    folder = Path(current_app.instance_path) / "pdf-cache" / store.uid
    return sorted(path.name for path in folder.glob("*.pdf"))


def test_a_repeat_download_is_read_from_the_cache_not_rendered(client, sale, renders):
    sign_in(client, sale.cashier)
    first = client.get(pdf_url(sale))
    assert first.status_code == 200 and first.data.startswith(b"%PDF") and len(renders) == 1
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Cache-Control"] == "private, no-cache"
    again = client.get(pdf_url(sale) + "?download=1")
    assert again.status_code == 200 and again.data == first.data and again.headers["ETag"] == etag
    assert again.headers["Content-Disposition"] == f'attachment; filename="{sale.bill.invoice_number}.pdf"'
    shared = client.get(f"/documents/shared/{invoices.share_token(sale.bill)}")  # the signed link: the same file
    assert shared.status_code == 200 and shared.data == first.data and shared.headers["ETag"] == etag
    assert len(renders) == 1
    assert cached_files(sale.store) == [f"invoice-{sale.bill.id}-{etag.strip(chr(34))}.pdf"]
    assert "Mehta Traders" in pdf_text(again.data)


def test_if_none_match_with_the_current_version_is_a_304_before_any_render(client, sale, renders):
    sign_in(client, sale.cashier)
    etag = invoice_doc(sale.bill).version
    response = client.get(pdf_url(sale), headers={"If-None-Match": f'"{etag}"'})
    assert response.status_code == 304 and response.data == b"" and response.headers["ETag"] == f'"{etag}"'
    assert renders == []  # nothing rendered, nothing read
    stale = client.get(pdf_url(sale), headers={"If-None-Match": '"0000"'})
    assert stale.status_code == 200 and stale.data.startswith(b"%PDF") and len(renders) == 1


def _pay(sale) -> str:
    billing.record_payment(sale.store, sale.cashier, sale.bill, billing.DraftPayment(mode="upi", amount=D("20.00")))
    return "₹120.00"  # paid now


def _return(sale) -> str:
    returns.create_return(sale.store, sale.manager, sale.bill, returns.ReturnDraft(
        lines=[returns.ReturnLine(line_no=1, qty=1)]))
    return "₹41.60"  # dues: 88.80 less the returned soap's 47.20


def _rename_store(sale) -> str:
    update_store_settings(sale.owner, sale.store, {"name": "Asha Super Bazaar"})
    return "Asha Super Bazaar"


@pytest.mark.parametrize("change", [_pay, _return, _rename_store])
def test_a_payment_a_return_or_a_store_change_is_a_new_version_with_new_content(client, sale, renders, change):
    sign_in(client, sale.manager)
    before = client.get(pdf_url(sale))
    etag = before.headers["ETag"]
    shows = change(sale)
    db.session.commit()
    assert shows not in pdf_text(before.data)
    after = client.get(pdf_url(sale), headers={"If-None-Match": etag})  # the old version is not "not modified"
    assert after.status_code == 200 and after.headers["ETag"] != etag and len(renders) == 2
    assert shows in pdf_text(after.data)
    assert client.get(pdf_url(sale), headers={"If-None-Match": after.headers["ETag"]}).status_code == 304
    assert cached_files(sale.store) == [f"invoice-{sale.bill.id}-{after.headers['ETag'].strip(chr(34))}.pdf"]


def test_an_unchanged_bill_keeps_its_version_across_requests_and_sessions(client, sale):
    version = invoice_doc(sale.bill).version
    db.session.expire_all()
    assert invoice_doc(db.session.get(Bill, sale.bill.id)).version == version


def test_another_stores_cashier_gets_404_even_with_the_etag(client, sale, make_user, renders):
    sign_in(client, sale.cashier)
    etag = client.get(pdf_url(sale)).headers["ETag"]
    stranger = make_user("stranger", store_name="Other Shop")
    other_cashier = make_user("othercashier", store=current_store_for(stranger), role="cashier")
    sign_in(client, other_cashier)
    assert client.get(pdf_url(sale)).status_code == 404
    assert client.get(pdf_url(sale), headers={"If-None-Match": etag}).status_code == 404
    assert len(renders) == 1


def test_the_credit_note_pdf_is_cached_and_conditional(client, sale, renders):
    note = returns.create_return(sale.store, sale.manager, sale.bill, returns.ReturnDraft(
        lines=[returns.ReturnLine(line_no=1, qty=1)], reason="Damaged box"))
    db.session.commit()
    sign_in(client, sale.cashier)
    url = f"/bills/credit-notes/{note.id}/credit-note.pdf"
    first = client.get(url)
    assert first.status_code == 200 and "Damaged box" in pdf_text(first.data) and len(renders) == 1
    assert client.get(url).data == first.data and len(renders) == 1
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    _rename_store(sale)
    db.session.commit()
    renamed = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert renamed.status_code == 200 and "Asha Super Bazaar" in pdf_text(renamed.data) and len(renders) == 2


def test_emailing_a_bill_attaches_the_cached_pdf(client, sale, renders):
    sign_in(client, sale.cashier)
    downloaded = client.get(pdf_url(sale)).data
    assert cached_pdf(invoice_doc(sale.bill)).data == downloaded
    invoices.email_bill(sale.bill, "ravi@example.com")
    assert len(renders) == 1


@pytest.fixture
def builds(monkeypatch):
    """The layout passes ReportLab made (two per render while <pdf:pagecount> is printed)."""
    from reportlab.platypus.doctemplate import BaseDocTemplate

    calls = []
    real = BaseDocTemplate.build

    def counting(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(BaseDocTemplate, "build", counting)
    return calls


@pytest.mark.parametrize("guess", ["right", "one too many", "two too many"])
def test_page_n_of_n_is_always_the_true_page_count_and_one_pass_when_the_guess_is_right(sale, monkeypatch, renders,
                                                                                        builds, guess):
    data = invoices.render_invoice_pdf(sale.bill).data  # learns the page count of this layout and size
    pages = invoices.pdf_page_count(data)
    assert pages == 1 and "Page 1 of 1" in pdf_text(data)
    renders.clear(), builds.clear()
    offset = {"right": 0, "one too many": 1, "two too many": 2}[guess]
    monkeypatch.setattr(invoices, "_page_guess", lambda layout, rows: pages + offset)
    again = invoices.render_invoice_pdf(sale.bill).data
    assert invoices.pdf_page_count(again) == pages and f"Page 1 of {pages}" in pdf_text(again)
    if guess == "right":
        assert (len(renders), len(builds)) == (1, 1)  # one render, one layout pass
    else:  # the wrong guess is thrown away; the pagecount render makes two passes
        assert (len(renders), len(builds)) == (2, 3)


def test_a_cache_that_cannot_be_written_still_serves_the_pdf(client, sale, renders, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    current_app.config["PDF_CACHE_FOLDER"] = str(blocked)
    sign_in(client, sale.cashier)
    for _ in range(2):
        response = client.get(pdf_url(sale))
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert len(renders) == 2  # nothing kept, so each download renders
