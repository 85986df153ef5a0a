"""Bills pages over the Flask test client: the list (filters, sort, pages; fragment with pushed URLs, and plain
GET without JavaScript), a bill's page with its document links, payments against dues, cancelling, and scoping."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models import Bill, Product, StockMove
from services.billing import bills as billing
from services.formatting import inr
from tests.fixtures_pos import sign_in

D = Decimal


@pytest.fixture
def make_sale(till_shop):
    """A bill saved through billing.save_bill at a chosen moment, with chosen payments."""

    def factory(product=None, qty: int = 1, paid: str | None = None, when: datetime | None = None,
                customer: billing.NewCustomer | None = None) -> Bill:
        line = billing.DraftLine(product=product or till_shop.salt, qty=qty)
        draft = billing.BillDraft(lines=[line], customer=customer)
        if paid is not None:
            draft.payments = [billing.DraftPayment(mode="cash", amount=D(paid))]
        bill = billing.save_bill(till_shop.store, till_shop.cashier, draft, now=when)
        db.session.commit()
        return bill

    return factory


@pytest.fixture
def cashier_client(client, till_shop):
    sign_in(client, till_shop.cashier)
    return client


def listed(html: str) -> list[str]:
    return re.findall(r'<a href="/bills/\d+">([^<]+)</a>', html)


# --------------------------------------------------------------------------- the list


def test_the_list_is_a_full_page_or_the_results_fragment_and_varies_on_hx_request(cashier_client, make_sale):
    bill = make_sale()
    page = cashier_client.get("/bills")
    fragment = cashier_client.hx_get("/bills")
    assert "<html" in page.get_data(as_text=True) and bill.invoice_number in page.get_data(as_text=True)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<div id="bills-results">') and bill.invoice_number in body
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    form = re.search(r'<form id="bills-filters"[^>]*>', page.get_data(as_text=True)).group(0)
    assert 'method="get"' in form and 'action="/bills"' in form and 'hx-get="/bills"' in form
    assert 'hx-push-url="true"' in form


def test_search_matches_invoice_number_customer_and_phone(cashier_client, make_sale):
    ravi = make_sale(customer=billing.NewCustomer(name="Ravi Kumar", phone_no="+919811111111"))
    other = make_sale()
    assert listed(cashier_client.get("/bills?q=ravi").get_data(as_text=True)) == [ravi.invoice_number]
    assert listed(cashier_client.get("/bills?q=9811111").get_data(as_text=True)) == [ravi.invoice_number]
    assert listed(cashier_client.get(f"/bills?q={other.invoice_number}").get_data(as_text=True)) == [
        other.invoice_number]


def test_status_filter_and_amount_sort(cashier_client, make_sale, till_shop):
    unpaid = make_sale(product=till_shop.soap)  # 47.20
    paid = make_sale(product=till_shop.butter, paid="319.20")
    partial = make_sale(product=till_shop.salt, qty=3, paid="10")
    assert listed(cashier_client.get("/bills?status=paid").get_data(as_text=True)) == [paid.invoice_number]
    assert listed(cashier_client.get("/bills?status=partial").get_data(as_text=True)) == [partial.invoice_number]
    ascending = listed(cashier_client.get("/bills?sort=amount_asc").get_data(as_text=True))
    amounts = {b.invoice_number: b.total_amount for b in (unpaid, paid, partial)}
    assert ascending == sorted(amounts, key=amounts.get)


def test_the_date_range_is_in_the_stores_days(cashier_client, make_sale):
    # 20:00 UTC on 26 September is 01:30 on 27 September in Kolkata.
    late = make_sale(when=datetime(2025, 9, 26, 20, 0, tzinfo=UTC))
    early = make_sale(when=datetime(2025, 9, 26, 10, 0, tzinfo=UTC))
    assert listed(cashier_client.get("/bills?from=2025-09-27&to=2025-09-27").get_data(as_text=True)) == [
        late.invoice_number]
    assert listed(cashier_client.get("/bills?from=2025-09-26&to=2025-09-26").get_data(as_text=True)) == [
        early.invoice_number]


def test_bad_filters_are_explained_and_ignored(cashier_client, make_sale):
    make_sale()
    html = cashier_client.get("/bills?from=26-09-2025&status=lost&sort=random").get_data(as_text=True)
    assert "Enter a date as YYYY-MM-DD." in html and "Choose paid, partial, unpaid or cancelled." in html
    assert len(listed(html)) == 1
    backwards = cashier_client.get("/bills?from=2025-09-27&to=2025-09-01").get_data(as_text=True)
    assert "Must not be before the start date." in backwards


def test_pages_of_twenty_with_links_that_work_with_and_without_htmx(cashier_client, make_sale, till_shop):
    bills = [make_sale(product=till_shop.soap) for _ in range(23)]
    first = cashier_client.hx_get("/bills?status=unpaid").get_data(as_text=True)
    assert len(listed(first)) == 20 and "page 1 of 2" in first
    link = re.search(r'<a href="([^"]+)" hx-get="([^"]+)"[^>]*hx-push-url="true" rel="next">', first)
    assert link and link.group(1) == link.group(2)
    url = link.group(1).replace("&amp;", "&")
    assert "status=unpaid" in url and "page=2" in url
    second = cashier_client.get(url).get_data(as_text=True)
    assert "<html" in second and listed(second) == [b.invoice_number for b in bills[:3]][::-1]


# --------------------------------------------------------------------------- one bill


def test_the_bill_page_shows_lines_totals_payments_and_links_to_its_documents(cashier_client, make_sale, till_shop):
    bill = make_sale(product=till_shop.butter, qty=2, paid="100")
    response = cashier_client.get(f"/bills/{bill.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="bill-number">{bill.invoice_number}<' in html
    assert "Amul Butter 500g" in html and f'id="bill-total">{inr(bill.total_amount)}<' in html
    assert f'id="bill-dues">{inr(bill.due_amount)}<' in html and 'id="bill-status">partial<' in html
    assert f'href="/documents/bills/{bill.id}/receipt"' in html
    assert f'href="/documents/bills/{bill.id}/invoice"' in html
    assert f'href="/documents/bills/{bill.id}/invoice.pdf?download=1"' in html
    assert f'hx-post="/documents/bills/{bill.id}/email"' in html
    assert 'id="record-payment"' in html and 'id="cancel-bill"' not in html  # a cashier may not cancel


def test_recording_a_payment_against_the_dues(cashier_client, make_sale, till_shop):
    bill = make_sale(product=till_shop.soap, paid="20")  # dues 27.20
    response = cashier_client.post_form(f"/bills/{bill.id}/payments", {"mode": "upi", "amount": "27.20",
                                                                       "reference": "UPI-9"}, htmx=True)
    assert response.status_code == 200 and response.headers["HX-Location"].startswith('{"path": "/bills/')
    db.session.expire_all()
    bill = db.session.get(Bill, bill.id)
    assert bill.due_amount == D("0.00") and bill.status == "paid"
    assert [(p.mode, p.amount) for p in bill.payments] == [("cash", D("20.00")), ("upi", D("27.20"))]


@pytest.mark.parametrize("form, message", [
    ({"mode": "cash", "amount": "30"}, "Amount exceeds the dues (27.20)"),
    ({"mode": "cash", "amount": "0"}, "Must be greater than 0"),
    ({"mode": "cash", "amount": "ten"}, "Must be a number"),
    ({"mode": "cheque", "amount": "5"}, "Must be one of: cash, card, upi, wallet"),
])
def test_a_refused_payment_re_renders_the_form_with_422(cashier_client, make_sale, till_shop, form, message):
    bill = make_sale(product=till_shop.soap, paid="20")
    response = cashier_client.post_form(f"/bills/{bill.id}/payments", form, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and html.lstrip().startswith('<form id="record-payment"')
    assert message in html and f'value="{form["amount"]}"' in html
    without_js = cashier_client.post_form(f"/bills/{bill.id}/payments", form)
    assert without_js.status_code == 422 and "<html" in without_js.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.get(Bill, bill.id).payments) == 1


def test_a_cashier_may_not_cancel(cashier_client, make_sale):
    bill = make_sale()
    assert cashier_client.post_form(f"/bills/{bill.id}/cancel", {"reason": "typo"}).status_code == 403
    assert db.session.get(Bill, bill.id).cancelled_at is None


def test_a_manager_cancels_with_a_reason_and_the_stock_comes_back(client, till_shop, make_sale):
    bill = make_sale(product=till_shop.salt, qty=4)
    assert db.session.get(Product, till_shop.salt.id).quantity == 46
    sign_in(client, till_shop.manager)
    assert 'id="cancel-bill"' in client.get(f"/bills/{bill.id}").get_data(as_text=True)
    no_reason = client.post_form(f"/bills/{bill.id}/cancel", {"reason": " "}, htmx=True)
    assert no_reason.status_code == 422
    assert "Give a reason for cancelling this bill." in no_reason.get_data(as_text=True)
    done = client.post_form(f"/bills/{bill.id}/cancel", {"reason": "Customer returned the goods"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/bills/{bill.id}")
    db.session.expire_all()
    cancelled = db.session.get(Bill, bill.id)
    assert cancelled.cancelled_at is not None and cancelled.cancel_reason == "Customer returned the goods"
    assert db.session.get(Product, till_shop.salt.id).quantity == 50
    moves = db.session.execute(select(StockMove.delta).where(StockMove.bill_id == bill.id,
                                                             StockMove.reason == "cancel")).scalars().all()
    assert moves == [4]
    page = client.get(f"/bills/{bill.id}").get_data(as_text=True)
    assert 'id="bill-status">cancelled<' in page and 'id="cancel-bill"' not in page
    again = client.post_form(f"/bills/{bill.id}/cancel", {"reason": "twice"}, htmx=True)
    assert again.status_code == 422 and "This bill is already cancelled" in again.get_data(as_text=True)


@pytest.mark.parametrize("method, path, form", [
    ("get", "", None), ("post", "/payments", {"mode": "cash", "amount": "1"}), ("post", "/cancel", {"reason": "x"}),
])
def test_another_stores_bill_and_a_missing_bill_are_the_same_404(client, till_shop, make_sale, make_user,
                                                                 method, path, form):
    bill = make_sale()
    stranger = make_user("stranger", role="owner")
    sign_in(client, stranger)
    for bill_id in (bill.id, bill.id + 999):
        url = f"/bills/{bill_id}{path}"
        response = client.get(url) if method == "get" else client.post_form(url, form)
        assert response.status_code == 404
