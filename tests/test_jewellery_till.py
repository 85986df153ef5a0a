"""The jewellery till (/pos in a jewellery store): a scanned piece is a jewellery line priced by the engine, the
making charge editable, the metal rate for owners only, the hallmark rule and a missing rate said at the till,
old gold bought on an OG voucher in the Save's one transaction and set against the sale, estimates.

The ring (fixtures_jewellery.make_piece) at 22K 7150.00: taxable 78545.00, CGST = SGST = 1178.18, total 80901.36.
"""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Bill, Estimate, Payment, Product, StockMove, TillSession
from services.billing import bills as billing
from services.billing.bills import BillDraft, DraftLine, JewelleryTerms
from services.errors import ValidationError
from services.jewellery import exchange
from services.jewellery.rates import RateEntry, set_rates
from services.till import session as till_service
from tests.fixtures_pos import sign_in

D = Decimal


@pytest.fixture
def shop(jeweller, make_user, make_piece):
    jeweller.manager = make_user("jmanager", store=jeweller.store, role="manager")
    jeweller.cashier = make_user("jcashier", store=jeweller.store, role="cashier")
    jeweller.ring = make_piece(jeweller.store, "22K Ring", sku="RING-1", barcode="8900000000017")
    return jeweller


def state_of(shop, user) -> dict:
    db.session.expire_all()
    row = db.session.execute(select(TillSession).where(TillSession.store_id == shop.store.id,
                                                       TillSession.user_id == user.id)).scalar_one_or_none()
    return row.payload if row is not None else till_service.new_state()


def scan(client, code: str):
    return client.post_form("/pos/scan", {"q": code}, htmx=True)


def page_key(client) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', client.get("/pos").get_data(as_text=True)).group(1)


def save(client):
    return client.post_form("/pos/save", {}, htmx=True, headers={"Idempotency-Key": page_key(client)})


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def engine_total(shop, piece, **terms) -> Decimal:
    draft = BillDraft(lines=[DraftLine(product=piece, qty=1, jewellery=JewelleryTerms(**terms))])
    return billing.price_draft(shop.store, draft).totals.grand_total


# --------------------------------------------------------------------------- the jewellery line


def test_scanning_a_tag_adds_the_piece_priced_like_the_engine_with_its_breakdown(client, shop):
    sign_in(client, shop.cashier)
    response = scan(client, "RING-1")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert state_of(shop, shop.cashier)["lines"][0]["jewellery"] is True
    assert engine_total(shop, shop.ring) == D("80901.36")
    for shown in ("₹80,901.36", "Gross 10.500 g", "Net 10.000 g", "Gold 22K", "AB", "Rate ₹7,150.00/g",
                  "Making ₹4,500.00", "Stones ₹2,500.00", "Hallmark ₹45.00"):
        assert shown in html, shown
    assert 'id="line-0-qty"' not in html  # a piece is qty 1: no quantity box
    again = scan(client, "RING-1")
    assert again.status_code == 422 and "already on the bill" in again.get_data(as_text=True)


def test_the_jeweller_changes_the_making_charge_and_the_engine_reprices(client, shop):
    sign_in(client, shop.cashier)
    scan(client, "RING-1")
    response = client.post_form("/pos/lines/0", {"line": "0", "making_type": "PG", "making_charge": "500.00",
                                                 "discount_type": "flat", "discount_value": "0"}, htmx=True)
    assert response.status_code == 200
    expected = engine_total(shop, shop.ring, making_charge=D("500.00"))
    assert expected == D("81416.36")  # making 5000.00: taxable 79045.00, tax 1185.68 x 2
    assert "₹81,416.36" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["manager", "cashier"])
def test_a_manager_or_cashier_may_not_change_the_metal_rate(client, shop, role):
    sign_in(client, getattr(shop, role))
    page = client.get("/pos")
    scan(client, "RING-1")
    html = client.get("/pos").get_data(as_text=True)
    assert re.search(r'id="line-0-rate"[^>]*readonly', html)
    response = client.post_form("/pos/lines/0", {"line": "0", "rate": "6000.00", "making_type": "PG",
                                                 "making_charge": "450.00"}, htmx=True)
    assert page.status_code == 200 and response.status_code == 422
    assert "Only the owner may change the metal rate" in response.get_data(as_text=True)
    assert state_of(shop, getattr(shop, role))["lines"][0]["rate"] == ""


def test_the_owner_changes_the_rate_and_the_saved_bill_keeps_it(client, shop):
    sign_in(client, shop.owner)
    scan(client, "RING-1")
    response = client.post_form("/pos/lines/0", {"line": "0", "rate": "7000.00", "making_type": "PG",
                                                 "making_charge": "450.00"}, htmx=True)
    assert response.status_code == 200
    assert save(client).status_code == 200
    bill = db.session.execute(select(Bill).where(Bill.kind == "sale")).scalar_one()
    assert bill.items[0].metal_rate == D("7000.00")
    assert bill.total_amount == engine_total(shop, shop.ring, rate=D("7000.00"))


def test_a_manager_bills_a_repair_at_its_own_gst_rate_and_hsn(client, shop):
    """Job work and repairs: the line's GST rate and HSN change; the engine prices it, the bill keeps them."""
    sign_in(client, shop.manager)
    scan(client, "RING-1")
    form = {"line": "0", "making_type": "PG", "making_charge": "450.00", "discount_type": "flat",
            "discount_value": "0", "gst": "18", "hsn": "998727"}
    response = client.post_form("/pos/lines/0", form, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    expected = engine_total(shop, shop.ring, gst_rate=D("18"), hsn="998727")
    assert f"{expected:,}" in response.get_data(as_text=True).replace("₹", "")
    assert save(client).status_code == 200
    item = db.session.execute(select(Bill).where(Bill.kind == "sale")).scalar_one().items[0]
    assert (item.hsn_code, item.cgst_rate, item.sgst_rate) == ("998727", D("9.00"), D("9.00"))


@pytest.mark.parametrize("changes, field, message", [
    ({"gst": "4.333"}, "gst_rate", "At most 2 decimal places"),
    ({"gst": "101"}, "gst_rate", "Must be at most 100"),
    ({"hsn": "71X3"}, "hsn", "HSN must be 4, 6 or 8 digits"),
])
def test_a_bad_gst_rate_or_hsn_on_a_piece_line_is_a_422_and_the_line_unchanged(client, shop, changes, field,
                                                                                 message):
    sign_in(client, shop.manager)
    scan(client, "RING-1")
    response = client.post_form("/pos/lines/0", {"line": "0", "making_type": "PG", "making_charge": "450.00",
                                                 **changes}, htmx=True)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    line = state_of(shop, shop.manager)["lines"][0]
    assert (line.get("gst", ""), line.get("hsn", "")) == ("", "")


def test_a_cashier_may_not_change_a_piece_lines_gst_rate(client, shop):
    sign_in(client, shop.cashier)
    scan(client, "RING-1")
    assert re.search(r'id="line-0-gst"[^>]*readonly', client.get("/pos").get_data(as_text=True))
    response = client.post_form("/pos/lines/0", {"line": "0", "making_type": "PG", "making_charge": "450.00",
                                                 "gst": "5"}, htmx=True)
    assert response.status_code == 422 and "Only a manager or the owner can change tax rates" in response.get_data(
        as_text=True)
    # Sending the piece's own 3 back (the field as shown) is no change.
    assert client.post_form("/pos/lines/0", {"line": "0", "making_type": "PG", "making_charge": "450.00",
                                             "gst": "3.00", "hsn": "7113"}, htmx=True).status_code == 200


def test_a_state_with_a_changed_rate_is_refused_at_save_for_a_cashier(shop):
    state = till_service.new_state()
    till_service.add_product(shop.store, state, shop.ring)
    state["lines"][0]["rate"] = "6000.00"  # as if typed past the read-only field
    with pytest.raises(Exception, match="Only the owner may change the metal rate"):
        till_service.save(shop.store, shop.cashier, state)
    db.session.rollback()
    assert count(Bill) == 0


def test_gold_without_a_huid_is_refused_at_the_till_where_hallmarking_is_mandatory(client, shop, make_piece):
    make_piece(shop.store, "Plain chain", sku="CHAIN-1", huid=None)
    sign_in(client, shop.cashier)
    response = scan(client, "CHAIN-1")
    assert response.status_code == 422
    assert "gold without a HUID: hallmarking is mandatory" in response.get_data(as_text=True)
    assert state_of(shop, shop.cashier)["lines"] == []


def test_a_piece_with_no_rate_set_says_so_and_cannot_be_saved(client, shop, make_piece):
    make_piece(shop.store, "Silver anklet", sku="ANK-1", attributes={"metal": "silver", "purity": "999"})
    sign_in(client, shop.cashier)
    response = scan(client, "ANK-1")
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 200
    assert "Today's silver 999 rate is not set: set today's rate" in html
    assert re.search(r'id="pos-save"[^>]*disabled', client.get("/pos").get_data(as_text=True))
    assert save(client).status_code == 422 and count(Bill) == 0


def test_a_piece_priced_at_yesterdays_rate_says_todays_is_not_set(client, shop):
    from datetime import timedelta

    from models import MetalRate
    db.session.execute(MetalRate.__table__.update().values(date=shop.store.local_today() - timedelta(days=1)))
    db.session.commit()
    sign_in(client, shop.cashier)
    html = scan(client, "RING-1").get_data(as_text=True).replace("&#39;", "'")
    assert "Today's gold 22K rate is not set: priced at the rate of" in html


# --------------------------------------------------------------------------- old gold exchange


OLD = {"description": "Old bangle", "gross_weight": "5.000", "tounch": "80.00", "rate": "7800.00",
       "deduction": "2.00"}


def test_old_gold_value_formula_and_rounding():
    worth = exchange.value_of(exchange.OldGold("x", D("5.000"), D("80.00"), D("7800.00"), D("2.00")))
    # fine 5.000 x 80 / 100 = 4.000 g; 4.000 x 7800.00 = 31200.00; 2 % = 624.00; value 30576.00
    assert (worth.fine_weight, worth.gross_value, worth.deduction_amount, worth.value) == (
        D("4.000"), D("31200.00"), D("624.00"), D("30576.00"))
    odd = exchange.value_of(exchange.OldGold("x", D("3.333"), D("91.60"), D("7777.77"), D("1.50")))
    # fine 3.053028 -> 3.053; 3.053 x 7777.77 = 23745.531... -> 23745.53; 1.5 % = 356.18295 -> 356.18
    assert (odd.fine_weight, odd.gross_value, odd.deduction_amount, odd.value) == (
        D("3.053"), D("23745.53"), D("356.18"), D("23389.35"))


def test_old_gold_is_bought_on_an_og_voucher_and_set_against_the_sale(client, shop):
    sign_in(client, shop.cashier)
    scan(client, "RING-1")
    response = client.post_form("/pos/old-gold", OLD, htmx=True)
    assert response.status_code == 200
    html = client.get("/pos").get_data(as_text=True)
    assert "−₹30,576.00" in html and "₹50,325.36" in html  # 80901.36 - 30576.00 to pay
    assert save(client).status_code == 200
    sale = db.session.execute(select(Bill).where(Bill.kind == "sale")).scalar_one()
    voucher = db.session.execute(select(Bill).where(Bill.kind == "purchase")).scalar_one()
    assert voucher.invoice_number.startswith("OG") and voucher.series == "OG" and voucher.tax == D("0.00")
    assert voucher.total_amount == D("30576.00") and voucher.status == "paid"
    assert voucher.items[0].gross_weight == D("5.000") and voucher.items[0].product_id is None
    modes = {(p.mode, p.amount, p.reference) for p in sale.payments}
    assert ("exchange", D("30576.00"), voucher.invoice_number) in modes
    assert ("cash", D("50325.36"), None) in modes
    assert sale.total_amount == D("80901.36") and sale.due_amount == D("0.00") and sale.payment_mode == "split"
    assert voucher.payments[0].reference == sale.invoice_number
    assert count(StockMove, StockMove.bill_id == voucher.id) == 0


def test_the_exchange_reduces_the_dues_of_a_credit_bill(client, shop):
    sign_in(client, shop.cashier)
    scan(client, "RING-1")
    client.post_form("/pos/old-gold", OLD, htmx=True)
    party = till_service.set_new_customer(shop.store, till_service.new_state(), {"name": "Meena", "contact_no":
                                                                                  "9876543210"})
    assert party is None
    client.post_form("/pos/customer/new", {"name": "Meena", "contact_no": "9876543210"}, htmx=True)
    client.post_form("/pos/payment", {"payment_mode": "none"}, htmx=True)
    assert save(client).status_code == 200
    sale = db.session.execute(select(Bill).where(Bill.kind == "sale")).scalar_one()
    assert (sale.paid_amount, sale.due_amount, sale.status) == (D("30576.00"), D("50325.36"), "partial")
    assert [p.mode for p in sale.payments] == ["exchange"]


def test_a_refused_sale_leaves_no_voucher_written(client, shop):
    sign_in(client, shop.cashier)
    scan(client, "RING-1")
    client.post_form("/pos/old-gold", OLD, htmx=True)
    # The piece is sold elsewhere before this Save: the sale is refused (not in stock).
    db.session.execute(Product.__table__.update().where(Product.id == shop.ring.id).values(quantity=0))
    db.session.commit()
    response = save(client)
    assert response.status_code == 422
    assert count(Bill) == 0 and count(Payment) == 0
    assert state_of(shop, shop.cashier)["old_gold"]["gross_weight"] == "5.000"


def test_old_gold_worth_more_than_the_bill_is_refused(shop):
    state = till_service.new_state()
    till_service.add_product(shop.store, state, shop.ring)
    till_service.set_old_gold(state, dict(OLD, gross_weight="20.000", tounch="99.90"))
    with pytest.raises(ValidationError) as caught:
        till_service.save(shop.store, shop.owner, state)
    assert "worth more than the bill" in caught.value.errors["old_gold"][0]


@pytest.mark.parametrize("field,value,message", [("tounch", "100.01", "Must be at most 100"),
                                                 ("gross_weight", "1.0001", "At most 3 decimal places"),
                                                 ("rate", "0", "Must be greater than 0"),
                                                 ("deduction", "-1", "Must be at least 0")])
def test_bad_old_gold_is_refused_beside_its_field(client, shop, field, value, message):
    sign_in(client, shop.cashier)
    response = client.post_form("/pos/old-gold", dict(OLD, **{field: value}), htmx=True)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert state_of(shop, shop.cashier)["old_gold"] is None


def test_the_api_surfaces_still_refuse_the_exchange_mode(shop):
    draft = BillDraft(lines=[DraftLine(product=shop.ring, qty=1, jewellery=JewelleryTerms())],
                      payments=[billing.DraftPayment(mode="exchange", amount=D("100.00"))])
    with pytest.raises(ValidationError) as caught:
        billing.save_bill(shop.store, shop.owner, draft)
    assert "payments[0].mode" in caught.value.errors


# --------------------------------------------------------------------------- estimates


def _estimate(client, shop, user) -> Estimate:
    sign_in(client, user)
    scan(client, "RING-1")
    response = client.post_form("/pos/estimate", {}, htmx=True)
    assert response.status_code == 200 and "Estimate saved" in response.get_data(as_text=True)
    return db.session.execute(select(Estimate)).scalar_one()


def test_an_estimate_takes_no_number_and_no_stock_and_is_listed_and_openable(client, shop):
    estimate = _estimate(client, shop, shop.cashier)
    assert estimate.total_amount == D("80901.36")
    assert estimate.payload["lines"][0]["estimate_rate"] == "7150.00"
    assert count(Bill) == 0 and count(StockMove, StockMove.reason == "sale") == 0
    db.session.refresh(shop.ring)
    assert shop.ring.quantity == 1
    assert state_of(shop, shop.cashier)["lines"] == []
    listing = client.get("/pos/estimates").get_data(as_text=True)
    assert estimate.uid in listing and "₹80,901.36" in listing
    page = client.get(f"/pos/estimates/{estimate.uid}").get_data(as_text=True)
    assert "not a tax invoice" in page and "₹7,150.00" in page
    assert 'value="estimate"' not in page  # a cashier gets today's rate only


@pytest.mark.parametrize("at,rate,total", [("today", "7200.00", "81416.36"), ("estimate", "7150.00", "80901.36")])
def test_the_owner_turns_an_estimate_into_an_invoice_at_either_rate(client, shop, at, rate, total):
    estimate = _estimate(client, shop, shop.owner)
    set_rates(shop.store, shop.owner, [RateEntry("gold", "22K", D("7200.00"))])
    db.session.commit()
    response = client.post_form(f"/pos/estimates/{estimate.uid}/invoice", {"at": at})
    assert response.status_code == 303
    assert save(client).status_code == 200
    sale = db.session.execute(select(Bill).where(Bill.kind == "sale")).scalar_one()
    assert sale.items[0].metal_rate == D(rate) and sale.total_amount == D(total)
    db.session.refresh(estimate)
    assert estimate.converted_bill_id == sale.id
    again = client.post_form(f"/pos/estimates/{estimate.uid}/invoice", {"at": "today"})
    assert again.status_code == 303 and count(Bill) == 1


def test_a_cashier_turning_an_estimate_gets_todays_rate(client, shop):
    estimate = _estimate(client, shop, shop.cashier)
    set_rates(shop.store, shop.owner, [RateEntry("gold", "22K", D("7200.00"))])
    db.session.commit()
    client.post_form(f"/pos/estimates/{estimate.uid}/invoice", {"at": "estimate"})
    assert state_of(shop, shop.cashier)["lines"][0]["rate"] == ""
    assert save(client).status_code == 200
    sale = db.session.execute(select(Bill).where(Bill.kind == "sale")).scalar_one()
    assert sale.items[0].metal_rate == D("7200.00")


def test_an_estimate_is_turned_into_one_invoice_only(shop):
    estimate_state = till_service.new_state()
    till_service.add_product(shop.store, estimate_state, shop.ring)
    estimate = till_service.save_estimate(shop.store, shop.owner, estimate_state)
    db.session.commit()
    first = till_service.estimate_state(estimate, at_estimate_rate=False)
    first["estimate_id"] = estimate.id
    second = dict(first)
    till_service.save(shop.store, shop.owner, first)
    db.session.commit()
    # The piece is back in stock (e.g. returned); the second Save of the same estimate is still refused.
    db.session.execute(Product.__table__.update().where(Product.id == shop.ring.id).values(quantity=1))
    with pytest.raises(ValidationError, match="already been turned into an invoice"):
        till_service.save(shop.store, shop.owner, second)
    db.session.rollback()
    assert count(Bill) == 1


def test_a_held_jewellery_bill_resumes_with_its_piece_making_and_old_gold(client, shop):
    sign_in(client, shop.owner)
    scan(client, "RING-1")
    client.post_form("/pos/lines/0", {"line": "0", "rate": "7000.00", "making_type": "PP",
                                      "making_charge": "3000.00"}, htmx=True)
    client.post_form("/pos/old-gold", OLD, htmx=True)
    held_total = till_service.view(shop.store, state_of(shop, shop.owner)).totals.grand_total
    assert client.post_form("/pos/hold", {}, htmx=True).status_code == 200
    from models import HeldBill
    held = db.session.execute(select(HeldBill)).scalar_one()
    client.post_form(f"/bills/held/{held.uid}/resume", {})
    state = state_of(shop, shop.owner)
    line = state["lines"][0]
    assert (line["jewellery"], line["making_type"], line["making_charge"], line["rate"]) == (
        True, "PP", "3000.00", "7000.00")
    assert state["old_gold"]["gross_weight"] == "5.000"
    assert till_service.view(shop.store, state).totals.grand_total == held_total


def test_the_hallmark_rule_is_checked_again_at_save(shop, make_piece):
    chain = make_piece(shop.store, "Plain chain", sku="CHAIN-1", huid=None)
    state = till_service.new_state()
    state["lines"].append({"product_id": chain.id, "qty": "1", "discount_type": "flat", "discount_value": "0",
                           "cgst": "1.5", "sgst": "1.5", "staff_id": None, "jewellery": True, "making_type": "PG",
                           "making_charge": "450.00", "rate": ""})  # scanned while the rule was off
    with pytest.raises(ValidationError) as caught:
        till_service.save(shop.store, shop.owner, state)
    assert "hallmarking is mandatory" in caught.value.errors["items[0].huid"][0]
    db.session.rollback()
    assert count(Bill) == 0


def test_the_og_voucher_is_listed_and_the_sale_page_shows_the_exchange_payment(client, shop):
    state = till_service.new_state()
    till_service.add_product(shop.store, state, shop.ring)
    till_service.set_old_gold(state, OLD)
    till_service.save(shop.store, shop.owner, state)
    db.session.commit()
    response = client.get("/get-invoice-home", headers=shop.headers)
    assert response.status_code == 200
    assert len(response.get_json()["data"]) == 2
    sign_in(client, shop.owner)
    sale = db.session.execute(select(Bill).where(Bill.kind == "sale")).scalar_one()
    voucher = db.session.execute(select(Bill).where(Bill.kind == "purchase")).scalar_one()
    page = client.get(f"/bills/{sale.id}").get_data(as_text=True)
    assert "Old gold exchange" in page and voucher.invoice_number in page
    assert client.get(f"/bills/{voucher.id}").status_code == 200
    # the old-gold voucher is the till's own paper, not a stock purchase: the cashier opens it too
    sign_in(client, shop.cashier)
    assert client.get(f"/bills/{voucher.id}").status_code == 200
    assert client.get(f"/documents/bills/{voucher.id}/invoice.pdf").status_code == 200


def test_taking_old_gold_swaps_the_totals_and_the_payment_form_out_of_band(client, shop):
    sign_in(client, shop.cashier)
    scan(client, "RING-1")
    html = client.post_form("/pos/old-gold", OLD, htmx=True).get_data(as_text=True)
    assert {"pos-totals", "pos-payment"} <= set(re.findall(r'<\w+ id="([^"]+)"[^>]*hx-swap-oob="true"', html))
    assert 'placeholder="50325.36"' in html


def _strip(html: str, metal: str, purity: str) -> str:
    found = re.search(rf'id="pos-rate-{metal}-{purity}"[^>]*>(.*?)</span>', html, re.S)
    assert found, (metal, purity)
    return " ".join(found.group(1).split())


def test_the_jewellery_till_shows_the_rates_in_force_today(client, shop, till_shop):
    sign_in(client, shop.cashier)
    html = client.get("/pos").get_data(as_text=True)
    assert "₹7,800.00" in _strip(html, "gold", "24K") and "₹7,150.00" in _strip(html, "gold", "22K")
    # 18K was never set: derived from 24K (7800.00 x 750 / 999 = 5855.86); silver 999 has no rate in force.
    assert "₹5,855.86" in _strip(html, "gold", "18K")
    assert "not set" in _strip(html, "silver", "999")
    assert "Today's rates" not in html  # a cashier sees the rates; the link to set them is for managers and owners
    sign_in(client, shop.manager)
    assert "Today's rates</a>" in client.get("/pos").get_data(as_text=True)
    # A general store's till has no rates.
    sign_in(client, till_shop.cashier)
    assert 'id="pos-rates"' not in client.get("/pos").get_data(as_text=True)
