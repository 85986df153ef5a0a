"""Stock of loose goods in three decimals: sales, purchases, returns and cancels leave exactly the sum of the moves,
on both databases (SQLite keeps NUMERIC as a binary float, so the stock service rounds to the column's decimals)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from extensions import db
from models import Product, StockMove

D = Decimal


def moves_sum(product) -> Decimal:
    return D(str(db.session.execute(select(func.coalesce(func.sum(StockMove.delta), 0))
                                    .where(StockMove.product_id == product.id)).scalar_one()))


def test_the_last_tenth_of_a_kilo_can_be_sold_and_stock_is_the_sum_of_its_moves(app, make_user, make_product):
    from services.accounts.access import current_store_for
    from services.catalog import stock

    store = current_store_for(make_user("loose", store_name="Loose Goods"))
    dal = make_product(store, "Toor Dal (loose)", quantity=D("1.000"), unit="kg")
    for qty in ("0.3", "0.3", "0.3"):
        stock.take_for_sale({dal: D(qty)})
    stock.take_for_sale({dal: D("0.1")})  # 1.0 - 0.9 is 0.09999999999999998 as a float
    db.session.commit()
    assert db.session.get(Product, dal.id).quantity == 0 == moves_sum(dal)
    stock.add({dal: D("0.7")}, reason="purchase")
    stock.add({dal: D("0.2")}, reason="return")
    stock.take_for_sale({dal: D("0.9")})
    db.session.commit()
    assert db.session.get(Product, dal.id).quantity == 0 == moves_sum(dal)


def test_stock_never_passes_what_its_column_holds(app, make_user, make_product):
    import pytest

    from services.bounds import MAX_STOCK
    from services.catalog import stock
    from services.errors import ValidationError

    store = current_store_for_new_owner(make_user)
    rice = make_product(store, "Rice (loose)", quantity=D(MAX_STOCK) - 1, unit="kg")
    with pytest.raises(ValidationError, match="would pass"):
        stock.add({rice: D("1.5")}, reason="purchase")
    db.session.rollback()
    stock.add({rice: D("1")}, reason="purchase")
    db.session.commit()
    assert db.session.get(Product, rice.id).quantity == MAX_STOCK == moves_sum(rice)


def current_store_for_new_owner(make_user):
    from services.accounts.access import current_store_for

    return current_store_for(make_user("bulk", store_name="Bulk Store"))
