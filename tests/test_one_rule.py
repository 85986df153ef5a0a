"""One rule, one place: the shared vocabulary, the store-scoped loader, the store's zone, paging and search."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Bill, HeldBill, PaymentMethod, Product, StockMove
from services import vocabulary
from services.accounts.stores import ensure_payment_methods
from services.billing import bills as billing
from services.catalog import stock
from services.catalog.search import find_by_code, quick_search, search_catalog
from services.errors import NotFound
from services.paging import Page
from services.scoping import find_in_store, get_in_store


def test_payment_method_rows_are_named_by_the_vocabulary(app):
    ensure_payment_methods()
    names = db.session.execute(select(PaymentMethod.name).order_by(PaymentMethod.id)).scalars().all()
    assert tuple(names) == vocabulary.PAYMENT_METHOD_NAMES
    assert set(vocabulary.PAYMENT_MODES) <= set(vocabulary.STORED_PAYMENT_MODES)


def test_payment_mode_constraint_and_openapi_enums_come_from_the_vocabulary(app):
    from blueprints.api.openapi_spec import build_document
    from models import Payment

    [check] = [c for c in Payment.__table__.constraints if getattr(c, "name", "") and c.name.endswith("mode")]
    assert str(check.sqltext) == "mode IN (" + ", ".join(f"'{m}'" for m in vocabulary.STORED_PAYMENT_MODES) + ")"
    spec = build_document()
    request = spec["components"]["schemas"]["V1BillRequest"]["properties"]
    assert request["payment_mode"]["enum"] == list(vocabulary.BILL_PAYMENT_MODES)
    assert set(billing.LIST_SORTS) == set(vocabulary.BILL_SORTS)


def test_get_in_store_answers_not_found_for_another_shops_row(make_store, make_product):
    mine, theirs = make_store(), make_store()
    product = make_product(theirs)
    assert get_in_store(Product, theirs, id=product.id) is product
    with pytest.raises(NotFound):
        get_in_store(Product, mine, id=product.id)
    with pytest.raises(NotFound):
        get_in_store(Product, mine, uid=product.uid)
    assert find_in_store(Product, mine, id=product.id) is None
    assert find_in_store(Product, mine) is None


def test_get_in_store_live_skips_archived_rows(make_store, make_product):
    store = make_store()
    product = make_product(store)
    product.archived = True  # as remove_product leaves a product that bills name
    assert find_in_store(Product, store, id=product.id) is product
    assert find_in_store(Product, store, id=product.id, live=True) is None


def test_store_zone_and_local_today_use_the_store_time_zone(make_store):
    store = make_store()
    late_utc = datetime(2025, 3, 31, 20, 0, tzinfo=UTC)  # already 1 April in India
    assert store.zone.key == "Asia/Kolkata"
    assert store.local_today(late_utc) == date(2025, 4, 1)
    store.timezone = "UTC"
    assert store.local_today(late_utc) == date(2025, 3, 31)


def test_stock_adjust_writes_the_move_and_refuses_to_go_below_zero(make_store, make_product):
    store = make_store()
    product = make_product(store, quantity=3)
    stock.adjust(product, -2, note="count")
    db.session.flush()
    assert product.quantity == 1
    moved = db.session.execute(select(func.sum(StockMove.delta)).where(StockMove.product_id == product.id)).scalar()
    assert moved == 1
    with pytest.raises(stock.InsufficientStock):
        stock.adjust(product, -2)
    db.session.rollback()
    assert db.session.get(Product, product.id).quantity == 3


def test_search_treats_percent_and_underscore_as_plain_characters(make_store, make_product):
    store = make_store()
    make_product(store, product_name="100% cotton")
    make_product(store, product_name="1000 cotton")
    make_product(store, product_name="a_b tea")
    make_product(store, product_name="axb tea")
    assert [p.product_name for p in search_catalog(store, q="100%").items] == ["100% cotton"]
    assert [p.product_name for p in quick_search(store, "a_b").items] == ["a_b tea"]


def test_the_till_and_the_catalogue_share_one_exact_code_lookup(make_store, make_product):
    store = make_store()
    other = make_store()
    product = make_product(store, product_name="Soap", barcode="8901", sku="SOAP-1")
    make_product(other, product_name="Soap elsewhere", barcode="8901")
    assert find_by_code(store, " 8901 ") is product
    assert find_by_code(store, "SOAP-1") is product
    assert quick_search(store, "8901").items == [product]
    assert search_catalog(store, q="8901").items[0] is product


def test_every_list_answers_the_same_page_type(make_store, make_user):
    store = make_store()
    for page in (billing.list_bills(store), billing.list_held(store), search_catalog(store), quick_search(store, "x")):
        assert isinstance(page, Page)
    assert Page([], 3, 20, 41).pages == 3 and Page([], 1, 20, 0).pages == 1
    assert Page([1], 2, 1, None, True).pages == 3


@pytest.mark.parametrize("raw,expected", [("", 1), ("abc", 1), ("0", 1), ("-4", 1), ("7", 7),
                                          ("2147483647", 2**31 - 1)])
def test_page_arg_on_pages_falls_back_within_bounds(app, raw, expected):
    from blueprints.paging import page_arg

    with app.test_request_context(f"/bills?page={raw}"):
        assert page_arg() == expected


def test_page_arg_on_pages_refuses_a_page_beyond_the_bound(app):
    from werkzeug.exceptions import BadRequest

    from blueprints.paging import page_arg

    with app.test_request_context("/bills?page=99999999999999999999"), pytest.raises(BadRequest):
        page_arg()


def test_page_args_on_apis_report_each_bad_value(app):
    from blueprints.paging import page_args

    with app.test_request_context("/x?page=99999999999999999999&limit=0"):
        errors: dict = {}
        assert page_args(20, errors) == (1, 20)
        assert set(errors) == {"page", "limit"}


def test_bills_and_held_lists_of_a_store_never_show_another_store(make_store):
    store, other = make_store(), make_store()
    db.session.add(HeldBill(store_id=other.id, payload={}, customer_summary="x"))
    db.session.commit()
    assert billing.list_held(store).total == 0 and billing.list_held(other).total == 1
    assert db.session.execute(select(func.count()).select_from(Bill)).scalar_one() == 0


def test_an_id_beyond_the_integer_column_is_simply_not_found(make_store):
    store = make_store()
    assert find_in_store(Product, store, id=10**20) is None
    with pytest.raises(NotFound):
        get_in_store(Product, store, id=-(10**20))


def _in_flight(store, key: str) -> None:
    from models import IdempotencyRecord
    from services.billing import idempotency

    fingerprint = idempotency.fingerprint("POST", "/pos/save", {"pos_key": key})
    db.session.add(IdempotencyRecord(store_id=store.id, key=key, fingerprint=fingerprint))
    db.session.commit()


def test_run_once_waits_for_a_save_still_in_flight_and_replays_its_bill(make_store, monkeypatch):
    import blueprints.idempotency as runner
    from models import IdempotencyRecord

    store = make_store()
    _in_flight(store, "k-1")
    waited = []

    def first_save_finishes(seconds):  # while the double click waits, the first Save commits its bill
        waited.append(seconds)
        db.session.execute(db.update(IdempotencyRecord).where(IdempotencyRecord.key == "k-1")
                           .values(status_code=303, body='{"bill_id": 7}'))
        db.session.commit()

    monkeypatch.setattr(runner.time, "sleep", first_save_finishes)

    def must_not_run():
        raise AssertionError("the duplicate ran the save again")

    outcome = runner.run_once(store.id, "k-1", {"pos_key": "k-1"}, must_not_run, method="POST", path="/pos/save",
                              wait_seconds=5)
    assert outcome.replayed and outcome.body == '{"bill_id": 7}' and waited


def test_run_once_without_waiting_answers_conflict_for_a_key_in_flight(make_store):
    import blueprints.idempotency as runner
    from services.errors import Conflict

    store = make_store()
    _in_flight(store, "k-2")
    with pytest.raises(Conflict):
        runner.run_once(store.id, "k-2", {"pos_key": "k-2"}, lambda: (201, {}, None), method="POST",
                        path="/pos/save")
