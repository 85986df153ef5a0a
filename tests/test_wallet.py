"""The customer's wallet (issue 16): golden salon bills paid from it (alone and split with UPI) through the service,
Billing v1 and the till, to the paisa; a return refunding into it; the overdraw refused in each surface's own format
with nothing written; a top-up on the customer's page counted in the day's money; a cancellation giving back.

Salon store in Maharashtra: Haircut Premium 1000.00 (service, 9 % + 9 %). The Billing v1 worked example: 10 % off the
line (900.00 + 81.00 + 81.00 = 1062.00), 50.00 off the bill: 1012.00.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Bill, Customer, InvoiceCounter, PaymentMethod, Staff, WalletEntry
from services.billing import bills as billing
from services.billing import returns
from services.errors import PermissionDenied
from services.parties import wallet
from services.till import session as till_service
from tests.fixtures_pos import sign_in

D = Decimal
WHEN = "2025-09-26T11:29:00.000Z"


@pytest.fixture
def salon(app, make_user, make_product, make_customer, api_headers):
    from services.accounts.access import current_store_for

    owner = make_user("salonboss", business_kind="salon", store_name="Glow Salon", state_code="27",
                      state="Maharashtra")
    store = current_store_for(owner)

    class Shop:
        pass

    shop = Shop()
    shop.store, shop.owner = store, owner
    shop.cashier = make_user("saloncashier", store=store, role="cashier")
    shop.manager = make_user("salonmanager", store=store, role="manager")
    shop.haircut = make_product(store, "Haircut Premium", unit_price="1000.00", type="service", sku="HC-1")
    shop.asha = make_customer(store, "Asha Patil", "+919800000001")
    shop.priya = Staff(store_id=store.id, name="Priya", role="stylist")
    db.session.add(shop.priya)
    db.session.commit()
    shop.headers = api_headers(owner)
    shop.url = f"/api/v1/billing/{store.uid}"
    return shop


def fund(shop, amount: str, party=None) -> None:
    wallet.top_up(shop.store, shop.cashier, party or shop.asha, D(amount), "cash")
    db.session.commit()


def balance(shop, party=None) -> Decimal:
    db.session.expire_all()
    return db.session.execute(select(Customer.wallet_balance).where(
        Customer.party_id == (party or shop.asha).id)).scalar_one()


def ledger_sums_to_balance(shop) -> bool:
    total = db.session.execute(select(func.coalesce(func.sum(WalletEntry.amount), 0)).where(
        WalletEntry.party_id == shop.asha.id)).scalar_one()
    return D(total) == balance(shop)


def bill_count() -> int:
    return db.session.execute(select(func.count(Bill.id))).scalar_one()


def counter_value(store) -> int:
    return db.session.execute(select(func.coalesce(func.max(InvoiceCounter.next_value), 0)).where(
        InvoiceCounter.store_id == store.id)).scalar_one()


# --------------------------------------------------------------------------- the three surfaces


def through_service(shop, payments: list[tuple[str, str]]) -> Bill:
    draft = billing.BillDraft(
        lines=[billing.DraftLine(product=shop.haircut, qty=1, line_no=1, discount_type="percent",
                                 discount_value=D(10), staff=shop.priya)],
        customer=shop.asha, discount=D(50),
        payment_mode=payments[0][0] if len(payments) == 1 else "split",
        payment_amount=sum((D(a) for _, a in payments), D(0)),
        payments=[billing.DraftPayment(mode, D(amount)) for mode, amount in payments])
    bill = billing.save_bill(shop.store, shop.cashier, draft)
    db.session.commit()
    return bill


def v1_body(shop, payments: list[tuple[str, str]]) -> dict:
    return {
        "customer_id": shop.asha.uid,
        "items": [{"line_no": 1, "type": "service", "id": shop.haircut.uid, "staff_id": shop.priya.uid, "qty": 1,
                   "discount_type": "percent", "discount_value": 10, "cgst": 9, "sgst": 9}],
        "discount": 50,
        "payment_mode": payments[0][0] if len(payments) == 1 else "split",
        "payment_amount": float(sum((D(a) for _, a in payments), D(0))),
        "payments": [{"mode": mode, "amount": float(amount), "reference": None, "timestamp": WHEN}
                     for mode, amount in payments],
        "billing_timestamp": WHEN,
    }


def through_v1(shop, client, payments) -> Bill:
    response = client.post(f"{shop.url}/bills", json=v1_body(shop, payments),
                           headers={**shop.headers, "Idempotency-Key": f"k-{len(payments)}-{payments[0][1]}"})
    assert response.status_code == 201, response.get_json()
    return db.session.execute(select(Bill).where(Bill.uid == response.get_json()["data"]["bill_id"])).scalar_one()


def through_till(shop, client, payments) -> Bill:
    sign_in(client, shop.cashier)
    client.post_form("/pos/scan", {"q": "HC-1"}, htmx=True)
    line = {"qty": "1", "discount_type": "percent", "discount_value": "10", "cgst": "9", "sgst": "9",
            "staff_id": str(shop.priya.id)}
    assert client.post_form("/pos/lines/0", line, htmx=True).status_code == 200
    client.post_form("/pos/customer", {"party_id": str(shop.asha.id)}, htmx=True)
    if len(payments) == 1:
        form = {"payment_mode": payments[0][0], "discount": "50"}
    else:
        client.post_form("/pos/payment", {"payment_mode": "split", "discount": "50"}, htmx=True)
        form = {"payment_mode": "split", "discount": "50", "split_mode": [m for m, _ in payments],
                "split_amount": [a for _, a in payments], "split_reference": ["" for _ in payments]}
    client.post_form("/pos/payment", form, htmx=True)
    key = till_service.state_of(till_service.load(shop.store, shop.cashier))["key"]
    db.session.rollback()
    response = client.post_form("/pos/save", {"idempotency_key": key}, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return db.session.execute(select(Bill)).scalar_one()


SURFACES = ("service", "v1", "till")


def save_through(surface, shop, client, payments) -> Bill:
    if surface == "service":
        return through_service(shop, payments)
    if surface == "v1":
        return through_v1(shop, client, payments)
    return through_till(shop, client, payments)


def assert_worked_example(bill: Bill) -> None:
    assert (bill.sub_total, bill.discount, bill.tax, bill.cgst_amount, bill.sgst_amount, bill.total_amount) == (
        D("1062.00"), D("50.00"), D("162.00"), D("81.00"), D("81.00"), D("1012.00"))
    assert (bill.paid_amount, bill.due_amount, bill.status) == (D("1012.00"), D("0.00"), "paid")
    item = bill.items[0]
    assert (item.base_amount, item.discount_amount, item.taxable_amount, item.line_total) == (
        D("1000.00"), D("100.00"), D("900.00"), D("1062.00"))


@pytest.mark.parametrize("surface", SURFACES)
def test_golden_salon_bill_paid_from_the_wallet(salon, client, surface):
    fund(salon, "1500.00")
    bill = save_through(surface, salon, client, [("wallet", "1012.00")])
    assert_worked_example(bill)
    assert [(p.mode, p.amount) for p in bill.payments] == [("wallet", D("1012.00"))]
    assert bill.items[0].staff_id == salon.priya.id
    assert balance(salon) == D("488.00")
    entry = db.session.execute(select(WalletEntry).where(WalletEntry.kind == "payment")).scalar_one()
    assert (entry.amount, entry.balance, entry.bill_id) == (D("-1012.00"), D("488.00"), bill.id)
    assert ledger_sums_to_balance(salon)


@pytest.mark.parametrize("surface", SURFACES)
def test_golden_salon_bill_split_between_wallet_and_upi(salon, client, surface):
    fund(salon, "700.00")
    bill = save_through(surface, salon, client, [("wallet", "612.00"), ("upi", "400.00")])
    assert_worked_example(bill)
    assert sorted((p.mode, p.amount) for p in bill.payments) == [("upi", D("400.00")), ("wallet", D("612.00"))]
    assert balance(salon) == D("88.00")
    assert ledger_sums_to_balance(salon)


# --------------------------------------------------------------------------- overdrawing: refused, nothing written


def test_the_till_refuses_more_than_the_balance_beside_the_payment_and_writes_nothing(salon, client):
    fund(salon, "500.00")
    counter = counter_value(salon.store)
    sign_in(client, salon.cashier)
    client.post_form("/pos/scan", {"q": "HC-1"}, htmx=True)
    picked = client.post_form("/pos/customer", {"party_id": str(salon.asha.id)}, htmx=True).get_data(as_text=True)
    assert 'id="pos-wallet-balance"' in picked and "₹500.00" in picked  # the balance beside the modes
    shown = client.post_form("/pos/payment", {"payment_mode": "wallet"}, htmx=True).get_data(as_text=True)
    assert 'id="pos-wallet-note"' in shown and "Wallet balance is ₹500.00" in shown
    key = till_service.state_of(till_service.load(salon.store, salon.cashier))["key"]
    db.session.rollback()
    refused = client.post_form("/pos/save", {"idempotency_key": key}, htmx=True)
    assert refused.status_code == 422
    assert "Wallet balance is ₹500.00" in refused.get_data(as_text=True)
    assert bill_count() == 0 and balance(salon) == D("500.00") and counter_value(salon.store) == counter
    assert db.session.execute(select(func.count(WalletEntry.id))).scalar_one() == 1  # the top-up only


def test_the_till_refuses_a_wallet_payment_without_a_customer(salon, client):
    sign_in(client, salon.cashier)
    client.post_form("/pos/scan", {"q": "HC-1"}, htmx=True)
    shown = client.post_form("/pos/payment", {"payment_mode": "wallet"}, htmx=True).get_data(as_text=True)
    assert "A wallet payment needs the bill&#39;s customer" in shown
    key = till_service.state_of(till_service.load(salon.store, salon.cashier))["key"]
    db.session.rollback()
    refused = client.post_form("/pos/save", {"idempotency_key": key}, htmx=True)
    assert refused.status_code == 422 and "A wallet payment needs the bill&#39;s customer" in refused.get_data(
        as_text=True)
    assert bill_count() == 0


def test_billing_v1_refuses_more_than_the_balance_in_its_envelope_and_writes_nothing(salon, client):
    fund(salon, "500.00")
    counter = counter_value(salon.store)
    response = client.post(f"{salon.url}/bills", json=v1_body(salon, [("wallet", "612.00"), ("upi", "400.00")]),
                           headers={**salon.headers, "Idempotency-Key": "over-1"})
    assert response.status_code == 400
    assert response.get_json() == {"success": False, "message": "Wallet balance is ₹500.00",
                                   "errors": {"payments[0].amount": ["Wallet balance is ₹500.00"]}}
    assert bill_count() == 0 and balance(salon) == D("500.00") and counter_value(salon.store) == counter


def test_billing_v1_new_customer_has_an_empty_wallet(salon, client):
    body = v1_body(salon, [("wallet", "1012.00")])
    del body["customer_id"]
    body["customer"] = {"name": "New Face", "contact_no": "+919811111111"}
    response = client.post(f"{salon.url}/bills", json=body, headers={**salon.headers, "Idempotency-Key": "new-1"})
    assert response.status_code == 400
    assert response.get_json()["errors"] == {"payments[0].amount": ["Wallet balance is ₹0.00"]}
    assert bill_count() == 0 and db.session.execute(select(func.count(Customer.id))).scalar_one() == 1


def test_the_service_refuses_a_wallet_payment_on_a_walk_in_bill(salon):
    draft = billing.BillDraft(lines=[billing.DraftLine(product=salon.haircut, qty=1)], payment_mode="wallet",
                              payment_amount=D("1180.00"), payments=[billing.DraftPayment("wallet", D("1180.00"))])
    with pytest.raises(billing.ValidationError) as refused:
        billing.save_bill(salon.store, salon.cashier, draft)
    assert refused.value.errors == {
        "payments[0].amount": ["A wallet payment needs the bill's customer: choose the customer first."]}


def test_namaste_bill_with_the_wallet_method_draws_its_paid_amount(salon, client):
    fund(salon, "100.00")
    method = db.session.execute(select(PaymentMethod).where(PaymentMethod.name == "Wallet")).scalar_one()
    body = {"invoice_number": "N-1", "invoice_date": "2025-09-26", "party": salon.asha.id,
            "payment_method": method.id, "sub_total": "1180.00", "discount": "0", "tax": "180.00",
            "total_amount": "1180.00", "paid_amount": "1180.00", "due_amount": "0",
            "items": [{"item": salon.haircut.id, "quantity": 1, "rate": "1000.00"}]}
    refused = client.post("/api/billing/", json=body, headers=salon.headers)
    assert refused.status_code == 400, refused.get_json()
    assert refused.get_json() == {"paid_amount": ["Wallet balance is ₹100.00"]}
    assert bill_count() == 0 and balance(salon) == D("100.00")
    fund(salon, "1080.00")
    assert client.post("/api/billing/", json=body, headers=salon.headers).status_code == 201
    assert balance(salon) == D("0.00") and ledger_sums_to_balance(salon)


# --------------------------------------------------------------------------- returns, cancellations, later payments


def test_a_return_refunds_into_the_wallet_to_the_paisa(salon):
    fund(salon, "1500.00")
    bill = through_service(salon, [("wallet", "1012.00")])
    note = returns.create_return(salon.store, salon.owner, bill, returns.ReturnDraft(
        lines=[returns.ReturnLine(line_no=1, qty=1)], refund_mode="wallet"))
    db.session.commit()
    # The whole line back: its 1062.00 less its share (all) of the 50.00 bill discount = 1012.00.
    assert (note.total_amount, note.refund_amount, note.refund_mode) == (D("1012.00"), D("1012.00"), "wallet")
    assert balance(salon) == D("1500.00")
    entry = db.session.execute(select(WalletEntry).where(WalletEntry.kind == "refund")).scalar_one()
    assert (entry.amount, entry.credit_note_id, entry.bill_id) == (D("1012.00"), note.id, bill.id)
    assert ledger_sums_to_balance(salon)


def test_a_refund_to_the_wallet_needs_the_bills_customer(salon):
    draft = billing.BillDraft(lines=[billing.DraftLine(product=salon.haircut, qty=1)], payment_mode="cash",
                              payment_amount=D("1180.00"), payments=[billing.DraftPayment("cash", D("1180.00"))])
    bill = billing.save_bill(salon.store, salon.cashier, draft)
    db.session.commit()
    with pytest.raises(billing.ValidationError) as refused:
        returns.create_return(salon.store, salon.owner, bill, returns.ReturnDraft(
            lines=[returns.ReturnLine(line_no=1, qty=1)], refund_mode="wallet"))
    assert "refund_mode" in refused.value.errors


def test_cancelling_a_bill_gives_its_wallet_payment_back(salon):
    fund(salon, "1500.00")
    bill = through_service(salon, [("wallet", "612.00"), ("cash", "400.00")])
    assert balance(salon) == D("888.00")
    billing.cancel_bill(salon.store, salon.owner, bill, "Wrong customer")
    db.session.commit()
    assert balance(salon) == D("1500.00") and ledger_sums_to_balance(salon)


def test_a_later_payment_of_dues_from_the_wallet_is_checked_against_the_balance(salon):
    fund(salon, "100.00")
    draft = billing.BillDraft(lines=[billing.DraftLine(product=salon.haircut, qty=1)], customer=salon.asha,
                              payment_mode="none", payment_amount=D(0))
    bill = billing.save_bill(salon.store, salon.cashier, draft)
    db.session.commit()
    with pytest.raises(billing.ValidationError) as refused:
        billing.record_payment(salon.store, salon.cashier, bill, billing.DraftPayment("wallet", D("150.00")))
    assert refused.value.errors == {"amount": ["Wallet balance is ₹100.00"]}
    db.session.rollback()
    billing.record_payment(salon.store, salon.cashier, bill, billing.DraftPayment("wallet", D("100.00")))
    db.session.commit()
    assert balance(salon) == D("0.00") and db.session.get(Bill, bill.id).due_amount == D("1080.00")


# --------------------------------------------------------------------------- top-ups on the customer's page


@pytest.mark.parametrize("role", ["owner", "manager", "cashier"])
def test_a_top_up_on_the_customers_page_shows_in_the_balance_and_the_ledger(salon, client, role):
    sign_in(client, getattr(salon, role))
    url = f"/parties/customers/{salon.asha.id}"
    response = client.post_form(f"{url}/wallet", {"amount": "750.50", "pay_mode": "upi", "reference": "UPI-9"})
    assert response.status_code == 303
    assert balance(salon) == D("750.50")
    page = client.get(url).get_data(as_text=True)
    assert 'id="wallet-balance">₹750.50<' in page and "Top-up (UPI UPI-9)" in page


@pytest.mark.parametrize("form, field, message", [
    ({"amount": "", "pay_mode": "cash"}, "amount", "Enter the amount as a number"),
    ({"amount": "-5", "pay_mode": "cash"}, "amount", "Must be greater than 0"),
    ({"amount": "10.005", "pay_mode": "cash"}, "amount", "At most two decimals"),
    ({"amount": "10", "pay_mode": "wallet"}, "pay_mode", "Choose how the money was received"),
])
def test_a_bad_top_up_is_refused_beside_its_field_and_writes_nothing(salon, client, form, field, message):
    sign_in(client, salon.cashier)
    response = client.post_form(f"/parties/customers/{salon.asha.id}/wallet", form, htmx=True)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert response.get_data(as_text=True).lstrip().startswith('<form id="wallet-top-up"')
    assert balance(salon) == D("0.00") and db.session.execute(select(func.count(WalletEntry.id))).scalar_one() == 0


def test_another_stores_customer_cannot_be_topped_up(salon, client, make_store, make_customer):
    other = make_customer(make_store(), "Elsewhere", "+919822222222")
    sign_in(client, salon.cashier)
    assert client.post_form(f"/parties/customers/{other.id}/wallet", {"amount": "5", "pay_mode": "cash"}
                            ).status_code == 404


def test_a_top_up_is_money_in_of_the_day_close_and_the_day_book(salon):
    from services.reports import day_close, registers

    fund(salon, "500.00")
    wallet.top_up(salon.store, salon.cashier, salon.asha, D("300.00"), "upi")
    db.session.commit()
    bill = through_service(salon, [("wallet", "612.00"), ("upi", "400.00")])
    today = salon.store.local_today()
    expected = day_close.expected(salon.store, today)
    assert expected["cash"] == D("500.00") and expected["upi"] == D("700.00")  # top-ups + the bill's UPI
    book = registers.day_book(salon.store, salon.owner, today, today)[0]
    rows = [row for row in book.rows if row[1] in ("Wallet top-up", "Receipt (wallet)", "Receipt")]
    assert sorted((r[1], r[4], r[5]) for r in rows) == [
        ("Receipt", D("400.00"), D("400.00")), ("Receipt (wallet)", D("612.00"), None),
        ("Wallet top-up", D("300.00"), D("300.00")), ("Wallet top-up", D("500.00"), D("500.00"))]
    assert bill.paid_amount == D("1012.00")


def test_credit_wallet_is_the_memberships_entry_point(salon):
    entry = wallet.credit_wallet(salon.store, salon.owner, salon.asha, D("2000.00"), note="Gold plan")
    db.session.commit()
    assert (entry.kind, entry.amount, entry.balance) == ("membership_credit", D("2000.00"), D("2000.00"))
    with pytest.raises(billing.ValidationError):
        wallet.credit_wallet(salon.store, salon.owner, salon.asha, D("0"))


# --------------------------------------------------------------------------- suppliers have no wallet


def test_the_wallet_mode_is_refused_for_a_supplier_everywhere_and_writes_nothing(salon, make_supplier):
    supplier = make_supplier(salon.store, "Beauty Wholesale")
    bills_before, moves_before = bill_count(), db.session.execute(select(func.count(WalletEntry.id))).scalar_one()
    purchase = billing.BillDraft(lines=[billing.DraftLine(product=salon.haircut, qty=1, unit_price=D("500.00"))],
                                 customer=supplier, kind="purchase",
                                 payments=[billing.DraftPayment(mode="wallet", amount=D("100.00"))])
    with pytest.raises(billing.ValidationError) as refused:
        billing.save_bill(salon.store, salon.owner, purchase)
    assert wallet.NOT_FOR_SUPPLIERS in str(refused.value.errors)
    db.session.rollback()
    assert bill_count() == bills_before
    purchase.payments = []
    bill = billing.save_bill(salon.store, salon.owner, purchase)
    db.session.commit()
    with pytest.raises(billing.ValidationError) as refused:
        billing.record_payment(salon.store, salon.owner, bill, billing.DraftPayment("wallet", D("100.00")))
    assert refused.value.errors == {"mode": [wallet.NOT_FOR_SUPPLIERS]}
    db.session.rollback()
    from services.parties import ledger
    with pytest.raises(billing.ValidationError) as refused:
        ledger.receive_payment(salon.store, salon.owner, supplier, D("100.00"), "wallet")
    assert refused.value.errors == {"mode": [wallet.NOT_FOR_SUPPLIERS]}
    db.session.rollback()
    bill = db.session.get(Bill, bill.id)
    assert bill.paid_amount == D("0.00") and not bill.payments
    assert db.session.execute(select(func.count(WalletEntry.id))).scalar_one() == moves_before


# --------------------------------------------------------------------------- adjustments (owners, managers), audit


def wallet_audit() -> list:
    from models import AuditLog

    return list(db.session.execute(select(AuditLog).where(AuditLog.entity == "wallet").order_by(AuditLog.id))
                .scalars())


def test_a_top_up_is_audited_with_who_took_it(salon, client):
    sign_in(client, salon.cashier)
    client.post_form(f"/parties/customers/{salon.asha.id}/wallet", {"amount": "300", "pay_mode": "cash"})
    [row] = wallet_audit()
    assert (row.action, row.entity_id, row.user_id, row.store_id) == (
        "topup", str(salon.asha.id), salon.cashier.id, salon.store.id)
    assert row.before == {"balance": "0.00"} and row.after == {"balance": "300.00"}
    assert row.meta["amount"] == "300.00" and row.meta["pay_mode"] == "cash"


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_an_adjustment_puts_in_and_takes_out_with_reason_note_and_audit(salon, client, role):
    fund(salon, "500.00")
    user = getattr(salon, role)
    sign_in(client, user)
    url = f"/parties/customers/{salon.asha.id}"
    assert 'id="wallet-adjust"' in client.get(url).get_data(as_text=True)
    response = client.post_form(f"{url}/wallet/adjust", {"amount": "-120.50", "reason": "correction",
                                                         "note": "Double top-up on Monday"})
    assert response.status_code == 303
    response = client.post_form(f"{url}/wallet/adjust", {"amount": "20", "reason": "goodwill", "note": ""},
                                htmx=True)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == url
    assert balance(salon) == D("399.50") and ledger_sums_to_balance(salon)
    entries = db.session.execute(select(WalletEntry).where(WalletEntry.kind == "adjustment")
                                 .order_by(WalletEntry.id)).scalars().all()
    assert [(e.amount, e.balance, e.reference, e.note, e.pay_mode, e.user_id) for e in entries] == [
        (D("-120.50"), D("379.50"), "Correction of a mistake", "Double top-up on Monday", None, user.id),
        (D("20.00"), D("399.50"), "Goodwill (complaint or gesture)", None, None, user.id)]
    rows = [row for row in wallet_audit() if row.action == "adjustment"]
    assert [(row.user_id, row.before, row.after, row.meta["note"]) for row in rows] == [
        (user.id, {"balance": "500.00"}, {"balance": "379.50"}, "Double top-up on Monday"),
        (user.id, {"balance": "379.50"}, {"balance": "399.50"}, None)]
    page = client.get(url).get_data(as_text=True)
    assert "Adjustment: Correction of a mistake" in page and "Double top-up on Monday" in page


def test_an_adjustment_is_not_money_in_of_the_day_close(salon):
    from services.reports import day_close

    fund(salon, "100.00")
    wallet.adjust(salon.store, salon.owner, salon.asha, D("900.00"), "opening")
    db.session.commit()
    assert balance(salon) == D("1000.00")
    assert day_close.expected(salon.store, salon.store.local_today())["cash"] == D("100.00")


def test_an_adjustment_below_zero_is_refused_naming_the_balance_and_writes_nothing(salon, client):
    fund(salon, "100.00")
    before = len(wallet_audit())
    sign_in(client, salon.manager)
    response = client.post_form(f"/parties/customers/{salon.asha.id}/wallet/adjust",
                                {"amount": "-100.01", "reason": "write_off", "note": "x"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.lstrip().startswith('<form id="wallet-adjust"')
    assert "Wallet balance is ₹100.00: an adjustment cannot take it below zero" in body
    assert 'value="-100.01"' in body  # the form as typed
    assert balance(salon) == D("100.00") and len(wallet_audit()) == before
    assert db.session.execute(select(func.count(WalletEntry.id)).where(
        WalletEntry.kind == "adjustment")).scalar_one() == 0
    # The whole balance may be taken out: to zero, not below.
    assert client.post_form(f"/parties/customers/{salon.asha.id}/wallet/adjust",
                            {"amount": "-100", "reason": "write_off"}).status_code == 303
    assert balance(salon) == D("0.00")


@pytest.mark.parametrize("form, field, message", [
    ({"amount": "", "reason": "goodwill"}, "amount", "Enter the amount as a number"),
    ({"amount": "abc", "reason": "goodwill"}, "amount", "Enter the amount as a number"),
    ({"amount": "0", "reason": "goodwill"}, "amount", "Must not be 0"),
    ({"amount": "10.005", "reason": "goodwill"}, "amount", "At most two decimals"),
    ({"amount": "10", "reason": ""}, "reason", "Choose the reason"),
    ({"amount": "10", "reason": "bonus"}, "reason", "Choose the reason"),
    ({"amount": "10", "reason": "other", "note": "  "}, "note", "Say why in the note"),
    ({"amount": "10", "reason": "goodwill", "note": "x" * 256}, "note", "At most 255 characters"),
])
def test_a_bad_adjustment_is_refused_beside_its_field_and_writes_nothing(salon, client, form, field, message):
    sign_in(client, salon.owner)
    response = client.post_form(f"/parties/customers/{salon.asha.id}/wallet/adjust", form, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body
    assert f'id="adjust-{field}" ' in body and 'aria-invalid="true"' in body
    assert balance(salon) == D("0.00") and db.session.execute(select(func.count(WalletEntry.id))).scalar_one() == 0
    assert wallet_audit() == []


def test_a_cashier_cannot_adjust_a_wallet(salon, client):
    fund(salon, "100.00")
    sign_in(client, salon.cashier)
    url = f"/parties/customers/{salon.asha.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'id="wallet-top-up"' in page and 'id="wallet-adjust"' not in page
    response = client.post_form(f"{url}/wallet/adjust", {"amount": "-100", "reason": "write_off"})
    assert response.status_code == 403 and balance(salon) == D("100.00")
    with pytest.raises(PermissionDenied):
        wallet.adjust(salon.store, salon.cashier, salon.asha, D("5"), "goodwill")


def test_another_stores_customer_cannot_be_adjusted(salon, client, make_store, make_customer):
    other = make_customer(make_store(), "Elsewhere", "+919822222222")
    sign_in(client, salon.owner)
    assert client.post_form(f"/parties/customers/{other.id}/wallet/adjust",
                            {"amount": "5", "reason": "goodwill"}).status_code == 404
