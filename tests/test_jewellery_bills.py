"""Jewellery bills through save_bill: hand-checked to the paisa, the rate locked on the line, a piece sold once.

The store (fixtures_jewellery.jeweller) is in Maharashtra (27) with today's gold 24K at 7800.00, 22K at 7150.00.
The ring (make_piece): 22K, gross 10.500 g, less 0.500 g, tounch 91.60, wastage 2.00, PG making 450.00 per gram, one
stone 0.250 ct worth 2500.00, hallmark fee 45.00, GST 1.5 + 1.5. Working (as in tests/test_jewellery_pricing.py):
    net 10.000 g; fine 10.000 x 93.60 / 100 = 9.360 g; metal 10.000 x 7150.00 = 71500.00; making 4500.00
    taxable 71500.00 + 4500.00 + 2500.00 + 45.00 = 78545.00; CGST = SGST = 1178.175 -> 1178.18; total 80901.36
    inter-state: IGST 78545.00 x 3 % = 2356.35; total 80901.35
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Bill, BillItem, Product, StockMove, Store
from services.billing import bills as billing
from services.billing.bills import BillDraft, DraftLine, JewelleryTerms
from services.catalog.stock import InsufficientStock
from services.errors import ValidationError
from services.jewellery.rates import RateEntry, set_rates

D = Decimal


def sell(shop, piece, terms: JewelleryTerms | None = None, **draft_fields) -> Bill:
    draft = BillDraft(lines=[DraftLine(product=piece, qty=1, jewellery=terms or JewelleryTerms())],
                      source="jewellery", **draft_fields)
    bill = billing.save_bill(shop.store, shop.owner, draft)
    db.session.commit()
    return bill


def bill_figures(bill: Bill) -> tuple[str, ...]:
    return tuple(str(v) for v in (bill.sub_total, bill.discount, bill.tax, bill.cgst_amount, bill.sgst_amount,
                                  bill.igst_amount, bill.round_off, bill.total_amount))


def line_figures(item: BillItem) -> tuple[str, ...]:
    return tuple(str(v) for v in (item.base_amount, item.discount_amount, item.taxable_amount, item.cgst_amount,
                                  item.sgst_amount, item.igst_amount, item.line_total))


def _count(model) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_golden_22k_ring_bill_to_the_paisa_with_its_breakdown_kept(jeweller, make_piece):
    ring = make_piece(jeweller.store)
    bill = sell(jeweller, ring)
    [item] = bill.items
    assert line_figures(item) == ("78545.00", "0.00", "78545.00", "1178.18", "1178.18", "0.00", "80901.36")
    assert bill_figures(bill) == ("80901.36", "0.00", "2356.36", "1178.18", "1178.18", "0.00", "0.00", "80901.36")
    assert (item.metal_rate, item.gross_weight, item.less_weight, item.net_weight, item.fine_weight) == (
        D("7150.00"), D("10.500"), D("0.500"), D("10.000"), D("9.360"))
    assert (item.tounch, item.wastage, item.making_type, item.making_charge, item.hsn_code, item.huid) == (
        D("91.60"), D("2.00"), "PG", D("450.00"), "7113", ring.huid)
    assert (item.cgst_rate, item.sgst_rate) == (D("1.50"), D("1.50"))
    extra = item.extra
    assert (extra["metal"], extra["purity"], extra["fineness"], extra["metal_value"], extra["making_amount"]) == (
        "gold", "22K", 916, "71500.00", "4500.00")
    assert extra["stones"] == [{"weight": "0.250", "unit": "carat", "value": "2500.00"}]
    assert (extra["stones_value"], extra["hallmark_fee"], extra["value"], extra["gst_rate"]) == (
        "2500.00", "45.00", "78545.00", "3.00")
    assert db.session.get(Product, ring.id).quantity == 0


def test_golden_ring_inter_state_is_igst_three_percent(jeweller, make_piece):
    bill = sell(jeweller, make_piece(jeweller.store), place_of_supply="29")
    assert line_figures(bill.items[0]) == ("78545.00", "0.00", "78545.00", "0.00", "0.00", "2356.35", "80901.35")
    assert bill_figures(bill) == ("80901.35", "0.00", "2356.35", "0.00", "0.00", "2356.35", "0.00", "80901.35")
    assert bill.items[0].igst_rate == D("3.00")


def test_ring_with_bill_discount_and_round_off_reconciles(jeweller, make_piece):
    # 80901.36 - 500.00 = 80401.36 -> 80401.00, round off -0.36
    jeweller.store.settings = {**(jeweller.store.settings or {}), "round_off": True}
    db.session.commit()
    bill = sell(jeweller, make_piece(jeweller.store), discount=D("500.00"))
    assert bill_figures(bill) == ("80901.36", "500.00", "2356.36", "1178.18", "1178.18", "0.00", "-0.36", "80401.00")


def test_per_piece_making_given_on_the_line(jeweller, make_piece):
    # 71500.00 + 3000.00 + 2500.00 + 45.00 = 77045.00; 1155.675 -> 1155.68 each; total 79356.36
    bill = sell(jeweller, make_piece(jeweller.store), JewelleryTerms(making_type="PP", making_charge=D("3000.00")))
    assert line_figures(bill.items[0]) == ("77045.00", "0.00", "77045.00", "1155.68", "1155.68", "0.00", "79356.36")
    assert (bill.items[0].making_type, bill.items[0].making_charge) == ("PP", D("3000.00"))


def test_percentage_making_on_a_piece_stored_with_making_type_pc(jeweller, make_piece):
    # 12.50 % of 71500.00 = 8937.50; taxable 82982.50; 1244.7375 -> 1244.74 each; total 85471.98
    piece = make_piece(jeweller.store, making_type="PC", making_charge=D("12.50"))
    bill = sell(jeweller, piece)
    assert line_figures(bill.items[0]) == ("82982.50", "0.00", "82982.50", "1244.74", "1244.74", "0.00", "85471.98")
    assert bill.items[0].extra["making_amount"] == "8937.50"


def test_cutting_enabled_values_fine_weight_at_todays_24k_rate(jeweller, make_piece):
    # fine 9.360 g x 7800.00 = 73008.00; + 4500.00 + 2500.00 + 45.00 = 80053.00; 1200.795 -> 1200.80; 82454.60
    bill = sell(jeweller, make_piece(jeweller.store, cutting_enabled=True))
    item = bill.items[0]
    assert line_figures(item) == ("80053.00", "0.00", "80053.00", "1200.80", "1200.80", "0.00", "82454.60")
    assert (item.metal_rate, item.extra["metal_value"], item.extra["cutting_enabled"]) == (
        D("7800.00"), "73008.00", True)


def test_agreed_net_price_is_the_taxable_value_and_the_breakdown_is_recorded(jeweller, make_piece):
    # taxable 75000.00; 1125.00 each; total 77250.00
    bill = sell(jeweller, make_piece(jeweller.store), JewelleryTerms(net_price=D("75000.00")))
    item = bill.items[0]
    assert line_figures(item) == ("75000.00", "0.00", "75000.00", "1125.00", "1125.00", "0.00", "77250.00")
    assert (item.extra["net_price"], item.extra["value"], item.extra["metal_value"]) == (
        "75000.00", "78545.00", "71500.00")


def test_the_rate_is_locked_on_the_saved_line_when_todays_rate_changes(jeweller, make_piece):
    first, second = make_piece(jeweller.store), make_piece(jeweller.store)
    bill_id = sell(jeweller, first).id
    set_rates(jeweller.store, jeweller.owner, [RateEntry("gold", "22K", D("7300.00"))])
    db.session.commit()
    db.session.expire_all()
    saved = db.session.get(Bill, bill_id)
    assert saved.items[0].metal_rate == D("7150.00")
    assert (saved.total_amount, saved.items[0].extra["metal_value"]) == (D("80901.36"), "71500.00")
    # the next sale takes the new rate: 73000.00 + 4500.00 + 2500.00 + 45.00 = 80045.00; 1200.675 -> 1200.68
    later = sell(jeweller, second)
    assert (later.items[0].metal_rate, later.total_amount) == (D("7300.00"), D("82446.36"))


def test_selling_the_same_piece_twice_is_refused_cleanly(jeweller, make_piece):
    ring = make_piece(jeweller.store, "Kundan Ring")
    sell(jeweller, ring)
    with pytest.raises(InsufficientStock, match="Insufficient stock for Kundan Ring: 0 available, 1 requested"):
        sell(jeweller, ring)
    db.session.rollback()
    assert _count(Bill) == 1


@pytest.mark.parametrize("terms, field", [
    (JewelleryTerms(gross_weight=D("10.5001")), "items[0].gross_weight"),
    (JewelleryTerms(less_weight=D("-0.500")), "items[0].less_weight"),
    (JewelleryTerms(gross_weight=D("-10.500")), "items[0].gross_weight"),
    (JewelleryTerms(less_weight=D("11.000")), "items[0].less_weight"),
    (JewelleryTerms(tounch=D("100.50")), "items[0].tounch"),
    (JewelleryTerms(metal="platinum"), "items[0].metal"),
    (JewelleryTerms(purity="20K"), "items[0].purity"),
    (JewelleryTerms(metal="silver", purity="999"), "items[0].rate"),  # no silver 999 rate set, nothing to derive from
])
def test_bad_jewellery_line_is_refused_with_nothing_written(jeweller, make_piece, terms, field):
    ring = make_piece(jeweller.store)
    with pytest.raises(ValidationError) as refused:
        sell(jeweller, ring, terms)
    db.session.rollback()
    assert field in refused.value.errors
    assert _count(Bill) == 0 and db.session.get(Product, ring.id).quantity == 1


def test_a_jewellery_line_is_one_piece(jeweller, make_piece):
    ring = make_piece(jeweller.store, quantity=2)
    draft = BillDraft(lines=[DraftLine(product=ring, qty=2, jewellery=JewelleryTerms())])
    with pytest.raises(ValidationError) as refused:
        billing.save_bill(jeweller.store, jeweller.owner, draft)
    assert "items[0].qty" in refused.value.errors


@pytest.fixture
def app_config_overrides(backend: str, tmp_path: Path) -> dict:
    """SQLite in a file for the race, so each thread has its own connection."""
    if backend != "sqlite":
        return {}
    from config import engine_options

    url = f"sqlite:///{tmp_path / 'race.db'}"
    return {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url)}


@pytest.mark.postgres_only
@pytest.mark.slow
def test_two_tills_selling_the_same_piece_at_once_make_one_sale(app, jeweller, make_piece):
    from tests.test_race_guards import in_threads

    store_id, owner_id, piece_id = jeweller.store.id, jeweller.owner.id, make_piece(jeweller.store).id
    buyers = 6

    def buy(index: int, barrier: threading.Barrier) -> str:
        from models import User

        store, owner = db.session.get(Store, store_id), db.session.get(User, owner_id)
        piece = db.session.get(Product, piece_id)
        barrier.wait()
        try:
            billing.save_bill(store, owner, BillDraft(lines=[DraftLine(product=piece, qty=1,
                                                                        jewellery=JewelleryTerms())]))
        except InsufficientStock:
            db.session.rollback()
            return "refused"
        time.sleep(0.05)  # hold the sale open a moment, as a slow request would
        db.session.commit()
        return "sold"

    outcomes = Counter(in_threads(app, buyers, buy))
    assert outcomes == Counter({"sold": 1, "refused": buyers - 1})
    assert _count(Bill) == 1
    moves = db.session.execute(select(func.sum(StockMove.delta)).where(StockMove.product_id == piece_id)).scalar_one()
    assert db.session.get(Product, piece_id).quantity == 0 and moves == 0


def test_only_the_owner_may_bill_at_another_rate_than_todays(jeweller, make_piece, make_user):
    from services.errors import PermissionDenied

    cashier = make_user("till", store=jeweller.store, role="cashier")
    manager = make_user("boss", store=jeweller.store, role="manager")
    ring = make_piece(jeweller.store)
    for user in (cashier, manager):
        with pytest.raises(PermissionDenied, match="Only the owner may change the metal rate"):
            billing.save_bill(jeweller.store, user, BillDraft(lines=[DraftLine(
                product=ring, qty=1, jewellery=JewelleryTerms(rate=D("7000.00")))]))
        db.session.rollback()
    # today's rate, given as it stands, and another making charge: anyone may
    bill = billing.save_bill(jeweller.store, cashier, BillDraft(lines=[DraftLine(
        product=ring, qty=1, jewellery=JewelleryTerms(rate=D("7150.00"), making_charge=D("400.00")))]))
    assert bill.items[0].making_charge == D("400.00")
    db.session.rollback()
    # 10.000 x 7000.00 = 70000.00 + 4500.00 + 2500.00 + 45.00 = 77045.00; 1155.675 -> 1155.68 each; 79356.36
    owners = billing.save_bill(jeweller.store, jeweller.owner, BillDraft(lines=[DraftLine(
        product=ring, qty=1, jewellery=JewelleryTerms(rate=D("7000.00")))]))
    assert (owners.items[0].metal_rate, owners.total_amount) == (D("7000.00"), D("79356.36"))


def test_save_bill_refuses_gold_without_a_huid_where_hallmarking_is_mandatory(jeweller, make_piece):
    """The rule lives in save_bill, so every surface (till, Billing v1, NamastePMS, add-invoice) obeys it."""
    from services.errors import ValidationError

    plain = make_piece(jeweller.store, "Plain bangle", huid=None)
    with pytest.raises(ValidationError) as refused:
        billing.save_bill(jeweller.store, jeweller.owner, BillDraft(lines=[DraftLine(
            product=plain, qty=1, jewellery=JewelleryTerms())]))
    assert "gold without a HUID" in refused.value.errors["items[0].product_id"][0]
    db.session.rollback()
    assert _count(Bill) == 0
    # Buying it in (a purchase) is not a sale: no HUID needed.
    billing.save_bill(jeweller.store, jeweller.owner, BillDraft(kind="purchase", lines=[DraftLine(
        product=plain, qty=1, jewellery=JewelleryTerms())]))
