"""Issue 16, commissions: rules per staff member (a default, category and product overrides; percent or flat per
unit), the commission fixed on each bill line when the bill is saved, counted on paid bills, taken back by returns
and cancellations; the rules page (owners and managers) and the commission report with its CSV/XLSX downloads."""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import AuditLog, BillItem, CommissionRule, Staff
from services.accounts.access import current_store_for
from services.accounts.store_settings import update_store_settings
from services.billing import bills as billing
from services.billing import returns
from services.billing.bills import BillDraft, DraftLine, DraftPayment
from services.catalog.categories import create_category
from services.errors import ValidationError
from services.salon import commissions
from services.salon.commissions import RuleInput
from tests.fixtures_pos import sign_in

D = Decimal


@pytest.fixture
def salon(make_user, make_product, make_customer):
    owner = make_user("salonowner", business_kind="salon", store_name="Glow Salon")
    store = current_store_for(owner)
    shop = SimpleNamespace(store=store, owner=owner)
    shop.manager = make_user("salonmanager", store=store, role="manager")
    shop.cashier = make_user("saloncashier", store=store, role="cashier")
    shop.hair = create_category(store, owner, "Hair")
    shop.skin = create_category(store, owner, "Skin")
    db.session.commit()
    shop.haircut = make_product(store, "Haircut", "500.00", type="service", category_id=shop.hair.id)
    shop.spa = make_product(store, "Hair Spa", "1200.00", type="service", category_id=shop.hair.id)
    shop.facial = make_product(store, "Facial", "800.00", type="service", category_id=shop.skin.id)
    shop.meena, shop.ravi = Staff(store_id=store.id, name="Meena"), Staff(store_id=store.id, name="Ravi")
    db.session.add_all([shop.meena, shop.ravi])
    db.session.commit()
    shop.customer = make_customer(store, "Priya")
    return shop


def rule(shop, staff, kind, value, product=None, category=None, user=None):
    target = "product" if product else "category" if category else "all"
    made = commissions.add_rule(shop.store, user or shop.owner, RuleInput(
        staff_id=staff.id, target=target, kind=kind, value=D(value), product_id=product.id if product else None,
        category_id=category.id if category else None))
    db.session.commit()
    return made


def sell(shop, lines, discount="0", paid=True, customer=True):
    """Save a bill of (product, qty, staff, line discount) lines through save_bill, paid in full or not at all; a
    line discount is "10%" or "100" (flat ₹)."""
    def line(product, qty, staff, off):
        kind = "percent" if off and off.endswith("%") else "flat"
        return DraftLine(product=product, qty=qty, staff=staff, discount_type=kind,
                         discount_value=D((off or "0").rstrip("%")))

    draft = BillDraft(lines=[line(*spec) for spec in lines], customer=shop.customer if customer else None,
                      discount=D(discount))
    if paid:
        total = billing.price_draft(shop.store, draft).totals.grand_total
        draft.payments, draft.payment_mode = [DraftPayment("cash", total)], "cash"
    bill = billing.save_bill(shop.store, shop.owner, draft)
    db.session.commit()
    return bill


def golden_rules(shop):
    rule(shop, shop.meena, "percent", "10")  # her default
    rule(shop, shop.meena, "percent", "15", category=shop.hair)  # hair services
    rule(shop, shop.meena, "flat", "200", product=shop.spa)  # the spa, whatever its category says
    rule(shop, shop.ravi, "flat", "75")  # per unit, on everything


def golden_bill(shop, paid=True):
    # 18 % GST on each; 10 % off the haircuts, ₹100 off the spa, ₹250 off the bill (after tax: the default)
    return sell(shop, [(shop.haircut, 2, shop.meena, "10%"), (shop.spa, 1, shop.meena, "100"),
                       (shop.facial, 1, shop.meena, None), (shop.facial, 2, shop.ravi, None)], discount="250",
                paid=paid)


def report(shop, user=None):
    today = shop.store.local_today()
    summary, detail = commissions.commission_report(shop.store, user or shop.owner, today, today)
    return {row[0]: row[1:] for row in summary.rows}, summary.total, detail


def test_golden_commissions_to_the_paisa(salon):
    golden_rules(salon)
    bill = golden_bill(salon)
    # Taxable 900 / 1100 / 800 / 1600 plus 18 %: sub-total 1062 + 1298 + 944 + 1888 = 5192, less 250 = 4942 paid.
    # A line's value after every discount and before tax = taxable x (1 - 250 / 5192), to the paisa.
    assert (bill.sub_total, bill.discount, bill.total_amount, bill.status) == (D("5192.00"), D("250.00"),
                                                                               D("4942.00"), "paid")
    #   haircuts (Meena): category Hair, 15 % of 856.66 (900 - 43.34) = 128.499 -> 128.50
    #   spa (Meena): its own rule, ₹200 x 1, not Hair's 15 %
    #   facial (Meena): no Skin rule, her default, 10 % of 761.48 = 76.148 -> 76.15
    #   facials (Ravi): his default, ₹75 x 2
    assert [item.commission_amount for item in bill.items] == [D("128.50"), D("200.00"), D("76.15"), D("150.00")]
    people, total, detail = report(salon)
    assert people == {"Meena": [4, D("2665.17"), D("404.65")], "Ravi": [2, D("1522.96"), D("150.00")]}
    assert total == ["Total", 6, D("4188.13"), D("554.65")]
    assert [row[3:] for row in detail.rows] == [
        ["Haircut", 2, D("856.66"), D("128.50")], ["Hair Spa", 1, D("1047.03"), D("200.00")],
        ["Facial", 1, D("761.48"), D("76.15")], ["Facial", 2, D("1522.96"), D("150.00")]]
    assert [row[2] for row in detail.rows] == ["Meena", "Meena", "Meena", "Ravi"]


def test_a_bill_discount_taken_before_tax_is_already_in_the_lines_value(salon):
    update_store_settings(salon.owner, salon.store, {"bill_discount_before_tax": True})
    golden_rules(salon)
    bill = sell(salon, [(salon.haircut, 2, salon.meena, None), (salon.facial, 1, salon.ravi, None)], discount="100")
    # ₹100 spread over taxable 1000 and 800: 55.56 and 44.44 (the paisa left over to the line that lost most)
    assert [item.taxable_amount for item in bill.items] == [D("944.44"), D("755.56")]
    assert [item.commission_amount for item in bill.items] == [D("141.67"), D("75.00")]  # 15 % of 944.44; ₹75 x 1
    people, total, _ = report(salon)
    assert people == {"Meena": [2, D("944.44"), D("141.67")], "Ravi": [1, D("755.56"), D("75.00")]}


def test_a_return_takes_back_the_returned_share_of_a_lines_commission(salon):
    golden_rules(salon)
    bill = golden_bill(salon)
    returns.create_return(salon.store, salon.owner, bill, returns.ReturnDraft(
        lines=[returns.ReturnLine(line_no=1, qty=1), returns.ReturnLine(line_no=4, qty=1)], refund_mode="cash"))
    db.session.commit()
    people, total, detail = report(salon)
    assert detail.rows[0][3:] == ["Haircut", 1, D("428.33"), D("64.25")]  # half of 128.50
    assert detail.rows[3][3:] == ["Facial", 1, D("761.48"), D("75.00")]  # ₹75 x the one kept
    assert people == {"Meena": [3, D("2236.84"), D("340.40")], "Ravi": [1, D("761.48"), D("75.00")]}
    assert total[-1] == D("415.40")


def test_a_cancelled_bill_counts_nothing(salon):
    golden_rules(salon)
    bill = golden_bill(salon)
    billing.cancel_bill(salon.store, salon.owner, bill, "Entered twice")
    db.session.commit()
    people, total, detail = report(salon)
    assert people == {} and detail.rows == [] and total == ["Total", 0, D("0"), D("0")]


def test_an_unpaid_credit_bill_counts_only_once_it_is_paid(salon):
    golden_rules(salon)
    bill = golden_bill(salon, paid=False)
    assert bill.status == "unpaid" and bill.items[0].commission_amount == D("128.50")  # fixed, but not yet earned
    assert report(salon)[0] == {}
    billing.record_payment(salon.store, salon.owner, bill, DraftPayment("upi", D("4000.00")))
    db.session.commit()
    assert bill.status == "partial" and report(salon)[0] == {}
    billing.record_payment(salon.store, salon.owner, bill, DraftPayment("cash", D("942.00")))
    db.session.commit()
    assert bill.status == "paid" and report(salon)[1][-1] == D("554.65")


def test_changing_a_rule_changes_later_bills_only(salon):
    golden_rules(salon)
    golden_bill(salon)
    ravi = db.session.execute(select(CommissionRule).where(CommissionRule.staff_id == salon.ravi.id)).scalar_one()
    commissions.update_rule(salon.store, salon.owner, ravi, "percent", D("20"))
    hair = db.session.execute(select(CommissionRule).where(CommissionRule.category_id == salon.hair.id)).scalar_one()
    commissions.delete_rule(salon.store, salon.owner, hair)
    db.session.commit()
    assert report(salon)[1][-1] == D("554.65")  # last bill's payout is not rewritten
    later = sell(salon, [(salon.haircut, 1, salon.meena, None), (salon.facial, 1, salon.ravi, None)])
    assert [item.commission_amount for item in later.items] == [D("50.00"), D("160.00")]  # 10 % default; 20 %
    actions = db.session.execute(select(AuditLog.action).where(AuditLog.entity == "commission_rule")
                                 .order_by(AuditLog.id)).scalars().all()
    assert actions == ["create"] * 4 + ["update", "delete"]


def test_lines_without_a_staff_member_or_a_rule_earn_nothing(salon):
    rule(salon, salon.meena, "percent", "10", category=salon.skin)
    bill = sell(salon, [(salon.haircut, 1, salon.meena, None), (salon.facial, 1, None, None),
                        (salon.facial, 1, salon.ravi, None)])
    assert [item.commission_amount for item in bill.items] == [None, None, None]
    people, total, _ = report(salon)
    assert people == {"Meena": [1, D("500.00"), D("0")], "Ravi": [1, D("800.00"), D("0")]}


@pytest.mark.parametrize("kind, value, key, message", [
    ("percent", "100.01", "value", "A percent is at most 100."),
    ("percent", "-1", "value", "Must be 0 or more."),
    ("flat", "-0.01", "value", "Must be 0 or more."),
    ("flat", "10.005", "value", "At most 2 decimal places."),
    ("flat", None, "value", "Enter the commission as a number, e.g. 10 or 50.00."),
    ("bonus", "10", "kind", "Choose a percent or a flat amount per unit."),
])
def test_rule_terms_are_checked(salon, kind, value, key, message):
    with pytest.raises(ValidationError) as refused:
        commissions.add_rule(salon.store, salon.owner, RuleInput(staff_id=salon.meena.id, target="all", kind=kind,
                                                                  value=D(value) if value else None))
    assert refused.value.errors == {key: [message]}
    assert db.session.execute(select(CommissionRule)).first() is None


def test_100_percent_and_0_flat_are_allowed(salon):
    assert rule(salon, salon.meena, "percent", "100").value == D("100.00")
    assert rule(salon, salon.ravi, "flat", "0").value == D("0.00")


def test_a_rule_names_a_staff_member_product_and_category_of_the_store(salon, make_user, make_product):
    other = current_store_for(make_user("elsewhere", business_kind="salon"))
    foreign = make_product(other, "Their haircut", type="service")
    stranger = Staff(store_id=other.id, name="Stranger")
    db.session.add(stranger)
    db.session.commit()
    cases = [(RuleInput(stranger.id, "all", "flat", D("1")), "staff_id"),
             (RuleInput(salon.meena.id, "product", "flat", D("1"), product_id=foreign.id), "product_id"),
             (RuleInput(salon.meena.id, "product", "flat", D("1")), "product_id"),
             (RuleInput(salon.meena.id, "category", "flat", D("1"), category_id=999), "category_id"),
             (RuleInput(salon.meena.id, "staff", "flat", D("1")), "target")]
    for typed, key in cases:
        with pytest.raises(ValidationError) as refused:
            commissions.add_rule(salon.store, salon.owner, typed)
        assert list(refused.value.errors) == [key]


def test_one_rule_per_staff_member_and_target(salon):
    rule(salon, salon.meena, "percent", "10")
    rule(salon, salon.meena, "percent", "15", category=salon.hair)
    rule(salon, salon.meena, "flat", "200", product=salon.spa)
    rule(salon, salon.ravi, "percent", "15", category=salon.hair)  # another staff member may have the same target
    for product, category, key, what in ((None, None, "target", "every line (a default rule)"),
                                         (None, salon.hair, "category_id", "the category Hair"),
                                         (salon.spa, None, "product_id", "Hair Spa")):
        with pytest.raises(ValidationError) as refused:
            rule(salon, salon.meena, "flat", "1", product=product, category=category)
        assert refused.value.errors == {key: [f"Meena already has a rule for {what}: change that one instead."]}


def test_the_unique_indexes_refuse_a_second_rule_for_a_target_saved_at_once(salon, monkeypatch):
    # Two managers adding the same rule at the same moment both pass the check; the database refuses the second,
    # and the service words it like the check (nothing else of the request is lost: a savepoint).
    rule(salon, salon.meena, "percent", "10")
    rule(salon, salon.meena, "percent", "15", category=salon.hair)
    rule(salon, salon.meena, "flat", "200", product=salon.spa)
    monkeypatch.setattr(commissions, "_existing", lambda *args: None)
    for product, category in ((None, None), (None, salon.hair), (salon.spa, None)):
        with pytest.raises(ValidationError, match="already has a rule"):
            rule(salon, salon.meena, "flat", "1", product=product, category=category)
        db.session.rollback()
    assert len(db.session.execute(select(CommissionRule)).all()) == 3


@pytest.mark.parametrize("fields", [
    {"kind": "percent", "value": D("101")}, {"kind": "flat", "value": D("-1")}, {"kind": "bonus", "value": D("1")},
    {"kind": "flat", "value": D("1"), "product_id": "spa", "category_id": "hair"},
])
def test_the_database_refuses_rules_the_page_would(salon, fields):
    fields = dict(fields)
    fields["product_id"] = salon.spa.id if fields.get("product_id") else None
    fields["category_id"] = salon.hair.id if fields.get("category_id") else None
    db.session.add(CommissionRule(store_id=salon.store.id, staff_id=salon.meena.id, **fields))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_rules_need_a_manager(salon):
    from services.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        rule(salon, salon.meena, "percent", "10", user=salon.cashier)
    with pytest.raises(PermissionDenied):
        report(salon, salon.cashier)


# --------------------------------------------------------------------------- the pages


def form(**fields):
    return {"staff_id": "", "target": "all", "category_id": "", "product_id": "", "kind": "percent",
            "value": ""} | {k: str(v) for k, v in fields.items()}


def test_the_owner_adds_changes_and_deletes_rules_on_the_page(client, salon):
    sign_in(client, salon.owner)
    page = client.get("/commissions/rules").get_data(as_text=True)
    assert "Meena" in page and "Ravi" in page and "No rules: earns no commission." in page
    added = client.post_form("/commissions/rules", form(staff_id=salon.meena.id, value="10"))
    assert added.status_code == 303 and added.headers["Location"].endswith("/commissions/rules")
    client.post_form("/commissions/rules", form(staff_id=salon.meena.id, target="category",
                                                category_id=salon.hair.id, value="15"))
    client.post_form("/commissions/rules", form(staff_id=salon.meena.id, target="product", product_id=salon.spa.id,
                                                kind="flat", value="200"))
    page = client.get("/commissions/rules").get_data(as_text=True)
    assert "Every line (default)" in page and "10.00 %" in page and "Category: Hair" in page and "15.00 %" in page
    assert "Hair Spa" in page and "₹200.00 per unit" in page
    spa = db.session.execute(select(CommissionRule).where(CommissionRule.product_id == salon.spa.id)).scalar_one()
    assert 'value="200.00"' in client.get(f"/commissions/rules/{spa.id}/edit").get_data(as_text=True)
    assert client.post_form(f"/commissions/rules/{spa.id}/edit", {"kind": "flat", "value": "250"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(CommissionRule, spa.id).value == D("250.00")
    assert client.post_form(f"/commissions/rules/{spa.id}/delete").status_code == 303
    assert db.session.get(CommissionRule, spa.id) is None
    assert len(db.session.execute(select(CommissionRule)).all()) == 2


@pytest.mark.parametrize("fields, field, message", [
    ({"value": "101"}, "value", "A percent is at most 100."),
    ({"value": "ten"}, "value", "Enter the commission as a number, e.g. 10 or 50.00."),
    ({"value": "5.555"}, "value", "At most 2 decimal places."),
    ({"kind": "flat", "value": "-5"}, "value", "Must be 0 or more."),
    ({"target": "product", "value": "5"}, "product_id", "Choose a service or product of this store."),
    ({"target": "category", "value": "5"}, "category_id", "Choose a category of this store."),
    ({"staff_id": "", "value": "5"}, "staff_id", "Choose a staff member of this store."),
])
def test_a_bad_rule_form_is_422_with_the_message_beside_its_field(client, salon, fields, field, message):
    sign_in(client, salon.manager)
    refused = client.post_form("/commissions/rules", form(**({"staff_id": salon.meena.id} | fields)))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(rf'data-field="{field}">{re.escape(message)}<', html)
    assert db.session.execute(select(CommissionRule)).first() is None


def test_a_bad_change_is_422_and_changes_nothing(client, salon):
    made = rule(salon, salon.meena, "percent", "10")
    sign_in(client, salon.manager)
    refused = client.post_form(f"/commissions/rules/{made.id}/edit", {"kind": "percent", "value": "150"})
    assert refused.status_code == 422 and "A percent is at most 100." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CommissionRule, made.id).value == D("10.00")


def test_another_stores_rule_is_not_found(client, salon, make_user):
    other = current_store_for(make_user("elsewhere", business_kind="salon"))
    stranger = Staff(store_id=other.id, name="Stranger")
    db.session.add(stranger)
    db.session.commit()
    theirs = CommissionRule(store_id=other.id, staff_id=stranger.id, kind="flat", value=D("1"))
    db.session.add(theirs)
    db.session.commit()
    sign_in(client, salon.owner)
    assert client.get(f"/commissions/rules/{theirs.id}/edit").status_code == 404
    assert client.post_form(f"/commissions/rules/{theirs.id}/delete").status_code == 404
    assert db.session.get(CommissionRule, theirs.id) is not None


@pytest.mark.parametrize("method, url", [
    ("get", "/commissions"), ("get", "/commissions/rules"), ("post", "/commissions/rules"),
    ("get", "/commissions/rules/{id}/edit"), ("post", "/commissions/rules/{id}/edit"),
    ("post", "/commissions/rules/{id}/delete"), ("get", "/reports/commissions"),
    ("get", "/reports/commissions?download=csv"), ("get", "/reports/commissions?download=xlsx"),
])
def test_cashiers_may_not_see_or_change_commissions(client, salon, method, url):
    made = rule(salon, salon.meena, "percent", "10")
    sign_in(client, salon.cashier)
    url = url.format(id=made.id)
    answer = client.get(url) if method == "get" else client.post_form(url, form(staff_id=salon.meena.id, value="5"))
    assert answer.status_code == 403
    db.session.expire_all()
    assert db.session.get(CommissionRule, made.id).value == D("10.00")


def test_the_report_page_totals_and_downloads(client, salon):
    golden_rules(salon)
    bill = golden_bill(salon)
    sign_in(client, salon.manager)
    assert client.get("/commissions").headers["Location"].endswith("/reports/commissions")
    today = salon.store.local_today().isoformat()
    html = client.get(f"/reports/commissions?from={today}&to={today}").get_data(as_text=True)
    foot = re.findall(r"<tfoot><tr>(.*?)</tr></tfoot>", html, re.S)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", foot[0], re.S)]
    assert cells == ["Total", "6", "₹4,188.13", "₹554.65"]
    assert f'href="/bills/{bill.id}"' in html and 'id="commission-rules"' in html
    csv_answer = client.get(f"/reports/commissions?from={today}&to={today}&download=csv")
    assert csv_answer.headers["Content-Disposition"] == (
        f'attachment; filename="commissions-{today}-to-{today}.csv"')
    rows = list(csv.reader(io.StringIO(csv_answer.get_data().decode("utf-8-sig"))))
    assert rows == [["Staff member", "Services", "Value (after discounts, before tax)", "Commission"],
                    ["Meena", "4", "2665.17", "404.65"], ["Ravi", "2", "1522.96", "150.00"]]
    book = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/reports/commissions?from={today}&to={today}&download=xlsx").get_data()))
    assert book.sheetnames == ["Commission by staff", "Commission by staff totals",
                               "Commission by line", "Commission by line totals"]
    summary = list(book["Commission by staff"].values)
    assert summary[1] == ("Meena", 4, 2665.17, 404.65)
    assert list(book["Commission by staff totals"].values)[1] == ("Total", 6, 4188.13, 554.65)
    lines = list(book["Commission by line"].values)
    assert [row[3:] for row in lines[1:]] == [("Haircut", 2, 856.66, 128.5), ("Hair Spa", 1, 1047.03, 200),
                                              ("Facial", 1, 761.48, 76.15), ("Facial", 2, 1522.96, 150)]


def test_the_report_refuses_an_inverted_range_with_no_table(client, salon):
    sign_in(client, salon.owner)
    answer = client.get("/reports/commissions?from=2026-03-10&to=2026-03-01")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "The start date is after the end date." in html and "<table" not in html


def test_the_bill_items_commission_is_stored(salon):
    rule(salon, salon.meena, "flat", "12.34")
    bill = sell(salon, [(salon.haircut, 3, salon.meena, None)])
    stored = db.session.execute(select(BillItem.commission_amount).where(BillItem.bill_id == bill.id)).scalar_one()
    assert stored == D("37.02")


def test_the_report_filtered_to_one_staff_member_on_the_page_and_in_both_downloads(client, salon):
    golden_rules(salon)
    bill = golden_bill(salon)
    sign_in(client, salon.manager)
    today = salon.store.local_today().isoformat()
    base = f"/reports/commissions?from={today}&to={today}&staff={salon.ravi.id}"
    html = client.get(base).get_data(as_text=True)
    assert f'<option value="{salon.ravi.id}" selected>Ravi</option>' in html
    foot = re.findall(r"<tfoot><tr>(.*?)</tr></tfoot>", html, re.S)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", foot[0], re.S)]
    assert cells == ["Total", "2", "₹1,522.96", "₹150.00"]
    assert f'href="/bills/{bill.id}"' in html and ">Meena<" not in html.split('id="report-staff"')[1].split(
        "</select>")[1]
    # The download links carry the filter.
    assert f"staff={salon.ravi.id}" in re.search(r'id="download-csv" href="([^"]+)"', html).group(1)
    assert f"staff={salon.ravi.id}" in re.search(r'id="download-xlsx" href="([^"]+)"', html).group(1)
    csv_answer = client.get(base + "&download=csv")
    assert csv_answer.headers["Content-Disposition"] == (
        f'attachment; filename="commissions-staff-{salon.ravi.id}-{today}-to-{today}.csv"')
    rows = list(csv.reader(io.StringIO(csv_answer.get_data().decode("utf-8-sig"))))
    assert rows[1:] == [["Ravi", "2", "1522.96", "150.00"]]
    book = openpyxl.load_workbook(io.BytesIO(client.get(base + "&download=xlsx").get_data()))
    assert list(book["Commission by staff"].values)[1:] == [("Ravi", 2, 1522.96, 150)]
    assert [row[2:] for row in list(book["Commission by line"].values)[1:]] == [("Ravi", "Facial", 2, 1522.96, 150)]
    assert list(book["Commission by line totals"].values)[1][-1] == 150
    # Everyone again: both.
    everyone = client.get(f"/reports/commissions?from={today}&to={today}&staff=").get_data(as_text=True)
    assert '<option value="">Everyone</option>' in everyone and "₹554.65" in everyone


def test_the_service_filters_by_staff_and_refuses_another_stores(salon, make_store):
    golden_rules(salon)
    golden_bill(salon)
    today = salon.store.local_today()
    summary, detail = commissions.commission_report(salon.store, salon.owner, today, today, staff=salon.meena)
    assert [row[0] for row in summary.rows] == ["Meena"] and summary.total[-1] == D("404.65")
    assert {row[2] for row in detail.rows} == {"Meena"}
    stranger = Staff(store_id=make_store().id, name="Stranger")
    db.session.add(stranger)
    db.session.commit()
    with pytest.raises(ValidationError):
        commissions.commission_report(salon.store, salon.owner, today, today, staff=stranger)


@pytest.mark.parametrize("raw", ["999999", "abc", "-1", "{other}"])
def test_a_staff_filter_of_no_staff_member_here_is_422_with_no_table(client, salon, make_store, raw):
    stranger = Staff(store_id=make_store().id, name="Stranger")
    db.session.add(stranger)
    db.session.commit()
    golden_rules(salon)
    golden_bill(salon)
    sign_in(client, salon.owner)
    for download in ("", "&download=csv", "&download=xlsx"):
        answer = client.get(f"/reports/commissions?staff={raw.format(other=stranger.id)}{download}")
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422 and "Choose a staff member of this store" in html
        assert "<table" not in html and 'id="report-staff-error"' in html and "Stranger" not in html


def test_cashiers_may_not_filter_the_report_either(client, salon):
    sign_in(client, salon.cashier)
    assert client.get(f"/reports/commissions?staff={salon.meena.id}&download=csv").status_code == 403


def test_the_staff_totals_summed_in_the_database_agree_with_the_lines_one_by_one(salon):
    """Plain lines are summed in SQL (in paise), the others (a return, a bill discount after tax) line by line: the
    summary must equal the sum of the line-by-line table whatever the mix, per staff member and filtered."""
    golden_rules(salon)
    golden_bill(salon)  # a bill discount after tax: every line computed one by one
    sell(salon, [(salon.haircut, 3, salon.meena, "5%"), (salon.facial, 1, salon.ravi, None)])  # plain
    returned = sell(salon, [(salon.spa, 2, salon.ravi, None), (salon.facial, 3, salon.meena, "33")])
    returns.create_return(salon.store, salon.owner, returned, returns.ReturnDraft(
        lines=[returns.ReturnLine(line_no=2, qty=1)], refund_mode="cash"))
    db.session.commit()
    update_store_settings(salon.owner, salon.store, {"bill_discount_before_tax": True})
    sell(salon, [(salon.haircut, 1, salon.ravi, None), (salon.facial, 1, salon.meena, None)], discount="77")
    sell(salon, [(salon.haircut, 1, salon.meena, None)], paid=False)  # not paid: not counted by either
    today = salon.store.local_today()
    for staff in (None, salon.meena, salon.ravi):
        summary, detail = commissions.commission_report(salon.store, salon.owner, today, today, staff=staff)
        by_line: dict[str, list] = {}
        for row in detail.rows:
            entry = by_line.setdefault(row[2], [D(0), D(0), D(0)])
            entry[0] += D(row[4])
            entry[1] += row[5]
            entry[2] += row[6]
        assert {row[0]: [D(row[1]), row[2], row[3]] for row in summary.rows} == by_line
        assert summary.total[2:] == detail.total[5:]
    assert len(detail.rows) == 4  # Ravi: one facial, the spa line (kept 2 of 2), the haircut, the golden facials


def test_each_page_of_lines_carries_the_whole_periods_total(salon, monkeypatch):
    monkeypatch.setattr(commissions, "PAGE_ROWS", 2)
    golden_rules(salon)
    golden_bill(salon)
    today = salon.store.local_today()
    _, first = commissions.commission_report(salon.store, salon.owner, today, today, 1)
    _, second = commissions.commission_report(salon.store, salon.owner, today, today, 2)
    assert (len(first.rows), first.has_more, len(second.rows), second.has_more) == (2, True, 2, False)
    assert first.total == second.total == ["Total", None, None, None, None, D("4188.13"), D("554.65")]
    assert [row[3] for row in first.rows + second.rows] == ["Haircut", "Hair Spa", "Facial", "Facial"]


def _worked_out_one_by_one(shop) -> list[tuple]:
    """The report's lines as the rule states them, every line worked out with line_value and kept_share (the old
    per-line computation), from the ORM rows: paid, not cancelled sales of today, served lines, in time order."""
    from models import Bill

    today = shop.store.local_today()
    found = []
    for item, bill in db.session.execute(
            select(BillItem, Bill).join(Bill, Bill.id == BillItem.bill_id)
            .where(Bill.store_id == shop.store.id, Bill.kind == "sale", Bill.status == "paid",
                   Bill.cancelled_at.is_(None), BillItem.staff_id.is_not(None))
            .order_by(Bill.billing_timestamp, Bill.id, BillItem.line_no)).all():
        assert bill.invoice_date in (None, today)
        value = commissions.line_value(item.taxable_amount, bill.discount, bill.sub_total,
                                       any(i.bill_discount_amount for i in bill.items))
        found.append((bill.invoice_number, item.name, D(item.qty) - D(item.returned_qty or 0),
                      commissions.kept_share(value, item.qty, item.returned_qty),
                      commissions.kept_share(item.commission_amount or D(0), item.qty, item.returned_qty)))
    return found


def test_the_fast_lines_and_both_downloads_give_the_figures_worked_out_line_by_line(client, salon):
    """Plain lines are taken as stored and the XLSX is written directly: on bills with line and bill discounts
    (after and before tax), part returns, a cancelled and an unpaid bill, every line, the CSV and every XLSX cell
    equal the old per-line computation to the paisa."""
    golden_rules(salon)
    golden_bill(salon)  # 10 % and ₹100 off lines, ₹250 off the bill after tax
    sell(salon, [(salon.haircut, 3, salon.meena, "5%"), (salon.facial, 1, salon.ravi, None)])  # plain
    returned = sell(salon, [(salon.spa, 2, salon.ravi, "7%"), (salon.facial, 3, salon.meena, "33")], discount="19")
    returns.create_return(salon.store, salon.owner, returned, returns.ReturnDraft(
        lines=[returns.ReturnLine(line_no=2, qty=1)], refund_mode="cash"))
    plain_returned = sell(salon, [(salon.facial, 3, salon.ravi, None)])
    returns.create_return(salon.store, salon.owner, plain_returned, returns.ReturnDraft(
        lines=[returns.ReturnLine(line_no=1, qty=2)], refund_mode="cash"))
    cancelled = sell(salon, [(salon.spa, 1, salon.meena, None)])
    billing.cancel_bill(salon.store, salon.owner, cancelled, "mistake")
    db.session.commit()
    update_store_settings(salon.owner, salon.store, {"bill_discount_before_tax": True})
    sell(salon, [(salon.haircut, 1, salon.ravi, None), (salon.facial, 1, salon.meena, "10%")], discount="77")
    sell(salon, [(salon.haircut, 1, salon.meena, None)], paid=False)  # unpaid: not counted
    expected = _worked_out_one_by_one(salon)
    assert len(expected) == 11
    today = salon.store.local_today()
    fast = commissions.commission_lines(salon.store, today, today)
    assert [(line.invoice_number, line.service, line.qty, line.value, line.commission) for line in fast] == expected
    assert any(line.value != line.commission and line.qty % 1 == 0 for line in fast)
    sign_in(client, salon.owner)
    base = f"/reports/commissions?from={today}&to={today}"
    book = openpyxl.load_workbook(io.BytesIO(client.get(base + "&download=xlsx").get_data()))
    sheet = list(book["Commission by line"].values)
    assert sheet[0] == ("Date", "Invoice", "Staff member", "Service", "Quantity",
                        "Value (after discounts, before tax)", "Commission")
    assert [(row[1], row[3], D(str(row[4])), D(str(row[5])), D(str(row[6]))) for row in sheet[1:]] == expected
    assert {row[0] for row in sheet[1:]} == {today.isoformat()}
    per_staff: dict[str, list] = {}
    for row in sheet[1:]:
        entry = per_staff.setdefault(row[2], [D(0), D(0), D(0)])
        for index, value in enumerate(row[4:]):
            entry[index] += D(str(value))
    rows = list(csv.reader(io.StringIO(client.get(base + "&download=csv").get_data().decode("utf-8-sig"))))
    assert {row[0]: [D(cell) for cell in row[1:]] for row in rows[1:]} == per_staff
    totals = list(book["Commission by line totals"].values)[1]
    assert (D(str(totals[5])), D(str(totals[6]))) == (sum((e[1] for e in per_staff.values()), D(0)),
                                                      sum((e[2] for e in per_staff.values()), D(0)))
