"""services.billing.bills.save_bill and friends, as every surface calls them (no HTTP here)."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, Bill, BillItem, Coupon, Customer, InvoiceCounter, Payment, Product, StockMove
from services.billing import bills as billing
from services.billing import numbering
from services.billing.bills import BillDraft, ClientTotals, DraftLine, DraftPayment, NewCustomer
from services.catalog.stock import InsufficientStock
from services.errors import DomainError, PermissionDenied, ValidationError

D = Decimal


@pytest.fixture
def shop(make_user, make_store):
    from services.accounts.access import current_store_for

    owner = make_user("owner5")
    store = current_store_for(owner)
    return store, owner


def counts() -> tuple[int, ...]:
    return tuple(
        db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Bill, BillItem, Payment, StockMove, AuditLog, Customer, InvoiceCounter)
    )


def seed_line(product, **kw):
    return DraftLine(product=product, qty=1, line_no=1, discount_type="percent", discount_value=D("10"),
                     cgst_rate=D("9"), sgst_rate=D("9"), **kw)


def test_save_bill_prices_numbers_stocks_and_audits_the_seed_example(shop, make_product):
    store, owner = shop
    product = make_product(store, "Haircut Kit", unit_price="1000.00", quantity=5)
    draft = BillDraft(
        lines=[seed_line(product)], customer=NewCustomer("Anita Singh", "+919876543210"), discount=D("50"),
        payment_mode="split", payment_amount=D("1012"),
        payments=[DraftPayment("upi", D("612")), DraftPayment("cash", D("400"))], source="v1",
    )
    bill = billing.save_bill(store, owner, draft, now=datetime(2025, 9, 26, 11, 29, tzinfo=timezone.utc))
    db.session.commit()
    assert bill.invoice_number == "INV202500001"
    assert (bill.sub_total, bill.discount, bill.tax, bill.total_amount) == (
        D("1062.00"), D("50.00"), D("162.00"), D("1012.00"))
    assert (bill.paid_amount, bill.due_amount, bill.status) == (D("1012.00"), D("0.00"), "paid")
    assert [p.amount for p in bill.payments] == [D("612.00"), D("400.00")]
    assert db.session.get(Product, product.id).quantity == 4
    moves = db.session.execute(select(StockMove).where(StockMove.bill_id == bill.id)).scalars().all()
    assert [(m.delta, m.reason) for m in moves] == [(-1, "sale")]
    assert bill.party.customer.phone_no == "+919876543210"
    assert db.session.execute(select(AuditLog).where(AuditLog.entity_id == bill.uid)).scalar_one().action == "create"


def test_numbers_are_consecutive_and_restart_each_financial_year(shop, make_product):
    store, owner = shop
    product = make_product(store, type="service", unit_price="10")
    march = datetime(2026, 3, 31, 18, 0, tzinfo=timezone.utc)  # 31 Mar 23:30 in Kolkata: FY 2025
    april = datetime(2026, 3, 31, 18, 31, tzinfo=timezone.utc)  # 1 Apr 00:01 in Kolkata: FY 2026
    numbers = [billing.save_bill(store, owner, BillDraft(lines=[DraftLine(product, 1)]), now=when).invoice_number
               for when in (march, march, april, april)]
    assert numbers == ["INV202500001", "INV202500002", "INV202600001", "INV202600002"]
    assert numbering.peek_next(store, now=april) == "INV202600003"


def test_insufficient_stock_is_refused_naming_the_product_and_nothing_is_written(shop, make_product):
    store, owner = shop
    plenty = make_product(store, "Soap", quantity=10)
    short = make_product(store, "Basmati Rice", quantity=2)
    before = counts()
    draft = BillDraft(lines=[DraftLine(plenty, 3), DraftLine(short, 2, field="items[1]"),
                             DraftLine(short, 1, field="items[2]")],
                      customer=NewCustomer("New Person", "+919800000001"))
    with pytest.raises(InsufficientStock) as caught:
        billing.save_bill(store, owner, draft)
    db.session.rollback()
    assert "Basmati Rice" in caught.value.message
    assert "items[1].qty" in caught.value.errors
    assert counts() == before
    assert db.session.get(Product, plenty.id).quantity == 10
    fy = numbering.financial_year(datetime.now(timezone.utc))
    assert numbering.peek_next(store) == numbering.format_number("INV", fy, 1)


def test_client_totals_and_number_are_stored_as_sent_and_items_still_move_stock(shop, make_product):
    store, owner = shop
    product = make_product(store, quantity=20)
    totals = ClientTotals(sub_total=D("12800.00"), discount=D("500.00"), tax=D("2700.00"),
                          total_amount=D("15000.00"), paid_amount=D("0"), due_amount=D("15000.00"))
    draft = BillDraft(lines=[DraftLine(product, 10, unit_price=D("99.99"))], invoice_number="INV-2026-001",
                      client_totals=totals, source="namaste", columns={"notes": "Payment due in 30 days"})
    bill = billing.save_bill(store, owner, draft)
    assert (bill.invoice_number, bill.total_amount, bill.sub_total, bill.status) == (
        "INV-2026-001", D("15000.00"), D("12800.00"), "unpaid")
    assert bill.items[0].rate == D("99.99") and bill.items[0].line_total == D("1179.88")  # 999.90 + 89.99 + 89.99
    assert db.session.get(Product, product.id).quantity == 10
    with pytest.raises(ValidationError) as caught:
        billing.save_bill(store, owner, draft)
    assert "invoice_number" in caught.value.errors


def test_new_customer_with_a_known_phone_reuses_that_customer(shop, make_product, make_customer):
    store, owner = shop
    existing = make_customer(store, "Ravi", phone_no="+919811111111")
    product = make_product(store, type="service")
    bill = billing.save_bill(store, owner, BillDraft(lines=[DraftLine(product, 1)],
                                                     customer=NewCustomer("Ravi K", "+919811111111")))
    assert bill.party_id == existing.id
    assert db.session.execute(select(func.count()).select_from(Customer)).scalar_one() == 1


@pytest.mark.parametrize("draft_changes, field", [
    ({"payment_mode": "none", "payment_amount": D("5")}, "payment_amount"),
    ({"payment_mode": "cash", "payment_amount": D("10"), "payments": [DraftPayment("upi", D("10"))]},
     "payments[0].mode"),
    ({"payment_mode": "split", "payment_amount": D("10"), "payments": [DraftPayment("upi", D("10"))]}, "payments"),
    ({"payment_mode": "split", "payment_amount": D("20"),
      "payments": [DraftPayment("upi", D("10")), DraftPayment("cash", D("5"))]}, "payments"),
    ({"payment_mode": "cash", "payment_amount": D("500"), "payments": [DraftPayment("cash", D("500"))]},
     "payment_amount"),
    ({"discount": D("-1")}, "discount"),
])
def test_payment_and_discount_rules_are_refused_with_the_field_named(shop, make_product, draft_changes, field):
    store, owner = shop
    product = make_product(store, unit_price="100", type="service")
    draft = BillDraft(lines=[DraftLine(product, 1)], **draft_changes)
    with pytest.raises(ValidationError) as caught:
        billing.save_bill(store, owner, draft)
    assert field in caught.value.errors


def test_coupons_reduce_the_bill_and_count_their_uses(shop, make_product):
    store, owner = shop
    db.session.add(Coupon(store_id=store.id, code="SAVE10", kind="percent", value=D("10"), max_uses=1))
    db.session.commit()
    product = make_product(store, unit_price="100", type="service", cgst_rate="0", sgst_rate="0")
    bill = billing.save_bill(store, owner, BillDraft(lines=[DraftLine(product, 1)], coupon_codes=["SAVE10"],
                                                     referral_code="REF1"))
    assert (bill.discount, bill.total_amount, bill.coupon_codes, bill.referral_code) == (
        D("10.00"), D("90.00"), ["SAVE10"], "REF1")
    db.session.commit()
    with pytest.raises(ValidationError) as caught:
        billing.save_bill(store, owner, BillDraft(lines=[DraftLine(product, 1)], coupon_codes=["SAVE10"]))
    assert "used up" in caught.value.errors["coupon_codes[0]"][0]


def test_cancel_keeps_the_number_and_gives_the_stock_back_and_cashiers_may_not(shop, make_product, make_user):
    store, owner = shop
    product = make_product(store, quantity=5)
    bill = billing.save_bill(store, owner, BillDraft(lines=[DraftLine(product, 3)]))
    db.session.commit()
    cashier = make_user("cash1", store=store, role="cashier")
    with pytest.raises(PermissionDenied):
        billing.cancel_bill(store, cashier, bill)
    billing.cancel_bill(store, owner, bill, "wrong items")
    db.session.commit()
    assert db.session.get(Product, product.id).quantity == 5
    assert bill.invoice_number.endswith("00001") and bill.cancelled_at is not None
    moves = db.session.execute(select(StockMove).where(StockMove.product_id == product.id)).scalars()
    assert sum(m.delta for m in moves) == 5
    with pytest.raises(DomainError):
        billing.cancel_bill(store, owner, bill)


def test_record_payment_moves_status_from_unpaid_to_partial_to_paid_and_refuses_overpayment(shop, make_product):
    store, owner = shop
    product = make_product(store, unit_price="100", type="service", cgst_rate="0", sgst_rate="0")
    bill = billing.save_bill(store, owner, BillDraft(lines=[DraftLine(product, 1)]))
    assert bill.status == "unpaid"
    billing.record_payment(store, owner, bill, DraftPayment("cash", D("40")))
    assert (bill.status, bill.due_amount) == ("partial", D("60.00"))
    with pytest.raises(ValidationError):
        billing.record_payment(store, owner, bill, DraftPayment("cash", D("60.01")))
    billing.record_payment(store, owner, bill, DraftPayment("upi", D("60")))
    assert (bill.status, bill.due_amount, bill.paid_amount) == ("paid", D("0.00"), D("100.00"))


def test_a_purchase_adds_stock_and_does_not_take_a_sales_number(shop, make_product):
    store, owner = shop
    product = make_product(store, quantity=1)
    purchase = billing.save_bill(store, owner,
                                 BillDraft(lines=[DraftLine(product, 4, unit_price=D("60"))], kind="purchase"))
    sale = billing.save_bill(store, owner, BillDraft(lines=[DraftLine(product, 5)]))
    assert purchase.invoice_number.startswith("PUR") and sale.invoice_number.endswith("00001")
    assert sale.invoice_number.startswith("INV")
    assert db.session.get(Product, product.id).quantity == 0
    reasons = [m.reason for m in db.session.execute(select(StockMove).where(StockMove.product_id == product.id)
                                                      .order_by(StockMove.id)).scalars()]
    assert reasons == ["import", "purchase", "sale"]
