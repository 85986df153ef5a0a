"""Staff (issue 16): the /staff page (owners and managers add, edit, deactivate and reactivate staff; cashiers 403;
another store's staff 404; bad input 422 beside its field with nothing written), and the rule every surface applies
to a line's staff member (services.salon.staff.line_staff_problem): only ACTIVE staff of the store, refused in the
till's and Billing v1's own formats; the staff member shown on the bill page, the invoice and the receipt."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, Bill, Staff
from services.billing import bills as billing
from services.salon import staff as staff_rules
from tests.fixtures_pos import sign_in

D = Decimal
WHEN = "2025-09-26T11:29:00.000Z"


@pytest.fixture
def salon(app, make_user, make_product, make_customer, api_headers):
    from services.accounts.access import current_store_for

    owner = make_user("staffowner", business_kind="salon", store_name="Glow Salon")
    store = current_store_for(owner)

    class Shop:
        pass

    shop = Shop()
    shop.store, shop.owner = store, owner
    shop.manager = make_user("staffmanager", store=store, role="manager")
    shop.cashier = make_user("staffcashier", store=store, role="cashier")
    shop.haircut = make_product(store, "Haircut", unit_price="300.00", type="service", sku="HC-1")
    shop.headers = api_headers(owner)
    shop.url = f"/api/v1/billing/{store.uid}"
    return shop


def staff_rows() -> list[tuple]:
    db.session.expire_all()
    return [(s.name, s.role, s.phone, s.active, s.user_id) for s in
            db.session.execute(select(Staff).order_by(Staff.id)).scalars()]


def add(shop, name="Priya", role="stylist", **fields) -> Staff:
    member = staff_rules.create_staff(shop.store, shop.owner, staff_rules.StaffInput(name=name, role=role, **fields))
    db.session.commit()
    return member


# --------------------------------------------------------------------------- the page


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_owners_and_managers_add_edit_deactivate_and_reactivate_staff(salon, client, role):
    sign_in(client, getattr(salon, role))
    assert client.get("/staff").status_code == 200
    created = client.post_form("/staff", {"name": "Priya", "phone": "98765 43210", "role": "therapist",
                                          "user_id": str(salon.cashier.id)})
    assert created.status_code == 303
    assert staff_rows() == [("Priya", "therapist", "+919876543210", True, salon.cashier.id)]
    member = db.session.execute(select(Staff)).scalar_one()
    page = client.get("/staff").get_data(as_text=True)
    assert "Priya" in page and "Therapist" in page and "staffcashier" in page
    assert client.get(f"/staff/{member.id}/edit").status_code == 200
    client.post_form(f"/staff/{member.id}/edit", {"name": "Priya S", "phone": "", "role": "stylist", "user_id": ""})
    assert staff_rows() == [("Priya S", "stylist", None, True, None)]
    assert client.post_form(f"/staff/{member.id}/deactivate").status_code == 303
    assert staff_rows()[0][3] is False and "Reactivate" in client.get("/staff").get_data(as_text=True)
    client.post_form(f"/staff/{member.id}/reactivate")
    assert staff_rows()[0][3] is True
    actions = db.session.execute(select(AuditLog.action).where(AuditLog.entity == "staff").order_by(AuditLog.id))
    assert list(actions.scalars()) == ["create", "update", "deactivate", "activate"]


@pytest.mark.parametrize("method, path", [("get", "/staff"), ("post", "/staff"), ("get", "/staff/{id}/edit"),
                                          ("post", "/staff/{id}/edit"), ("post", "/staff/{id}/deactivate"),
                                          ("post", "/staff/{id}/reactivate")])
def test_cashiers_get_403_on_every_staff_page(salon, client, method, path):
    member = add(salon)
    sign_in(client, salon.cashier)
    url = path.format(id=member.id)
    response = client.get(url) if method == "get" else client.post_form(url, {"name": "X", "role": "stylist"})
    assert response.status_code == 403
    assert staff_rows() == [("Priya", "stylist", None, True, None)]


def test_another_stores_staff_member_is_a_404(salon, client, make_user):
    from services.accounts.access import current_store_for

    elsewhere = current_store_for(make_user("otherowner"))
    other = Staff(store_id=elsewhere.id, name="Outsider")
    db.session.add(other)
    db.session.commit()
    sign_in(client, salon.manager)
    assert client.get(f"/staff/{other.id}/edit").status_code == 404
    assert client.post_form(f"/staff/{other.id}/deactivate").status_code == 404
    assert db.session.get(Staff, other.id).active is True


@pytest.mark.parametrize("form, field_message", [
    ({"name": "", "role": "stylist"}, "Enter the staff member&#39;s name."),
    ({"name": "Priya", "role": "wizard"}, "Choose one of: stylist"),
    ({"name": "Priya", "role": "stylist", "phone": "12"}, "Enter a mobile number"),
    ({"name": "Priya", "role": "stylist", "user_id": "999999"}, "Choose a login of a member of this store."),
    ({"name": "Priya", "role": "stylist", "user_id": "abc"}, "Choose a login of a member of this store."),
])
def test_bad_staff_input_is_refused_beside_its_field_and_writes_nothing(salon, client, form, field_message):
    sign_in(client, salon.manager)
    response = client.post_form("/staff", form)
    assert response.status_code == 422 and field_message in response.get_data(as_text=True)
    assert staff_rows() == []


def test_a_login_of_another_store_or_already_linked_is_refused(salon, make_user):
    outsider = make_user("notamember")
    with pytest.raises(billing.ValidationError) as refused:
        staff_rules.create_staff(salon.store, salon.owner, staff_rules.StaffInput("A", user_id=outsider.id))
    assert "user_id" in refused.value.errors
    db.session.rollback()
    add(salon, "Priya", user_id=salon.cashier.id)
    with pytest.raises(billing.ValidationError) as refused:
        staff_rules.create_staff(salon.store, salon.owner, staff_rules.StaffInput("B", user_id=salon.cashier.id))
    assert refused.value.errors == {"user_id": ["That login is already linked to Priya."]}


# --------------------------------------------------------------------------- only active staff on a line


def test_the_till_refuses_an_inactive_staff_member_on_a_line(salon, client):
    priya = add(salon)
    sign_in(client, salon.cashier)
    client.post_form("/pos/scan", {"q": "HC-1"}, htmx=True)
    form = {"qty": "1", "discount_type": "percent", "discount_value": "0", "cgst": "9", "sgst": "9",
            "staff_id": str(priya.id)}
    assert client.post_form("/pos/lines/0", form, htmx=True).status_code == 200
    staff_rules.set_active(salon.store, salon.owner, db.session.get(Staff, priya.id), False)
    db.session.commit()
    assert ">Priya</option>" not in client.get("/pos").get_data(as_text=True)  # only active staff offered
    refused = client.post_form("/pos/lines/0", form, htmx=True)
    assert refused.status_code == 422 and "Priya is inactive: choose an active staff member" in refused.get_data(
        as_text=True)
    key = client.get("/pos").get_data(as_text=True).split('name="idempotency_key" value="')[1].split('"')[0]
    saved = client.post_form("/pos/save", {"idempotency_key": key}, htmx=True)  # the line chosen before
    assert saved.status_code == 422 and "Priya is inactive" in saved.get_data(as_text=True)
    assert db.session.execute(select(func.count(Bill.id))).scalar_one() == 0


def v1_body(shop, staff_uid):
    return {"customer": {"name": "Asha", "contact_no": "+919800000001"},
            "items": [{"line_no": 1, "type": "service", "id": shop.haircut.uid, "staff_id": staff_uid, "qty": 1,
                       "discount_type": "flat", "discount_value": 0, "cgst": 9, "sgst": 9}],
            "payment_mode": "none", "payment_amount": 0, "payments": [], "billing_timestamp": WHEN}


def test_billing_v1_refuses_an_inactive_or_unknown_staff_member_in_its_envelope(salon, client):
    priya = add(salon)
    staff_rules.set_active(salon.store, salon.owner, priya, False)
    db.session.commit()
    response = client.post(f"{salon.url}/bills", json=v1_body(salon, priya.uid),
                           headers={**salon.headers, "Idempotency-Key": "inactive-1"})
    assert response.status_code == 400
    assert response.get_json()["errors"] == {
        "items[0].staff_id": ["Priya is inactive: choose an active staff member"]}
    unknown = client.post(f"{salon.url}/bills", json=v1_body(salon, "no-such-uid"),
                          headers={**salon.headers, "Idempotency-Key": "unknown-1"})
    assert unknown.get_json()["errors"] == {"items[0].staff_id": ["Staff member not found in this store"]}
    assert db.session.execute(select(func.count(Bill.id))).scalar_one() == 0
    staff_rules.set_active(salon.store, salon.owner, db.session.get(Staff, priya.id), True)
    db.session.commit()
    assert client.post(f"{salon.url}/bills", json=v1_body(salon, priya.uid),
                       headers={**salon.headers, "Idempotency-Key": "active-1"}).status_code == 201


def test_the_staff_member_shows_on_the_bill_page_the_invoice_and_the_receipt(salon, client):
    priya = add(salon, "Priya Sharma")
    bill = billing.save_bill(salon.store, salon.owner, billing.BillDraft(
        lines=[billing.DraftLine(product=salon.haircut, qty=1, staff=priya)], payment_mode="cash",
        payment_amount=D("354.00"), payments=[billing.DraftPayment("cash", D("354.00"))]))
    db.session.commit()
    sign_in(client, salon.cashier)
    assert "by Priya Sharma" in client.get(f"/bills/{bill.id}").get_data(as_text=True)
    assert "by Priya Sharma" in client.get(f"/documents/bills/{bill.id}/invoice").get_data(as_text=True)
    assert "by Priya Sharma" in client.get(f"/documents/bills/{bill.id}/receipt").get_data(as_text=True)
    staff_rules.set_active(salon.store, salon.owner, db.session.get(Staff, priya.id), False)
    db.session.commit()  # a saved bill keeps its stylist after they leave
    assert "by Priya Sharma" in client.get(f"/bills/{bill.id}").get_data(as_text=True)
