"""Issue 16 read through as its users would (the outside checker): the salon's points hit through Billing v1 and
NamastePMS JSON (the contracts' envelopes and error shapes) and through the pages (owner, receptionist, cashier).

The golden salon day (Glow Salon, Maharashtra; every amount by hand below):
  Gold plan: ₹10,000 + 18 % GST (9 + 9), 365 days, 10 % off services, 2 haircut sessions.
  Haircut ₹500 and Hair Spa ₹1,200 (services, 9 % + 9 %). Stylists Priya (10 % of the line's value, her default
  rule) and Ravi (₹100 flat per service, his default rule).
  A. Billing v1: the plan sold to Asha by Priya, paid by UPI. 10000 + 900 + 900 = 11800.00.
     Priya earns 10 % of 10000.00 = 1000.00.
  B. Billing v1: a Hair Spa by Priya (membership discount) and a haircut by Ravi (a session: its ₹500 all off),
     paid from the wallet (topped up with ₹2,000 in cash). Spa: 1200 - 10 % (120.00) = 1080.00; CGST = SGST =
     9 % of 1080 = 97.20; line 1274.40. Haircut: 0.00. Bill 1274.40; wallet 2000.00 - 1274.40 = 725.60. Priya: 10 % of
     1080.00 = 108.00; Ravi: ₹100 x 1 = 100.00 (a flat amount per service, the session included).
  C. Billing v1: another Hair Spa by Priya, 1274.40 as in B, split ₹700.00 wallet + ₹574.40 UPI. Wallet 725.60 -
     700.00 = 25.60. Priya 108.00.
  D. Billing v1 return of C's spa, refunded to the wallet: the whole line, 1274.40, so the wallet is 25.60 +
     1274.40 = 1300.00, and Priya's 108.00 on C is taken back (kept 0 of 1).
  E. The manager cancels B on the bill page: the wallet gets its 1274.40 back (1300.00 + 1274.40 = 2574.40), the
     haircut session goes back (2 of 2 left) and B's commissions (108.00 + 100.00) are gone.
  The report then: Priya 1000.00 (A only), Ravi nothing.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from extensions import db
from models import (
    Bill,
    CustomerMembership,
    InvoiceCounter,
    MembershipAllowance,
    PaymentMethod,
    Staff,
    WalletEntry,
)
from services.accounts.access import current_store_for
from services.parties import wallet
from services.salon import commissions, memberships
from services.salon import staff as staff_rules
from services.salon.commissions import RuleInput
from services.salon.memberships import PlanInput
from services.till import session as till_service
from tests.fixtures_pos import sign_in

D = Decimal


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def salon(app, make_user, make_product, make_customer, api_headers):
    owner = make_user("walkowner", business_kind="salon", store_name="Glow Salon", state_code="27",
                      state="Maharashtra")
    store = current_store_for(owner)
    shop = SimpleNamespace(store=store, owner=owner)
    shop.manager = make_user("walkmanager", store=store, role="manager")
    shop.cashier = make_user("walkreception", store=store, role="cashier")
    shop.haircut = make_product(store, "Haircut", "500.00", type="service", sku="HC-1")
    shop.spa = make_product(store, "Hair Spa", "1200.00", type="service", sku="SPA-1")
    shop.asha = make_customer(store, "Asha Patil", "+919800000001")
    shop.priya = staff_rules.create_staff(store, owner, staff_rules.StaffInput("Priya", "stylist"))
    shop.ravi = staff_rules.create_staff(store, owner, staff_rules.StaffInput("Ravi", "barber"))
    db.session.commit()
    for member, kind, value in ((shop.priya, "percent", "10"), (shop.ravi, "flat", "100")):
        commissions.add_rule(store, owner, RuleInput(staff_id=member.id, target="all", kind=kind, value=D(value)))
    shop.plan = memberships.create_plan(store, owner, PlanInput(
        name="Gold", price=D("10000.00"), validity_days=365, gst_rate=D("18"), service_discount=D("10"),
        product_discount=D("0"), prepaid_value=D("0"), sessions=[(shop.haircut.id, 2)]))
    db.session.commit()
    shop.headers = api_headers(owner)
    shop.cashier_headers = api_headers(shop.cashier)
    shop.url = f"/api/v1/billing/{store.uid}"
    return shop


# --------------------------------------------------------------------------- helpers


def line(product, line_no=1, staff=None, kind="service", discount_type="flat", discount_value=0, qty=1):
    return {"line_no": line_no, "type": kind, "id": product.uid, "staff_id": staff.uid if staff else None,
            "qty": qty, "discount_type": discount_type, "discount_value": discount_value, "cgst": 9, "sgst": 9}


def v1_body(shop, items, payments, customer=True):
    when = now_iso()
    total = sum((D(a) for _, a in payments), D(0))
    body = {"items": items,
            "payment_mode": "none" if not payments else payments[0][0] if len(payments) == 1 else "split",
            "payment_amount": float(total),
            "payments": [{"mode": m, "amount": float(a), "reference": None, "timestamp": when} for m, a in payments],
            "billing_timestamp": when}
    if customer:
        body["customer_id"] = shop.asha.uid
    return body


def post_bill(client, shop, body, key, headers=None):
    return client.post(f"{shop.url}/bills", json=body, headers={**(headers or shop.headers), "Idempotency-Key": key})


def saved(response) -> dict:
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def balance(shop) -> Decimal:
    db.session.expire_all()
    return wallet.balance_of(shop.store, shop.asha.id)


def ledger_sums_to_balance(shop) -> bool:
    total = db.session.execute(select(func.coalesce(func.sum(WalletEntry.amount), 0)).where(
        WalletEntry.party_id == shop.asha.id)).scalar_one()
    return D(total) == balance(shop)


def bill_count() -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count(Bill.id))).scalar_one()


def counter(store) -> int:
    return db.session.execute(select(func.coalesce(func.max(InvoiceCounter.next_value), 0)).where(
        InvoiceCounter.store_id == store.id)).scalar_one()


def fund(shop, amount: str) -> None:
    wallet.top_up(shop.store, shop.cashier, shop.asha, D(amount), "cash")
    db.session.commit()


def report(shop) -> dict:
    db.session.expire_all()
    today = shop.store.local_today()
    summary, _ = commissions.commission_report(shop.store, shop.owner, today, today)
    return {row[0]: (row[1], row[3]) for row in summary.rows if row[3]}


def bill_uid(bill_id: int) -> str:
    return db.session.get(Bill, bill_id).uid


def bill_of(data: dict) -> Bill:
    db.session.expire_all()
    return db.session.execute(select(Bill).where(Bill.uid == data["bill_id"])).scalar_one()


def sell_plan(client, shop, key="plan-1") -> dict:
    body = v1_body(shop, [line(shop.plan.product, staff=shop.priya, kind="membership")], [("upi", "11800.00")])
    return saved(post_bill(client, shop, body, key))


def spa_bill(shop, payments):
    return v1_body(shop, [line(shop.spa, 1, shop.priya)], payments)


# --------------------------------------------------------------------------- the golden salon day, through Billing v1


def test_golden_salon_day_through_billing_v1_and_the_bill_page(salon, client):
    # A. The plan sold: 10000 + 9 % + 9 % = 11800.00 by UPI; Priya 10 % of 10000.00 = 1000.00.
    a = sell_plan(client, salon)
    assert (a["totals"]["grand_total"], a["totals"]["paid"], a["status"]) == (11800.0, 11800.0, "paid")
    assert a["items"][0]["type"] == "membership" and a["items"][0]["staff_id"] == salon.priya.uid
    held = db.session.execute(select(CustomerMembership)).scalar_one()
    assert (held.party_id, held.status, held.starts_on) == (salon.asha.id, "active", salon.store.local_today())
    assert [i.commission_amount for i in bill_of(a).items] == [D("1000.00")]

    # B. Spa at 10 % off (1080.00 taxable, 97.20 + 97.20, 1274.40) + a haircut session at 0, paid from the wallet.
    fund(salon, "2000.00")
    body = v1_body(salon, [line(salon.spa, 1, salon.priya), line(salon.haircut, 2, salon.ravi)],
                   [("wallet", "1274.40")])
    b = saved(post_bill(client, salon, body, "b-1"))
    spa, cut = b["items"]
    assert (spa["base_amount"], spa["discount_amount"], spa["taxable_amount"], spa["cgst_amount"],
            spa["sgst_amount"], spa["line_total"]) == (1200.0, 120.0, 1080.0, 97.2, 97.2, 1274.4)
    # the session keeps the haircut's rate and all of it comes off as its membership discount: 500 - 500 = 0
    assert (cut["base_amount"], cut["discount_amount"], cut["line_total"]) == (500.0, 500.0, 0.0)
    assert (b["totals"]["grand_total"], b["totals"]["dues"], b["payments"][0]["mode"]) == (1274.4, 0.0, "wallet")
    assert balance(salon) == D("725.60")
    assert db.session.execute(select(MembershipAllowance.used)).scalar_one() == 1
    assert [i.commission_amount for i in bill_of(b).items] == [D("108.00"), D("100.00")]

    # C. Split: ₹700.00 wallet + ₹574.40 UPI = 1274.40; wallet 25.60; Priya 108.00.
    c = saved(post_bill(client, salon, spa_bill(salon, [("wallet", "700.00"), ("upi", "574.40")]), "c-1"))
    assert (c["totals"]["grand_total"], c["totals"]["paid"]) == (1274.4, 1274.4)
    assert sorted((p["mode"], p["amount"]) for p in c["payments"]) == [("upi", 574.4), ("wallet", 700.0)]
    assert balance(salon) == D("25.60")
    assert report(salon) == {"Priya": (3, D("1216.00")), "Ravi": (1, D("100.00"))}  # 1000 + 108 + 108; 100

    # D. C's spa returned through Billing v1, refunded to the wallet: 25.60 + 1274.40 = 1300.00; its 108.00 back.
    returned = client.post(f"{salon.url}/bills/{c['bill_id']}/returns",
                           json={"items": [{"line_no": 1, "qty": 1}], "refund_mode": "wallet", "reason": "allergy"},
                           headers={**salon.headers, "Idempotency-Key": "ret-c"})
    assert returned.status_code == 201, returned.get_json()
    note = returned.get_json()["data"]
    assert (note["refund_mode"], note["totals"]["grand_total"], note["totals"]["refund_amount"]) == (
        "wallet", 1274.4, 1274.4)
    assert balance(salon) == D("1300.00")
    assert report(salon) == {"Priya": (2, D("1108.00")), "Ravi": (1, D("100.00"))}

    # E. The manager cancels B on its page: the wallet's 1274.40 back, the session back, B's commissions gone.
    sign_in(client, salon.manager)
    cancelled = client.post_form(f"/bills/{bill_of(b).id}/cancel", {"reason": "Wrong customer"})
    assert cancelled.status_code == 303
    assert balance(salon) == D("2574.40") and ledger_sums_to_balance(salon)
    assert db.session.execute(select(MembershipAllowance.used)).scalar_one() == 0
    assert report(salon) == {"Priya": (1, D("1000.00"))}
    kinds = [k for (k,) in db.session.execute(select(WalletEntry.kind).order_by(WalletEntry.id))]
    assert kinds == ["topup", "payment", "payment", "refund", "cancel"]


def test_billing_v1_a_customer_object_of_a_known_phone_pays_from_that_customers_wallet(salon, client):
    fund(salon, "2000.00")
    body = spa_bill(salon, [("wallet", "1416.00")])  # no plan held: 1200.00 + 108.00 + 108.00
    del body["customer_id"]
    body["customer"] = {"name": "Asha", "contact_no": "+919800000001"}
    data = saved(post_bill(client, salon, body, "obj-1"))
    assert data["customer"]["id"] == salon.asha.uid and balance(salon) == D("584.00")


def test_billing_v1_a_plan_is_sold_one_at_a_time_in_the_contract_envelope(salon, client):
    body = v1_body(salon, [line(salon.plan.product, kind="membership", qty=2)], [("upi", "23600.00")])
    refused = post_bill(client, salon, body, "two-plans")
    assert refused.status_code == 400
    assert refused.get_json() == {"success": False, "message": memberships.ONE_AT_A_TIME,
                                  "errors": {"items[0].qty": [memberships.ONE_AT_A_TIME]}}
    assert bill_count() == 0 and db.session.execute(select(CustomerMembership)).first() is None


# --------------------------------------------------------------------------- staff per line


def test_billing_v1_staff_of_another_store_or_inactive_is_refused_in_the_contract_envelope(
        salon, client, make_store):
    elsewhere = make_store("Other Salon", business_kind="salon")
    theirs = Staff(store_id=elsewhere.id, name="Meera", role="stylist")
    db.session.add(theirs)
    db.session.commit()
    before = counter(salon.store)
    refused = post_bill(client, salon, v1_body(salon, [line(salon.spa, 1, theirs)], []), "other-staff")
    assert refused.status_code == 400
    assert refused.get_json() == {"success": False, "message": "Staff member not found in this store",
                                  "errors": {"items[0].staff_id": ["Staff member not found in this store"]}}
    staff_rules.set_active(salon.store, salon.owner, salon.priya, False)
    db.session.commit()
    inactive = post_bill(client, salon, v1_body(salon, [line(salon.spa, 1, salon.priya)], []), "inactive-staff")
    assert inactive.status_code == 400
    why = "Priya is inactive: choose an active staff member"
    assert inactive.get_json() == {"success": False, "message": why, "errors": {"items[0].staff_id": [why]}}
    assert bill_count() == 0 and counter(salon.store) == before
    # Held bills take the same rule (a held line cannot name a stylist who cannot serve it).
    held = client.post(f"{salon.url}/bills/hold", json=v1_body(salon, [line(salon.spa, 1, theirs)], []),
                       headers=salon.headers)
    assert held.status_code == 400 and held.get_json()["errors"] == {
        "items[0].staff_id": ["Staff member not found in this store"]}


def test_the_till_refuses_a_staff_member_of_another_store_on_a_line(salon, client, make_store):
    elsewhere = make_store("Other Salon", business_kind="salon")
    theirs = Staff(store_id=elsewhere.id, name="Meera", role="stylist")
    db.session.add(theirs)
    db.session.commit()
    sign_in(client, salon.cashier)
    client.post_form("/pos/scan", {"q": "SPA-1"}, htmx=True)
    form = {"qty": "1", "discount_type": "flat", "discount_value": "0", "cgst": "9", "sgst": "9",
            "staff_id": str(theirs.id)}
    refused = client.post_form("/pos/lines/0", form, htmx=True)
    assert refused.status_code == 422 and "Staff member not found in this store" in refused.get_data(as_text=True)
    assert till_service.state_of(till_service.load(salon.store, salon.cashier))["lines"][0]["staff_id"] is None


# --------------------------------------------------------------------------- a membership line needs a customer


def test_billing_v1_hold_of_a_membership_without_a_customer_is_refused(salon, client):
    body = v1_body(salon, [line(salon.plan.product, kind="membership")], [], customer=False)
    refused = client.post(f"{salon.url}/bills/hold", json=body, headers=salon.headers)
    assert refused.status_code == 400 and refused.get_json()["success"] is False
    assert set(refused.get_json()["errors"]) == {"customer_id"}


def test_the_till_shows_the_customers_plan_sessions_and_expiry_when_picked(salon, client):
    sell_plan(client, salon)
    sign_in(client, salon.cashier)
    picked = client.post_form("/pos/customer", {"party_id": str(salon.asha.id)}, htmx=True).get_data(as_text=True)
    ends = db.session.execute(select(CustomerMembership.ends_on)).scalar_one()
    assert "Gold" in picked and "Haircut: 2 of 2 left" in picked and ends.strftime("%d %b %Y") in picked


def test_the_till_sells_a_plan_and_the_next_bill_redeems_a_session_with_the_stylist(salon, client):
    """The receptionist sells the plan at the till and, on the next bill, the haircut is 0 (a session) with Ravi."""
    sign_in(client, salon.cashier)
    client.post_form("/pos/lines", {"product_id": salon.plan.product.id}, htmx=True)
    client.post_form("/pos/customer", {"party_id": str(salon.asha.id)}, htmx=True)
    client.post_form("/pos/payment", {"payment_mode": "upi"}, htmx=True)
    key = till_service.state_of(till_service.load(salon.store, salon.cashier))["key"]
    db.session.rollback()
    assert client.post_form("/pos/save", {"idempotency_key": key}, htmx=True).status_code == 200
    assert db.session.execute(select(CustomerMembership.status)).scalar_one() == "active"

    client.post_form("/pos/scan", {"q": "HC-1"}, htmx=True)
    client.post_form("/pos/customer", {"party_id": str(salon.asha.id)}, htmx=True)
    client.post_form("/pos/lines/0", {"qty": "1", "discount_type": "flat", "discount_value": "0", "cgst": "9",
                                      "sgst": "9", "staff_id": str(salon.ravi.id)}, htmx=True)
    client.post_form("/pos/payment", {"payment_mode": "none"}, htmx=True)
    key = till_service.state_of(till_service.load(salon.store, salon.cashier))["key"]
    db.session.rollback()
    assert client.post_form("/pos/save", {"idempotency_key": key}, htmx=True).status_code == 200
    db.session.expire_all()
    bill = db.session.execute(select(Bill).order_by(Bill.id.desc())).scalars().first()
    assert (bill.total_amount, bill.status, bill.items[0].staff_id, bill.items[0].commission_amount) == (
        D("0.00"), "paid", salon.ravi.id, D("100.00"))
    assert db.session.execute(select(MembershipAllowance.used)).scalar_one() == 1


# --------------------------------------------------------------------------- wallet: overdraw on every surface


def test_the_bill_page_refuses_a_wallet_payment_over_the_balance_beside_the_amount(salon, client):
    fund(salon, "100.00")
    data = saved(post_bill(client, salon, spa_bill(salon, []), "credit-1"))
    sign_in(client, salon.cashier)
    bill_id = bill_of(data).id
    refused = client.post_form(f"/bills/{bill_id}/payments", {"mode": "wallet", "amount": "150.00"}, htmx=True)
    assert refused.status_code == 422 and "Wallet balance is ₹100.00" in refused.get_data(as_text=True)
    assert balance(salon) == D("100.00") and bill_of(data).paid_amount == D("0.00")
    assert client.post_form(f"/bills/{bill_id}/payments", {"mode": "wallet", "amount": "100.00"}).status_code == 303
    # No plan here: the spa is 1200.00 + 108.00 + 108.00 = 1416.00; less the wallet's 100.00 = 1316.00 due.
    assert balance(salon) == D("0.00") and bill_of(data).due_amount == D("1316.00")


def test_the_customers_page_refuses_a_wallet_payment_over_the_balance_naming_the_whole_balance(salon, client):
    """Two bills' dues (no plan: 1416.00 each, 2832.00 in all) paid at once from a ₹1,500.00 wallet with ₹2,000.00:
    refused whole, naming the balance the customer has (₹1,500.00), not what was left after the first bill took
    its 1416.00 (₹84.00); nothing is taken."""
    fund(salon, "1500.00")
    saved(post_bill(client, salon, spa_bill(salon, []), "credit-1"))
    saved(post_bill(client, salon, spa_bill(salon, []), "credit-2"))
    sign_in(client, salon.manager)
    url = f"/parties/customers/{salon.asha.id}/payments"
    refused = client.post_form(url, {"mode": "wallet", "amount": "2000.00"}, htmx=True)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Wallet balance is ₹1,500.00" in text, text[:3000]
    assert balance(salon) == D("1500.00")
    assert client.post_form(url, {"mode": "wallet", "amount": "1500.00"}).status_code == 303
    assert balance(salon) == D("0.00") and ledger_sums_to_balance(salon)


def test_the_customers_page_takes_a_wallet_payment_of_the_opening_balance_from_the_wallet(
        salon, client, make_customer):
    """A customer brought in owing ₹500.00 (opening balance) pays ₹300.00 of it from a ₹300.00 wallet: the wallet
    is drawn to 0.00 (the opening balance is dues like a bill's), and ₹200.00 stays owed."""
    from services.parties import ledger

    meena = make_customer(salon.store, "Meena", "+919800000009", open_balance=D("500.00"))
    wallet.top_up(salon.store, salon.cashier, meena, D("300.00"), "cash")
    db.session.commit()
    sign_in(client, salon.manager)
    url = f"/parties/customers/{meena.id}/payments"
    refused = client.post_form(url, {"mode": "wallet", "amount": "400.00"}, htmx=True)
    assert refused.status_code == 422 and "Wallet balance is ₹300.00" in refused.get_data(as_text=True)
    assert client.post_form(url, {"mode": "wallet", "amount": "300.00"}).status_code == 303
    db.session.expire_all()
    assert wallet.balance_of(salon.store, meena.id) == D("0.00")
    assert ledger.opening_due(db.session.get(type(meena), meena.id)) == D("200.00")
    entry = db.session.execute(select(WalletEntry).where(WalletEntry.party_id == meena.id,
                                                         WalletEntry.kind == "payment")).scalar_one()
    assert (entry.amount, entry.balance, entry.bill_id) == (D("-300.00"), D("0.00"), None)


def test_namaste_update_marking_a_wallet_bill_paid_draws_from_the_wallet(salon, client):
    """A NamastePMS bill in the Wallet method saved unpaid and then marked paid by PUT (the contract's own update
    example): the wallet pays, or the update is refused naming the balance. It must not be paid from nothing."""
    fund(salon, "100.00")
    method = db.session.execute(select(PaymentMethod.id).where(PaymentMethod.name == "Wallet")).scalar_one()
    body = {"invoice_number": "NP-W-1", "invoice_date": "2026-11-27", "party": salon.asha.id,
            "payment_method": method, "invoice_status": "Unpaid", "sub_total": "1180.00", "discount": "0",
            "tax": "180.00", "total_amount": "1180.00", "paid_amount": "0", "due_amount": "1180.00",
            "items": [{"item": salon.spa.id, "quantity": 1, "rate": "1000.00"}]}
    created = client.post("/api/billing/", json=body, headers=salon.headers)
    assert created.status_code == 201, created.get_json()
    bill_id = created.get_json()["billing"]["id"]
    refused = client.put(f"/api/billing/?id={bill_id}", headers=salon.headers,
                         json={"invoice_status": "Paid", "paid_amount": "1180.00", "due_amount": "0.00"})
    assert refused.status_code == 400, refused.get_json()
    assert refused.get_json() == {"paid_amount": ["Wallet balance is ₹100.00"]}
    assert balance(salon) == D("100.00")
    fund(salon, "1080.00")
    paid = client.put(f"/api/billing/?id={bill_id}", headers=salon.headers,
                      json={"invoice_status": "Paid", "paid_amount": "1180.00", "due_amount": "0.00"})
    assert paid.status_code == 200, paid.get_json()
    assert balance(salon) == D("0.00") and ledger_sums_to_balance(salon)
    lowered = client.put(f"/api/billing/?id={bill_id}", headers=salon.headers, json={"paid_amount": "0.00"})
    assert lowered.status_code == 400 and list(lowered.get_json()) == ["paid_amount"]
    assert balance(salon) == D("0.00") and bill_of({"bill_id": bill_uid(bill_id)}).paid_amount == D("1180.00")


def test_namaste_wallet_bill_without_a_party_is_refused_on_paid_amount(salon, client):
    method = db.session.execute(select(PaymentMethod.id).where(PaymentMethod.name == "Wallet")).scalar_one()
    body = {"invoice_number": "NP-W-2", "payment_method": method, "sub_total": "1180.00", "tax": "180.00",
            "total_amount": "1180.00", "paid_amount": "1180.00",
            "items": [{"item": salon.spa.id, "quantity": 1, "rate": "1000.00"}]}
    refused = client.post("/api/billing/", json=body, headers=salon.headers)
    assert refused.status_code == 400
    assert refused.get_json() == {"paid_amount": ["A wallet payment needs the bill's customer: choose the customer "
                                                  "first."]}
    assert bill_count() == 0


# --------------------------------------------------------------------------- returns and cancellations


def test_a_return_on_the_bill_page_refunds_into_the_wallet_and_takes_the_commission_back(salon, client):
    # No plan: 1200.00 + 108.00 + 108.00 = 1416.00 from the wallet; Priya 10 % of 1200.00 = 120.00.
    fund(salon, "1416.00")
    data = saved(post_bill(client, salon, spa_bill(salon, [("wallet", "1416.00")]), "w-1"))
    assert balance(salon) == D("0.00") and report(salon) == {"Priya": (1, D("120.00"))}
    sign_in(client, salon.manager)
    done = client.post_form(f"/bills/{bill_of(data).id}/returns", {"qty-1": "1", "refund_mode": "wallet",
                                                                  "reason": "Not happy"})
    assert done.status_code == 303, done.get_data(as_text=True)[:1500]
    assert balance(salon) == D("1416.00") and ledger_sums_to_balance(salon)
    assert report(salon) == {}


def test_a_namaste_delete_gives_the_wallet_and_the_commission_back(salon, client):
    """A Billing v1 bill (wallet + UPI, Priya on the line) deleted through NamastePMS by the owner: the wallet's
    share comes back and the commission no longer counts."""
    # No plan: 1416.00 = 700.00 wallet + 716.00 UPI; Priya 10 % of 1200.00 = 120.00.
    fund(salon, "1000.00")
    data = saved(post_bill(client, salon, spa_bill(salon, [("wallet", "700.00"), ("upi", "716.00")]), "s-1"))
    assert balance(salon) == D("300.00") and report(salon) == {"Priya": (1, D("120.00"))}
    gone = client.delete(f"/api/billing/?id={bill_of(data).id}", headers=salon.headers)
    assert gone.status_code == 200 and gone.get_json() == {"message": "Billing deleted successfully!"}
    assert balance(salon) == D("1000.00") and ledger_sums_to_balance(salon)
    assert report(salon) == {}


def test_cancelling_gives_the_wallet_payment_back_to_whoever_paid_it_even_after_the_party_changed(
        salon, client, make_customer):
    """A bill paid from Asha's wallet, then put on Meena by a NamastePMS update (its header may change), then
    deleted: Asha's money goes back to Asha, not to Meena."""
    meena = make_customer(salon.store, "Meena", "+919800000009")
    fund(salon, "1416.00")
    data = saved(post_bill(client, salon, spa_bill(salon, [("wallet", "1416.00")]), "w-1"))
    bill_id = bill_of(data).id
    moved = client.put(f"/api/billing/?id={bill_id}", json={"party": meena.id}, headers=salon.headers)
    assert moved.status_code == 200, moved.get_json()
    assert client.delete(f"/api/billing/?id={bill_id}", headers=salon.headers).status_code == 200
    assert balance(salon) == D("1416.00") and ledger_sums_to_balance(salon)
    assert wallet.balance_of(salon.store, meena.id) == D("0.00")


def test_a_cashier_cannot_return_or_cancel_through_the_apis(salon, client):
    data = saved(post_bill(client, salon, spa_bill(salon, [("upi", "1416.00")]), "u-1"))
    returned = client.post(f"{salon.url}/bills/{data['bill_id']}/returns", headers=salon.cashier_headers,
                           json={"items": [{"line_no": 1, "qty": 1}], "refund_mode": "wallet"})
    assert returned.status_code == 403 and returned.get_json()["success"] is False
    gone = client.delete(f"/api/billing/?id={bill_of(data).id}", headers=salon.cashier_headers)
    assert gone.status_code == 403
    assert report(salon) == {"Priya": (1, D("120.00"))}


# --------------------------------------------------------------------------- refunds to the wallet: whose wallet


def two_spas(shop, client, payments, key) -> dict:
    """Two Hair Spas by Priya: 2 x (1200.00 + 108.00 + 108.00) = 2832.00."""
    body = v1_body(shop, [line(shop.spa, 1, shop.priya), line(shop.spa, 2, shop.priya)], payments)
    return saved(post_bill(client, shop, body, key))


def give_back(shop, client, data, line_no, mode="wallet") -> dict:
    answer = client.post(f"{shop.url}/bills/{data['bill_id']}/returns", headers=shop.headers,
                         json={"items": [{"line_no": line_no, "qty": 1}], "refund_mode": mode})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["data"]


def refunds_by_party(data) -> list:
    db.session.expire_all()
    return db.session.execute(select(WalletEntry.party_id, WalletEntry.amount).where(
        WalletEntry.bill_id == bill_of(data).id, WalletEntry.kind.in_(("refund", "cancel")))
        .order_by(WalletEntry.id)).all()


def test_a_wallet_refund_after_the_party_changed_goes_back_to_the_wallet_that_paid_first(salon, client,
                                                                                      make_customer):
    """Paid 2000.00 from Asha's wallet + 832.00 UPI, then put on Meena (NamastePMS PUT). Returning a spa (1416.00)
    to the wallet gives it to Asha (her wallet paid it); the second (1416.00): Asha's last 584.00, and the 832.00
    that no wallet paid goes to the bill's customer now, Meena."""
    meena = make_customer(salon.store, "Meena", "+919800000009")
    fund(salon, "2000.00")
    data = two_spas(salon, client, [("wallet", "2000.00"), ("upi", "832.00")], "p-1")
    moved = client.put(f"/api/billing/?id={bill_of(data).id}", json={"party": meena.id}, headers=salon.headers)
    assert moved.status_code == 200, moved.get_json()
    assert give_back(salon, client, data, 1)["totals"]["refund_amount"] == 1416.0
    assert balance(salon) == D("1416.00") and wallet.balance_of(salon.store, meena.id) == D("0.00")
    give_back(salon, client, data, 2)
    assert balance(salon) == D("2000.00") and ledger_sums_to_balance(salon)
    assert wallet.balance_of(salon.store, meena.id) == D("832.00")
    assert refunds_by_party(data) == [(salon.asha.id, D("1416.00")), (salon.asha.id, D("584.00")),
                                      (meena.id, D("832.00"))]


def test_a_wallet_refund_of_a_bill_nobody_moved_goes_to_its_customer_whole(salon, client):
    fund(salon, "2000.00")
    data = two_spas(salon, client, [("wallet", "2000.00"), ("upi", "832.00")], "p-2")
    give_back(salon, client, data, 1)
    give_back(salon, client, data, 2)
    assert balance(salon) == D("2832.00") and ledger_sums_to_balance(salon)  # the UPI part too: she chose the wallet
    assert refunds_by_party(data) == [(salon.asha.id, D("1416.00")), (salon.asha.id, D("1416.00"))]


def test_a_wallet_refund_with_no_customer_left_gives_the_wallet_part_back_and_refuses_the_rest(
        salon, client):
    """A bill taken off its customer (NamastePMS PUT party null): the wallet's money still has a home, the UPI
    part has none in the wallet mode (400 on refund_mode, nothing written)."""
    fund(salon, "1000.00")
    data = two_spas(salon, client, [("wallet", "1000.00"), ("upi", "1832.00")], "p-3")
    moved = client.put(f"/api/billing/?id={bill_of(data).id}", json={"party": None}, headers=salon.headers)
    if moved.status_code != 200:
        pytest.skip(f"NamastePMS does not take a bill off its party: {moved.get_json()}")
    refused = client.post(f"{salon.url}/bills/{data['bill_id']}/returns", headers=salon.headers,
                          json={"items": [{"line_no": 1, "qty": 1}], "refund_mode": "wallet"})
    assert refused.status_code == 400 and "refund_mode" in refused.get_json()["errors"]
    assert balance(salon) == D("0.00") and refunds_by_party(data) == []


@pytest.mark.parametrize("mode, wallet_after", [("wallet", "2832.00"), ("cash", "1416.00")])
def test_cancelling_after_a_return_gives_the_wallet_only_what_the_bill_still_holds(salon, client, mode,
                                                                                   wallet_after):
    """Paid 2832.00 from the wallet; one spa returned (1416.00 refunded to the wallet, or in cash); then the bill
    is cancelled: the wallet gets the 1416.00 still held, not the whole 2832.00 again."""
    fund(salon, "2832.00")
    data = two_spas(salon, client, [("wallet", "2832.00")], "p-4")
    give_back(salon, client, data, 1, mode)
    gone = client.delete(f"/api/billing/?id={bill_of(data).id}", headers=salon.headers)
    assert gone.status_code == 200, gone.get_json()
    assert balance(salon) == D(wallet_after) and ledger_sums_to_balance(salon)
