"""Paging edges, store isolation (another shop's ids answer like missing ones), roles, audit rows, archiving."""
from __future__ import annotations

import pytest

from extensions import db
from models import AuditLog, Bill, BillItem, Category, Expense, Party, Product, StockMove

WIDGET = {"product_name": "Widget A", "category": 1, "unit_price": "99.99", "quantity": 100}


def seed_everything(shop) -> dict[str, int]:
    """One of each thing in the shop; returns their ids."""
    assert shop.post("/api/products/", WIDGET).status_code == 201
    assert shop.post("/api/parties/", {"Category_type": "Customer", "name": "Asha", "phone_no": "+919800000001"}
                     ).status_code == 201
    assert shop.post("/api/expenses/", {"amount": "10.00", "date": "2026-02-01", "category": "Food"}).status_code == 201
    response = shop.post("/api/billing/", {"invoice_number": "A-1", "party": 1,
                                           "items": [{"item": 1, "quantity": 2, "rate": "99.99"}]})
    assert response.status_code == 201
    return {"product": 1, "party": 1, "expense": 1, "bill": response.get_json()["billing"]["id"]}


# --------------------------------------------------------------------------- paging


def test_paging_links_page_size_and_the_last_page(shop):
    for index in range(23):
        shop.post("/api/expenses/", {"amount": f"{index + 1}.00", "date": "2026-02-01", "category": "Food"})
    first = shop.get("/api/expenses/").get_json()
    assert first["count"] == 23 and len(first["results"]) == 10
    assert first["next"] == "http://localhost/api/expenses/?page=2" and first["previous"] is None
    second = shop.get("/api/expenses/?page=2").get_json()
    assert second["previous"] == "http://localhost/api/expenses/"
    assert second["next"] == "http://localhost/api/expenses/?page=3"
    third = shop.get("/api/expenses/?page=3").get_json()
    assert len(third["results"]) == 3 and third["next"] is None
    assert third["previous"] == "http://localhost/api/expenses/?page=2"
    ids = [e["id"] for page in (first, second, third) for e in page["results"]]
    assert ids == sorted(ids) and len(set(ids)) == 23
    big = shop.get("/api/expenses/?page_size=20&page=2").get_json()
    assert len(big["results"]) == 3
    assert big["previous"] == "http://localhost/api/expenses/?page_size=20"
    assert len(shop.get("/api/expenses/?page_size=1000").get_json()["results"]) == 23


def test_a_long_list_is_counted_only_up_to_the_cap_past_its_page(shop, monkeypatch):
    from services import paging

    for index in range(23):
        shop.post("/api/expenses/", {"amount": f"{index + 1}.00", "date": "2026-02-01", "category": "Food"})
    monkeypatch.setattr(paging, "COUNT_CAP", 5)  # a page of 10 and one more: 11 counted at most on page 1
    first = shop.get("/api/expenses/").get_json()
    assert (first["count"], first["count_exact"], len(first["results"])) == (11, False, 10)
    assert first["next"] == "http://localhost/api/expenses/?page=2"
    last = shop.get("/api/expenses/?page=3").get_json()  # the last page counts itself: exact, the contract's shape
    assert set(last) == {"count", "next", "previous", "results"} and last["count"] == 23 and last["next"] is None
    assert shop.get("/api/expenses/?page=4").status_code == 404


@pytest.mark.parametrize("page", ["4", "0", "-1", "abc", "99999999999999999999"])
def test_a_page_past_the_end_or_not_a_page_is_invalid(shop, page):
    for _ in range(23):
        shop.post("/api/expenses/", {"amount": "1.00", "date": "2026-02-01", "category": "Food"})
    response = shop.get(f"/api/expenses/?page={page}")
    assert response.status_code == 404
    assert response.get_json() == {"detail": "Invalid page."}


def test_an_empty_list_has_one_empty_page(shop):
    assert shop.get("/api/expenses/").get_json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert shop.get("/api/expenses/?page=2").status_code == 404


def test_parties_filter_by_category_type(shop):
    shop.post("/api/parties/", {"Category_type": "Customer", "name": "Asha"})
    shop.post("/api/parties/", {"Category_type": "Supplier", "name": "Mill", "code": "M1"})
    customers = shop.get("/api/parties/?category_type=Customer").get_json()
    assert [p["Category_type"] for p in customers["results"]] == ["Customer"]
    suppliers = shop.get("/api/parties/?category_type=Supplier").get_json()
    assert [p["supplier"]["name"] for p in suppliers["results"]] == ["Mill"]
    response = shop.get("/api/parties/?category_type=Vendor")
    assert response.status_code == 400
    message = "Select a valid choice. Vendor is not one of the available choices."
    assert response.get_json() == {"category_type": [message]}


# --------------------------------------------------------------------------- tenant isolation


NOT_FOUND = {
    "product": {"PUT": "Product not found or you do not have permission to edit it.",
                "DELETE": "Product not found or you do not have permission to delete it."},
    "party": {"GET": "Party not found", "PUT": "Party not found", "DELETE": "Party not found"},
    "expense": {"PUT": "Expense not found or you do not have permission to edit it.",
                "DELETE": "Expense not found or you do not have permission to delete it."},
    "bill": {"PUT": "Billing not found or you do not have permission to edit it.",
             "DELETE": "Billing not found or you do not have permission to delete it."},
}
PATHS = {"product": "/api/products/", "party": "/api/parties/", "expense": "/api/expenses/", "bill": "/api/billing/"}
MATRIX = [(thing, method) for thing, methods in NOT_FOUND.items() for method in methods]


def my_records(shop) -> dict:
    """What the owner sees of each kind (a PUT or a cancelling DELETE changes this, not the row counts)."""
    return {path: shop.get(path).get_json() for path in PATHS.values()}


def row_counts() -> dict[str, int]:
    return {m.__name__: db.session.execute(db.select(db.func.count()).select_from(m)).scalar_one()
            for m in (Product, Party, Expense, Bill, BillItem, StockMove, Category, AuditLog)}


@pytest.mark.parametrize("thing, method", MATRIX)
def test_another_store_cannot_reach_my_records_and_hears_not_found(shop, other_shop, thing, method):
    ids = seed_everything(shop)
    seen = my_records(shop)
    before = {m.__name__: db.session.execute(db.select(db.func.count()).select_from(m)).scalar_one()
              for m in (Product, Party, Expense, Bill, StockMove)}
    response = other_shop.call(method, f"{PATHS[thing]}?id={ids[thing]}", {"notes": "x"} if method == "PUT" else None)
    assert response.status_code == 404
    assert response.get_json() == {"error": NOT_FOUND[thing][method]}
    missing = other_shop.call(method, f"{PATHS[thing]}?id=777", {"notes": "x"} if method == "PUT" else None)
    assert missing.get_json() == response.get_json()
    after = {m.__name__: db.session.execute(db.select(db.func.count()).select_from(m)).scalar_one()
             for m in (Product, Party, Expense, Bill, StockMove)}
    assert after == before
    assert my_records(shop) == seen


@pytest.mark.parametrize("path", ["/api/products/", "/api/parties/", "/api/expenses/", "/api/billing/"])
def test_another_store_lists_none_of_my_records(shop, other_shop, path):
    seed_everything(shop)
    assert shop.get(path).get_json()["count"] == 1
    assert other_shop.get(path).get_json()["count"] == 0


def test_another_store_cannot_use_my_ids_inside_its_bodies(shop, other_shop):
    seed_everything(shop)
    seen, before = my_records(shop), row_counts()
    response = other_shop.post("/api/products/", dict(WIDGET, category=1))
    assert response.status_code == 400
    assert response.get_json() == {"category": ['Invalid pk "1" - object does not exist.']}
    response = other_shop.post("/api/billing/", {"invoice_number": "B-1", "party": 1,
                                                 "items": [{"item": 1, "quantity": 1, "rate": "1"}]})
    assert response.status_code == 400
    assert response.get_json() == {"party": ['Invalid pk "1" - object does not exist.'],
                                   "items": [{"item": ['Invalid pk "1" - object does not exist.']}]}
    assert row_counts() == before  # nothing written in either store
    assert my_records(shop) == seen  # my product's stock untouched
    own_category = other_shop.get("/api/categories/").get_json()["results"][0]["id"]
    assert own_category != 1


# --------------------------------------------------------------------------- roles


@pytest.fixture
def cashier(shop, make_shop):
    seed_everything(shop)
    return make_shop("cashier1", role="cashier", store=shop.store)


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/api/products/", dict(WIDGET, product_name="New")),
    ("PUT", "/api/products/?id=1", {"unit_price": "1.00"}),
    ("PUT", "/api/products/?id=1", {"quantity": 1}),
    ("DELETE", "/api/products/?id=1", None),
    ("DELETE", "/api/parties/?id=1", None),
    ("GET", "/api/expenses/", None),
    ("POST", "/api/expenses/", {"amount": "1.00", "date": "2026-02-01", "category": "Food"}),
    ("DELETE", "/api/billing/?id=1", None),
    ("PUT", "/api/billing/?id=1", {"total_amount": "1.00"}),
    ("POST", "/api/categories/", {"name": "Toys"}),
])
def test_cashiers_may_not_delete_or_change_prices_stock_or_money(shop, cashier, method, path, body):
    seen, before = my_records(shop), row_counts()
    response = cashier.call(method, path, body)
    assert response.status_code == 403
    assert response.get_json() == {"detail": "You do not have permission to perform this action."}
    assert row_counts() == before
    assert my_records(shop) == seen


def test_cashiers_may_sell_add_customers_and_describe_products(cashier):
    assert cashier.put("/api/products/?id=1", {"description": "Blue"}).status_code == 200
    assert cashier.post("/api/parties/", {"Category_type": "Customer", "name": "Ravi"}).status_code == 201
    response = cashier.post("/api/billing/", {"invoice_number": "C-1", "items": [{"item": 1, "quantity": 1,
                                                                                "rate": "1"}]})
    assert response.status_code == 201
    assert cashier.put("/api/billing/?id=1", {"invoice_status": "Paid", "paid_amount": "0.00"}).status_code == 200


# --------------------------------------------------------------------------- audit, stock and archiving


def test_every_create_update_and_delete_writes_an_audit_row(shop):
    seed_everything(shop)
    shop.put("/api/products/?id=1", {"unit_price": "50.00"})
    shop.put("/api/parties/?id=1", {"name": "Asha K"})
    shop.put("/api/expenses/?id=1", {"amount": "11.00"})
    shop.put("/api/billing/?id=1", {"invoice_status": "Paid"})
    shop.post("/api/categories/", {"name": "Toys"})
    shop.delete("/api/expenses/?id=1")
    shop.delete("/api/parties/?id=1")
    shop.delete("/api/billing/?id=1")
    rows = db.session.execute(db.select(AuditLog).order_by(AuditLog.id)).scalars().all()
    seen = {(row.entity, row.action) for row in rows}
    assert {("product", "create"), ("party", "create"), ("expense", "create"), ("bill", "create"),
            ("product", "update"), ("party", "update"), ("expense", "update"), ("bill", "update"),
            ("category", "create"), ("expense", "delete"), ("party", "delete"), ("bill", "cancel")} <= seen
    assert all(row.user_id == shop.user.id and row.store_id == shop.store.id for row in rows)
    price_change = next(r for r in rows if (r.entity, r.action) == ("product", "update"))
    assert price_change.before["unit_price"] == "99.99" and price_change.after["unit_price"] == "50.00"
    expense_delete = next(r for r in rows if (r.entity, r.action) == ("expense", "delete"))
    assert expense_delete.before["amount"] == "11.00" and expense_delete.after is None


def test_setting_quantity_writes_the_stock_move_that_explains_it(shop):
    shop.post("/api/products/", WIDGET)
    shop.put("/api/products/?id=1", {"quantity": 40})
    shop.put("/api/products/?id=1", {"quantity": 45})
    moves = db.session.execute(db.select(StockMove.delta).order_by(StockMove.id)).scalars().all()
    assert moves == [100, -60, 5]
    assert db.session.get(Product, 1).quantity == sum(moves) == 45


def test_deleting_a_product_on_a_bill_archives_it_and_frees_its_name(shop):
    seed_everything(shop)
    assert shop.delete("/api/products/?id=1").status_code == 200
    assert shop.get("/api/products/").get_json()["count"] == 0
    assert shop.put("/api/products/?id=1", {"description": "x"}).status_code == 404
    archived = db.session.get(Product, 1)
    assert archived is not None and archived.archived
    item = db.session.execute(db.select(BillItem)).scalar_one()
    assert item.product_id == 1 and item.name == "Widget A"
    assert shop.post("/api/products/", WIDGET).status_code == 201
    assert shop.get("/api/billing/").get_json()["results"][0]["items"][0]["item"] == 1


def test_deleting_a_product_never_sold_removes_it_and_its_moves(shop):
    shop.post("/api/products/", WIDGET)
    shop.delete("/api/products/?id=1")
    assert db.session.get(Product, 1) is None
    assert db.session.execute(db.select(db.func.count()).select_from(StockMove)).scalar_one() == 0


def test_a_category_of_another_store_is_invisible(shop, other_shop):
    other_categories = {c["id"] for c in other_shop.get("/api/categories/").get_json()["results"]}
    mine = {c["id"] for c in shop.get("/api/categories/").get_json()["results"]}
    assert not other_categories & mine
    assert db.session.execute(db.select(db.func.count()).select_from(Category)).scalar_one() == 6
