"""Parties pages over the Flask test client (issue 15): customers and suppliers lists (search, balance, last bill,
one aggregate query a page), adding and editing, a party's page with its ledger and date range (an inverted range is
an error and no ledger), recording a payment over the oldest dues (422 beside the field), the statement PDF, the
WhatsApp reminder, outstanding by age, the role matrix and another store's party (404). Both databases."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import unquote

import pytest
from sqlalchemy import event, func, select

from extensions import db
from models import Bill, Customer, OpeningPayment, Party, Payment
from services.parties.parties import CustomerInput, create_customer
from tests.fixtures_pos import sign_in
from tests.test_ledger import days_ago, sell
from tests.test_ledger import shop as ledger_shop  # noqa: F401  (the fixture)

D = Decimal


@pytest.fixture
def shop(ledger_shop):  # noqa: F811
    return ledger_shop


def url(shop, kind="customers", party=None, what=""):
    party = party if party is not None else (shop.asha if kind == "customers" else shop.acme)
    return f"/parties/{kind}/{party.id}{what}"


@pytest.fixture
def as_role(client, shop):
    def signed(role: str):
        sign_in(client, getattr(shop, role))
        return client

    return signed


# --------------------------------------------------------------------------- lists


def test_the_customers_list_shows_balance_and_last_bill_and_searches(as_role, shop):
    sell(shop, qty=2, when=days_ago(3))
    last = sell(shop, qty=1, paid="20.00", when=days_ago(1))
    create_customer(shop.store, None, CustomerInput.of(name="Bharat Kumar", phone_no="9811122233",
                                                       gstin="27AAPFU0939F1ZV"))
    db.session.commit()
    client = as_role("cashier")
    page = client.get("/parties/customers").get_data(as_text=True)
    assert "Asha Rao" in page and "Bharat Kumar" in page
    row = page[page.index("Asha Rao"):]
    assert "₹230.00" in row[:600]  # 100 opening + 100 + 50 - 20
    assert last.invoice_number in row[:800]
    for q in ("asha", "98765", "98765 43210", "C-1"):
        found = client.get("/parties/customers", query_string={"q": q}).get_data(as_text=True)
        assert "Asha Rao" in found and "Bharat Kumar" not in found, q
    found = client.get("/parties/customers", query_string={"q": "27aapfu"}).get_data(as_text=True)
    assert "Bharat Kumar" in found and "Asha Rao" not in found
    fragment = client.get("/parties/customers", query_string={"q": "bharat"}, headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).startswith('<div id="parties-results">')
    assert fragment.headers["HX-Push-Url"] == "/parties/customers?q=bharat"


@pytest.mark.parametrize("kind", ["customers", "suppliers"])
def test_the_list_makes_the_same_number_of_queries_for_few_or_many_parties(as_role, shop, kind):
    from services.parties.parties import SupplierInput, create_supplier

    client = as_role("manager")

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/parties/{kind}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    def add(name: str) -> None:
        if kind == "customers":
            sell(shop, qty=1, party=create_customer(shop.store, None, CustomerInput.of(name=name)))
        else:
            party = create_supplier(shop.store, None, SupplierInput.of(name=name, code=name))
            sell(shop, qty=1, party=party, kind="purchase")

    for n in range(2):
        add(f"Few{n}")
    few = statements()
    for n in range(17):
        add(f"More{n:02d}")
    assert statements() == few


def test_suppliers_are_for_managers_and_owners(as_role, shop):
    sell(shop, qty=4, when=days_ago(2), kind="purchase")
    client = as_role("cashier")
    assert client.get("/parties/suppliers").status_code == 403
    assert client.get(url(shop, "suppliers")).status_code == 403
    client = as_role("manager")
    page = client.get("/parties/suppliers").get_data(as_text=True)
    assert "Acme Wholesale" in page and "₹200.00" in page
    detail = client.get(url(shop, "suppliers")).get_data(as_text=True)
    assert 'id="ledger"' in detail and "Record a payment made" in detail


# --------------------------------------------------------------------------- adding and editing


def customer_form(**fields):
    form = {"name": "Chitra Iyer", "phone_no": "98450 12345", "email": "Chitra@Example.in", "Customer_code": "C-9",
            "gstin": "29AAGCB7383J1Z4", "legal_name": "Chitra Traders", "state_code": "", "gender": "Female",
            "open_balance": "250.50", "credit_limmit": "5000", "payment_method_id": "", "loyalty_points": "12",
            "referred_by": "Asha", "address": "MG Road", "notes": "prefers UPI", "is_active": "on"}
    form.update(fields)
    return form


def test_a_manager_adds_and_edits_a_customer_with_every_field(as_role, shop):
    client = as_role("manager")
    assert client.get("/parties/customers/new").status_code == 200
    response = client.post_form("/parties/customers/new", data=customer_form())
    assert response.status_code == 303
    record = db.session.execute(select(Customer).where(Customer.name == "Chitra Iyer")).scalar_one()
    assert (record.phone_no, record.email, record.gstin, record.state_code, record.gender, record.open_balance,
            record.credit_limmit, record.loyalty_points) == ("+919845012345", "chitra@example.in",
                                                             "29AAGCB7383J1Z4", "29", "Female", D("250.50"),
                                                             D("5000.00"), 12)
    edit = f"/parties/customers/{record.party_id}/edit"
    assert "Chitra Traders" in client.get(edit).get_data(as_text=True)
    assert client.post_form(edit, data=customer_form(name="Chitra I.", gstin="", state_code="33")).status_code == 303
    db.session.expire_all()
    record = db.session.get(Customer, record.id)
    assert (record.name, record.gstin, record.state_code) == ("Chitra I.", None, "33")


@pytest.mark.parametrize("fields, key, message", [
    ({"name": ""}, "name", "A customer needs a name."),
    ({"phone_no": "12"}, "phone_no", "Enter a valid phone number."),
    ({"gstin": "29AAGCB7383J1Z5"}, "gstin", None),
    ({"phone_no": "9876543210"}, "phone_no", "A customer with this phone number already exists."),
    ({"open_balance": "abc"}, "open_balance", "Enter an amount"),
    ({"loyalty_points": "-1"}, "loyalty_points", "Enter a whole number of 0 or more"),
    ({"gender": "X"}, "gender", "Must be one of: Male, Female, Other"),
])
def test_a_bad_customer_form_is_422_with_the_message_beside_the_field(as_role, shop, fields, key, message):
    client = as_role("manager")
    response = client.post_form("/parties/customers/new", data=customer_form(**fields))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'data-field="{key}"' in page
    if message:
        assert message in page
    assert db.session.execute(select(func.count()).select_from(Customer)).scalar_one() == 1


def test_cashiers_cannot_add_or_edit(as_role, shop):
    client = as_role("cashier")
    assert client.get("/parties/customers/new").status_code == 403
    assert client.post_form("/parties/customers/new", data=customer_form()).status_code == 403
    assert client.get(url(shop, what="/edit")).status_code == 403


# --------------------------------------------------------------------------- a customer's page


def test_a_cashier_sees_the_ledger_but_not_the_payment_form(as_role, shop):
    sell(shop, qty=2, when=days_ago(2))
    page = as_role("cashier").get(url(shop)).get_data(as_text=True)
    assert 'id="ledger"' in page and 'id="party-payment"' not in page
    assert re.search(r'id="ledger-closing">₹200.00<', page)


def test_the_date_range_filters_and_an_inverted_range_shows_no_ledger(as_role, shop):
    sell(shop, qty=2, when=days_ago(20))
    sell(shop, qty=1, when=days_ago(2))
    client = as_role("manager")
    start = (days_ago(5).astimezone(shop.store.zone).date()).isoformat()
    page = client.get(url(shop), query_string={"from": start}).get_data(as_text=True)
    assert re.search(r'id="ledger-opening">₹200.00<', page) and re.search(r'id="ledger-closing">₹250.00<', page)
    response = client.get(url(shop), query_string={"from": "2026-03-01", "to": "2026-02-01"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="ledger"' not in page and 'data-field="from"' in page and "The start date is after the end date." in page
    assert client.get(url(shop), query_string={"to": "31/01/2026"}).status_code == 422
    assert client.get(url(shop, what="/statement.pdf"), query_string={"from": "2026-03-01",
                                                                      "to": "2026-02-01"}).status_code == 422


def test_another_stores_party_is_404(as_role, shop, make_store):
    other = make_store("Other shop")
    stranger = create_customer(other, None, CustomerInput.of(name="Stranger"))
    db.session.commit()
    client = as_role("owner")
    for path in (url(shop, party=stranger), url(shop, party=stranger, what="/edit"),
                 url(shop, party=stranger, what="/statement.pdf"), url(shop, "suppliers", party=shop.asha)):
        assert client.get(path).status_code == 404, path
    assert client.post_form(url(shop, party=stranger, what="/payments"), data={"amount": "1", "mode": "cash"}
                       ).status_code == 404
    assert client.get("/parties/customers/999999999").status_code == 404


def test_a_manager_records_a_payment_over_the_oldest_dues(as_role, shop):
    old = sell(shop, qty=2, when=days_ago(9))
    new = sell(shop, qty=2, when=days_ago(3))
    client = as_role("manager")
    assert 'id="party-payment"' in client.get(url(shop)).get_data(as_text=True)
    page = client.get(url(shop)).get_data(as_text=True)
    assert re.search(r'id="party-dues">₹300.00<', page) and 'id="opening-due"' in page
    response = client.post_form(url(shop, what="/payments"), data={"amount": "250", "mode": "upi", "reference": "UTR9"})
    assert response.status_code == 303
    # the opening balance of 100 is the oldest due: paid first, then the bills oldest first
    assert db.session.execute(select(OpeningPayment.amount, OpeningPayment.reference)).all() == [(D("100.00"), "UTR9")]
    rows = db.session.execute(select(Payment.bill_id, Payment.amount, Payment.reference).order_by(Payment.id)).all()
    assert rows == [(old.id, D("100.00"), "UTR9"), (new.id, D("50.00"), "UTR9")]
    page = client.get(url(shop)).get_data(as_text=True)
    assert "Payment of 250.00 recorded: 100.00 to the opening balance, 150.00 over 2 bills." in page
    assert re.search(r'id="party-dues">₹50.00<', page) and 'id="opening-due"' not in page


def test_a_customer_whose_dues_are_only_the_opening_balance_pays_it_from_the_page(as_role, shop):
    client = as_role("manager")
    response = client.post_form(url(shop, what="/payments"), data={"amount": "100.01", "mode": "cash"})
    assert response.status_code == 422
    assert "Amount is more than the dues (100.00); take at most 100.00." in response.get_data(as_text=True)
    assert client.post_form(url(shop, what="/payments"), data={"amount": "100", "mode": "cash"}).status_code == 303
    page = client.get(url(shop)).get_data(as_text=True)
    assert "Payment of 100.00 recorded: 100.00 to the opening balance." in page
    assert re.search(r'id="party-balance">₹0.00<', page) and re.search(r'id="ledger-closing">₹0.00<', page)


@pytest.mark.parametrize("amount, message", [
    ("200.01", "Amount is more than the dues (200.00); take at most 200.00."),
    ("0", "Must be greater than 0"),
    ("-10", "Must be greater than 0"),
    ("", "Enter an amount"),
    ("ten", "Enter the amount as a number"),
])
def test_a_bad_payment_is_422_beside_the_amount_and_writes_nothing(as_role, shop, amount, message):
    sell(shop, qty=2, when=days_ago(3))
    client = as_role("manager")
    for headers in ({}, {"HX-Request": "true"}):
        response = client.post_form(url(shop, what="/payments"), {"amount": amount, "mode": "cash"},
                                    htmx=bool(headers))
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert f'<small class="field-error" role="alert" data-field="amount">{message}</small>' in page
    assert page.startswith('<form id="party-payment"')  # HTMX: only the form, swapped in place
    assert db.session.execute(select(func.count()).select_from(Payment)).scalar_one() == 0
    assert db.session.execute(select(func.count()).select_from(OpeningPayment)).scalar_one() == 0


def test_a_cashier_cannot_record_a_payment(as_role, shop):
    sell(shop, qty=2)
    assert as_role("cashier").post_form(url(shop, what="/payments"), data={"amount": "10", "mode": "cash"}
                                   ).status_code == 403
    assert db.session.execute(select(func.count()).select_from(Payment)).scalar_one() == 0


def test_the_statement_pdf_and_the_whatsapp_reminder(as_role, shop):
    from pypdf import PdfReader

    bill = sell(shop, qty=3, when=days_ago(2))
    client = as_role("cashier")
    page = client.get(url(shop)).get_data(as_text=True)
    link = re.search(r'id="whatsapp-reminder" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert link.startswith("https://wa.me/919876543210?text=")
    text = unquote(link.split("text=", 1)[1])
    assert "Rs 250.00" in text and "upi://pay?pa=asha@okicici&pn=Asha%20General%20Store&am=250.00&cu=INR" in text
    response = client.get(url(shop, what="/statement.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"] == 'attachment; filename="statement-C-1.pdf"'
    named = client.get(url(shop, what="/statement.pdf"), query_string={"from": "2026-01-01", "to": "2026-12-31"})
    assert named.headers["Content-Disposition"] == 'attachment; filename="statement-C-1-2026-01-01-2026-12-31.pdf"'

    content = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Asha Rao" in content and bill.invoice_number in content and "₹250.00" in content


def test_outstanding_by_age_for_managers(as_role, shop):
    sell(shop, qty=1, when=days_ago(10))
    sell(shop, qty=2, when=days_ago(100))
    sell(shop, qty=4, when=days_ago(40), kind="purchase")
    assert as_role("cashier").get("/parties/outstanding").status_code == 403
    page = as_role("manager").get("/parties/outstanding").get_data(as_text=True)
    receivables = page[page.index('id="receivables"'):page.index('id="payables"')]
    assert receivables.count("<tr>") == 2  # one customer row and the header; the total is in tfoot
    assert "₹150.00" in receivables.split("<tfoot>")[1]
    assert "₹200.00" in page[page.index('id="payables"'):]


# --------------------------------------------------------------------------- concurrency


@pytest.mark.postgres_only
@pytest.mark.slow
def test_postgres_two_concurrent_payments_cannot_over_apply(app, shop):
    from tests.conftest import ShopClient
    from tests.test_billing_v1_races import race

    sell(shop, qty=2, when=days_ago(3))  # 100 due on the bill, after the opening balance of 100
    path = url(shop, what="/payments")
    manager_id = shop.manager.get_id()

    def post(body, headers):
        with ShopClient(app, app.response_class) as own:
            with own.session_transaction() as session:
                session["_user_id"], session["_fresh"] = manager_id, True
            answer = own.post_form(path, body)
            return answer.status_code, answer.get_data(as_text=True)

    results = race(post, 2, lambda i: {"amount": "120", "mode": "cash"})
    assert sorted(status for status, _ in results) == [303, 422], [s for s, _ in results]
    refused = next(body for status, body in results if status == 422)
    assert "Amount is more than the dues (80.00)" in refused
    db.session.expire_all()
    assert db.session.execute(select(func.sum(OpeningPayment.amount))).scalar_one() == D("100.00")
    assert db.session.execute(select(func.sum(Payment.amount))).scalar_one() == D("20.00")
    assert db.session.execute(select(Bill.due_amount)).scalar_one() == D("80.00")
    assert timedelta  # (imported for helpers above)


@pytest.mark.postgres_only
@pytest.mark.slow
def test_postgres_two_concurrent_payments_cannot_overpay_an_opening_balance(app, shop):
    """No bill to lock: only the party's row lock keeps the second payment from reading the same opening due."""
    from tests.conftest import ShopClient
    from tests.test_billing_v1_races import race

    path = url(shop, what="/payments")  # Asha owes only her opening balance of 100
    manager_id = shop.manager.get_id()

    def post(body, headers):
        with ShopClient(app, app.response_class) as own:
            with own.session_transaction() as session:
                session["_user_id"], session["_fresh"] = manager_id, True
            answer = own.post_form(path, body)
            return answer.status_code, answer.get_data(as_text=True)

    results = race(post, 2, lambda i: {"amount": "60", "mode": "cash"})
    assert sorted(status for status, _ in results) == [303, 422], [s for s, _ in results]
    assert "Amount is more than the dues (40.00)" in next(body for status, body in results if status == 422)
    db.session.expire_all()
    assert db.session.execute(select(func.sum(OpeningPayment.amount))).scalar_one() == D("60.00")


# --------------------------------------------------------------------------- suppliers and the role matrix


def test_a_manager_adds_edits_and_pays_a_supplier(as_role, shop):
    client = as_role("manager")
    form = {"name": "Deccan Foods", "code": "DECCAN", "phone_no": "9822000111", "email": "", "gstin": "",
            "address": "Pune", "open_balance": "75.50", "is_active": "on"}
    response = client.post_form("/parties/suppliers/new", form)
    assert response.status_code == 303
    party_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert client.post_form("/parties/suppliers/new", form).status_code == 422  # the code is taken
    assert client.post_form(f"/parties/suppliers/{party_id}/edit", {**form, "name": "Deccan Foods Pvt"}
                            ).status_code == 303
    assert "Deccan Foods Pvt" in client.get("/parties/suppliers").get_data(as_text=True)
    deccan = db.session.get(Party, party_id)
    assert deccan.supplier.open_balance == D("75.50")
    assert 'value="75.50"' in client.get(f"/parties/suppliers/{party_id}/edit").get_data(as_text=True)
    assert client.post_form(f"/parties/suppliers/{party_id}/payments", {"amount": "75.50", "mode": "cash"}
                            ).status_code == 303
    assert db.session.execute(select(OpeningPayment.amount).where(OpeningPayment.party_id == party_id)
                              ).scalar_one() == D("75.50")
    purchase = sell(shop, qty=2, when=days_ago(1), kind="purchase")  # from Acme: 100 owed
    assert client.post_form(url(shop, "suppliers", what="/payments"), {"amount": "100", "mode": "cash"}
                            ).status_code == 303
    assert db.session.get(Bill, purchase.id).due_amount == D(0)


@pytest.mark.parametrize("role, allowed", [
    ("cashier", {"list", "page", "statement"}),
    ("manager", {"list", "page", "statement", "new", "edit", "suppliers", "supplier", "outstanding", "pay"}),
    ("owner", {"list", "page", "statement", "new", "edit", "suppliers", "supplier", "outstanding", "pay"}),
])
def test_the_role_matrix(as_role, shop, role, allowed):
    sell(shop, qty=1)
    client = as_role(role)
    asks = {
        "list": lambda: client.get("/parties/customers"),
        "page": lambda: client.get(url(shop)),
        "statement": lambda: client.get(url(shop, what="/statement.pdf")),
        "new": lambda: client.get("/parties/customers/new"),
        "edit": lambda: client.get(url(shop, what="/edit")),
        "suppliers": lambda: client.get("/parties/suppliers"),
        "supplier": lambda: client.get(url(shop, "suppliers")),
        "outstanding": lambda: client.get("/parties/outstanding"),
        "pay": lambda: client.post_form(url(shop, what="/payments"), {"amount": "1", "mode": "cash"}),
    }
    got = {name: ask().status_code for name, ask in asks.items()}
    assert got == {name: (303 if name == "pay" else 200) if name in allowed else 403 for name in asks}, got


def test_signed_out_is_sent_to_log_in(client, shop):
    assert client.get("/parties/customers").status_code in (302, 401)
    assert client.get("/parties").status_code in (302, 401)


def test_a_statement_for_a_name_in_devanagari_without_a_code(as_role, shop):
    party = create_customer(shop.store, None, CustomerInput.of(name="राम कुमार"))
    db.session.commit()
    sell(shop, qty=1, party=party)
    response = as_role("cashier").get(url(shop, party=party, what="/statement.pdf"))
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"] == f'attachment; filename="statement-{party.id}.pdf"'
