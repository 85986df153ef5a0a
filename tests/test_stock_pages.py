"""The stock pages: adjust with a reason (422 beside the field, nothing written), each item's history (paged, bill
links, who), the stock count sheet (add by code or name, live differences, one posting, stock changed meanwhile),
and the role matrix (cashiers read history, nothing more)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, Product, StockMove
from tests.fixtures_pos import sign_in


@pytest.fixture
def pos_sale():
    """sale(shop, [(product, qty), ...]): a bill saved through save_bill by the shop's cashier."""
    from services.billing import bills as billing

    def sale(shop, lines, kind="sale"):
        user = shop.cashier if kind == "sale" else shop.manager
        bill = billing.save_bill(shop.store, user, billing.BillDraft(
            lines=[billing.DraftLine(product=p, qty=q) for p, q in lines], kind=kind))
        db.session.commit()
        return bill

    return sale


def qty(product) -> Decimal:
    db.session.expire_all()
    return Decimal(db.session.get(Product, product.id).quantity)


def moves(product) -> list[tuple[str, Decimal]]:
    db.session.expire_all()
    return [(m.reason, Decimal(m.delta)) for m in db.session.execute(
        select(StockMove).where(StockMove.product_id == product.id).order_by(StockMove.id)).scalars()]


# --------------------------------------------------------------------------- adjust


def test_adjust_page_offers_every_reason(client, till_shop):
    sign_in(client, till_shop.manager)
    page = client.get(f"/inventory/{till_shop.salt.id}/adjust")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for label in ("Opening stock", "Stock count", "Damaged", "Theft or loss", "Expired", "Correction",
                  "Returned to supplier"):
        assert label in body
    assert 'id="adjust-form"' in body and "<html" in body


def test_adjust_removes_damaged_units_with_note_and_audit(client, till_shop):
    sign_in(client, till_shop.manager)
    response = client.post_form(f"/inventory/{till_shop.salt.id}/adjust",
                                {"reason": "damage", "mode": "remove", "amount": "3", "note": "torn bags"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/inventory/{till_shop.salt.id}/history")
    assert qty(till_shop.salt) == 47
    move = db.session.execute(select(StockMove).order_by(StockMove.id.desc()).limit(1)).scalar_one()
    assert (move.reason, move.delta, move.note, move.user_id) == ("damage", -3, "torn bags", till_shop.manager.id)
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "adjust")).scalar_one()
    assert entry.meta["reason"] == "damage" and entry.before == {"quantity": "50.000"}


def test_adjust_by_htmx_answers_hx_redirect_to_the_history(client, till_shop):
    sign_in(client, till_shop.owner)
    response = client.post_form(f"/inventory/{till_shop.butter.id}/adjust",
                                {"reason": "count", "mode": "set", "amount": "9", "note": ""}, htmx=True)
    assert response.status_code == 200
    assert f"/inventory/{till_shop.butter.id}/history" in response.headers["HX-Redirect"]
    assert qty(till_shop.butter) == 9 and moves(till_shop.butter)[-1] == ("count", 4)


@pytest.mark.parametrize("form, field, words", [
    ({"reason": "damage", "mode": "remove", "amount": "51"}, "amount", "below zero: 50 on hand, removing 51"),
    ({"reason": "count", "mode": "set", "amount": "50"}, "amount", "already 50"),
    ({"reason": "count", "mode": "add", "amount": "abc"}, "amount", "Must be a number"),
    ({"reason": "count", "mode": "add", "amount": "1.5"}, "amount", "whole number"),
    ({"reason": "count", "mode": "add", "amount": ""}, "amount", "Must be a number"),
    ({"reason": "vanished", "mode": "add", "amount": "1"}, "reason", "Choose a reason"),
    ({"reason": "theft", "mode": "add", "amount": "1"}, "reason", "takes stock away"),
    ({"reason": "count", "mode": "sideways", "amount": "1"}, "mode", "Choose add, remove or set"),
    ({"reason": "count", "mode": "add", "amount": "1", "note": "x" * 256}, "note", "At most 255"),
])
def test_bad_adjustment_is_422_beside_its_field_and_writes_nothing(client, till_shop, form, field, words):
    sign_in(client, till_shop.manager)
    before = moves(till_shop.salt)
    response = client.post_form(f"/inventory/{till_shop.salt.id}/adjust", form, htmx=True)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'id="{field}-error"' in body and words in body
    assert "<html" not in body and 'id="adjust-form"' in body  # the fragment, to swap in place
    assert f'value="{form["amount"]}"' in body  # what was typed stays
    assert moves(till_shop.salt) == before and qty(till_shop.salt) == 50


def test_service_item_keeps_no_stock(client, till_shop, make_product):
    haircut = make_product(till_shop.store, "Haircut", type="service", quantity=0)
    sign_in(client, till_shop.manager)
    response = client.post_form(f"/inventory/{haircut.id}/adjust", {"reason": "count", "mode": "add", "amount": "1"})
    assert response.status_code == 422 and "keeps no stock" in response.get_data(as_text=True)


def test_another_stores_item_is_404(client, till_shop, make_store, make_product):
    other = make_product(make_store(), "Elsewhere")
    sign_in(client, till_shop.manager)
    assert client.get(f"/inventory/{other.id}/adjust").status_code == 404
    assert client.get(f"/inventory/{other.id}/history").status_code == 404
    assert client.post_form(f"/inventory/{other.id}/adjust",
                            {"reason": "count", "mode": "add", "amount": "1"}).status_code == 404
    assert moves(other) == [("import", 10)]


# --------------------------------------------------------------------------- history


def test_history_shows_each_move_with_balance_bill_link_and_user(client, till_shop, pos_sale):
    bill = pos_sale(till_shop, [(till_shop.salt, 2)])
    sign_in(client, till_shop.manager)
    client.post_form(f"/inventory/{till_shop.salt.id}/adjust", {"reason": "expiry", "mode": "remove", "amount": "5"})
    sign_in(client, till_shop.cashier)
    page = client.get(f"/inventory/{till_shop.salt.id}/history")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    rows = body.split('class="move-row"')[1:]
    assert len(rows) == 3
    assert "Expired" in rows[0] and "-5" in rows[0] and ">43<" in rows[0] and "tillmanager" in rows[0]
    assert "Sale" in rows[1] and f'href="/bills/{bill.id}"' in rows[1] and bill.invoice_number in rows[1]
    assert ">48<" in rows[1]
    assert "Import" in rows[2] and ">50<" in rows[2]
    assert "Adjust stock" not in body  # cashiers get no adjust link


def test_history_pages_with_the_shared_pager(client, till_shop):
    from services.catalog import stock

    for _ in range(30):
        stock.adjust(till_shop.soap, 1, reason="correction")
    db.session.commit()
    sign_in(client, till_shop.cashier)
    first = client.get(f"/inventory/{till_shop.soap.id}/history").get_data(as_text=True)
    assert first.count('class="move-row"') == 25 and 'rel="next"' in first
    second = client.hx_get(f"/inventory/{till_shop.soap.id}/history?page=2")
    body = second.get_data(as_text=True)
    assert "<html" not in body and body.count('class="move-row"') == 6 and 'rel="prev"' in body
    assert second.headers["Vary"] and "HX-Request" in second.headers["Vary"]


# --------------------------------------------------------------------------- stocktake


def sheet(*lines, code="", action="add", note=""):
    data = {"code": code, "action": action, "note": note, "product_id": [], "seen": [], "counted": []}
    for product, seen, counted in lines:
        data["product_id"].append(str(product.id))
        data["seen"].append(str(seen))
        data["counted"].append(str(counted))
    return data


def test_stocktake_adds_by_barcode_sku_and_name(client, till_shop):
    sign_in(client, till_shop.manager)
    assert client.get("/inventory/stocktake").status_code == 200
    one = client.post_form("/inventory/stocktake/sheet", sheet(code="8901234500011"), htmx=True)
    body = one.get_data(as_text=True)
    assert one.status_code == 200 and 'id="line-%d"' % till_shop.salt.id in body and "<html" not in body
    two = client.post_form("/inventory/stocktake/sheet", sheet((till_shop.salt, 50, "48"), code="BUT-500"), htmx=True)
    body = two.get_data(as_text=True)
    assert f'id="line-{till_shop.butter.id}"' in body and 'value="48"' in body  # the typed count is kept
    three = client.post_form("/inventory/stocktake/sheet", sheet(code="lux"), htmx=True)
    assert f'id="line-{till_shop.soap.id}"' in three.get_data(as_text=True)


def test_stocktake_offers_a_choice_when_a_name_matches_several(client, till_shop, make_product):
    make_product(till_shop.store, "Lux Soap 200g")
    sign_in(client, till_shop.manager)
    body = client.post_form("/inventory/stocktake/sheet", sheet(code="lux soap"), htmx=True).get_data(as_text=True)
    assert 'id="picks"' in body and f'value="pick-{till_shop.soap.id}"' in body
    picked = client.post_form("/inventory/stocktake/sheet", sheet(action=f"pick-{till_shop.soap.id}"), htmx=True)
    assert f'id="line-{till_shop.soap.id}"' in picked.get_data(as_text=True)


def test_enter_in_a_count_box_answers_the_sheet_with_every_count(client, till_shop):
    sign_in(client, till_shop.manager)
    response = client.post_form("/inventory/stocktake/sheet", sheet((till_shop.salt, 50, "7"), code=""), htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="7"' in body and ">-43<" in body and "code-error" not in body


def test_adding_nothing_to_an_empty_sheet_is_422(client, till_shop):
    sign_in(client, till_shop.manager)
    response = client.post_form("/inventory/stocktake/sheet", sheet(code=""), htmx=True)
    assert response.status_code == 422 and "Scan a barcode" in response.get_data(as_text=True)


@pytest.mark.parametrize("code, words", [("nothing-like-this", "No item matches")])
def test_stocktake_unknown_code_is_422_and_keeps_the_sheet(client, till_shop, code, words):
    sign_in(client, till_shop.manager)
    response = client.post_form("/inventory/stocktake/sheet", sheet((till_shop.salt, 50, "7"), code=code), htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and words in body and 'id="code-error"' in body
    assert f'id="line-{till_shop.salt.id}"' in body and 'value="7"' in body


def test_stocktake_line_shows_the_difference_live(client, till_shop):
    sign_in(client, till_shop.manager)
    url = f"/inventory/stocktake/line/{till_shop.salt.id}"
    ok = client.post_form(url, sheet((till_shop.salt, 50, "46")), htmx=True)
    assert ok.status_code == 200 and f'id="diff-{till_shop.salt.id}"' in ok.get_data(as_text=True)
    assert ">-4<" in ok.get_data(as_text=True)
    up = client.post_form(url, sheet((till_shop.salt, 50, "52")), htmx=True).get_data(as_text=True)
    assert ">+2<" in up
    bad = client.post_form(url, sheet((till_shop.salt, 50, "4.5")), htmx=True)
    assert bad.status_code == 422 and "whole number" in bad.get_data(as_text=True)


def test_stocktake_posts_one_adjustment_of_count_moves(client, till_shop):
    sign_in(client, till_shop.manager)
    data = sheet((till_shop.salt, 50, "45"), (till_shop.butter, 5, "5"), (till_shop.soap, 30, "31"),
                 note="November count")
    response = client.post_form("/inventory/stocktake", data, htmx=True)
    assert response.status_code == 200 and "/inventory/stocktake" in response.headers["HX-Redirect"]
    assert (qty(till_shop.salt), qty(till_shop.butter), qty(till_shop.soap)) == (45, 5, 31)
    assert moves(till_shop.salt)[-1] == ("count", -5) and moves(till_shop.soap)[-1] == ("count", 1)
    assert moves(till_shop.butter) == [("import", 5)]  # no difference, no move
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "stocktake")).scalar_one()
    assert len(entry.meta["lines"]) == 3 and len(entry.meta["moves"]) == 2 and entry.meta["note"] == "November count"


def test_stocktake_with_one_bad_count_writes_nothing_and_keeps_every_count(client, till_shop):
    sign_in(client, till_shop.manager)
    data = sheet((till_shop.salt, 50, "45"), (till_shop.butter, 5, "-1"), (till_shop.soap, 30, ""))
    response = client.post_form("/inventory/stocktake", data, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="counted-{till_shop.butter.id}-error"' in body and f'id="counted-{till_shop.soap.id}-error"' in body
    assert 'value="45"' in body and 'value="-1"' in body
    assert qty(till_shop.salt) == 50 and moves(till_shop.salt) == [("import", 50)]


def test_stocktake_refuses_when_stock_moved_since_it_was_read(client, till_shop):
    from services.catalog import stock

    sign_in(client, till_shop.manager)
    stock.take_for_sale({till_shop.salt: 2})  # a sale at the till while the count was going on
    db.session.commit()
    data = sheet((till_shop.salt, 50, "45"), (till_shop.soap, 30, "29"))
    response = client.post_form("/inventory/stocktake", data, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "changed since you added them" in body and "Tata Salt 1kg" in body
    assert 'class="stock-changed"' in body and 'name="seen" value="48' in body  # the stock now, to post again
    assert qty(till_shop.salt) == 48 and qty(till_shop.soap) == 30  # nothing written, not even the soap
    again = client.post_form("/inventory/stocktake",
                             sheet((till_shop.salt, "48.000", "45"), (till_shop.soap, 30, "29")), htmx=True)
    assert again.status_code == 200 and qty(till_shop.salt) == 45 and qty(till_shop.soap) == 29


def test_stocktake_refuses_an_item_that_keeps_no_stock(client, till_shop, make_product):
    haircut = make_product(till_shop.store, "Haircut", type="service", quantity=0, sku="CUT-1")
    sign_in(client, till_shop.manager)
    added = client.post_form("/inventory/stocktake/sheet", sheet(code="CUT-1"), htmx=True)
    assert added.status_code == 422 and "keeps no stock" in added.get_data(as_text=True)
    posted = client.post_form("/inventory/stocktake", sheet((haircut, 0, "3"), (till_shop.salt, 50, "49")), htmx=True)
    assert posted.status_code == 422 and "keeps no stock" in posted.get_data(as_text=True)
    assert qty(haircut) == 0 and qty(till_shop.salt) == 50


def test_stocktake_drops_another_stores_item(client, till_shop, make_store, make_product):
    other = make_product(make_store(), "Elsewhere")
    sign_in(client, till_shop.manager)
    response = client.post_form("/inventory/stocktake", sheet((other, 10, "0"), (till_shop.salt, 50, "49")))
    assert response.status_code == 303
    assert qty(other) == 10 and qty(till_shop.salt) == 49


# --------------------------------------------------------------------------- roles


CASHIER_REFUSED = [
    ("get", "/inventory/{id}/adjust", None),
    ("post", "/inventory/{id}/adjust", {"reason": "count", "mode": "add", "amount": "1"}),
    ("get", "/inventory/stocktake", None),
    ("post", "/inventory/stocktake/sheet", {"code": "SALT-1"}),
    ("post", "/inventory/stocktake/line/{id}", {"product_id": "{id}", "seen": "50", "counted": "1"}),
    ("post", "/inventory/stocktake", {"product_id": "{id}", "seen": "50", "counted": "1"}),
    ("get", "/inventory/labels", None),
    ("post", "/inventory/labels/sheet.pdf", {"copies-{id}": "1"}),
    ("post", "/inventory/labels/{id}/barcode", {}),
]


@pytest.mark.parametrize("method, url, form", CASHIER_REFUSED)
def test_cashier_is_refused_every_stock_edit(client, till_shop, method, url, form):
    product = till_shop.salt
    sign_in(client, till_shop.cashier)
    url = url.format(id=product.id)
    if method == "get":
        response = client.get(url)
    else:
        response = client.post_form(url, {k.format(id=product.id): v.format(id=product.id) for k, v in form.items()})
    assert response.status_code == 403
    assert moves(product) == [("import", 50)]
    assert db.session.execute(select(func.count()).select_from(AuditLog).where(
        AuditLog.action.in_(("adjust", "stocktake", "assign_barcode")))).scalar_one() == 0


@pytest.mark.parametrize("role", ["owner", "manager", "cashier"])
def test_every_role_reads_history(client, till_shop, role):
    sign_in(client, getattr(till_shop, role))
    assert client.get(f"/inventory/{till_shop.salt.id}/history").status_code == 200


@pytest.mark.parametrize("role, allowed", [("owner", True), ("manager", True), ("cashier", False)])
def test_adjust_service_checks_the_role_itself(app, till_shop, role, allowed):
    from services.catalog import stock
    from services.errors import PermissionDenied

    given = stock.Adjustment("add", Decimal(1), "correction")
    user = getattr(till_shop, role)
    if allowed:
        stock.adjust_with_reason(till_shop.store, user, till_shop.salt, given)
        assert qty(till_shop.salt) == 51
    else:
        with pytest.raises(PermissionDenied):
            stock.adjust_with_reason(till_shop.store, user, till_shop.salt, given)
        with pytest.raises(PermissionDenied):
            stock.post_count(till_shop.store, user, [stock.CountLine(till_shop.salt, Decimal(50), Decimal(1))])


def test_signed_out_visitor_goes_to_log_in(client, till_shop):
    response = client.get(f"/inventory/{till_shop.salt.id}/history")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_pages_link_back_to_the_inventory(client, till_shop):
    sign_in(client, till_shop.manager)
    for url in (f"/inventory/{till_shop.salt.id}/history", f"/inventory/{till_shop.salt.id}/adjust",
                "/inventory/stocktake", "/inventory/labels"):
        assert 'href="/inventory"' in client.get(url).get_data(as_text=True), url
