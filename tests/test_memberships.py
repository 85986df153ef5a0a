"""Issue 16, memberships and packages: plans (page and service), selling one activates it for the bill's customer,
its benefits (membership discount through the pricing engine, sessions redeemed at 0 with a ledger row) apply on
later bills until expiry or until used up; a membership line needs a customer (till and Billing v1); cancelling the
bill that sold a plan ends it; the last session goes to one bill only (threads on PostgreSQL)."""
from __future__ import annotations

import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from extensions import db
from models import (
    BillItem,
    CustomerMembership,
    MembershipAllowance,
    MembershipPlan,
    MembershipSession,
    Product,
    WalletEntry,
)
from services.accounts.access import current_store_for
from services.billing import bills as billing
from services.billing.bills import BillDraft, DraftLine, DraftPayment
from services.errors import PermissionDenied, ValidationError
from services.parties import wallet
from services.salon import memberships
from services.salon.memberships import PlanInput
from tests.fixtures_pos import sign_in

D = Decimal


@pytest.fixture
def app_config_overrides(backend: str, tmp_path: Path) -> dict:
    """SQLite in a file, so the race test's threads each have their own connection."""
    if backend != "sqlite":
        return {}
    from config import engine_options

    url = f"sqlite:///{tmp_path / 'plans.db'}"
    return {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url)}


@pytest.fixture
def salon(make_user, make_product, make_customer):
    owner = make_user("planowner", business_kind="salon", store_name="Glow Salon")
    store = current_store_for(owner)
    shop = SimpleNamespace(store=store, owner=owner)
    shop.manager = make_user("planmanager", store=store, role="manager")
    shop.cashier = make_user("plancashier", store=store, role="cashier")
    shop.haircut = make_product(store, "Haircut", "500.00", type="service")
    shop.spa = make_product(store, "Hair Spa", "1200.00", type="service")
    shop.facial = make_product(store, "Facial", "799.00", type="service")
    shop.shampoo = make_product(store, "Shampoo 200ml", "349.00", quantity=20)
    shop.customer = make_customer(store, "Priya")
    return shop


def gold(shop, **changes):
    """The golden plan: ₹10,000 + 18 % GST, 10 % off services, 5 % off products, 2 haircuts, 365 days."""
    terms = dict(name="Gold", price=D("10000.00"), validity_days=365, gst_rate=D("18"),
                 service_discount=D("10"), product_discount=D("5"), prepaid_value=D("0"),
                 sessions=[(shop.haircut.id, 2)])
    terms.update(changes)
    plan = memberships.create_plan(shop.store, shop.owner, PlanInput(**terms))
    db.session.commit()
    return plan


def sell(shop, lines, *, customer=True, when=None, user=None, staff=None):
    """Save a paid sale of (product, qty[, line discount]) through save_bill; a line discount is "99" (flat ₹)."""
    draft = BillDraft(lines=[DraftLine(product=spec[0], qty=spec[1], discount_value=D(spec[2] if len(spec) > 2
                                                                                      else "0"), staff=staff)
                             for spec in lines],
                      customer=shop.customer if customer else None, billing_timestamp=when)
    total = billing.price_draft(shop.store, draft).totals.grand_total
    if total:
        draft.payments, draft.payment_mode = [DraftPayment("cash", total)], "cash"
    bill = billing.save_bill(shop.store, user or shop.owner, draft, now=when)
    db.session.commit()
    return bill


def amounts(item: BillItem):
    return (item.rate, item.discount_amount, item.membership_discount, item.taxable_amount, item.cgst_amount,
            item.sgst_amount, item.line_total)


# --------------------------------------------------------------------------- plans


def test_a_plan_is_sold_through_a_membership_item_kept_in_step(salon):
    plan = gold(salon)
    product = plan.product
    assert (product.type, product.product_name, product.unit_price, product.cgst_rate, product.sgst_rate) == (
        "membership", "Gold", D("10000.00"), D("9.00"), D("9.00"))
    memberships.update_plan(salon.store, salon.manager, plan, PlanInput(
        name="Gold Plus", price=D("12000"), validity_days=180, gst_rate=D("18"), service_discount=D("15"),
        sessions=[(salon.haircut.id, 4), (salon.spa.id, 1)]))
    db.session.commit()
    db.session.refresh(product)
    assert (product.product_name, product.unit_price) == ("Gold Plus", D("12000.00"))
    assert [(s.product_id, s.sessions) for s in plan.services] == [(salon.haircut.id, 4), (salon.spa.id, 1)]
    memberships.update_plan(salon.store, salon.owner, plan, PlanInput(
        name="Gold Plus", price=D("12000"), validity_days=180, service_discount=D("15"), active=False))
    db.session.commit()
    assert db.session.get(Product, product.id).archived  # an inactive plan cannot be sold


def test_a_cashier_may_not_make_plans(salon):
    with pytest.raises(PermissionDenied):
        memberships.create_plan(salon.store, salon.cashier, PlanInput(name="X", price=D("1"), validity_days=1,
                                                                      service_discount=D("5")))


def test_a_plan_needs_a_benefit_and_real_services(salon, make_store, make_product):
    other = make_product(make_store(), "Their haircut", type="service")
    with pytest.raises(ValidationError) as caught:
        memberships.create_plan(salon.store, salon.owner, PlanInput(name="Empty", price=D("1"), validity_days=30))
    assert "benefits" in caught.value.errors
    with pytest.raises(ValidationError) as caught:
        memberships.create_plan(salon.store, salon.owner, PlanInput(
            name="Bad", price=D("1"), validity_days=30, sessions=[(other.id, 2), (salon.shampoo.id, 1)]))
    assert caught.value.errors == {"sessions[0].product_id": ["Service not found in this store"],
                                   "sessions[1].product_id": ["Service not found in this store"]}
    assert db.session.execute(select(MembershipPlan)).first() is None


# --------------------------------------------------------------------------- golden bills


def test_golden_membership_sold_then_a_discounted_bill_with_a_session_redeemed(salon):
    plan = gold(salon)
    day = datetime(2026, 11, 27, 6, 0, tzinfo=timezone.utc)
    sold = sell(salon, [(plan.product, 1)], when=day)
    assert (sold.sub_total, sold.tax, sold.total_amount) == (D("11800.00"), D("1800.00"), D("11800.00"))
    held = db.session.execute(select(CustomerMembership)).scalar_one()
    assert (held.party_id, held.bill_id, held.starts_on.isoformat(), held.ends_on.isoformat(), held.status) == (
        salon.customer.id, sold.id, "2026-11-27", "2027-11-26", "active")
    assert [(a.name, a.sessions, a.used) for a in held.allowances] == [("Haircut", 2, 0)]

    later = day + timedelta(days=3)
    bill = sell(salon, [(salon.haircut, 1), (salon.spa, 1), (salon.facial, 1, "99"), (salon.shampoo, 1)],
                when=later)
    cut, spa, facial, shampoo = bill.items
    # The session: the haircut at its price, all of it off as the membership discount (the redeemed session).
    assert amounts(cut) == (D("500.00"), D("500.00"), D("500.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"))
    assert amounts(spa) == (D("1200.00"), D("120.00"), D("120.00"), D("1080.00"), D("97.20"), D("97.20"),
                            D("1274.40"))
    # Its own ₹99 off first, then 10 % of the ₹700 left.
    assert amounts(facial) == (D("799.00"), D("169.00"), D("70.00"), D("630.00"), D("56.70"), D("56.70"),
                               D("743.40"))
    # A product: 5 % of ₹349 = 17.45; 9 % of 331.55 = 29.8395 -> 29.84.
    assert amounts(shampoo) == (D("349.00"), D("17.45"), D("17.45"), D("331.55"), D("29.84"), D("29.84"),
                                D("391.23"))
    assert (bill.sub_total, bill.tax, bill.total_amount) == (D("2409.03"), D("367.48"), D("2409.03"))
    ledger = db.session.execute(select(MembershipSession)).scalar_one()
    assert (ledger.bill_id, ledger.bill_item_id, ledger.qty) == (bill.id, cut.id, 1)
    assert db.session.get(MembershipAllowance, ledger.allowance_id).used == 1


def test_no_benefit_after_expiry_or_once_the_sessions_are_used(salon):
    plan = gold(salon, validity_days=30, sessions=[(salon.haircut.id, 1)])
    day = datetime(2026, 11, 1, 6, 0, tzinfo=timezone.utc)
    sell(salon, [(plan.product, 1)], when=day)
    first = sell(salon, [(salon.haircut, 1)], when=day + timedelta(days=1))
    second = sell(salon, [(salon.haircut, 1)], when=day + timedelta(days=2))
    assert first.total_amount == D("0.00")
    # Used up: the haircut is a service like any other, at 10 % off (500 - 50 = 450 + 18 % GST).
    assert (second.items[0].rate, second.items[0].membership_discount, second.total_amount) == (
        D("500.00"), D("50.00"), D("531.00"))
    last_day = sell(salon, [(salon.spa, 1)], when=day + timedelta(days=29))
    expired = sell(salon, [(salon.spa, 1)], when=day + timedelta(days=30))
    assert last_day.items[0].membership_discount == D("120.00")
    assert (expired.items[0].membership_discount, expired.total_amount) == (D("0.00"), D("1416.00"))


def test_another_customer_gets_nothing(salon, make_customer):
    plan = gold(salon)
    sell(salon, [(plan.product, 1)])
    salon.customer = make_customer(salon.store, "Asha")
    bill = sell(salon, [(salon.haircut, 1)])
    assert (bill.items[0].membership_discount, bill.total_amount) == (D("0.00"), D("590.00"))


def test_the_prepaid_value_is_credited_to_the_wallet_and_pays_later_bills(salon):
    """Pay ₹10,000, get ₹12,000: the credit is in the customer's wallet (its ledger names the bill) and pays."""
    plan = gold(salon, price=D("10000"), gst_rate=D("0"), service_discount=D("0"), product_discount=D("0"),
                sessions=[], prepaid_value=D("12000"))
    sold = sell(salon, [(plan.product, 1)])
    assert db.session.execute(select(CustomerMembership.credit_amount)).scalar_one() == D("12000.00")
    party_id = salon.customer.id
    assert wallet.balance_of(salon.store, party_id) == D("12000.00")
    entry = db.session.execute(select(WalletEntry)).scalar_one()
    assert (entry.kind, entry.amount, entry.balance, entry.bill_id) == ("membership_credit", D("12000.00"),
                                                                        D("12000.00"), sold.id)
    draft = BillDraft(lines=[DraftLine(product=salon.haircut, qty=1)], customer=salon.customer)
    draft.payments, draft.payment_mode = [DraftPayment("wallet", D("590.00"))], "wallet"
    billing.save_bill(salon.store, salon.cashier, draft)
    db.session.commit()
    assert wallet.balance_of(salon.store, party_id) == D("11410.00")


def test_cancelling_a_prepaid_plan_takes_its_credit_back_and_is_refused_once_spent(salon):
    plan = gold(salon, price=D("1000"), gst_rate=D("0"), service_discount=D("0"), product_discount=D("0"),
                sessions=[], prepaid_value=D("1200"))
    party_id = salon.customer.id
    first = sell(salon, [(plan.product, 1)])
    billing.cancel_bill(salon.store, salon.manager, first, "wrong plan")
    db.session.commit()
    assert wallet.balance_of(salon.store, party_id) == D("0.00")
    kinds = db.session.execute(select(WalletEntry.kind, WalletEntry.amount).order_by(WalletEntry.id)).all()
    assert kinds == [("membership_credit", D("1200.00")), ("membership_credit", D("-1200.00"))]

    second = sell(salon, [(plan.product, 1)])
    draft = BillDraft(lines=[DraftLine(product=salon.spa, qty=1)], customer=salon.customer)
    draft.payments, draft.payment_mode = [DraftPayment("wallet", D("1180.00"))], "wallet"
    billing.save_bill(salon.store, salon.cashier, draft)
    db.session.commit()
    with pytest.raises(ValidationError) as caught:
        billing.cancel_bill(salon.store, salon.manager, second, "changed mind")
    db.session.rollback()
    assert "has been spent (Wallet balance is ₹20.00)" in caught.value.errors["bill"][0]
    assert db.session.execute(select(CustomerMembership.status).where(
        CustomerMembership.bill_id == second.id)).scalar_one() == "active"
    assert wallet.balance_of(salon.store, party_id) == D("20.00")


# --------------------------------------------------------------------------- refusals and cancelling


def test_a_membership_line_needs_a_customer_and_nothing_is_written(salon):
    plan = gold(salon)
    with pytest.raises(ValidationError) as caught:
        sell(salon, [(plan.product, 1)], customer=False)
    db.session.rollback()
    assert caught.value.errors == {"customer": [memberships.NEEDS_CUSTOMER]}
    assert db.session.execute(select(CustomerMembership)).first() is None


def test_a_plan_is_sold_one_at_a_time(salon):
    plan = gold(salon)
    with pytest.raises(ValidationError) as caught:
        sell(salon, [(plan.product, 2)])
    assert caught.value.errors == {"items[0].qty": [memberships.ONE_AT_A_TIME]}


def test_cancelling_the_bill_ends_an_unused_membership_and_refuses_a_used_one(salon):
    plan = gold(salon)
    sold = sell(salon, [(plan.product, 1)])
    billing.cancel_bill(salon.store, salon.manager, sold, "wrong customer")
    db.session.commit()
    assert db.session.execute(select(CustomerMembership.status)).scalar_one() == "cancelled"
    assert sell(salon, [(salon.haircut, 1)]).total_amount == D("590.00")  # no benefit any more

    again = sell(salon, [(plan.product, 1)])
    used = sell(salon, [(salon.haircut, 1)])
    with pytest.raises(ValidationError) as caught:
        billing.cancel_bill(salon.store, salon.manager, again, "changed mind")
    db.session.rollback()
    assert "has been used (1 session)" in caught.value.errors["bill"][0]
    # Cancelling the bill that took the session gives it back; then the sale can be cancelled.
    billing.cancel_bill(salon.store, salon.manager, used, "mistake")
    db.session.commit()
    assert db.session.execute(select(MembershipSession.reversed_at)).scalar_one() is not None
    billing.cancel_bill(salon.store, salon.manager, again, "changed mind")
    db.session.commit()
    statuses = db.session.execute(select(CustomerMembership.status).order_by(CustomerMembership.id)).scalars()
    assert list(statuses) == ["cancelled", "cancelled"]


# --------------------------------------------------------------------------- the race for the last session


@pytest.mark.postgres_only
@pytest.mark.slow
@pytest.mark.parametrize("left, qty", [(1, 1), (2, 3)], ids=["whole", "partial"])
def test_two_bills_racing_for_the_last_session_only_one_gets_it(app, salon, left, qty):
    """(2, 3): both bills price 3 haircuts as 2 sessions + 1 paid; only one takes the 2, the other is refused."""
    plan = gold(salon, sessions=[(salon.haircut.id, left)])
    sell(salon, [(plan.product, 1)])
    expected = billing.price_draft(salon.store, BillDraft(lines=[DraftLine(product=salon.haircut, qty=qty)],
                                                          customer=salon.customer)).totals.grand_total
    assert expected == (D("0.00") if qty == left else D("531.00"))
    store_id, party_id, haircut_id, owner_id = salon.store.id, salon.customer.id, salon.haircut.id, salon.owner.id
    barrier = threading.Barrier(2)

    def one(index: int) -> str:
        from models import Party, Store, User

        with app.app_context():
            try:
                store = db.session.get(Store, store_id)
                draft = BillDraft(lines=[DraftLine(product=db.session.get(Product, haircut_id), qty=qty)],
                                  customer=db.session.get(Party, party_id))
                # Both price the haircuts with the sessions left before either saves.
                assert billing.price_draft(store, draft).totals.grand_total == expected
                barrier.wait()
                try:
                    billing.save_bill(store, db.session.get(User, owner_id), draft)
                    db.session.commit()
                    return "redeemed"
                except ValidationError:
                    db.session.rollback()
                    return "refused"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = Counter(pool.map(one, range(2)))
    db.session.expire_all()
    assert outcomes == Counter({"redeemed": 1, "refused": 1})
    assert db.session.execute(select(MembershipAllowance.used)).scalar_one() == left
    assert db.session.execute(select(MembershipSession.qty)).scalars().all() == [left]


# --------------------------------------------------------------------------- surfaces


def test_the_till_refuses_a_membership_without_a_customer(client, salon):
    plan = gold(salon)
    salon.store.allow_walk_in = True
    db.session.commit()
    sign_in(client, salon.cashier)
    client.post_form("/pos/lines", {"product_id": plan.product.id}, htmx=True)
    client.post_form("/pos/payment", {"payment_mode": "cash"}, htmx=True)
    key = re.search(r'"bill_key": "(\w+)"', client.get("/pos").get_data(as_text=True)).group(1)
    response = client.post_form("/pos/save", {"idempotency_key": key}, htmx=True)
    assert response.status_code == 422
    assert "A bill with a membership needs a customer" in response.get_data(as_text=True)
    assert db.session.execute(select(CustomerMembership)).first() is None


def test_billing_v1_refuses_a_membership_without_a_customer_and_activates_one_with(client, salon, api_headers):
    from tests.fixtures_billing import cash_bill

    plan = gold(salon)
    url = f"/api/v1/billing/{salon.store.uid}/bills"
    body = cash_bill(plan.product.uid, item_type="membership")
    body["items"][0].update(cgst=9, sgst=9)
    del body["customer"]
    refused = client.post(url, json=body, headers=api_headers(salon.cashier))
    assert refused.status_code == 400
    assert refused.get_json()["success"] is False and "customer_id" in refused.get_json()["errors"]
    assert db.session.execute(select(CustomerMembership)).first() is None
    body["customer_id"] = salon.customer.uid
    saved = client.post(url, json=body, headers=api_headers(salon.cashier))
    assert saved.status_code == 201, saved.data
    held = db.session.execute(select(CustomerMembership)).scalar_one()
    assert (held.party_id, held.name, held.starts_on.isoformat()) == (salon.customer.id, "Gold", "2025-09-26")


def test_the_customer_page_shows_plans_sessions_and_expiry(client, salon):
    plan = gold(salon)
    sell(salon, [(plan.product, 1)])
    sell(salon, [(salon.haircut, 1)])
    sign_in(client, salon.cashier)
    page = client.get(f"/parties/customers/{salon.customer.id}").get_data(as_text=True)
    assert "Gold" in page and "Haircut: 1 of 2 left" in page
    held = db.session.execute(select(CustomerMembership)).scalar_one()
    assert held.ends_on.strftime("%d %b %Y") in page


def test_the_plans_page_makes_a_plan_and_words_its_errors(client, salon):
    sign_in(client, salon.manager)
    assert client.get("/memberships/plans").status_code == 200
    bad = client.post_form("/memberships/plans/new", {"name": "", "price": "abc", "validity_days": "0"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "A plan needs a name" in text and "Must be a number" in text and "whole number from 1" in text
    ok = client.post_form("/memberships/plans/new", {
        "name": "Silver", "price": "2999", "validity_days": "90", "gst_rate": "18", "service_discount": "10",
        "product_discount": "", "prepaid_value": "", "session_product_id": [str(salon.haircut.id), ""],
        "session_count": ["2", ""], "active": "1"})
    assert ok.status_code == 303
    plan = db.session.execute(select(MembershipPlan)).scalar_one()
    assert (plan.name, plan.price, plan.service_discount, [(s.product_id, s.sessions) for s in plan.services]) == (
        "Silver", D("2999.00"), D("10.00"), [(salon.haircut.id, 2)])
    sign_in(client, salon.cashier)
    assert client.get("/memberships/plans").status_code == 403


def test_the_database_refuses_more_sessions_used_than_held(salon):
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    plan = gold(salon, sessions=[(salon.haircut.id, 1)])
    sell(salon, [(plan.product, 1)])
    with pytest.raises(IntegrityError):
        db.session.execute(update(MembershipAllowance).values(used=MembershipAllowance.sessions + 1))
        db.session.flush()
    db.session.rollback()


def test_namaste_billing_refuses_a_membership_without_a_party_and_activates_one_with(client, salon, api_headers):
    plan = gold(salon)
    body = {"invoice_number": "NP-PLAN-1", "sub_total": "11800.00", "discount": "0", "tax": "1800.00",
            "total_amount": "11800.00", "paid_amount": "11800.00", "invoice_status": "Paid",
            "items": [{"item": plan.product.id, "quantity": "1", "rate": "10000.00"}]}
    refused = client.post("/api/billing/", json=body, headers=api_headers(salon.owner))
    assert refused.status_code == 400
    assert memberships.NEEDS_CUSTOMER in str(refused.get_json())
    assert db.session.execute(select(CustomerMembership)).first() is None
    saved = client.post("/api/billing/", json=body | {"party": salon.customer.id}, headers=api_headers(salon.owner))
    assert saved.status_code == 201, saved.get_json()
    assert db.session.execute(select(CustomerMembership.party_id)).scalar_one() == salon.customer.id


def test_the_engine_takes_the_membership_discount_after_the_line_discount_and_before_tax():
    from services.billing.pricing import LineInput, price_line

    mrp = price_line(LineInput(unit_price=D("1180.00"), qty=1, discount_value=D("0"), cgst_rate=D("9"),
                               sgst_rate=D("9"), price_includes_tax=True, membership_percent=D("10")))
    assert (mrp.base_amount, mrp.discount_amount, mrp.membership_discount, mrp.taxable_amount, mrp.cgst_amount,
            mrp.line_total) == (D("1180.00"), D("118.00"), D("118.00"), D("900.00"), D("81.00"), D("1062.00"))
    inter = price_line(LineInput(unit_price=D("333.33"), qty=3, discount_type="percent", discount_value=D("5"),
                                 cgst_rate=D("9"), sgst_rate=D("9"), membership_percent=D("12.5")), inter_state=True)
    # 999.99 - 50.00 (5 %) = 949.99; 12.5 % of it = 118.74875 -> 118.75; taxable 831.24; IGST 18 % = 149.62.
    assert (inter.discount_amount, inter.membership_discount, inter.taxable_amount, inter.igst_amount,
            inter.line_total) == (D("168.75"), D("118.75"), D("831.24"), D("149.62"), D("980.86"))


def test_the_edit_page_shows_the_plan_and_another_stores_plan_is_404(client, salon, make_user):
    plan = gold(salon)
    sign_in(client, salon.owner)
    page = client.get(f"/memberships/plans/{plan.id}/edit").get_data(as_text=True)
    assert 'value="Gold"' in page and 'value="10000.00"' in page and 'value="18"' in page
    changed = client.post_form(f"/memberships/plans/{plan.id}/edit", {
        "name": "Gold", "price": "11000", "validity_days": "365", "gst_rate": "18", "service_discount": "12",
        "session_product_id": [str(salon.haircut.id)], "session_count": ["3"], "active": "1"})
    assert changed.status_code == 303
    assert (plan.price, plan.product.unit_price, plan.services[0].sessions) == (D("11000.00"), D("11000.00"), 3)
    sign_in(client, make_user("rivalowner"))
    assert client.get(f"/memberships/plans/{plan.id}/edit").status_code == 404


# --------------------------------------------------------------------------- returns


def _return(shop, bill, line_no, qty=1):
    from services.billing.returns import ReturnDraft, ReturnLine, create_return

    note = create_return(shop.store, shop.manager, bill, ReturnDraft(lines=[ReturnLine(line_no, qty)],
                                                                     refund_mode="cash", reason="returned"))
    db.session.commit()
    return note


def test_returning_a_plan_ends_it_and_takes_its_wallet_credit_back(salon):
    """A plan bought and returned leaves no benefit behind (not a way to keep the discount and get the money)."""
    plan = gold(salon, prepaid_value=D("500"))
    sold = sell(salon, [(plan.product, 1)])
    assert wallet.balance_of(salon.store, salon.customer.id) == D("500.00")
    note = _return(salon, sold, 1)
    assert note.total_amount == D("11800.00")
    assert db.session.execute(select(CustomerMembership.status)).scalar_one() == "cancelled"
    assert wallet.balance_of(salon.store, salon.customer.id) == D("0.00")
    assert sell(salon, [(salon.haircut, 1)]).total_amount == D("590.00")  # no session, no discount


def test_a_used_plan_cannot_be_returned_and_a_returned_session_comes_back(salon):
    plan = gold(salon)
    sold = sell(salon, [(plan.product, 1)])
    used = sell(salon, [(salon.haircut, 1)])
    assert used.total_amount == D("0.00")
    with pytest.raises(ValidationError) as caught:
        _return(salon, sold, 1)
    db.session.rollback()
    assert "has been used (1 session): it cannot be returned" in caught.value.errors["bill"][0]
    assert db.session.execute(select(CustomerMembership.status)).scalar_one() == "active"

    _return(salon, used, 1)  # the haircut taken back: its session goes back to the plan
    allowance = db.session.execute(select(MembershipAllowance)).scalar_one()
    assert allowance.used == 0
    assert db.session.execute(select(MembershipSession.reversed_at)).scalar_one() is not None
    _return(salon, sold, 1)  # now unused: the plan can be returned
    assert db.session.execute(select(CustomerMembership.status)).scalar_one() == "cancelled"


# --------------------------------------------------------------------------- partial sessions (more units than left)


def test_the_engine_redeems_part_of_a_line_and_takes_the_percent_off_the_rest():
    from services.billing.pricing import LineInput, price_line

    # 3 haircuts at ₹500, 2 sessions: ₹1,000 off for them, 10 % of the third's ₹500; GST on the ₹450 left.
    line = price_line(LineInput(unit_price=D("500.00"), qty=3, cgst_rate=D("9"), sgst_rate=D("9"),
                                membership_sessions=2, membership_percent=D("10")))
    assert (line.base_amount, line.discount_amount, line.membership_discount, line.session_value,
            line.taxable_amount, line.cgst_amount, line.line_total) == (
        D("1500.00"), D("1050.00"), D("1050.00"), D("1000.00"), D("450.00"), D("40.50"), D("531.00"))
    # The line's own 10 % first (₹150): the sessions are 2/3 of the ₹1,350 left (₹900), 10 % of the ₹450 after.
    own = price_line(LineInput(unit_price=D("500.00"), qty=3, discount_type="percent", discount_value=D("10"),
                               cgst_rate=D("9"), sgst_rate=D("9"), membership_sessions=2, membership_percent=D("10")))
    assert (own.discount_amount, own.membership_discount, own.session_value, own.taxable_amount) == (
        D("1095.00"), D("945.00"), D("900.00"), D("405.00"))
    # Every unit a session: the line totals 0 whatever the percent, tax included or not.
    whole = price_line(LineInput(unit_price=D("590.00"), qty=2, cgst_rate=D("9"), sgst_rate=D("9"),
                                 price_includes_tax=True, membership_sessions=2, membership_percent=D("10")))
    assert (whole.base_amount, whole.membership_discount, whole.taxable_amount, whole.line_total) == (
        D("1180.00"), D("1180.00"), D("0.00"), D("0.00"))


def test_golden_a_line_with_more_units_than_sessions_left_redeems_them_and_prices_the_rest(salon):
    plan = gold(salon)  # 10 % off services, 2 haircuts
    sell(salon, [(plan.product, 1)])
    draft = BillDraft(lines=[DraftLine(product=salon.haircut, qty=3)], customer=salon.customer)
    estimate = billing.price_draft(salon.store, draft)
    bill = sell(salon, [(salon.haircut, 3)])
    cut, = bill.items
    assert (cut.qty, cut.rate, cut.base_amount) == (3, D("500.00"), D("1500.00"))
    # ₹1,000 for the 2 sessions + 10 % of the third haircut's ₹500; GST on the ₹450 paid for.
    assert amounts(cut) == (D("500.00"), D("1050.00"), D("1050.00"), D("450.00"), D("40.50"), D("40.50"),
                            D("531.00"))
    assert (bill.sub_total, bill.tax, bill.total_amount) == (D("531.00"), D("81.00"), D("531.00"))
    assert estimate.totals.grand_total == bill.total_amount  # the till's running total is the saved bill's
    ledger = db.session.execute(select(MembershipSession)).scalar_one()
    assert (ledger.bill_item_id, ledger.qty) == (cut.id, 2)
    assert db.session.execute(select(MembershipAllowance.used)).scalar_one() == 2
    # Used up: the next haircut is 10 % off only.
    assert sell(salon, [(salon.haircut, 1)]).total_amount == D("531.00")


def test_a_line_draws_sessions_from_two_memberships_the_one_ending_first_first(salon):
    short = gold(salon, name="Trial", price=D("100"), validity_days=30, service_discount=D("0"),
                 product_discount=D("0"), sessions=[(salon.haircut.id, 1)])
    long = gold(salon)
    sell(salon, [(short.product, 1), (long.product, 1)])
    bill = sell(salon, [(salon.haircut, 4)])
    cut, = bill.items
    # 1 + 2 sessions, the 4th haircut at 10 % off (the best percent held): 450 + 18 % GST.
    assert (cut.membership_discount, cut.taxable_amount, bill.total_amount) == (D("1550.00"), D("450.00"),
                                                                                 D("531.00"))
    taken = db.session.execute(select(MembershipAllowance.name, MembershipAllowance.used, CustomerMembership.name)
                               .join(CustomerMembership).order_by(CustomerMembership.ends_on)).all()
    assert taken == [("Haircut", 1, "Trial"), ("Haircut", 2, "Gold")]
    held = memberships.line_memberships(bill)[cut.id]
    assert (held.sessions, held.label, held.session_value, held.discount) == (
        3, "3 × Membership session (Trial, Gold)", D("1500.00"), D("50.00"))


def test_billing_v1_answers_a_partial_line_in_the_contracts_shape(client, salon, api_headers):
    from tests.fixtures_billing import cash_bill

    plan = gold(salon)
    sell(salon, [(plan.product, 1)], when=datetime(2025, 9, 26, 6, 0, tzinfo=timezone.utc))  # cash_bill's day
    url = f"/api/v1/billing/{salon.store.uid}/bills"
    plain = client.post(url, json=cash_bill(salon.spa.uid, item_type="service"), headers=api_headers(salon.owner))
    assert plain.status_code == 201, plain.data
    body = cash_bill(salon.haircut.uid, qty=3, item_type="service", customer_id=salon.customer.uid)
    body["items"][0].update(cgst=9, sgst=9)
    del body["customer"]
    saved = client.post(url, json=body, headers=api_headers(salon.owner))
    assert saved.status_code == 201, saved.data
    data = saved.get_json()["data"]
    item, = data["items"]
    assert set(item) == set(plain.get_json()["data"]["items"][0])  # no key added or renamed
    assert set(data["totals"]) == set(plain.get_json()["data"]["totals"])
    assert (item["line_no"], item["qty"], item["base_amount"], item["discount_amount"], item["cgst_amount"],
            item["line_total"]) == (1, 3, 1500.0, 1050.0, 40.5, 531.0)
    assert (data["totals"]["sub_total"], data["totals"]["grand_total"]) == (531.0, 531.0)
    # NamastePMS reads the same bill: one line of 3 at the haircut's rate, the same total.
    bill_id = db.session.execute(select(BillItem.bill_id).where(BillItem.product_id == salon.haircut.id)).scalar_one()
    read = client.get("/api/billing/", headers=api_headers(salon.owner))
    assert read.status_code == 200, read.data
    shown, = [bill for bill in read.get_json()["results"] if bill["id"] == bill_id]
    assert ([(i["quantity"], i["rate"]) for i in shown["items"]], shown["total_amount"]) == ([(3, "500.00")], "531.00")


def test_the_till_bill_page_invoice_and_receipt_label_sessions_and_the_membership_discount(client, salon):
    plan = gold(salon)
    sell(salon, [(plan.product, 1)])
    sign_in(client, salon.cashier)
    client.post_form("/pos/customer", {"party_id": salon.customer.id}, htmx=True)
    plans = client.get("/pos").get_data(as_text=True)
    ends = db.session.execute(select(CustomerMembership.ends_on)).scalar_one().strftime("%d %b %Y")
    assert 'id="pos-customer-plans"' in plans and "Haircut: 2 of 2 left" in plans  # the till, customer picked
    assert f"until {ends}" in plans and "10 % off services" in plans
    client.post_form("/pos/lines", {"product_id": salon.haircut.id}, htmx=True)
    line = client.post_form("/pos/lines/0", {"line": "0", "qty": "3", "discount_type": "flat",
                                             "discount_value": "0", "cgst": "9", "sgst": "9"}, htmx=True)
    html = line.get_data(as_text=True)
    assert "2 × Membership session (Gold) −₹1,000.00" in html and "Membership discount −₹50.00" in html
    client.post_form("/pos/payment", {"payment_mode": "cash"}, htmx=True)
    key = re.search(r'"bill_key": "(\w+)"', client.get("/pos").get_data(as_text=True)).group(1)
    assert client.post_form("/pos/save", {"idempotency_key": key}, htmx=True).status_code in (200, 303)
    item = db.session.execute(select(BillItem).where(BillItem.product_id == salon.haircut.id)).scalar_one()
    assert (item.qty, item.membership_discount, item.line_total) == (3, D("1050.00"), D("531.00"))
    bill_page = client.get(f"/bills/{item.bill_id}").get_data(as_text=True)
    links = [re.search(rf'id="{name}" href="([^"]+)"', bill_page).group(1) for name in ("print-a4", "print-receipt")]
    for url in [f"/bills/{item.bill_id}"] + links:
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, (url, re.findall(r"<p>.*?</p>", page))
        assert "2 × Membership session (Gold)" in page, url
        assert "Membership discount" in page and "50.00" in page, url
    from models import Bill
    from services.documents.invoices import invoice_document

    line, = invoice_document(db.session.get(Bill, item.bill_id), for_pdf=True).lines  # what the PDF prints
    assert (line.session_label, line.session_value, line.membership_discount, line.discount) == (
        "2 × Membership session (Gold)", D("1000.00"), D("50.00"), D("1050.00"))


def test_a_whole_session_line_says_so_on_the_bill_page(client, salon):
    plan = gold(salon, service_discount=D("0"))
    sell(salon, [(plan.product, 1)])
    bill = sell(salon, [(salon.haircut, 1), (salon.spa, 1)])
    sign_in(client, salon.cashier)
    page = client.get(f"/bills/{bill.id}").get_data(as_text=True)
    assert "Membership session (Gold) ₹500.00" in page and "× Membership" not in page
    assert "Membership discount" not in page  # no percent on this plan: nothing else is a membership discount


def test_a_partly_redeemed_line_is_returned_whole_giving_back_its_sessions_and_money(salon):
    from services.salon.commissions import commission_lines

    plan = gold(salon)
    sell(salon, [(plan.product, 1)])
    stylist = _stylist(salon, "percent", "10")
    bill = sell(salon, [(salon.haircut, 3)], staff=stylist)
    assert bill.items[0].commission_amount == D("45.00")  # 10 % of the ₹450 paid for, not of the sessions
    with pytest.raises(ValidationError) as caught:
        _return(salon, bill, 1, qty=1)
    db.session.rollback()
    assert caught.value.errors == {"items[0].qty": [
        "Line 1 (Haircut) was paid partly with membership sessions (2 of 3): return all of it (3) or none"]}
    note = _return(salon, bill, 1, qty=3)
    assert (note.taxable_amount, note.tax, note.total_amount) == (D("450.00"), D("81.00"), D("531.00"))
    assert db.session.execute(select(MembershipAllowance.used)).scalar_one() == 0
    assert db.session.execute(select(MembershipSession.reversed_at)).scalar_one() is not None
    today = salon.store.local_today(None)
    assert [line.commission for line in commission_lines(salon.store, today, today)] == [D("0.00")]


def test_a_session_line_returned_in_part_then_cancelled_gives_each_session_back_once(salon):
    plan = gold(salon, sessions=[(salon.haircut.id, 3)])
    sell(salon, [(plan.product, 1)])
    bill = sell(salon, [(salon.haircut, 3)])
    assert bill.total_amount == D("0.00")
    note = _return(salon, bill, 1, qty=1)
    assert note.total_amount == D("0.00")  # a session: nothing to refund, the session goes back
    allowance = db.session.execute(select(MembershipAllowance)).scalar_one()
    assert allowance.used == 2
    billing.cancel_bill(salon.store, salon.manager, bill, "mistake")
    db.session.commit()
    db.session.refresh(allowance)
    assert allowance.used == 0  # the other 2, not 3 again (the check constraint would refuse a negative)


def test_flat_commission_counts_every_haircut_served_sessions_too(salon):
    plan = gold(salon)
    sell(salon, [(plan.product, 1)])
    bill = sell(salon, [(salon.haircut, 3)], staff=_stylist(salon, "flat", "50"))
    assert bill.items[0].commission_amount == D("150.00")


def _stylist(shop, kind, value):
    from models import CommissionRule, Staff

    stylist = Staff(store_id=shop.store.id, name=f"Neha {kind}")
    db.session.add(stylist)
    db.session.flush()
    db.session.add(CommissionRule(store_id=shop.store.id, staff_id=stylist.id, kind=kind, value=D(value)))
    db.session.commit()
    return stylist


CONTRACT_ITEM_KEYS = {"line_no", "type", "id", "name", "staff_id", "qty", "discount_type", "discount_value",
                      "cgst_rate", "sgst_rate", "cgst_amount", "sgst_amount", "base_amount", "discount_amount",
                      "line_total", "igst_rate", "igst_amount", "taxable_amount", "unit", "price_includes_tax"}


def test_billing_v1_items_carry_their_membership_discount_as_an_extension(client, salon, api_headers):
    """Save, bill detail and returns: each item's `membership_discount` is the part of `discount_amount` that is the
    membership discount (an exact amount like the others, 0.00 when none); every contract key keeps its value."""
    from tests.fixtures_billing import cash_bill

    plan = gold(salon)
    sell(salon, [(plan.product, 1)], when=datetime(2025, 9, 26, 6, 0, tzinfo=timezone.utc))  # cash_bill's day
    url = f"/api/v1/billing/{salon.store.uid}/bills"
    headers = api_headers(salon.owner)
    plain = client.post(url, json=cash_bill(salon.spa.uid, item_type="service"), headers=headers)
    assert plain.status_code == 201, plain.data
    plain_item, = plain.get_json()["data"]["items"]
    assert plain_item["membership_discount"] == 0 and b'"membership_discount": 0.00' in plain.data
    body = cash_bill(salon.haircut.uid, qty=3, item_type="service", customer_id=salon.customer.uid)
    del body["customer"]
    body["items"].append({"line_no": 2, "type": "product", "id": salon.shampoo.uid, "qty": 3,
                          "discount_type": "flat", "discount_value": 1, "cgst": 0, "sgst": 0})
    saved = client.post(url, json=body, headers=headers)
    assert saved.status_code == 201, saved.data
    data = saved.get_json()["data"]
    cut, shampoo = data["items"]
    assert set(cut) == set(shampoo) == set(plain_item) == CONTRACT_ITEM_KEYS | {"membership_discount"}
    # The haircut: 2 sessions (1000.00) + 10 % of the third (50.00); the shampoo: ₹1 off, then 5 % of 1046.00.
    assert [(i["base_amount"], i["discount_amount"], i["membership_discount"], i["line_total"]) for i in (
        cut, shampoo)] == [(1500.0, 1050.0, 1050.0, 450.0), (1047.0, 53.3, 52.3, 993.7)]
    assert b'"membership_discount": 1050.00' in saved.data
    detail = client.get(f"{url}/{data['bill_id']}", headers=headers)
    assert detail.status_code == 200
    assert [i["membership_discount"] for i in detail.get_json()["data"]["items"]] == [1050.0, 52.3]

    def give_back(line_no, qty):
        answer = client.post(f"{url}/{data['bill_id']}/returns", json={"items": [{"line_no": line_no, "qty": qty}]},
                             headers=headers)
        assert answer.status_code == 201, answer.data
        assert b'"membership_discount": ' in answer.data
        item, = answer.get_json()["data"]["items"]
        return D(str(item["membership_discount"]))

    # The shampoo's 52.30 over three notes of one unit: 17.43, 34.87 - 17.43, the rest; they add up exactly.
    assert [give_back(2, 1) for _ in range(3)] == [D("17.43"), D("17.44"), D("17.43")]
    assert give_back(1, 3) == D("1050.00")
