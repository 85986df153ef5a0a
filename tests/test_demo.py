"""`flask seed-demo` makes three real shops and is safe to run twice; `flask create-admin` makes an owner."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from extensions import db
from models import Bill, Customer, Expense, Membership, MetalRate, Product, Staff, StockMove, Store, Supplier, User

COUNTED = (Store, User, Membership, Product, Customer, Supplier, Expense, Bill, StockMove, MetalRate, Staff)


def _counts() -> dict[str, int]:
    return {model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in COUNTED}


def test_seed_demo_builds_three_real_shops_and_twice_changes_nothing(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Sharma General Store" in first.output and "bills over 30 days" in first.output
    counts = _counts()
    kinds = {s.business_kind for s in db.session.execute(select(Store)).scalars()}
    assert kinds == {"general", "jewellery", "salon"}
    general = db.session.execute(select(Store).filter_by(business_kind="general")).scalar_one()
    items = db.session.execute(select(Product).filter_by(store_id=general.id)).scalars().all()
    goods = [p for p in items if p.type == "product"]
    assert len(goods) >= 50 and any(p.type == "service" for p in items)
    assert all(p.barcode and p.sku and p.hsn_code for p in goods)
    assert counts["Bill"] > 30 and counts["Expense"] > 30 and counts["Staff"] >= 3 and counts["MetalRate"] >= 5

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "already present" in second.output
    assert _counts() == counts


def test_seed_demo_stock_always_equals_the_sum_of_its_moves(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    rows = db.session.execute(
        select(Product.id, Product.quantity, func.coalesce(func.sum(StockMove.delta), 0))
        .outerjoin(StockMove, StockMove.product_id == Product.id)
        .where(Product.type == "product")
        .group_by(Product.id, Product.quantity)
    ).all()
    assert rows and all(quantity == moved for _, quantity, moved in rows)


def test_jewellery_pieces_carry_weights_purity_and_todays_rates(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    store = db.session.execute(select(Store).filter_by(business_kind="jewellery")).scalar_one()
    pieces = db.session.execute(select(Product).filter_by(store_id=store.id)).scalars().all()
    assert len(pieces) == 40 and len({p.product_name for p in pieces}) == 10  # four pieces of each design
    for piece in pieces:
        assert piece.gross_weight and piece.tounch and piece.making_type in {"PG", "PP"}
        assert bool(piece.huid) == (piece.attributes["metal"] == "gold")  # gold is hallmarked
        assert piece.quantity in (0, 1)  # one of its kind: in stock or sold
        assert piece.net_weight == piece.gross_weight - piece.less_weight
        expected_fine = (piece.net_weight * (piece.tounch + piece.wastage) / 100).quantize(piece.net_weight)
        assert abs(piece.fine_weight - expected_fine) <= type(piece.fine_weight)("0.001")
    # Each piece names a metal and purity the rates service knows, and today's rate is in force for it, so the
    # jewellery till and the engine can price every demo piece.
    from services.jewellery import rates

    today = store.local_today()
    for piece in pieces:
        metal, purity = piece.attributes["metal"], piece.attributes["purity"]
        assert rates.rate_on(store, metal, purity, today) is not None, (piece.product_name, metal, purity)
    # The demo's jewellery bills were priced by the engine: each line keeps its locked rate and breakdown, and
    # every sold piece is on exactly one bill.
    from models import BillItem

    items = db.session.execute(select(BillItem).join(Bill).where(Bill.store_id == store.id)).scalars().all()
    assert items and all(i.metal_rate and i.extra and i.extra["metal_value"] for i in items)
    by_id = {p.id: p for p in pieces}
    for item in items:  # a real jewellery line: the piece's weights, purity, HUID and making, at that day's rate
        piece = by_id[item.product_id]
        assert item.qty == 1 and (item.huid, item.gross_weight, item.net_weight) == (
            piece.huid, piece.gross_weight, piece.net_weight)
        assert item.extra["purity"] == piece.attributes["purity"] and item.making_charge == piece.making_charge
        assert Decimal(item.extra["making_amount"]) > 0 and item.tounch == piece.tounch
        assert item.taxable_amount > Decimal(item.extra["metal_value"]) > 0
    assert any(item.huid for item in items)
    sold = [p.id for p in pieces if p.quantity == 0]
    assert sold and sorted(i.product_id for i in items) == sorted(sold)
    left = {p.product_name for p in pieces if p.quantity == 1}
    assert left == {p.product_name for p in pieces}  # each design keeps a piece in the showcase
    assert any(b.interest_terms for b in db.session.execute(
        select(Bill).where(Bill.store_id == store.id)).scalars())


def test_the_seeded_demo_passes_audit_verify(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0 and result.output.count(": OK (") >= 3, result.output


def test_seed_demo_if_empty_leaves_a_used_database_alone(runner, make_user):
    make_user()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "not added" in result.output
    assert db.session.execute(select(func.count()).select_from(Store)).scalar_one() == 1


def test_create_admin_makes_a_verified_owner_with_a_store(runner):
    result = runner.invoke(args=["create-admin", "--email", "Admin@Shop.in", "--username", "admin",
                                 "--store-name", "Main Bazaar Store", "--password", "longenough1"])
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User).filter_by(email="admin@shop.in")).scalar_one()
    assert user.is_verify and user.password_hash != "longenough1"
    membership = db.session.execute(select(Membership).filter_by(user_id=user.id)).scalar_one()
    assert membership.role == "owner" and membership.store.name == "Main Bazaar Store"


def test_create_admin_refuses_a_short_password_and_writes_nothing(runner):
    result = runner.invoke(args=["create-admin", "--email", "a@b.in", "--username", "a",
                                 "--store-name", "S", "--password", "short"])
    assert result.exit_code == 1
    assert "password" in result.output
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0


def test_purge_idempotency_keys_removes_only_expired_keys(runner, make_store):
    from datetime import datetime, timedelta, timezone

    from models import IdempotencyRecord

    store = make_store()
    now = datetime.now(timezone.utc)
    db.session.add_all([
        IdempotencyRecord(store_id=store.id, key="old", fingerprint="f", status_code=201, body="{}",
                          created_at=now - timedelta(hours=25)),
        IdempotencyRecord(store_id=store.id, key="new", fingerprint="f", status_code=201, body="{}",
                          created_at=now - timedelta(hours=1)),
    ])
    db.session.commit()
    result = runner.invoke(args=["purge-idempotency-keys"])
    assert result.exit_code == 0 and "Removed 1 " in result.output
    assert [r.key for r in db.session.execute(select(IdempotencyRecord)).scalars()] == ["new"]


def test_the_demo_general_store_prices_at_mrp_and_sells_loose_goods_by_weight(runner):
    from models import BillItem

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    general = db.session.execute(select(Store).filter_by(business_kind="general")).scalar_one()
    assert general.settings["prices_include_tax"] is True
    items = db.session.execute(select(Product).filter_by(store_id=general.id)).scalars().all()
    assert items and all(p.price_includes_tax for p in items)  # created after the option was turned on
    salon = db.session.execute(select(Store).filter_by(business_kind="salon")).scalar_one()
    assert not any(p.price_includes_tax for p in db.session.execute(
        select(Product).filter_by(store_id=salon.id)).scalars())
    loose = {p.product_name.split(" (")[0]: p for p in items if p.unit != "pcs"}
    assert {name: (p.unit, p.hsn_code, p.cgst_rate + p.sgst_rate) for name, p in loose.items()} == {
        "Onion": ("kg", "0703", 0), "Potato": ("kg", "0701", 0), "Tomato": ("kg", "0702", 0),
        "Sugar": ("kg", "1701", 5), "Groundnut Oil": ("l", "1508", 5)}
    assert any(p.quantity != p.quantity.to_integral_value() for p in loose.values())  # e.g. 42.5 kg
    sold = db.session.execute(select(BillItem).where(BillItem.product_id.in_([p.id for p in loose.values()]))
                              ).scalars().all()
    assert any(item.qty != item.qty.to_integral_value() for item in sold)  # 0.750 kg on a demo bill
    bills = db.session.execute(select(Bill).filter_by(store_id=general.id)).scalars().all()
    for bill in bills:  # MRP: each line costs its printed price less its discount, split exactly into its taxes
        for item in bill.items:
            assert item.price_includes_tax
            assert item.line_total == item.base_amount - item.discount_amount
            assert item.taxable_amount + item.cgst_amount + item.sgst_amount + item.igst_amount == item.line_total
        assert bill.sub_total == sum((item.line_total for item in bill.items), Decimal("0"))
        assert bill.total_amount == bill.sub_total - bill.discount


def test_the_demo_salons_memberships_are_real_plans_that_do_something(runner):
    from models import BillItem, CustomerMembership, MembershipPlan

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    salon = db.session.execute(select(Store).filter_by(business_kind="salon")).scalar_one()
    plans = {p.name: p for p in db.session.execute(select(MembershipPlan).filter_by(store_id=salon.id)).scalars()}
    silver, gold = plans["Silver Membership (3 months)"], plans["Gold Membership (12 months)"]
    assert (silver.price, silver.validity_days, silver.service_discount, silver.services) == (
        Decimal("2999.00"), 90, Decimal("10.00"), [])
    assert (gold.price, gold.validity_days, gold.service_discount, gold.product_discount, gold.prepaid_value) == (
        Decimal("9999.00"), 365, Decimal("20.00"), Decimal("10.00"), Decimal("2000.00"))
    assert [(s.product.product_name, s.sessions) for s in gold.services] == [("Haircut Premium", 4)]
    for plan in (silver, gold):  # sold through its own catalogue item, in the Memberships category
        assert (plan.product.type, plan.product.product_name, plan.product.category.name) == (
            "membership", plan.name, "Memberships")
    # The demo's bills sold plans, and their buyers' later bills carry the benefits.
    sold = db.session.execute(select(CustomerMembership).filter_by(store_id=salon.id)).scalars().all()
    assert sold and {m.name for m in sold} <= set(plans)
    discounted = db.session.execute(select(func.count()).select_from(BillItem).join(Bill).where(
        Bill.store_id == salon.id, BillItem.membership_discount > 0)).scalar_one()
    assert discounted > 0
