"""The bills list at scale: the page and Billing v1's list give the same rows as a plain reading of the filters for
every filter, sort and page; the count stops at a cap past the page (never every bill of a store); on PostgreSQL
the search reads the trigram indexes."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, insert, text

from extensions import db
from models import Bill
from services import paging
from services.billing import bills as billing
from services.billing.search_index import BILL_TRGM_INDEXES
from services.vocabulary import BILL_SORTS
from tests.fixtures_pos import sign_in

START = datetime(2025, 9, 1, 4, 0, tzinfo=UTC)
NAMES = ("Meera Iyer", "Ravi Kumar", "Asha 100% Traders", None)
STATUSES = ("paid", "partial", "unpaid", "cancelled")


def bill_row(store, n: int, **overrides) -> dict:
    """A bill row as the list reads it: times with ties (every fifth shares its neighbour's), amounts with ties."""
    name = NAMES[n % len(NAMES)]
    row = {
        "store_id": store.id, "kind": "sale", "invoice_number": f"INV2025{n:05d}", "status": STATUSES[n % 4],
        "customer_name": name, "phone": f"+9198200{n:05d}" if name else None,
        "total_amount": Decimal(100 + (n * 37) % 13 * 10),  # 13 amounts: ties
        "paid_amount": Decimal(0), "due_amount": Decimal(0),
        "created_at": START + timedelta(hours=n - n % 5 // 4),
    }
    row.update(overrides)
    return row


def add_bills(rows: list[dict]) -> None:
    db.session.execute(insert(Bill), rows)
    db.session.commit()


@pytest.fixture
def listed_shop(till_shop, make_store, api_headers):
    """45 sales of the shop (statuses, names, phones, amounts and times varied, with ties), two purchases, and
    another store's bill, none of which the list may show."""
    store = till_shop.store
    add_bills([bill_row(store, n) for n in range(1, 46)]
              + [bill_row(store, n, kind="purchase", invoice_number=f"PUR2025{n:05d}") for n in (1, 2)]
              + [bill_row(make_store("Elsewhere"), 7, invoice_number="INV2025X0007")])
    till_shop.headers = api_headers(till_shop.owner)
    till_shop.url = f"/api/v1/billing/{store.uid}/bills"
    return till_shop


SORT_KEYS = {
    "date_desc": (lambda b: (b.created_at, b.id), True),
    "date_asc": (lambda b: (b.created_at, b.id), False),
    "amount_desc": (lambda b: (b.total_amount, b.id), True),
    "amount_asc": (lambda b: (b.total_amount, b.id), False),
}


def expected(store, sort: str, status=None, q=None, start=None, end=None) -> list[str]:
    """The invoice numbers the list should show, in order, read plainly from every bill of the database."""
    bills = db.session.query(Bill).all()
    chosen = [b for b in bills if b.store_id == store.id and b.kind == "sale"
              and (status is None or b.status == status)
              and (start is None or b.created_at.replace(tzinfo=b.created_at.tzinfo or UTC) >= start)
              and (end is None or b.created_at.replace(tzinfo=b.created_at.tzinfo or UTC) <= end)
              and (q is None or any(q.lower() in (v or "").lower()
                                    for v in (b.customer_name, b.phone, b.invoice_number)))]
    key, reverse = SORT_KEYS[sort]
    return [b.invoice_number for b in sorted(chosen, key=key, reverse=reverse)]


FILTERS = [
    {},
    {"status": "unpaid"},
    {"status": "cancelled"},
    {"q": "meera"},
    {"q": "100%"},  # % is itself, not a wildcard
    {"q": "98200000"},
    {"q": "INV202500"},
    {"q": "nobody at all"},
    {"status": "paid", "q": "ravi"},
    {"from": START + timedelta(hours=10), "to": START + timedelta(hours=30)},
    {"from": START + timedelta(hours=10), "to": START + timedelta(hours=30), "status": "partial"},
]


@pytest.mark.parametrize("sort", BILL_SORTS)
def test_billing_v1_pages_every_filter_and_sort_as_a_plain_reading_would(client, listed_shop, sort):
    for filters in FILTERS:
        want = expected(listed_shop.store, sort, status=filters.get("status"), q=filters.get("q"),
                        start=filters.get("from"), end=filters.get("to"))
        params = {k: v.isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v
                  for k, v in filters.items()}
        got, page = [], 1
        while True:
            response = client.get(listed_shop.url, headers=listed_shop.headers,
                                  query_string={**params, "sort": sort, "limit": 7, "page": page})
            assert response.status_code == 200, response.data
            data = response.get_json()["data"]
            assert (data["total"], data["total_exact"], data["page"], data["limit"]) == (len(want), True, page, 7)
            got += [row["invoice_number"] for row in data["items"]]
            if len(data["items"]) < 7 or page * 7 == len(want):
                break
            page += 1
        assert got == want, (filters, sort)
    past = client.get(listed_shop.url, headers=listed_shop.headers, query_string={"page": 99, "limit": 7})
    assert past.get_json()["data"]["items"] == [] and past.get_json()["data"]["total"] == 45


def listed(html: str) -> list[str]:
    return re.findall(r'<a href="/bills/\d+">([^<]+)</a>', html)


def pager_link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" hx-get="([^"]+)"[^>]*rel="{rel}">', html)
    if found is None:
        return None
    assert found.group(1) == found.group(2)
    return found.group(1).replace("&amp;", "&")


@pytest.mark.parametrize("start", ["/bills", "/bills?sort=amount_asc", "/bills?q=a&sort=date_asc"])
def test_the_page_walks_forward_and_back_with_its_pager_through_every_bill(client, listed_shop, start):
    sign_in(client, listed_shop.cashier)
    args = dict(re.findall(r"(\w+)=([^&]+)", start))
    want = expected(listed_shop.store, args.get("sort", "date_desc"), status=args.get("status"), q=args.get("q"))
    pages, url = [], start
    while url:
        html = client.hx_get(url).get_data(as_text=True)
        pages.append((url, listed(html)))
        count = re.search(r'<small id="bills-count">([^<]+)</small>', html).group(1)
        assert count.startswith(f"{len(want)} bills")
        url = pager_link(html, "next")
    assert [number for _, rows in pages for number in rows] == want and all(len(r) == 20 for _, r in pages[:-1])
    # and back: each page's "Newer" link is the page before it
    for index in range(len(pages) - 1, 0, -1):
        html = client.get(pages[index][0]).get_data(as_text=True)
        previous = pager_link(html, "prev")
        assert listed(client.get(previous).get_data(as_text=True)) == pages[index - 1][1]


@pytest.fixture
def statements(app):
    """The SQL the app runs while the test reads it."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def test_the_list_counts_no_further_than_the_cap_past_its_page(client, listed_shop, statements, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 5)  # the page and one more row at least: 21 of the 45
    sign_in(client, listed_shop.cashier)
    statements.clear()
    html = client.hx_get("/bills").get_data(as_text=True)
    counts = [s for s in statements if "count(" in s.lower()]
    assert len(counts) == 1 and "LIMIT" in counts[0].upper()
    assert '<small id="bills-count">21+ bills · page 1 of 2+</small>' in html and pager_link(html, "next")
    data = client.get(listed_shop.url, headers=listed_shop.headers).get_json()["data"]
    assert (data["total"], data["total_exact"], len(data["items"])) == (21, False, 20)
    # The last page knows its total from its own rows: no count at all.
    statements.clear()
    last = client.get(listed_shop.url, headers=listed_shop.headers, query_string={"page": 3}).get_json()["data"]
    assert (last["total"], last["total_exact"], len(last["items"])) == (45, True, 5)
    assert not [s for s in statements if "count(" in s.lower()]
    # A search reads its matches once: the page and the count come from one statement.
    statements.clear()
    found = client.get(listed_shop.url, headers=listed_shop.headers, query_string={"q": "meera"}).get_json()["data"]
    searched = [s for s in statements if "like" in s.lower()]
    assert len(searched) == 1 and "count(" in searched[0].lower() and "LIMIT" in searched[0].upper()
    assert (found["total"], found["total_exact"], len(found["items"])) == (11, True, 11)
    # More matches than the cap: their order is not known from the ones read, so the page is read in order.
    found = client.get(listed_shop.url, headers=listed_shop.headers, query_string={"q": "a", "limit": 3}).get_json()
    assert (found["data"]["total"], found["data"]["total_exact"], len(found["data"]["items"])) == (5, False, 3)
    # Further in, the count reads the page's offset and the cap: page 2 of 45 counts to 20 + 21 = 41.
    middle = client.get(listed_shop.url, headers=listed_shop.headers, query_string={"page": 2}).get_json()["data"]
    assert (middle["total"], middle["total_exact"]) == (41, False)


def test_a_capped_total_is_a_lower_bound_that_grows_to_the_exact_count_on_the_last_page(app, listed_shop,
                                                                                            monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 5)  # 11 bills of Meera, 3 a page
    pages = [billing.list_bills(listed_shop.store, q="meera", limit=3, page=n) for n in (1, 2, 3, 4, 5)]
    assert [(p.total, p.total_exact, p.pages, p.has_more) for p in pages] == [
        (5, False, 2, True),  # counted to 0 + 5 and found more: at least 5, so at least a second page
        (8, False, 3, True),  # counted to 3 + 5
        (11, True, 4, True),  # counted to 6 + 5 and found no more: exact
        (11, True, 4, False),  # the last page: 9 before it and its 2, not counted
        (11, True, 4, False),  # past the end: counted
    ]
    assert [b.invoice_number for p in pages for b in p.items] == expected(listed_shop.store, "date_desc", q="meera")


# --------------------------------------------------------------------------- PostgreSQL's plans


def plan_of(sql: str, parameters) -> str:
    connection = db.session.connection()
    return "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql, parameters))


@pytest.mark.postgres_only
def test_the_search_reads_the_trigram_indexes_on_postgresql(app, till_shop):
    store = till_shop.store
    # 50,000 bills of one store (few enough to load in a second by one statement; at a few thousand the planner
    # rightly reads the whole store instead), each customer's name, phone and number its own.
    db.session.execute(text(
        "INSERT INTO bill (uid, store_id, kind, source, invoice_number, status, customer_name, phone, sub_total, "
        "discount, tax, cgst_amount, sgst_amount, igst_amount, round_off, credited_amount, refunded_amount, "
        "additional_charges, total_amount, paid_amount, due_amount, billing_timestamp, created_at, updated_at) "
        "SELECT md5(n::text), :store, 'sale', 'pos', 'INV2025' || lpad(n::text, 5, '0'), 'paid', "
        "'Customer ' || lpad(n::text, 5, '0'), '+9198' || lpad(n::text, 8, '0'), 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, "
        "100, 100, 0, :start, :start + n * interval '1 minute', :start FROM generate_series(0, 49999) AS n"),
        {"store": store.id, "start": START})
    db.session.commit()
    db.session.execute(text("ANALYZE bill"))
    captured: list = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "ILIKE" in statement.upper():
            captured.append((statement, parameters))

    for term, index in (("customer 01234", "ix_bill_customer_name_trgm"),
                        ("INV202501234", "ix_bill_invoice_number_trgm"), ("9800001234", "ix_bill_phone_trgm")):
        captured.clear()
        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            found = billing.list_bills(store, q=term)
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
        assert [b.invoice_number for b in found.items] == ["INV202501234"] and found.total == 1
        assert len(captured) == 1  # the matches read once: counted and ordered in the same statement
        plan = plan_of(*captured[0])
        assert index in plan and "Bitmap" in plan, plan
    assert set(BILL_TRGM_INDEXES) <= {row[0] for row in db.session.execute(text(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'bill'"))}
