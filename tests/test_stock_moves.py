"""The stock invariant on both databases: after sales, purchases, returns, cancellations, reasoned adjustments, a
stock count and NamastePMS quantity changes, every item's stock is exactly the sum of its moves. NamastePMS
quantity changes are moves of reason `adjust` made by the one function `services.catalog.stock.adjust`."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from extensions import db
from models import Category, Product, StockMove
from services.billing import bills as billing
from services.billing import returns
from services.catalog import stock
from tests.fixtures_pos import sign_in

D = Decimal


def mismatches() -> list[tuple[str, Decimal, Decimal]]:
    """(item, stock, sum of moves) for every item whose stock is not the sum of its moves."""
    db.session.expire_all()
    sums = dict(db.session.execute(
        select(StockMove.product_id, func.sum(StockMove.delta)).group_by(StockMove.product_id)).all())
    wrong = []
    for product in db.session.execute(select(Product)).scalars():
        total = D(str(sums.get(product.id, 0))).quantize(D("0.001"))
        if D(str(product.quantity)).quantize(D("0.001")) != total:
            wrong.append((product.product_name, product.quantity, total))
    return wrong


def reasons(product) -> list[str]:
    return list(db.session.execute(select(StockMove.reason).where(StockMove.product_id == product.id)
                                   .order_by(StockMove.id)).scalars())


def test_stock_is_the_sum_of_its_moves_after_every_kind_of_change(client, till_shop, make_product, api_headers):
    shop, salt, butter, soap = till_shop, till_shop.salt, till_shop.butter, till_shop.soap
    rice = make_product(shop.store, "Loose rice", unit="kg", quantity=0)
    stock.add({rice: D("10.000")}, reason="purchase")
    db.session.commit()

    def save(lines, kind="sale"):
        bill = billing.save_bill(shop.store, shop.manager, billing.BillDraft(
            lines=[billing.DraftLine(product=p, qty=q) for p, q in lines], kind=kind))
        db.session.commit()
        return bill

    sale = save([(salt, 5), (butter, 2), (rice, D("0.3"))])
    save([(rice, D("0.3")), (soap, 1)])
    save([(salt, 20), (rice, D("2.5"))], kind="purchase")
    returns.create_return(shop.store, shop.manager, sale, returns.ReturnDraft(
        lines=[returns.ReturnLine(line_no=sale.items[0].line_no, qty=1)], refund_mode="none"))
    db.session.commit()
    billing.cancel_bill(shop.store, shop.manager, save([(soap, 3), (rice, D("0.1"))]))
    db.session.commit()
    assert mismatches() == []

    sign_in(client, shop.manager)
    assert client.post_form(f"/inventory/{soap.id}/adjust",
                            {"reason": "theft", "mode": "remove", "amount": "2"}).status_code == 303
    assert client.post_form(f"/inventory/{rice.id}/adjust",
                            {"reason": "correction", "mode": "add", "amount": "0.125"}).status_code == 303
    db.session.expire_all()
    counted = {"product_id": [str(salt.id), str(rice.id)], "seen": [str(salt.quantity), str(rice.quantity)],
               "counted": ["60", "9.05"], "code": "", "note": "year end"}
    assert client.post_form("/inventory/stocktake", counted).status_code == 303
    db.session.expire_all()
    assert (D(str(salt.quantity)), D(str(rice.quantity)).quantize(D("0.001"))) == (60, D("9.050"))

    headers = api_headers(shop.owner)
    response = client.put(f"/api/products/?id={butter.id}", json={"quantity": 12}, headers=headers)
    assert response.status_code == 200, response.get_json()
    category = db.session.execute(select(Category.id).where(Category.store_id == shop.store.id).limit(1)).scalar_one()
    created = client.post("/api/products/", json={"product_name": "Ghee 1l", "category": category, "unit_price": "600",
                                                   "quantity": "7", "unit": "pcs"}, headers=headers)
    assert created.status_code in (200, 201), created.get_json()
    db.session.expire_all()
    assert butter.quantity == 12 and reasons(butter)[-1] == "adjust"
    ghee = db.session.execute(select(Product).where(Product.product_name == "Ghee 1l")).scalar_one()
    assert reasons(ghee) == ["adjust"] and ghee.quantity == 7

    assert mismatches() == []
    assert set(reasons(salt)) == {"import", "sale", "purchase", "return", "count"}
    assert set(reasons(soap)) == {"import", "sale", "cancel", "theft"}
    assert set(reasons(rice)) == {"purchase", "sale", "cancel", "correction", "count"}


def test_namaste_quantity_changes_go_through_the_one_adjust_function(client, till_shop, api_headers, monkeypatch):
    calls = []
    real = stock.adjust

    def spy(product, delta, **kwargs):
        calls.append((product.id, D(delta), kwargs.get("reason", "adjust")))
        return real(product, delta, **kwargs)

    monkeypatch.setattr(stock, "adjust", spy)
    headers = api_headers(till_shop.owner)
    response = client.put(f"/api/products/?id={till_shop.soap.id}", json={"quantity": 25}, headers=headers)
    assert response.status_code == 200
    assert calls == [(till_shop.soap.id, D(-5), "adjust")]
    db.session.expire_all()
    move = db.session.execute(select(StockMove).order_by(StockMove.id.desc()).limit(1)).scalar_one()
    assert (move.reason, move.delta, move.user_id) == ("adjust", -5, till_shop.owner.id)
    assert mismatches() == []
