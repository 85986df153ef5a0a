"""Returns and credit notes through the service (services.billing.returns) and the engine's pure arithmetic
(services.billing.pricing.price_return): hand-checked amounts to the paisa, dues before refunds, stock back, refusals
that write nothing, and cancelling a bill after a return."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, Bill, BillItem, CreditNote, CreditNoteItem, InvoiceCounter, Product, StockMove
from services.billing import bills as billing
from services.billing import returns
from services.billing.pricing import BillForReturn, LineInput, ReturnedLine, credit_line, price_bill, price_return
from services.errors import PermissionDenied, ValidationError

D = Decimal


# --------------------------------------------------------------------------- the pure arithmetic


def test_a_partial_return_credits_its_share_of_each_amount_rounded_to_the_paisa():
    line = ReturnedLine(qty=D(3), returned_before=D(0), taxable_amount=D("99.99"), cgst_amount=D("2.50"),
                        sgst_amount=D("2.50"), igst_amount=D("0.00"), returning=D(1))
    assert credit_line(line) == returns_line("33.33", "0.83", "0.83", "0", "34.99")


def test_the_return_that_completes_a_line_takes_what_the_earlier_ones_left():
    # two single returns took 33.33 + 0.83 + 0.83 each; the last third is 33.34 + 0.84 + 0.84, not another 33.33
    line = ReturnedLine(qty=D(3), returned_before=D(2), taxable_amount=D("100.00"), cgst_amount=D("2.50"),
                        sgst_amount=D("2.50"), igst_amount=D("0.00"),
                        credited_before=(D("66.66"), D("1.66"), D("1.66"), D("0.00")), returning=D(1))
    assert credit_line(line) == returns_line("33.34", "0.84", "0.84", "0", "35.02")


def test_igst_lines_are_credited_in_proportion_too():
    line = ReturnedLine(qty=D("0.750"), returned_before=D(0), taxable_amount=D("100.00"), cgst_amount=D(0),
                        sgst_amount=D(0), igst_amount=D("18.00"), returning=D("0.250"))
    assert credit_line(line) == returns_line("33.33", "0", "0", "6.00", "39.33")


def test_the_after_tax_bill_discount_is_shared_cumulatively_and_the_last_note_makes_up_the_total():
    bill = BillForReturn(lines_value=D("424.19"), discount=D("50.00"), round_off=D("0.00"), total_amount=D("374.19"))
    first = price_return(bill, [ReturnedLine(D(3), D(0), D("99.99"), D("2.50"), D("2.50"), D(0), returning=D(1))],
                         completes_bill=False).totals
    assert (first.sub_total, first.discount, first.grand_total) == (D("34.99"), D("4.12"), D("30.87"))
    after_first = BillForReturn(D("424.19"), D("50.00"), D("0.00"), D("374.19"), D("34.99"), D("4.12"), D(0),
                                D("30.87"))
    second = price_return(after_first, [ReturnedLine(D(1), D(0), D("285.00"), D("17.10"), D("17.10"), D(0),
                                                     returning=D(1))], completes_bill=False).totals
    # 50 x 354.19 / 424.19 = 41.749 -> 41.75 so far, 4.12 of it taken already
    assert (second.sub_total, second.discount, second.grand_total) == (D("319.20"), D("37.63"), D("281.57"))


def test_round_off_is_shared_and_the_completing_note_absorbs_any_drift():
    # a 100.40 bill rounded to 100.00
    bill = BillForReturn(lines_value=D("100.40"), discount=D(0), round_off=D("-0.40"), total_amount=D("100.00"))
    half = ReturnedLine(D(2), D(0), D("85.08"), D("7.66"), D("7.66"), D(0), returning=D(1))
    first = price_return(bill, [half], completes_bill=False).totals
    assert (first.sub_total, first.round_off, first.grand_total) == (D("50.20"), D("-0.20"), D("50.00"))
    rest = ReturnedLine(D(2), D(1), D("85.08"), D("7.66"), D("7.66"), D(0),
                        credited_before=(D("42.54"), D("3.83"), D("3.83"), D(0)), returning=D(1))
    after = BillForReturn(D("100.40"), D(0), D("-0.40"), D("100.00"), D("50.20"), D(0), D("-0.20"), D("50.00"))
    last = price_return(after, [rest], completes_bill=True).totals
    assert last.grand_total == D("50.00") and first.grand_total + last.grand_total == D("100.00")


def returns_line(taxable, cgst, sgst, igst, total):
    from services.billing.pricing import CreditedLine

    return CreditedLine(D(taxable), D(cgst), D(sgst), D(igst), D(total))


# --------------------------------------------------------------------------- through the service


@pytest.fixture
def shop(till_shop, make_product):
    """till_shop plus a 33.33 soap at 2.5 % + 2.5 % (thirds that do not divide) and a sale of 3 soaps and a butter
    with a 50.00 bill discount, 300.00 paid in cash:
        line 1: 3 x 33.33 = 99.99, CGST 2.50, SGST 2.50, total 104.99
        line 2: 1 x 285.00, CGST 17.10, SGST 17.10, total 319.20
        sub total 424.19, discount 50.00, grand total 374.19, paid 300.00, dues 74.19"""
    till_shop.thirds = make_product(till_shop.store, "Pears Soap", unit_price="33.33", quantity=10,
                                    cgst_rate="2.5", sgst_rate="2.5")
    draft = billing.BillDraft(
        lines=[billing.DraftLine(product=till_shop.thirds, qty=3), billing.DraftLine(product=till_shop.butter, qty=1)],
        discount=D("50"), payments=[billing.DraftPayment(mode="cash", amount=D("300"))])
    till_shop.bill = billing.save_bill(till_shop.store, till_shop.cashier, draft)
    db.session.commit()
    bill = till_shop.bill
    assert (bill.sub_total, bill.discount, bill.total_amount, bill.due_amount) == (
        D("424.19"), D("50.00"), D("374.19"), D("74.19"))
    return till_shop


def make_return(shop, lines, refund_mode=None, user=None, reason=None) -> CreditNote:
    draft = returns.ReturnDraft(lines=[returns.ReturnLine(line_no=n, qty=q) for n, q in lines],
                                refund_mode=refund_mode, reason=reason)
    bill = db.session.get(Bill, shop.bill.id)
    note = returns.create_return(shop.store, user or shop.manager, bill, draft)
    db.session.commit()
    return note


def counts() -> tuple[int, ...]:
    db.session.expire_all()
    rows = [db.session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (CreditNote, CreditNoteItem, StockMove, AuditLog, InvoiceCounter)]
    returned = db.session.execute(select(func.sum(BillItem.returned_qty))).scalar_one()
    bill = db.session.execute(select(func.sum(Bill.credited_amount), func.sum(Bill.refunded_amount),
                                     func.sum(Bill.due_amount))).one()
    stock_total = db.session.execute(select(func.sum(Product.quantity))).scalar_one()
    return (*rows, returned, *bill, stock_total)


def test_three_returns_credit_to_the_paisa_reduce_dues_first_and_add_up_to_the_bill_total(shop):
    first = make_return(shop, [(1, 1)], reason="Torn wrapper")
    assert first.number.startswith("CN") and first.number.endswith("00001") and len(first.number) == 11
    assert [(i.line_no, i.qty, i.taxable_amount, i.cgst_amount, i.sgst_amount, i.line_total) for i in first.items] == [
        (1, 1, D("33.33"), D("0.83"), D("0.83"), D("34.99"))]
    assert (first.sub_total, first.discount, first.total_amount) == (D("34.99"), D("4.12"), D("30.87"))
    assert (first.dues_reduced, first.refund_amount, first.refund_mode) == (D("30.87"), D("0.00"), "none")
    bill = db.session.get(Bill, shop.bill.id)
    assert (bill.credited_amount, bill.refunded_amount, bill.due_amount, bill.status) == (
        D("30.87"), D("0.00"), D("43.32"), "partial")

    second = make_return(shop, [(2, 1)], refund_mode="cash")
    assert (second.number[-5:], second.discount, second.total_amount) == ("00002", D("37.63"), D("281.57"))
    assert (second.dues_reduced, second.refund_amount, second.refund_mode) == (D("43.32"), D("238.25"), "cash")
    bill = db.session.get(Bill, shop.bill.id)
    assert (bill.credited_amount, bill.refunded_amount, bill.due_amount, bill.status) == (
        D("312.44"), D("238.25"), D("0.00"), "paid")

    last = make_return(shop, [(1, 2)], refund_mode="upi")
    assert [(i.taxable_amount, i.cgst_amount, i.sgst_amount, i.line_total) for i in last.items] == [
        (D("66.66"), D("1.67"), D("1.67"), D("70.00"))]
    assert (last.discount, last.round_off, last.total_amount, last.refund_amount) == (
        D("8.25"), D("0.00"), D("61.75"), D("61.75"))
    notes = db.session.execute(select(CreditNote).where(CreditNote.bill_id == shop.bill.id)).scalars().all()
    assert sum(n.total_amount for n in notes) == D("374.19")
    assert sum(n.cgst_amount for n in notes) == bill.cgst_amount
    assert sum(n.taxable_amount for n in notes) == D("384.99")
    bill = db.session.get(Bill, shop.bill.id)
    assert (bill.credited_amount, bill.refunded_amount, bill.due_amount) == (D("374.19"), D("300.00"), D("0.00"))
    assert [i.returned_qty for i in bill.items] == [3, 1]


def test_returned_goods_go_back_into_stock_with_moves_of_reason_return(shop):
    assert db.session.get(Product, shop.thirds.id).quantity == 7
    make_return(shop, [(1, 2), (2, 1)], refund_mode="card")
    db.session.expire_all()
    assert db.session.get(Product, shop.thirds.id).quantity == 9
    assert db.session.get(Product, shop.butter.id).quantity == 5
    moves = db.session.execute(select(StockMove.product_id, StockMove.delta).where(
        StockMove.bill_id == shop.bill.id, StockMove.reason == "return").order_by(StockMove.product_id)).all()
    assert sorted(moves) == sorted([(shop.thirds.id, 2), (shop.butter.id, 1)])
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "return")).scalar_one()
    assert audit.meta["credit_note"].startswith("CN") and audit.meta["refund_mode"] == "card"


def test_cancelling_a_bill_after_a_return_gives_back_only_what_was_not_returned(shop):
    make_return(shop, [(1, 1)])
    bill = db.session.get(Bill, shop.bill.id)
    billing.cancel_bill(shop.store, shop.manager, bill, "wrong customer")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Product, shop.thirds.id).quantity == 10
    assert db.session.get(Product, shop.butter.id).quantity == 5
    bill = db.session.get(Bill, shop.bill.id)
    assert (bill.status, bill.due_amount) == ("cancelled", D("0.00"))


def test_a_measured_line_returns_three_decimals_and_pieces_stay_whole(shop, make_product):
    rice = make_product(shop.store, "Loose Rice", unit_price="60.00", quantity=5, unit="kg", cgst_rate="0",
                        sgst_rate="0")
    bill = billing.save_bill(shop.store, shop.cashier, billing.BillDraft(
        lines=[billing.DraftLine(product=rice, qty=D("0.750"))]))
    db.session.commit()
    shop.bill = bill
    note = make_return(shop, [(1, D("0.1"))])
    note2 = make_return(shop, [(1, D("0.2"))])
    assert note.items[0].line_total == D("6.00") and note2.items[0].line_total == D("12.00")
    with pytest.raises(ValidationError) as refused:
        make_return(shop, [(1, D("0.4505"))])
    db.session.rollback()
    assert "items[0].qty" in refused.value.errors
    last = make_return(shop, [(1, D("0.45"))])
    assert last.items[0].line_total == D("27.00")
    assert db.session.get(BillItem, bill.items[0].id).returned_qty == D("0.750")


@pytest.mark.parametrize("lines, refund_mode, field, words", [
    ([(1, 4)], None, "items[0].qty", "Only 3 of line 1 (Pears Soap) left to return"),
    ([(1, 0)], None, "items[0].qty", "whole number of at least 1"),
    ([(1, -1)], None, "items[0].qty", "whole number of at least 1"),
    ([(1, D("1.5"))], None, "items[0].qty", "whole number"),
    ([(7, 1)], None, "items[0].line_no", "The bill has no line 7"),
    ([(1, 1), (1, 1)], None, "items[1].line_no", "given twice"),
    ([], None, "items", "At least one line"),
    ([(1, 1)], "cheque", "refund_mode", "Must be one of"),
    ([(2, 1)], None, "refund_mode", "is to be paid back"),
    ([(2, 1)], "none", "refund_mode", "is to be paid back"),
])
def test_refused_returns_name_the_field_and_write_nothing(shop, lines, refund_mode, field, words):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        make_return(shop, lines, refund_mode=refund_mode)
    db.session.rollback()
    assert words in refused.value.errors[field][0], refused.value.errors
    assert counts() == before


def test_over_returning_after_an_earlier_return_says_how_many_are_left(shop):
    make_return(shop, [(1, 2)])
    before = counts()
    with pytest.raises(ValidationError) as refused:
        make_return(shop, [(2, 1), (1, 2)], refund_mode="cash")
    db.session.rollback()
    assert refused.value.errors == {"items[1].qty": ["Only 1 of line 1 (Pears Soap) left to return"]}
    assert counts() == before


def test_the_conditional_update_refuses_what_another_return_took_after_the_checks(shop, monkeypatch):
    """The read-only checks see 3 left; another return takes 2 while this one waits for the CN counter; the
    guard refuses this one's 2 and nothing of it is kept."""
    real_take_next = returns.numbering.take_next

    def take_next_while_another_returns(*args, **kwargs):
        taken = real_take_next(*args, **kwargs)
        db.session.execute(BillItem.__table__.update().where(BillItem.__table__.c.bill_id == shop.bill.id,
                                                             BillItem.__table__.c.line_no == 1).values(returned_qty=2))
        return taken

    monkeypatch.setattr(returns.numbering, "take_next", take_next_while_another_returns)
    bill = db.session.get(Bill, shop.bill.id)
    with pytest.raises(ValidationError) as refused:
        returns.create_return(shop.store, shop.manager, bill, returns.ReturnDraft(
            lines=[returns.ReturnLine(line_no=1, qty=2)]))
    assert refused.value.errors == {"items[0].qty": ["Only 1 of line 1 (Pears Soap) left to return"]}
    assert db.session.get(BillItem, bill.items[0].id).returned_qty == 2  # the other return's, not 4
    db.session.rollback()


def test_a_cancelled_bill_a_purchase_and_a_cashier_are_refused_with_nothing_written(shop, make_supplier):
    before = counts()
    with pytest.raises(PermissionDenied):
        make_return(shop, [(1, 1)], user=shop.cashier)
    db.session.rollback()
    assert counts() == before
    bill = db.session.get(Bill, shop.bill.id)
    billing.cancel_bill(shop.store, shop.manager, bill, "oops")
    db.session.commit()
    before = counts()
    with pytest.raises(ValidationError, match="cancelled"):
        make_return(shop, [(1, 1)])
    db.session.rollback()
    assert counts() == before
    purchase = billing.save_bill(shop.store, shop.owner, billing.BillDraft(
        lines=[billing.DraftLine(product=shop.soap, qty=2)], kind="purchase", customer=None))
    db.session.commit()
    shop.bill = purchase
    before = counts()
    with pytest.raises(ValidationError, match="purchase"):
        make_return(shop, [(1, 1)])
    db.session.rollback()
    assert counts() == before


def test_another_stores_bill_is_refused(shop, make_store):
    other = make_store()
    before = counts()
    bill = db.session.get(Bill, shop.bill.id)
    with pytest.raises((ValidationError, PermissionDenied)):
        returns.create_return(other, shop.manager, bill, returns.ReturnDraft(lines=[returns.ReturnLine(1, 1)]))
    db.session.rollback()
    assert counts() == before


# --------------------------------------------------------------------------- property: no paisa drift


@st.composite
def bills_and_returns(draw):
    """A priced bill (engine lines, after-tax discount, maybe round-off) and an order of partial returns that
    ends with everything returned."""
    lines = [LineInput(unit_price=draw(st.decimals("0.01", "999.99", places=2)), qty=draw(st.integers(1, 6)),
                       cgst_rate=rate, sgst_rate=rate)
             for rate in draw(st.lists(st.sampled_from([D(0), D("2.5"), D(6), D(9), D(14)]), min_size=1, max_size=4))]
    priced = price_bill(lines, discount=draw(st.decimals("0", "500", places=2)), round_off=draw(st.booleans()))
    steps = []
    left = [int(line.qty) for line in lines]
    while any(left):
        index = draw(st.sampled_from([i for i, n in enumerate(left) if n]))
        qty = draw(st.integers(1, left[index]))
        left[index] -= qty
        steps.append((index, qty))
    return lines, priced, steps


@given(bills_and_returns())
@settings(max_examples=200, deadline=None, derandomize=True)
def test_credit_notes_of_a_bill_returned_piece_by_piece_add_up_to_it_exactly(case):
    lines, priced, steps = case
    t = priced.totals
    returned = [0] * len(lines)
    credited = [[D(0)] * 4 for _ in lines]
    so_far = dict(value=D(0), discount=D(0), round_off=D(0), total=D(0))
    for index, qty in steps:
        a = priced.lines[index]
        line = ReturnedLine(D(lines[index].qty), D(returned[index]), a.taxable_amount, a.cgst_amount, a.sgst_amount,
                            a.igst_amount, tuple(credited[index]), D(qty))
        returned[index] += qty
        bill = BillForReturn(t.sub_total, t.discount, t.round_off, t.grand_total, so_far["value"],
                             so_far["discount"], so_far["round_off"], so_far["total"])
        note = price_return(bill, [line], completes_bill=all(r == n.qty for r, n in zip(returned, lines)))
        c, n = note.lines[0], note.totals
        assert n.grand_total >= 0 and n.grand_total == n.sub_total - n.discount + n.round_off
        # never more than was paid for these items, give or take the paisa of rounding
        assert n.grand_total <= c.line_total * t.grand_total / t.sub_total + D("0.02") if t.sub_total else True
        credited[index] = [x + y for x, y in zip(credited[index], (c.taxable_amount, c.cgst_amount, c.sgst_amount,
                                                                   c.igst_amount))]
        for key, value in (("value", n.sub_total), ("discount", n.discount), ("round_off", n.round_off),
                           ("total", n.grand_total)):
            so_far[key] += value
    assert so_far["total"] == t.grand_total and so_far["value"] == t.sub_total and so_far["discount"] == t.discount
    for a, got in zip(priced.lines, credited):
        assert got == [a.taxable_amount, a.cgst_amount, a.sgst_amount, a.igst_amount]
