"""Jewellery web pages: today's rates (owners and managers set, cashiers see), pieces (list, live search, add and
edit with photos, the same derived weights and HUID rules as the API) and the owners' audit log with its filters."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from PIL import Image

from extensions import db
from models import AuditLog, MetalRate, Product
from services.accounts.access import current_store_for
from services.jewellery import pieces as piece_service
from services.jewellery.rates import RateEntry, set_rates

D = Decimal


def sign_in(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), (200, 160, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def shop(jeweller, make_user):
    """The jeweller (owner) with a manager and a cashier."""
    manager = make_user(username="jmanager", store=jeweller.store, role="manager")
    cashier = make_user(username="jcashier", store=jeweller.store, role="cashier")
    return {"store": jeweller.store, "owner": jeweller.owner, "manager": manager, "cashier": cashier}


def piece_form(**overrides) -> dict:
    data = {"name": "Lotus ring", "sku": "R-101", "barcode": "", "huid": "AB12CD", "metal_purity": "gold-22K",
            "type": "sale", "gross_weight": "10.500", "less_weight": "0.500", "tounch": "", "wastage": "2",
            "making_type": "PG", "making_charge": "450", "hsn_code": "7113", "size": "14", "remark": ""}
    data.update(overrides)
    return data


def add_piece(shop, name: str, **fields) -> Product:
    """A piece saved the way the pages and the API save one (derived weights worked out)."""
    given = {"name": name, "metal": "gold", "purity": "22K", "gross_weight": D("10.500"), "less_weight": D("0.500"),
             **fields}
    piece = piece_service.save_piece(shop["store"], shop["owner"], None, given)
    db.session.commit()
    return piece


def rate_count() -> int:
    return db.session.execute(db.select(db.func.count(MetalRate.id))).scalar_one()


def piece_count() -> int:
    return db.session.execute(db.select(db.func.count(Product.id)).where(Product.gross_weight.is_not(None))
                              ).scalar_one()


# --------------------------------------------------------------------------- rates


@pytest.mark.parametrize("role, status", [("owner", 303), ("manager", 303), ("cashier", 403)])
def test_owners_and_managers_set_todays_rate_and_cashiers_are_refused(client, shop, role, status):
    sign_in(client, shop[role])
    response = client.post_form("/jewellery/rates", {"gold_22K": "7300.50"})
    assert response.status_code == status
    db.session.expire_all()
    price = db.session.execute(db.select(MetalRate.price_per_gram).filter_by(
        store_id=shop["store"].id, metal="gold", purity_label="22K")).scalar_one()
    assert price == (D("7300.50") if status == 303 else D("7150.00"))


def test_cashier_sees_the_rates_without_the_form(client, shop):
    sign_in(client, shop["cashier"])
    page = client.get("/jewellery/rates").get_data(as_text=True)
    assert "7,150.00" in page and 'id="rates-form"' not in page


def test_owner_sees_the_form_filled_with_todays_rates_and_the_history(client, shop):
    sign_in(client, shop["owner"])
    page = client.get("/jewellery/rates").get_data(as_text=True)
    assert 'id="rates-form"' in page and 'value="7150.00"' in page and 'id="rate-history"' in page


@pytest.mark.parametrize("field, value, message", [
    ("gold_22K", "abc", "Must be a number"),
    ("gold_22K", "-5", "Must be greater than 0"),
    ("silver_925", "95.123", "At most 2 decimal places"),
])
def test_a_bad_rate_is_a_422_beside_its_field_and_nothing_is_written(client, shop, field, value, message):
    sign_in(client, shop["owner"])
    before = rate_count()
    response = client.post_form("/jewellery/rates", {"gold_24K": "7900", field: value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    db.session.expire_all()
    assert rate_count() == before
    assert db.session.execute(db.select(MetalRate.price_per_gram).filter_by(
        store_id=shop["store"].id, metal="gold", purity_label="24K")).scalar_one() == D("7800.00")


def test_no_rate_filled_in_is_a_422(client, shop):
    sign_in(client, shop["owner"])
    response = client.post_form("/jewellery/rates", {})
    assert response.status_code == 422 and "At least one rate is required" in response.get_data(as_text=True)


def test_history_is_one_row_a_day_newest_first_and_paged(client, shop):
    store, owner = shop["store"], shop["owner"]
    from datetime import datetime, timezone
    now = datetime.now(timezone.utc)
    for days in range(1, 12):
        set_rates(store, owner, [RateEntry("gold", "24K", D(7000 + days))], now=now - timedelta(days=days))
    db.session.commit()
    sign_in(client, owner)
    first = client.get("/jewellery/rates").get_data(as_text=True)
    assert first.count("<tr>") - first.count("<thead><tr>") >= 10 and "7,001.00" in first and "Older" in first
    fragment = client.hx_get("/jewellery/rates?page=2")
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="rate-history">') and "7,011.00" in text and "7,001.00" not in text


def test_rates_pages_are_404_outside_jewellery_stores(client, make_user):
    grocer = make_user(username="grocer")
    sign_in(client, grocer)
    assert client.get("/jewellery/rates").status_code == 404
    assert client.get("/jewellery/pieces").status_code == 404


def test_the_nav_links_show_only_in_a_jewellery_store(client, shop, make_user):
    sign_in(client, shop["cashier"])
    assert '/jewellery/rates"' in client.get("/").get_data(as_text=True)
    sign_in(client, make_user(username="grocer"))
    assert "/jewellery/" not in client.get("/").get_data(as_text=True)


# --------------------------------------------------------------------------- pieces


def test_manager_adds_a_piece_with_a_photo_and_the_server_derives_its_weights(client, shop):
    sign_in(client, shop["manager"])
    response = client.post_form("/jewellery/pieces/new", {**piece_form(), "image": (io.BytesIO(png()), "ring.png")},
                                content_type="multipart/form-data")
    assert response.status_code == 303
    db.session.expire_all()
    piece = db.session.execute(db.select(Product).filter_by(huid="AB12CD")).scalar_one()
    assert (piece.net_weight, piece.fine_weight, piece.sku, piece.quantity) == (D("10.000"), D("9.360"), "R-101", 1)
    assert piece.image["mimeType"] == "image/png" and client.get(piece.image["uri"]).status_code == 200
    assert piece.metal_value == D("71500.00")  # 10.000 g x today's 22K 7150.00


@pytest.mark.parametrize("overrides, field, message", [
    ({"huid": "ab12"}, "huid", "HUID must be 6 uppercase letters or digits"),
    ({"gross_weight": "1.2345"}, "gross_weight", "At most 3 decimal places"),
    ({"gross_weight": "-1"}, "gross_weight", "Must be greater than 0"),
    ({"gross_weight": "heavy"}, "gross_weight", "Must be a number"),
    ({"less_weight": "11"}, "less_weight", "must not be more than the gross weight"),
    ({"tounch": "101"}, "tounch", "Must be at most 100"),
    ({"metal_purity": ""}, "metal_purity", "This field is required"),
    ({"name": ""}, "name", "This field is required"),
    ({"stone_weight": "0.2505"}, "stone_weight", "At most 3 decimal places"),
    ({"stone_weight": "0.25", "stone_value": "-5"}, "stone_value", "Must not be negative"),
    ({"hallmark_fee": "fee"}, "hallmark_fee", "Must be a number"),
    ({"gst_rate": "3.333"}, "gst_rate", "At most 2 decimal places"),
])
def test_bad_piece_input_is_a_422_beside_its_field_and_nothing_is_written(client, shop, overrides, field, message):
    sign_in(client, shop["owner"])
    before = piece_count()
    response = client.post_form("/jewellery/pieces/new", piece_form(**overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    db.session.expire_all()
    assert piece_count() == before


def test_a_huid_already_used_in_the_store_is_refused_beside_the_field(client, shop, make_piece):
    make_piece(shop["store"], "Old bangle", huid="ZX90QW")
    sign_in(client, shop["owner"])
    response = client.post_form("/jewellery/pieces/new", piece_form(huid="zx90qw"))
    assert response.status_code == 422
    assert "HUID ZX90QW is already used by Old bangle in this store" in response.get_data(as_text=True)
    db.session.expire_all()
    assert piece_count() == 1


def test_the_same_huid_in_another_store_is_allowed(client, shop, make_user, make_piece):
    other = current_store_for(make_user(username="other", business_kind="jewellery"))
    make_piece(other, "Their ring", huid="AB12CD")
    sign_in(client, shop["owner"])
    assert client.post_form("/jewellery/pieces/new", piece_form()).status_code == 303


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_written(client, shop, tmp_path):
    sign_in(client, shop["owner"])
    response = client.post_form("/jewellery/pieces/new", {**piece_form(), "image": (io.BytesIO(b"<svg></svg>"),
                                                                                   "ring.png")},
                                content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="image-error"' in page and "Upload a JPEG, PNG or WebP image." in page
    db.session.expire_all()
    assert piece_count() == 0
    assert not any((tmp_path / "uploads").rglob("*.*"))


def test_a_piece_carries_its_stone_and_hallmark_fee_and_keeps_other_stones(client, shop):
    sign_in(client, shop["owner"])
    response = client.post_form("/jewellery/pieces/new", piece_form(stone_weight="0.250", stone_unit="carat",
                                                                    stone_value="15000", hallmark_fee="45"))
    assert response.status_code == 303
    db.session.expire_all()
    piece = db.session.execute(db.select(Product).filter_by(huid="AB12CD")).scalar_one()
    assert piece.attributes["stones"] == [{"weight": "0.250", "unit": "carat", "value": "15000.00"}]
    assert piece.attributes["hallmark_fee"] == "45.00"
    assert piece.cgst_rate + piece.sgst_rate == D("3")  # blank GST: 3 %
    # A second stone given over the API stays when the form changes the first.
    piece.attributes = {**piece.attributes, "stones": piece.attributes["stones"] + [
        {"weight": "1.000", "unit": "gram", "value": "800.00"}]}
    db.session.commit()
    form = client.get(f"/jewellery/pieces/{piece.id}").get_data(as_text=True)
    assert 'value="0.250"' in form and 'value="45.00"' in form and "1 more stone" in form
    client.post_form(f"/jewellery/pieces/{piece.id}", piece_form(stone_weight="0.300", stone_unit="carat",
                                                                 stone_value="16000", hallmark_fee="45.00",
                                                                 gst_rate="5"))
    db.session.expire_all()
    assert (db.session.get(Product, piece.id).cgst_rate, db.session.get(Product, piece.id).sgst_rate) == (
        D("2.50"), D("2.50"))
    assert db.session.get(Product, piece.id).attributes["stones"] == [
        {"weight": "0.300", "unit": "carat", "value": "16000.00"}, {"weight": "1.000", "unit": "gram",
                                                                   "value": "800.00"}]


def test_editing_a_piece_recomputes_its_weights(client, shop, make_piece):
    piece = make_piece(shop["store"], "Chain")
    sign_in(client, shop["owner"])
    form = client.get(f"/jewellery/pieces/{piece.id}").get_data(as_text=True)
    assert 'value="10.500"' in form and '<option selected value="gold-22K">' in form
    response = client.post_form(f"/jewellery/pieces/{piece.id}", piece_form(name="Chain", huid="CH0001",
                                                                          gross_weight="12.000", less_weight="1.000"))
    assert response.status_code == 303
    db.session.expire_all()
    piece = db.session.get(Product, piece.id)
    assert (piece.net_weight, piece.huid) == (D("11.000"), "CH0001")


def test_another_stores_piece_and_a_plain_product_are_404(client, shop, make_user, make_piece, make_product):
    other = current_store_for(make_user(username="other", business_kind="jewellery"))
    theirs = make_piece(other, "Their ring")
    plain = make_product(shop["store"], "Polish cloth")
    sign_in(client, shop["owner"])
    for target in (theirs, plain):
        assert client.get(f"/jewellery/pieces/{target.id}").status_code == 404
        assert client.post_form(f"/jewellery/pieces/{target.id}", piece_form(name="Hijack")).status_code == 404
    db.session.expire_all()
    assert db.session.get(Product, theirs.id).product_name == "Their ring"


@pytest.mark.parametrize("path", ["/jewellery/pieces/new", "/jewellery/pieces/{id}"])
def test_a_cashier_sees_the_list_but_cannot_add_or_edit(client, shop, make_piece, path):
    piece = make_piece(shop["store"], "Anklet")
    sign_in(client, shop["cashier"])
    assert client.get("/jewellery/pieces").status_code == 200
    url = path.format(id=piece.id)
    assert client.get(url).status_code == 403
    assert client.post_form(url, piece_form(name="Changed", huid="QQ1234")).status_code == 403
    db.session.expire_all()
    assert db.session.get(Product, piece.id).product_name == "Anklet" and piece_count() == 1


def test_the_list_shows_tag_huid_purity_weights_and_status(client, shop, make_piece):
    make_piece(shop["store"], "Sold ring", huid="SOLD01", sku="T-9", quantity=0)
    add_piece(shop, "Stock ring", huid="STCK01", sku="T-10")
    sign_in(client, shop["cashier"])
    page = client.get("/jewellery/pieces").get_data(as_text=True)
    for text in ("T-9", "SOLD01", "Gold 22K", "10.500", "10.000", "sold", "in stock"):
        assert text in page
    assert page.index("Stock ring") < page.index("Sold ring")  # newest first


@pytest.mark.parametrize("q, shown, hidden", [("lotus", "Lotus", "Chain"), ("t-2", "Chain", "Lotus"),
                                              ("zz11aa", "Lotus", "Chain"), ("%", None, "Lotus")])
def test_search_by_name_tag_or_huid_returns_the_fragment(client, shop, q, shown, hidden):
    add_piece(shop, "Lotus ring", huid="ZZ11AA", sku="T-1")
    add_piece(shop, "Chain", huid="YY22BB", sku="T-2")
    sign_in(client, shop["owner"])
    response = client.hx_get(f"/jewellery/pieces?q={q.replace('%', '%25')}")
    text = response.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="pieces-results">') and "<html" not in text
    assert (shown is None or shown in text) and hidden not in text
    assert response.headers.get("Vary") and "HX-Request" in response.headers["Vary"]


def test_the_list_is_paged(client, shop):
    for n in range(22):
        add_piece(shop, f"Piece {n:02d}")
    sign_in(client, shop["owner"])
    first = client.get("/jewellery/pieces").get_data(as_text=True)
    assert "Piece 21" in first and "Piece 01" not in first and "page 1 of 2" in first
    second = client.get("/jewellery/pieces?page=2").get_data(as_text=True)
    assert "Piece 01" in second and "Piece 21" not in second


def test_list_pieces_leaves_out_plain_products(app, shop, make_piece, make_product):
    make_piece(shop["store"], "Ring")
    make_product(shop["store"], "Polish cloth")
    assert [p.product_name for p in piece_service.list_pieces(shop["store"]).items] == ["Ring"]


# --------------------------------------------------------------------------- audit log


@pytest.mark.parametrize("role, status", [("owner", 200), ("manager", 403), ("cashier", 403)])
def test_the_audit_log_is_for_owners(client, shop, role, status):
    sign_in(client, shop[role])
    assert client.get("/admin/audit").status_code == status


def audit_entities(text: str) -> list[tuple[str, str]]:
    import re
    return re.findall(r'class="audit-row" data-entity="([^"]+)" data-action="([^"]+)"', text)


def test_audit_filters_by_entity_action_user_and_dates(client, shop, make_piece):
    store, owner, manager = shop["store"], shop["owner"], shop["manager"]
    make_piece(store, "Ring")
    set_rates(store, manager, [RateEntry("gold", "22K", D("7200.00"))])
    old = AuditLog(store_id=store.id, user_id=owner.id, action="delete", entity="product", entity_id="99",
                   at=datetime.now(timezone.utc) - timedelta(days=40))  # audit rows cannot be changed once written
    db.session.add(old)
    db.session.commit()
    sign_in(client, owner)

    rows = audit_entities(client.get("/admin/audit?entity=metal_rate").get_data(as_text=True))
    assert rows and set(rows) == {("metal_rate", "set")}
    rows = audit_entities(client.get("/admin/audit?action=create").get_data(as_text=True))
    assert rows and all(action == "create" for _, action in rows)
    rows = audit_entities(client.get(f"/admin/audit?user={manager.id}").get_data(as_text=True))
    assert rows == [("metal_rate", "set")]
    day = (old.at - timedelta(days=1)).date().isoformat()
    rows = audit_entities(client.get(f"/admin/audit?from={day}&to={(old.at + timedelta(days=1)).date()}")
                          .get_data(as_text=True))
    assert rows == [("product", "delete")]
    everything = audit_entities(client.get("/admin/audit").get_data(as_text=True))
    assert everything[0] == ("metal_rate", "set") and everything[-1] == ("product", "delete")  # newest first


def test_audit_shows_only_this_store_and_a_bad_date_says_so(client, shop, make_user):
    other = make_user(username="other", business_kind="jewellery")
    set_rates(current_store_for(other), other, [RateEntry("gold", "24K", D("1.00"))])
    db.session.commit()
    sign_in(client, shop["owner"])
    page = client.get("/admin/audit?entity=metal_rate").get_data(as_text=True)
    assert "&#34;1.00&#34;" not in page and '"1.00"' not in page
    bad = client.get("/admin/audit?from=yesterday").get_data(as_text=True)
    assert "Enter a date as YYYY-MM-DD." in bad


def test_audit_pages_newest_first(client, shop):
    store, owner = shop["store"], shop["owner"]
    for n in range(55):
        db.session.add(AuditLog(store_id=store.id, user_id=owner.id, action="update", entity="note", entity_id=str(n)))
    db.session.commit()
    sign_in(client, owner)
    first = client.get("/admin/audit?entity=note").get_data(as_text=True)
    assert "page 1 of 2" in first and "Older" in first
    second = client.hx_get("/admin/audit?entity=note&page=2").get_data(as_text=True)
    assert second.lstrip().startswith('<div id="audit-results">') and len(audit_entities(second)) == 5


def test_only_the_open_jewellery_page_is_marked_current_in_the_nav(client, shop):
    sign_in(client, shop["cashier"])
    page = client.get("/jewellery/pieces").get_data(as_text=True)
    assert '<a href="/jewellery/pieces" aria-current="page">' in page
    assert '<a href="/jewellery/rates" aria-current="page">' not in page


AWAITING = "cannot be sold until its HUID is entered"


def awaiting_shop(shop) -> dict[str, Product]:
    """Gold that needs its HUID, beside pieces the hallmark rule lets through."""
    return {"bangle": add_piece(shop, "Plain bangle"),  # 10.000 g net of 22K gold, no HUID
            "stud": add_piece(shop, "Nose stud", gross_weight=D("1.500"), less_weight=D("0.000")),  # under 2 g
            "fine": add_piece(shop, "Nose pin", gross_weight=D("2.400"), less_weight=D("0.500")),  # 1.900 g net
            "silver": add_piece(shop, "Silver anklet", metal="silver", purity="925"),
            "ring": add_piece(shop, "Hallmarked ring", huid="HM0001"),
            "chain": add_piece(shop, "Heavy chain", gross_weight=D("20.000"))}


def rows(page: str) -> dict[str, str]:
    """Each row of the pieces table by the piece's name."""
    found = re.findall(r'<tr id="piece-\d+">(.*?)</tr>', page, re.S)
    return {re.search(r"<td>(?:<a [^>]*>)?([^<]+)", row).group(1): row for row in found}


def test_the_list_warns_on_gold_that_cannot_be_sold_until_its_huid_is_entered(client, shop):
    awaiting_shop(shop)
    sign_in(client, shop["owner"])
    page = client.get("/jewellery/pieces").get_data(as_text=True)
    assert 'id="hallmark-warning"' in page and "2 gold pieces cannot be sold until their HUID is entered" in page
    flagged = {name for name, row in rows(page).items() if AWAITING in row}
    assert flagged == {"Plain bangle", "Heavy chain"}  # not under 2 g net, silver or hallmarked


def test_the_list_filters_to_the_pieces_awaiting_their_huid_page_and_fragment(client, shop):
    made = awaiting_shop(shop)
    sign_in(client, shop["owner"])
    page = client.get("/jewellery/pieces?needs_huid=1").get_data(as_text=True)
    assert set(rows(page)) == {"Heavy chain", "Plain bangle"} and "2 pieces" in page
    assert 'id="pieces-needs-huid" type="checkbox" name="needs_huid" value="1" checked' in page
    fragment = client.hx_get("/jewellery/pieces?needs_huid=1&q=chain")
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="pieces-results">') and set(rows(text)) == {"Heavy chain"}
    # Entering the HUID (or selling the piece) takes it off the list: the filter is the sale's own rule.
    piece_service.save_piece(shop["store"], shop["owner"], made["chain"], {"huid": "HC0001"})
    db.session.commit()
    page = client.get("/jewellery/pieces?needs_huid=1").get_data(as_text=True)
    assert set(rows(page)) == {"Plain bangle"} and "1 gold piece cannot be sold until its HUID is entered" in page


def test_where_hallmarking_is_not_mandatory_nothing_is_flagged_or_filtered(client, shop):
    awaiting_shop(shop)
    shop["store"].settings = {**(shop["store"].settings or {}), "hallmark_mandatory": False}
    db.session.commit()
    sign_in(client, shop["owner"])
    assert AWAITING not in client.get("/jewellery/pieces").get_data(as_text=True)
    page = client.get("/jewellery/pieces?needs_huid=1").get_data(as_text=True)
    assert "No piece is waiting for its HUID." in page and 'id="hallmark-warning"' not in page


def test_the_filter_and_the_sale_ask_the_same_rule(app, shop, monkeypatch):
    made = awaiting_shop(shop)
    assert sorted(piece_service.awaiting_huid(shop["store"])) == sorted([made["bangle"].id, made["chain"].id])
    monkeypatch.setattr(piece_service, "hallmark_problem", lambda store, piece: None)
    assert piece_service.awaiting_huid(shop["store"]) == []


def test_the_edit_page_warns_on_gold_without_its_huid_and_not_once_it_is_entered(client, shop):
    made = awaiting_shop(shop)
    sign_in(client, shop["manager"])
    page = client.get(f"/jewellery/pieces/{made['bangle'].id}").get_data(as_text=True)
    assert 'id="hallmark-warning"' in page and "This piece cannot be sold until its HUID is entered" in page
    for name in ("stud", "silver", "ring"):
        assert 'id="hallmark-warning"' not in client.get(f"/jewellery/pieces/{made[name].id}").get_data(as_text=True)
    response = client.post_form(f"/jewellery/pieces/{made['bangle'].id}",
                                piece_form(name="Plain bangle", sku="", huid="pb0001"))
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    assert 'id="hallmark-warning"' not in client.get(f"/jewellery/pieces/{made['bangle'].id}").get_data(as_text=True)
