"""Issue 12, "the next customer in one key": after an HTMX Save the till stays on the till. The answer is the fresh
empty builder plus the last bill's panel out of band (number, total, change due, Receipt, PDF, WhatsApp, Email),
with posSaved to focus the search box; without JavaScript Save still goes to the bill page; a replayed Save shows
the same panel and makes no second bill."""
from __future__ import annotations

import html as html_lib
import re
import socket
from decimal import Decimal
from urllib.parse import quote, unquote

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Bill, Product, TillSession
from services.documents.invoices import bill_for_share_token
from tests.fixtures_pos import sign_in

D = Decimal


@pytest.fixture
def till(client, till_shop):
    sign_in(client, till_shop.cashier)
    return client


def page_key(client) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', client.get("/pos").get_data(as_text=True)).group(1)


def scan(client, code: str):
    return client.post_form("/pos/scan", {"q": code}, htmx=True)


def save(client, key: str | None = None, htmx: bool = True):
    return client.post_form("/pos/save", {"idempotency_key": key or page_key(client)}, htmx=htmx)


def panel(html: str) -> str:
    """The out-of-band last-bill panel, which must travel inside a <template> (so the forms around survive)."""
    found = re.search(r'<template>\s*(<section id="pos-last-bill".*?</section>)\s*</template>', html, re.S)
    assert found, "the last-bill panel is not sent out of band inside a <template>"
    assert 'hx-swap-oob="true"' in found.group(1)
    return found.group(1)


def bills() -> int:
    return db.session.execute(select(func.count(Bill.id))).scalar_one()


@pytest.fixture
def no_network(monkeypatch):
    """Any outgoing connection during the request fails the test: WhatsApp is a link, not a server call."""
    def refuse(*args, **kwargs):
        raise AssertionError("the server tried to open a network connection")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_the_page_has_an_empty_last_bill_slot(till):
    html = till.get("/pos").get_data(as_text=True)
    assert re.search(r'<section id="pos-last-bill"[^>]*>\s*</section>', html)


def test_save_shows_number_total_change_and_the_links_and_the_whatsapp_link_carries_the_share_url(
        till, till_shop, no_network):
    scan(till, till_shop.soap.barcode)  # 47.20
    till.post_form("/pos/payment", {"payment_mode": "cash", "tendered": "100"}, htmx=True)
    response = save(till)
    assert response.status_code == 200 and "HX-Location" not in response.headers
    assert "HX-Redirect" not in response.headers
    assert response.headers["HX-Trigger"] == "posSaved"
    bill = db.session.execute(select(Bill)).scalar_one()
    part = panel(response.get_data(as_text=True))
    assert f'<a id="pos-last-bill-link" href="/bills/{bill.id}"><strong>{bill.invoice_number}</strong></a>' in part
    assert '<strong id="pos-last-bill-total">₹47.20</strong>' in part
    assert '<strong id="pos-last-bill-change">₹52.80</strong>' in part
    assert f'href="/documents/bills/{bill.id}/receipt" target="_blank"' in part
    assert f'href="/documents/bills/{bill.id}/invoice.pdf"' in part
    assert re.search(rf'id="pos-last-bill-email"[^>]*href="/bills/{bill.id}#email-bill"', part)

    whatsapp = html_lib.unescape(re.search(r'id="pos-last-bill-whatsapp"[^>]*href="([^"]+)"', part).group(1))
    assert whatsapp.startswith("https://wa.me/?text=")
    text = whatsapp[len("https://wa.me/?text="):]
    assert " " not in text and "/" not in text and ":" not in text  # all URL-encoded
    message = unquote(text)
    assert bill.invoice_number in message and "₹47.20" in message
    shared = re.search(r"(https?://\S+/documents/shared/\S+)", message).group(1)
    assert quote(shared, safe="") in text
    assert bill_for_share_token(shared.rsplit("/", 1)[1]).id == bill.id  # a signed link to this very bill


def test_no_change_is_shown_without_cash_over_the_total(till, till_shop):
    scan(till, till_shop.soap.barcode)
    till.post_form("/pos/payment", {"payment_mode": "upi"}, htmx=True)
    part = panel(save(till).get_data(as_text=True))
    assert "₹47.20" in part and "pos-last-bill-change" not in part and "Change due" not in part

    scan(till, till_shop.soap.barcode)
    till.post_form("/pos/payment", {"payment_mode": "cash", "tendered": "47.20"}, htmx=True)
    part = panel(save(till).get_data(as_text=True))
    assert "Change due" not in part


def test_the_builder_comes_back_empty_with_a_new_key(till, till_shop):
    scan(till, till_shop.salt.barcode)
    scan(till, till_shop.soap.barcode)
    old_key = page_key(till)
    html = save(till, old_key).get_data(as_text=True)
    assert html.lstrip().startswith('<div id="pos-builder"')  # the main swap: the builder, as after Clear
    builder = html.split("<template>")[0]
    assert 'id="line-0"' not in builder and "Scan a barcode or search for an item to start the bill." in builder
    assert re.search(r'id="pos-total" data-amount="0(\.00)?"', builder)
    assert re.search(r'<button type="submit" id="pos-save" disabled', builder)
    new_key = re.search(r'name="idempotency_key" value="([^"]+)"', builder).group(1)
    assert new_key != old_key
    db.session.expire_all()
    state = db.session.execute(select(TillSession)).scalar_one().payload
    assert state["lines"] == [] and state["key"] == new_key

    # The next customer at once: a scan goes onto the new bill, and it saves as a second bill.
    scan(till, till_shop.salt.barcode)
    part = panel(save(till, new_key).get_data(as_text=True))
    assert bills() == 2 and "₹29.40" in part


def test_without_javascript_save_still_goes_to_the_bill_page(till, till_shop):
    scan(till, till_shop.salt.barcode)
    response = save(till, htmx=False)
    bill = db.session.execute(select(Bill)).scalar_one()
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/bills/{bill.id}")
    assert f"Bill {bill.invoice_number} saved." in till.get(f"/bills/{bill.id}").get_data(as_text=True)


def test_a_replayed_save_shows_the_same_panel_and_makes_no_second_bill(till, till_shop):
    scan(till, till_shop.soap.barcode)
    till.post_form("/pos/payment", {"payment_mode": "cash", "tendered": "50"}, htmx=True)
    key = page_key(till)
    first = save(till, key)
    second = till.post_form("/pos/save", headers={"Idempotency-Key": key}, htmx=True)
    assert first.status_code == second.status_code == 200
    assert bills() == 1 and db.session.get(Product, till_shop.soap.id).quantity == 29
    bill = db.session.execute(select(Bill)).scalar_one()
    for response in (first, second):
        part = panel(response.get_data(as_text=True))
        assert bill.invoice_number in part and '<strong id="pos-last-bill-change">₹2.80</strong>' in part
