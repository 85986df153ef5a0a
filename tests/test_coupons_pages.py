"""Coupons pages over the Flask test client (issue 15): the list (search, active or paused, the shared pager, the
HTMX fragment), adding and editing (audited), bad input (422 beside the fields, nothing written), pause and resume,
a coupon's page with its uses (bill, customer, discount) and the total discount; the engine's rules the page offers
through real bill saves (minimum bill value, uses per customer, case-blind codes, the discount each use gave);
another store's coupon (404) and the role matrix (cashiers: 403 everywhere). Both databases."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import AuditLog, Bill, Coupon, CouponUse
from services.billing import bills as billing
from services.billing.bills import BillDraft, DraftLine, NewCustomer
from services.billing.coupons import CouponTerms, create_coupon
from services.errors import ValidationError
from tests.fixtures_pos import sign_in

D = Decimal
GOOD = {"code": "diwali10", "kind": "percent", "value": "10", "valid_from": "2026-10-01", "valid_to": "2026-12-31",
        "max_uses": "100", "max_uses_per_customer": "2", "min_bill_value": "200", "active": "yes"}


def coupon(shop, code="SAVE10", kind="percent", value="10", store=None, user=None, **terms) -> Coupon:
    made = create_coupon(store or shop.store, user or shop.owner, CouponTerms.of(
        code=code, kind=kind, value=D(value), active=terms.pop("active", True), **terms))
    db.session.commit()
    return made


def count(model=Coupon) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def audits(action: str) -> list[AuditLog]:
    return list(db.session.execute(select(AuditLog).where(AuditLog.entity == "coupon", AuditLog.action == action)
                                   .order_by(AuditLog.id)).scalars())


def sell(shop, codes, product=None, qty=1, customer=None, user=None) -> Bill:
    """A bill saved through save_bill, the one path every till and API saves through."""
    bill = billing.save_bill(shop.store, user or shop.cashier, BillDraft(
        lines=[DraftLine(product or shop.soap, qty)], coupon_codes=list(codes), customer=customer))
    db.session.commit()
    return bill


def priya():
    return NewCustomer(name="Priya", phone_no="9876500001")


@pytest.fixture
def manager(client, till_shop):
    sign_in(client, till_shop.manager)
    return client


def listed(html: str) -> list[str]:
    return re.findall(r'<tr id="coupon-(\d+)"', html)


# --------------------------------------------------------------------------- the list


def test_the_list_search_and_status(manager, till_shop):
    a, b = coupon(till_shop, "WELCOME10"), coupon(till_shop, "FLAT50", "flat", "50", active=False)
    html = manager.get("/coupons").get_data(as_text=True)
    assert listed(html) == [str(b.id), str(a.id)] and "₹50.00" in html and "10%" in html
    assert 'href="/coupons"' in manager.get("/").get_data(as_text=True)  # the nav link
    assert listed(manager.get("/coupons?q=welc").get_data(as_text=True)) == [str(a.id)]
    assert listed(manager.get("/coupons?status=paused").get_data(as_text=True)) == [str(b.id)]
    assert listed(manager.get("/coupons?status=active").get_data(as_text=True)) == [str(a.id)]
    fragment = manager.hx_get("/coupons?q=flat&status=")
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and text.lstrip().startswith('<div id="coupons-results">')
    assert "<html" not in text
    assert fragment.headers["HX-Push-Url"] == "/coupons?q=flat"
    assert manager.get("/coupons?status=gone").status_code == 422
    assert listed(manager.get("/coupons?q=%25").get_data(as_text=True)) == []  # a LIKE wildcard is a character


def test_the_pager(manager, till_shop):
    for n in range(23):
        coupon(till_shop, f"C{n:02d}")
    first = manager.get("/coupons").get_data(as_text=True)
    assert len(listed(first)) == 20 and 'href="/coupons?page=2"' in first
    assert len(listed(manager.get("/coupons?page=2").get_data(as_text=True))) == 3


# --------------------------------------------------------------------------- adding, editing, pausing


def test_add_a_coupon(manager, till_shop):
    assert manager.get("/coupons/new").status_code == 200
    answer = manager.post_form("/coupons/new", GOOD)
    made = db.session.execute(select(Coupon)).scalar_one()
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/coupons/{made.id}")
    assert (made.code, made.kind, made.value, made.max_uses, made.max_uses_per_customer, made.min_bill_value,
            made.active) == ("DIWALI10", "percent", D("10.00"), 100, 2, D("200.00"), True)
    # the window is the store's calendar days (Asia/Kolkata), both ends included
    assert made.valid_from == datetime(2026, 9, 30, 18, 30, tzinfo=timezone.utc)
    assert made.valid_to == datetime(2026, 12, 31, 18, 29, 59, 999999, tzinfo=timezone.utc)
    assert audits("create")[-1].after["code"] == "DIWALI10"
    page = manager.get(f"/coupons/{made.id}").get_data(as_text=True)
    assert "valid 2026-10-01 to 2026-12-31" in page and "2 per customer" in page and "₹200.00" in page
    edit = manager.get(f"/coupons/{made.id}/edit").get_data(as_text=True)
    assert 'value="2026-10-01"' in edit and 'value="2026-12-31"' in edit and 'value="200.00"' in edit


@pytest.mark.parametrize("changes, field, message", [
    ({"code": ""}, "code", "This field is required."),
    ({"code": "NO SPACES"}, "code", "Use letters, digits, - and _ only"),
    ({"kind": "bogo"}, "kind", "Choose percent or flat."),
    ({"value": ""}, "value", "This field is required."),
    ({"value": "ten"}, "value", "Enter an amount as a number"),
    ({"value": "0"}, "value", "A percent coupon is more than 0 and at most 100."),
    ({"value": "100.01"}, "value", "A percent coupon is more than 0 and at most 100."),
    ({"kind": "flat", "value": "0"}, "value", "A flat coupon is more than 0."),
    ({"kind": "flat", "value": "-5"}, "value", "A flat coupon is more than 0."),
    ({"kind": "flat", "value": "1e20"}, "value", "Must be at most"),
    ({"kind": "flat", "value": "5.555"}, "value", "At most 2 decimals."),
    ({"valid_from": "2026-12-31", "valid_to": "2026-12-01"}, "valid_to", "The end date is before the start date."),
    ({"valid_from": "31/12/2026"}, "valid_from", "Enter a date as YYYY-MM-DD."),
    ({"max_uses": "0"}, "max_uses", "Must be a whole number above 0."),
    ({"max_uses": "-3"}, "max_uses", "Must be a whole number above 0."),
    ({"max_uses": "2.5"}, "max_uses", "Must be a whole number above 0."),
    ({"max_uses_per_customer": "0"}, "max_uses_per_customer", "Must be a whole number above 0."),
    ({"max_uses_per_customer": "lots"}, "max_uses_per_customer", "Must be a whole number above 0."),
    ({"min_bill_value": "-1"}, "min_bill_value", "Must be 0 or more."),
    ({"min_bill_value": "abc"}, "min_bill_value", "Enter an amount as a number"),
])
def test_bad_input_is_422_beside_the_field_and_nothing_written(manager, till_shop, changes, field, message):
    existing = coupon(till_shop, "KEEP", "flat", "20")
    answer = manager.post_form("/coupons/new", GOOD | changes)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(rf'data-field="{field}">{re.escape(message)}', html), html
    assert count() == 1 and len(audits("create")) == 1
    edit = manager.post_form(f"/coupons/{existing.id}/edit", GOOD | {"code": "KEEP"} | changes)
    assert edit.status_code == 422 and f'data-field="{field}"' in edit.get_data(as_text=True)
    db.session.expire_all()
    assert (existing.code, existing.kind, existing.value) == ("KEEP", "flat", D("20.00")) and audits("update") == []


def test_a_code_is_unique_in_the_store_whatever_its_case(manager, till_shop, make_user):
    from services.accounts.access import current_store_for

    coupon(till_shop, "DIWALI10")
    answer = manager.post_form("/coupons/new", GOOD | {"code": "Diwali10"})
    assert answer.status_code == 422 and "A coupon DIWALI10 already exists" in answer.get_data(as_text=True)
    assert count() == 1
    other = make_user("othershop")
    coupon(till_shop, "diwali10", store=current_store_for(other), user=other)  # another store may have it
    assert count() == 2
    with pytest.raises(IntegrityError):  # the database says so too, whatever the case
        db.session.add(Coupon(store_id=till_shop.store.id, code="diwali10", kind="flat", value=D(1)))
        db.session.flush()
    db.session.rollback()


def test_edit_audits_before_and_after(manager, till_shop):
    made = coupon(till_shop, "SAVE10")
    answer = manager.post_form(f"/coupons/{made.id}/edit", GOOD | {"code": "save15", "value": "15"})
    assert answer.status_code == 303
    db.session.expire_all()
    assert (made.code, made.value, made.min_bill_value) == ("SAVE15", D("15.00"), D("200.00"))
    row = audits("update")[-1]
    assert row.before["code"] == "SAVE10" and row.after["code"] == "SAVE15" and row.after["value"] == "15.00"
    assert row.user_id == till_shop.manager.id


def test_total_uses_cannot_go_below_the_uses_made(manager, till_shop):
    made = coupon(till_shop, "SAVE10")
    sell(till_shop, ["SAVE10"])
    sell(till_shop, ["SAVE10"])
    answer = manager.post_form(f"/coupons/{made.id}/edit", GOOD | {"code": "SAVE10", "max_uses": "1"})
    assert answer.status_code == 422 and "used 2 times already" in answer.get_data(as_text=True)


def test_pause_and_resume(manager, till_shop):
    made = coupon(till_shop, "SAVE10")
    assert manager.post_form(f"/coupons/{made.id}/pause").status_code == 303
    db.session.expire_all()
    assert made.active is False and audits("pause")[-1].after == {"active": False}
    with pytest.raises(ValidationError) as caught:
        sell(till_shop, ["SAVE10"])
    assert "not valid now" in caught.value.errors["coupon_codes[0]"][0]
    db.session.rollback()
    back = manager.post_form(f"/coupons/{made.id}/resume", {"next": "list"})
    assert back.status_code == 303 and back.headers["Location"].endswith("/coupons")
    db.session.expire_all()
    assert made.active is True and audits("resume")
    assert sell(till_shop, ["SAVE10"]).discount == D("4.72")  # 40 + 18 % = 47.20, 10 % off


# --------------------------------------------------------------------------- the engine's rules, through bill saves


def test_minimum_bill_value(till_shop):
    coupon(till_shop, "BIG", "flat", "50", min_bill_value=D("200"))
    with pytest.raises(ValidationError) as caught:
        sell(till_shop, ["big"], qty=4)  # 4 x 47.20 = 188.80
    assert caught.value.errors["coupon_codes[0]"] == ["Coupon BIG needs a bill of at least 200.00"]
    db.session.rollback()
    assert count(Bill) == 0 and count(CouponUse) == 0
    bill = sell(till_shop, ["big"], qty=5)  # 236.00
    assert (bill.discount, bill.total_amount, bill.coupon_codes) == (D("50.00"), D("186.00"), ["BIG"])


def test_the_till_says_a_minimum_not_reached_beside_the_coupon(client, till_shop):
    coupon(till_shop, "BIG", "flat", "50", min_bill_value=D("200"))
    sign_in(client, till_shop.cashier)
    client.post_form("/pos/lines", {"product_id": till_shop.soap.id}, htmx=True)
    html = client.post_form("/pos/payment", {"payment_mode": "cash", "coupon": "big"}, htmx=True).get_data(
        as_text=True)
    assert "Coupon BIG needs a bill of at least 200.00" in html


def test_uses_per_customer(till_shop):
    coupon(till_shop, "TWICE", "percent", "10", max_uses_per_customer=2)
    first, second = sell(till_shop, ["TWICE"], customer=priya()), sell(till_shop, ["twice"], customer=priya())
    assert first.party_id == second.party_id is not None
    with pytest.raises(ValidationError) as caught:
        sell(till_shop, ["TWICE"], customer=priya())
    assert "used 2 times by this customer" in caught.value.errors["coupon_codes[0]"][0]
    db.session.rollback()
    assert count(Bill) == 2
    other = sell(till_shop, ["TWICE"], customer=NewCustomer(name="Ravi", phone_no="9876500002"))
    assert other.discount == D("4.72")
    with pytest.raises(ValidationError) as caught:
        sell(till_shop, ["TWICE"])  # a walk-in: no customer to count for
    assert "choose the customer on the bill" in caught.value.errors["coupon_codes[0]"][0]
    db.session.rollback()
    used = db.session.execute(select(Coupon.uses).where(Coupon.code == "TWICE")).scalar_one()
    assert used == 3 and count(CouponUse) == 3


def test_total_uses_and_window_still_hold(till_shop):
    coupon(till_shop, "ONCE", "flat", "5", max_uses=1)
    sell(till_shop, ["ONCE"])
    with pytest.raises(ValidationError) as caught:
        sell(till_shop, ["ONCE"])
    assert "used up" in caught.value.errors["coupon_codes[0]"][0]
    db.session.rollback()
    today = till_shop.store.local_today()
    coupon(till_shop, "LATER", "flat", "5", valid_from=today + timedelta(days=1))
    coupon(till_shop, "TODAY", "flat", "5", valid_from=today, valid_to=today)
    with pytest.raises(ValidationError):
        sell(till_shop, ["LATER"])
    db.session.rollback()
    assert sell(till_shop, ["TODAY"]).discount == D("5.00")


def test_each_use_records_its_bill_customer_and_discount(till_shop):
    coupon(till_shop, "TEN", "percent", "10")
    coupon(till_shop, "FIVER", "flat", "5")
    bill = sell(till_shop, ["TEN", "fiver"], qty=2, customer=priya())  # 94.40: 9.44 + 5.00
    uses = {u.coupon_id: u for u in db.session.execute(select(CouponUse)).scalars()}
    assert bill.discount == D("14.44")
    assert sorted((u.discount, u.bill_id, u.party_id) for u in uses.values()) == [
        (D("5.00"), bill.id, bill.party_id), (D("9.44"), bill.id, bill.party_id)]


# --------------------------------------------------------------------------- a coupon's page


def test_a_coupons_page_shows_its_uses_and_the_total_discount(manager, till_shop):
    made = coupon(till_shop, "TEN", "percent", "10")
    assert "No bill has used this coupon yet." in manager.get(f"/coupons/{made.id}").get_data(as_text=True)
    a = sell(till_shop, ["TEN"], qty=2, customer=priya())  # 9.44
    b = sell(till_shop, ["TEN"], qty=1)  # 4.72, walk-in
    c = sell(till_shop, ["TEN"], qty=5, customer=priya())  # 23.60, then cancelled
    billing.cancel_bill(till_shop.store, till_shop.owner, c, "wrong items")
    db.session.commit()
    html = manager.get(f"/coupons/{made.id}").get_data(as_text=True)
    assert re.findall(r'<tr id="use-\d+">', html).__len__() == 3
    for bill in (a, b, c):
        assert bill.invoice_number in html and f'href="/bills/{bill.id}"' in html
    assert "Priya" in html and "Walk-in" in html and "9.44" in html and "4.72" in html and "23.60" in html
    assert re.search(r'id="coupon-uses">3<', html) and re.search(r'id="coupon-customers">1<', html)
    assert re.search(r'id="coupon-discount">₹14.16<', html)  # the cancelled bill's discount left out
    assert "cancelled" in html


def test_the_uses_pager_and_fragment(manager, till_shop):
    made = coupon(till_shop, "TEN", "percent", "10")
    for _ in range(22):
        sell(till_shop, ["TEN"])
    html = manager.get(f"/coupons/{made.id}").get_data(as_text=True)
    assert len(re.findall(r'<tr id="use-', html)) == 20 and f'href="/coupons/{made.id}?page=2"' in html
    second = manager.hx_get(f"/coupons/{made.id}?page=2").get_data(as_text=True)
    assert second.lstrip().startswith('<div id="coupon-uses-list">') and len(re.findall(r'<tr id="use-', second)) == 2


# --------------------------------------------------------------------------- tenancy and roles


def test_another_stores_coupon_is_404(manager, till_shop, make_user):
    from services.accounts.access import current_store_for

    other_owner = make_user("elsewhere")
    other = coupon(till_shop, "THEIRS", store=current_store_for(other_owner), user=other_owner)
    for url in (f"/coupons/{other.id}", f"/coupons/{other.id}/edit", "/coupons/99999999999"):
        assert manager.get(url).status_code == 404, url
    for url in (f"/coupons/{other.id}/edit", f"/coupons/{other.id}/pause", f"/coupons/{other.id}/resume"):
        assert manager.post_form(url, GOOD).status_code == 404, url
    db.session.expire_all()
    assert (other.code, other.active) == ("THEIRS", True) and audits("update") == audits("pause") == []
    assert str(other.id) not in listed(manager.get("/coupons").get_data(as_text=True))
    with pytest.raises(ValidationError):  # nor can a bill of this store use it
        sell(till_shop, ["THEIRS"])
    db.session.rollback()


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_owners_and_managers_open_every_page(client, till_shop, role):
    made = coupon(till_shop)
    sign_in(client, getattr(till_shop, role))
    for url in ("/coupons", "/coupons/new", f"/coupons/{made.id}", f"/coupons/{made.id}/edit"):
        assert client.get(url).status_code == 200, url


def test_a_cashier_is_refused_every_page_and_write(client, till_shop):
    made = coupon(till_shop)
    sign_in(client, till_shop.cashier)
    for url in ("/coupons", "/coupons/new", f"/coupons/{made.id}", f"/coupons/{made.id}/edit"):
        assert client.get(url).status_code == 403, url
    for url in ("/coupons/new", f"/coupons/{made.id}/edit", f"/coupons/{made.id}/pause",
                f"/coupons/{made.id}/resume"):
        assert client.post_form(url, GOOD).status_code == 403, url
    assert 'href="/coupons"' not in client.get("/").get_data(as_text=True)
    db.session.expire_all()
    assert count() == 1 and made.code == "SAVE10" and made.active and audits("update") == audits("pause") == []


# --------------------------------------------------------------------------- concurrency (PostgreSQL)

RACERS = 6


def test_the_last_use_per_customer_goes_to_one_bill_only(app, backend, till_shop):
    """Six tills save a bill for the same customer with a once-per-customer coupon at the same moment: one bill gets
    it, five are refused (the count is read under the store's invoice-counter lock)."""
    if backend != "postgresql":
        pytest.skip("threads with their own connections: PostgreSQL")
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from models import Party, Product, Store, User
    from services.parties.parties import CustomerInput, create_customer

    coupon(till_shop, "ONCE", "flat", "5", max_uses_per_customer=1)
    party = create_customer(till_shop.store, None, CustomerInput.of(name="Priya", phone_no="9876500001"))
    db.session.commit()
    ids = (till_shop.store.id, till_shop.cashier.id, till_shop.soap.id, party.id)
    barrier = threading.Barrier(RACERS)

    def one(_):
        with app.app_context():
            store, user = db.session.get(Store, ids[0]), db.session.get(User, ids[1])
            product, customer = db.session.get(Product, ids[2]), db.session.get(Party, ids[3])
            barrier.wait()
            try:
                billing.save_bill(store, user, BillDraft(lines=[DraftLine(product, 1)], coupon_codes=["once"],
                                                         customer=customer))
                db.session.commit()
                return "saved"
            except ValidationError as exc:
                db.session.rollback()
                return exc.errors["coupon_codes[0]"][0]
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        results = list(pool.map(one, range(RACERS)))
    assert results.count("saved") == 1, results
    assert all("by this customer already" in r for r in results if r != "saved")
    db.session.expire_all()
    assert count(CouponUse) == 1 and count(Bill) == 1


def test_a_code_given_twice_in_two_cases_is_refused(till_shop):
    coupon(till_shop, "TEN", "percent", "10")
    with pytest.raises(ValidationError) as caught:
        sell(till_shop, ["TEN", "ten"])
    assert caught.value.errors == {"coupon_codes[1]": ["Coupon TEN is given twice"]}
    db.session.rollback()
    assert count(Bill) == 0
