"""Issue 15, loyalty points: the store sets points per ₹100 paid and a point's value; points are earned when a bill is
saved, taken back by returns and cancellations, redeemed at the till as a discount with a ledger; redeeming more
than the balance is refused, also under concurrency (PostgreSQL)."""
from __future__ import annotations

import re
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Bill, Customer, LoyaltyEntry
from services.accounts.store_settings import update_store_settings
from services.billing import bills as billing
from services.billing import returns
from services.errors import ValidationError
from services.parties import loyalty
from tests.fixtures_pos import sign_in
from tests.test_pos_after_save import save, scan


def scheme(shop, per_100="1", value="1") -> None:
    update_store_settings(shop.owner, shop.store, {"loyalty_per_100": per_100, "loyalty_point_value": value})
    db.session.commit()


def points_of(party) -> int:
    db.session.expire_all()
    return db.session.execute(select(Customer.loyalty_points).where(Customer.party_id == party.id)).scalar_one()


def ledger_sum(party) -> int:
    return db.session.execute(select(func.coalesce(func.sum(LoyaltyEntry.points), 0))
                              .where(LoyaltyEntry.party_id == party.id)).scalar_one()


@pytest.fixture
def customer(till_shop, make_customer):
    return make_customer(till_shop.store, "Ravi Kumar", loyalty_points=100)


@pytest.mark.parametrize("name, raw, message", [
    ("loyalty_per_100", "-1", "Must be from 0 to 100."), ("loyalty_per_100", "abc", "Must be a number."),
    ("loyalty_point_value", "1.234", "At most 2 decimal places."), ("loyalty_point_value", True, "Must be a number."),
    ("loyalty_point_value", "5000", "Must be from 0 to 1000."),
])
def test_the_scheme_settings_are_checked(till_shop, name, raw, message):
    with pytest.raises(ValidationError) as refused:
        update_store_settings(till_shop.owner, till_shop.store, {name: raw})
    assert refused.value.errors == {name: [message]}


def test_the_owner_sets_the_scheme_on_the_settings_page(client, till_shop):
    sign_in(client, till_shop.owner)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'id="loyalty_per_100"' in page and 'id="loyalty_point_value"' in page
    from tests.test_admin import settings_form

    form = settings_form(loyalty_per_100="2.5", loyalty_point_value="0.50")
    assert client.post_form("/admin/settings", form).status_code == 303
    refused = client.post_form("/admin/settings", settings_form(loyalty_per_100="-2"))
    assert refused.status_code == 422 and "Must be from 0 to 100." in refused.get_data(as_text=True)
    from services.accounts.billing_options import billing_options

    db.session.expire_all()
    options = billing_options(till_shop.store)
    assert (options.loyalty_per_100, options.loyalty_point_value) == (Decimal("2.50"), Decimal("0.50"))


def test_a_bill_earns_points_on_what_was_paid_and_the_ledger_says_so(client, till_shop, customer):
    scheme(till_shop, per_100="2")
    sign_in(client, till_shop.cashier)
    scan(client, till_shop.butter.barcode)  # 285 + 12% = 319.20 paid in cash
    client.post_form("/pos/customer", {"party_id": customer.id}, htmx=True)
    assert save(client).status_code == 200
    assert points_of(customer) == 106  # 100 + floor(319.20 x 2 / 100)
    entry = db.session.execute(select(LoyaltyEntry).where(LoyaltyEntry.kind == "earn")).scalar_one()
    assert (entry.points, entry.balance) == (6, 106) and ledger_sum(customer) == 106


def test_points_are_redeemed_at_the_till_as_a_discount(client, till_shop, customer):
    scheme(till_shop, per_100="1", value="1")
    sign_in(client, till_shop.cashier)
    scan(client, till_shop.butter.barcode)
    client.post_form("/pos/customer", {"party_id": customer.id}, htmx=True)
    page = client.post_form("/pos/payment", {"payment_mode": "cash", "loyalty_points": "40"},
                            htmx=True).get_data(as_text=True)
    assert "Ravi Kumar has 100" in page and "(with 40 points)" in page and "₹279.20" in page  # 319.20 - 40
    assert save(client).status_code == 200
    bill = db.session.execute(select(Bill)).scalar_one()
    assert bill.total_amount == Decimal("279.20") and bill.discount == Decimal("40.00")
    assert points_of(customer) == 100 - 40 + 2  # earned on the 279.20 paid
    kinds = db.session.execute(select(LoyaltyEntry.kind, LoyaltyEntry.points, LoyaltyEntry.value)
                               .where(LoyaltyEntry.bill_id == bill.id).order_by(LoyaltyEntry.id)).all()
    assert kinds == [("redeem", -40, Decimal("40.00")), ("earn", 2, Decimal("0.00"))]


def test_redeeming_more_than_the_balance_is_refused_at_the_till_and_at_save(client, till_shop, customer):
    scheme(till_shop)
    sign_in(client, till_shop.cashier)
    scan(client, till_shop.butter.barcode)
    client.post_form("/pos/customer", {"party_id": customer.id}, htmx=True)
    page = client.post_form("/pos/payment", {"payment_mode": "cash", "loyalty_points": "150"},
                            htmx=True).get_data(as_text=True)
    assert "Ravi Kumar has 100 points; redeem at most that." in page
    assert 'id="pos-save" disabled' in page
    # The service refuses it too (another till spent them meanwhile).
    draft = billing.BillDraft(lines=[billing.DraftLine(product=till_shop.salt, qty=1)], customer=customer,
                              loyalty_points=150, payments=[billing.DraftPayment("cash", Decimal("0.00"))])
    with pytest.raises(ValidationError) as refused:
        billing.save_bill(till_shop.store, till_shop.cashier, draft)
    assert "loyalty_points" in refused.value.errors
    db.session.rollback()


def test_a_return_takes_back_its_share_and_a_cancellation_the_rest_and_gives_back_what_was_redeemed(
        till_shop, customer):
    scheme(till_shop, per_100="10", value="1")
    draft = billing.BillDraft(lines=[billing.DraftLine(product=till_shop.butter, qty=2)], customer=customer,
                              loyalty_points=20, payments=[billing.DraftPayment("cash", Decimal("618.40"))])
    bill = billing.save_bill(till_shop.store, till_shop.manager, draft)  # 638.40 - 20 = 618.40 paid
    db.session.commit()
    assert points_of(customer) == 100 - 20 + 61
    returns.create_return(till_shop.store, till_shop.manager, bill, returns.ReturnDraft(
        lines=[returns.ReturnLine(line_no=1, qty=Decimal(1))], refund_mode="cash"))
    db.session.commit()
    back = -db.session.execute(select(LoyaltyEntry.points).where(LoyaltyEntry.kind == "return")).scalar_one()
    assert back == 30  # floor(61 x 309.20 / 618.40)
    billing.cancel_bill(till_shop.store, till_shop.manager, bill, "test")
    db.session.commit()
    assert points_of(customer) == 100  # the 20 redeemed given back, the 31 left of what it earned taken back
    assert ledger_sum(customer) == points_of(customer)


def test_nothing_is_taken_below_zero(till_shop, customer):
    scheme(till_shop, per_100="10", value="1")
    draft = billing.BillDraft(lines=[billing.DraftLine(product=till_shop.butter, qty=1)], customer=customer,
                              payments=[billing.DraftPayment("cash", Decimal("319.20"))])
    bill = billing.save_bill(till_shop.store, till_shop.manager, draft)
    db.session.commit()
    spend = billing.BillDraft(lines=[billing.DraftLine(product=till_shop.soap, qty=10)], customer=customer,
                              loyalty_points=131, payments=[billing.DraftPayment("cash", Decimal("341.00"))])
    billing.save_bill(till_shop.store, till_shop.manager, spend)  # 472 - 131 = 341 paid, earning 34
    db.session.commit()
    billing.cancel_bill(till_shop.store, till_shop.manager, bill, "test")  # earned 31: takes 31 of the 34 held
    db.session.commit()
    assert points_of(customer) == 3 and ledger_sum(customer) == 3


@pytest.mark.postgres_only
def test_two_tills_redeeming_the_same_points_at_once_one_is_refused(app, till_shop, customer):
    scheme(till_shop, per_100="0", value="1")
    store_id, user_id, party_id = till_shop.store.id, till_shop.cashier.id, customer.id
    written, outcomes = threading.Barrier(2), []

    def redeem(n: int):
        with app.app_context():
            from models import Store, User

            store, user = db.session.get(Store, store_id), db.session.get(User, user_id)
            bill = Bill(store_id=store_id, kind="sale", invoice_number=f"PTS{n}", party_id=party_id)
            db.session.add(bill)
            db.session.flush()
            written.wait()
            try:
                loyalty.after_sale(store, user, bill, 80)
                db.session.commit()
                outcomes.append("saved")
            except Exception as exc:
                db.session.rollback()
                outcomes.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ValidationError", "saved"]  # the clear refusal, not the CHECK constraint's error
    assert points_of(customer) == 20 and ledger_sum(customer) == 20


def test_the_customers_page_shows_the_points_ledger(client, till_shop, customer):
    scheme(till_shop, per_100="2")
    draft = billing.BillDraft(lines=[billing.DraftLine(product=till_shop.butter, qty=1)], customer=customer,
                              loyalty_points=10, payments=[billing.DraftPayment("cash", Decimal("309.20"))])
    bill = billing.save_bill(till_shop.store, till_shop.manager, draft)
    db.session.commit()
    sign_in(client, till_shop.cashier)
    page = client.get(f"/parties/customers/{customer.id}").get_data(as_text=True)
    assert 'id="loyalty-balance">96<' in page  # 100 - 10 + 6
    entries = page[page.index('id="loyalty-entries"'):]
    assert "Redeemed (₹10.00 off)" in entries and f">{bill.invoice_number}</a>" in entries and ">-10<" in entries
    assert "Earned" in entries and ">+6<" in entries and "Set by hand" in entries  # the opening 100


def test_the_till_shows_the_points_field_with_the_customer_and_the_refusal_out_of_band(client, till_shop, customer):
    """Choosing a customer swaps the payment form too (their points to redeem); a points figure over the balance is
    answered with the note beside the field out of band, as the payment form itself is left alone while typing."""
    scheme(till_shop)
    sign_in(client, till_shop.cashier)
    scan(client, till_shop.butter.barcode)
    chosen = client.post_form("/pos/customer", {"party_id": customer.id}, htmx=True).get_data(as_text=True)
    assert re.search(r'<form id="pos-payment"[^>]*hx-swap-oob="true"', chosen) and 'id="pos-loyalty"' in chosen
    answer = client.post_form("/pos/payment", {"payment_mode": "cash", "loyalty_points": "150"}, htmx=True)
    assert answer.headers.get("HX-Reswap") == "none"
    notes = re.findall(r'<small[^>]*id="pos-loyalty-error"[^>]*hx-swap-oob="true"[^>]*>([^<]*)</small>',
                       answer.get_data(as_text=True))
    assert notes == ["Ravi Kumar has 100 points; redeem at most that."]
    cleared = client.post_form("/pos/payment", {"payment_mode": "cash", "loyalty_points": "10"}, htmx=True)
    assert re.search(r'id="pos-loyalty-error"[^>]*hx-swap-oob="true"[^>]*></small>', cleared.get_data(as_text=True))
