"""Metal rates: the service (which rate is in force, derived rates, who may set them) and GET|POST /metal-rates in the
jewellery contract's envelope (Bearer JWT, the caller's current store, 400 {"success": false, "message"} on bad
input with nothing written)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, MetalRate
from services.errors import PermissionDenied, ValidationError
from services.jewellery import rates
from services.jewellery.rates import RateEntry, set_rates

D = Decimal
URL = "/metal-rates"


def _count() -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(MetalRate)).scalar_one()


def days_ago(n: int) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=n)


@pytest.fixture
def bare_jeweller(make_user):
    """A jeweller who has set no rate yet."""
    from services.accounts.access import current_store_for

    owner = make_user("bare", business_kind="jewellery")
    return current_store_for(owner), owner


# --------------------------------------------------------------------------- the service


def test_a_purity_never_set_is_derived_from_the_fine_rate_by_fineness(bare_jeweller):
    store, owner = bare_jeweller
    set_rates(store, owner, [RateEntry("gold", "24K", D("7800.00"))])
    today = store.local_today()
    # 7800.00 x 916 / 999 = 7151.9519.. -> 7151.95;  x 750 / 999 = 5855.8558.. -> 5855.86
    quote = rates.rate_on(store, "gold", "22K", today)
    assert (quote.price_per_gram, quote.derived_from) == (D("7151.95"), "24K")
    assert rates.rate_on(store, "gold", "18K", today).price_per_gram == D("5855.86")
    assert rates.rate_on(store, "silver", "925", today) is None  # no silver rate at all
    with pytest.raises(ValidationError, match="No silver 925 rate is set"):
        rates.require_rate(store, "silver", "925", today)


def test_a_set_rate_wins_over_a_derived_one(jeweller):
    quote = rates.rate_on(jeweller.store, "gold", "22K", jeweller.store.local_today())
    assert (quote.price_per_gram, quote.derived_from) == (D("7150.00"), None)


def test_the_rate_in_force_is_the_latest_on_or_before_the_day(bare_jeweller):
    store, owner = bare_jeweller
    set_rates(store, owner, [RateEntry("gold", "22K", D("7000.00"))], now=days_ago(3))
    set_rates(store, owner, [RateEntry("gold", "22K", D("7100.00"))], now=days_ago(1))
    today = store.local_today()
    assert rates.rate_on(store, "gold", "22K", today).price_per_gram == D("7100.00")
    assert rates.rate_on(store, "gold", "22K", today - timedelta(days=2)).price_per_gram == D("7000.00")
    assert rates.rate_on(store, "gold", "22K", today - timedelta(days=4)) is None


def test_setting_todays_rate_again_replaces_it_and_is_audited(jeweller):
    set_rates(jeweller.store, jeweller.owner, [RateEntry("gold", "22K", D("7200.00"))])
    db.session.commit()
    rows = db.session.execute(select(MetalRate).filter_by(metal="gold", purity_label="22K")).scalars().all()
    assert [r.price_per_gram for r in rows] == [D("7200.00")]
    entry = db.session.execute(select(AuditLog).filter_by(entity="metal_rate").order_by(AuditLog.id.desc())
                               ).scalars().first()
    assert entry.before == {"price_per_gram": "7150.00"} and entry.after["price_per_gram"] == "7200.00"


def test_cashiers_may_not_set_rates_managers_may(jeweller, make_user):
    cashier = make_user("till", store=jeweller.store, role="cashier")
    manager = make_user("boss", store=jeweller.store, role="manager")
    with pytest.raises(PermissionDenied):
        set_rates(jeweller.store, cashier, [RateEntry("gold", "22K", D("1.00"))])
    set_rates(jeweller.store, manager, [RateEntry("gold", "18K", D("5850.00"))])


@pytest.mark.parametrize("entry, field", [
    (RateEntry("platinum", "950", D("3000.00")), "metal"),
    (RateEntry("gold", "20K", D("6500.00")), "purity"),
    (RateEntry("silver", "22K", D("95.00")), "purity"),
    (RateEntry("gold", "22K", D("0")), "price_per_gram"),
    (RateEntry("gold", "22K", D("-7150.00")), "price_per_gram"),
    (RateEntry("gold", "22K", D("7150.001")), "price_per_gram"),
])
def test_bad_rates_are_refused_and_nothing_is_written(bare_jeweller, entry, field):
    store, owner = bare_jeweller
    with pytest.raises(ValidationError) as refused:
        set_rates(store, owner, [RateEntry("gold", "24K", D("7800.00")), entry])
    assert any(key.endswith(field) for key in refused.value.errors)
    db.session.rollback()
    assert _count() == 0


# --------------------------------------------------------------------------- GET|POST /metal-rates


def test_rates_need_a_bearer_token(client, jeweller):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.get_json() == {"success": False, "message": "Authentication required"}


def test_get_shows_todays_rates_set_and_derived(client, jeweller):
    response = client.get(URL, headers=jeweller.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["success"] is True
    today = jeweller.store.local_today().isoformat()
    rows = {(r["metal"], r["purity"]): r for r in body["data"]["rates"]}
    assert list(rows) == [("gold", "24K"), ("gold", "22K"), ("gold", "18K"), ("gold", "14K"), ("gold", "9K"),
                          ("silver", "999"), ("silver", "925")]
    assert rows["gold", "22K"] == {"metal": "gold", "purity": "22K", "fineness": 916, "price_per_gram": "7150.00",
                                   "rate_date": today, "derived_from": None}
    # 7800.00 x 585 / 999 = 4567.5675.. -> 4567.57
    assert (rows["gold", "14K"]["price_per_gram"], rows["gold", "14K"]["derived_from"]) == ("4567.57", "24K")
    assert rows["silver", "999"]["price_per_gram"] is None
    assert body["data"]["date"] == today
    assert {(h["metal"], h["purity"], h["price_per_gram"]) for h in body["data"]["history"]} == {
        ("gold", "24K", "7800.00"), ("gold", "22K", "7150.00"), ("silver", "925", "95.00")}


def test_another_stores_rates_are_never_seen(client, jeweller, make_user, api_headers):
    other = make_user("elsewhere", business_kind="jewellery")
    body = client.get(URL, headers=api_headers(other)).get_json()
    assert all(r["price_per_gram"] is None for r in body["data"]["rates"])
    assert body["data"]["history"] == []


def test_post_sets_todays_rates_and_answers_the_board(client, jeweller):
    response = client.post(URL, headers=jeweller.headers, json={"rates": [
        {"metal": "Gold", "purity": "22k", "price_per_gram": "7175.50"},
        {"metal": "silver", "purity": "999", "price_per_gram": 101},
    ]})
    assert response.status_code == 201
    body = response.get_json()
    assert body["success"] is True and body["message"] == "Metal rates saved successfully"
    rows = {(r["metal"], r["purity"]): r["price_per_gram"] for r in body["data"]["rates"]}
    assert rows["gold", "22K"] == "7175.50" and rows["silver", "999"] == "101.00"
    one = client.post(URL, headers=jeweller.headers, json={"metal": "gold", "purity": "18K", "price_per_gram": 5860})
    assert one.status_code == 201
    assert db.session.execute(select(MetalRate.price_per_gram).filter_by(purity_label="18K")).scalar_one() == 5860


def test_a_cashier_posting_a_rate_hears_403_and_nothing_is_written(client, jeweller, make_user, api_headers):
    cashier = make_user("till", store=jeweller.store, role="cashier")
    before = _count()
    response = client.post(URL, headers=api_headers(cashier),
                           json={"metal": "gold", "purity": "22K", "price_per_gram": "1.00"})
    assert response.status_code == 403
    assert response.get_json()["success"] is False
    assert _count() == before


@pytest.mark.parametrize("body, words", [
    ({"metal": "platinum", "purity": "950", "price_per_gram": "3000"}, "metal: Unknown metal 'platinum'"),
    ({"metal": "gold", "purity": "20K", "price_per_gram": "6500"}, "purity: Unknown purity '20K' for gold"),
    ({"metal": "gold", "purity": "22K", "price_per_gram": "0"}, "price_per_gram: Must be greater than 0"),
    ({"metal": "gold", "purity": "22K", "price_per_gram": "-7150"}, "price_per_gram: Must be greater than 0"),
    ({"metal": "gold", "purity": "22K", "price_per_gram": "7150.001"}, "price_per_gram: At most 2 decimal places"),
    ({"metal": "gold", "purity": "22K", "price_per_gram": "lots"}, "price_per_gram must be a number"),
    ({"metal": "gold", "purity": "22K", "price_per_gram": True}, "price_per_gram is required and must be a number"),
    ({"metal": "gold", "purity": "22K"}, "price_per_gram is required"),
    ({"purity": "22K", "price_per_gram": "7150"}, "metal is required"),
    ({"metal": "gold", "purity": "22K", "price_per_gram": "7150", "date": "2020-01-01"}, "for today only"),
    ({"rates": []}, "rates must be a non-empty list"),
    ({"rates": [{"metal": "gold", "purity": "24K", "price_per_gram": "7900"},
                {"metal": "gold", "purity": "22K", "price_per_gram": "0"}]},
     "rates[1].price_per_gram: Must be greater than 0"),
    ({"rates": [{"metal": "gold", "purity": "22K", "price_per_gram": "7900"},
                {"metal": "GOLD", "purity": "22k", "price_per_gram": "7901"}]}, "is given twice"),
])
def test_bad_posts_are_400_saying_what_is_wrong_with_nothing_written(client, jeweller, body, words):
    before = _count()
    response = client.post(URL, headers=jeweller.headers, json=body)
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["success"] is False and words in answer["message"], answer
    assert _count() == before
    assert rates.rate_on(jeweller.store, "gold", "22K", jeweller.store.local_today()).price_per_gram == D("7150.00")


def test_malformed_json_is_a_400_in_the_envelope(client, jeweller):
    response = client.post(URL, headers={**jeweller.headers, "Content-Type": "application/json"}, data="{nope")
    assert response.status_code == 400
    assert response.get_json() == {"success": False, "message": "Malformed JSON"}


@pytest.mark.parametrize("query, words", [
    ("?date=2026-13-01", "date must be a date as YYYY-MM-DD"),
    ("?from=2026-11-20&to=2026-11-10", "from must be on or before to"),
    ("?from=2024-01-01&to=2026-01-01", "at most 366 days apart"),
    ("?metal=platinum", "metal: Unknown metal 'platinum'"),
    ("?metal=gold&purity=20K", "purity: Unknown purity '20K' for gold"),
    ("?purity=22K", "purity: give the metal too"),
])
def test_bad_queries_are_400(client, jeweller, query, words):
    response = client.get(URL + query, headers=jeweller.headers)
    assert response.status_code == 400
    assert words in response.get_json()["message"]


def test_history_by_date_newest_first_and_filtered(client, bare_jeweller, api_headers):
    store, owner = bare_jeweller
    for n, price in ((5, "7000.00"), (2, "7050.00"), (0, "7100.00")):
        set_rates(store, owner, [RateEntry("gold", "22K", D(price)), RateEntry("gold", "24K", D(price) + 600)],
                  now=days_ago(n))
    db.session.commit()
    today = store.local_today()
    start, end = (today - timedelta(days=4)).isoformat(), today.isoformat()
    body = client.get(f"{URL}?from={start}&to={end}&metal=gold&purity=22K", headers=api_headers(owner)).get_json()
    assert [(h["date"], h["price_per_gram"]) for h in body["data"]["history"]] == [
        (today.isoformat(), "7100.00"), ((today - timedelta(days=2)).isoformat(), "7050.00")]
    # the board on a past day: the rate in force then
    past = (today - timedelta(days=3)).isoformat()
    board = client.get(f"{URL}?date={past}", headers=api_headers(owner)).get_json()["data"]
    rows = {(r["metal"], r["purity"]): r for r in board["rates"]}
    assert (rows["gold", "22K"]["price_per_gram"], rows["gold", "22K"]["rate_date"]) == (
        "7000.00", (today - timedelta(days=5)).isoformat())


@pytest.mark.postgres_only
@pytest.mark.slow
def test_owners_setting_the_same_rate_at_once_all_succeed_and_leave_one_row(app, bare_jeweller):
    import threading

    from models import Store, User
    from tests.test_race_guards import in_threads, slow_reads_of

    store, owner = bare_jeweller
    store_id, owner_id = store.id, owner.id
    db.session.commit()

    def set_one(index: int, barrier: threading.Barrier) -> str:
        mine, me = db.session.get(Store, store_id), db.session.get(User, owner_id)
        barrier.wait()
        set_rates(mine, me, [RateEntry("gold", "18K", D("5850.00") + index)])
        db.session.commit()
        return "set"

    with slow_reads_of("metal_rate"):
        outcomes = in_threads(app, 6, set_one)
    assert outcomes == ["set"] * 6
    assert _count() == 1
