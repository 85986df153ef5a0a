"""Inventory pages over the Flask test client: the products list (search, filters, sort, pages; the fragment with
pushed URLs and plain GET without JavaScript), inline edit of a row (422 re-render), the add/edit form, archive and
restore, categories (add, rename, merge), low stock and the home tile, and the role matrix of every edit route."""
from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, Category, Product, StockMove
from services.billing import bills as billing
from services.catalog import search
from services.catalog.categories import create_category
from tests.fixtures_pos import sign_in

D = Decimal


@pytest.fixture
def shop(till_shop):
    """till_shop's three items, two categories, and a low-stock level on the butter (5 in stock, level 5)."""
    grocery = create_category(till_shop.store, till_shop.owner, "Grocery")
    dairy = create_category(till_shop.store, till_shop.owner, "Dairy")
    till_shop.salt.category_id = grocery.id
    till_shop.butter.category_id = dairy.id
    till_shop.butter.low_stock_threshold = 5
    db.session.commit()
    till_shop.grocery, till_shop.dairy = grocery, dairy
    return till_shop


@pytest.fixture
def as_user(client, shop):
    def login(role: str):
        sign_in(client, getattr(shop, role))
        return client

    return login


def names(html: str) -> list[str]:
    cells = re.findall(r'<th scope="row" class="product-name">([^\n]+)', html)
    return [re.sub(r"\s*<.*", "", cell).strip() for cell in cells]


def category_names() -> list[tuple[int, str]]:
    db.session.expire_all()
    return db.session.execute(select(Category.id, Category.name).order_by(Category.id)).all()


def fresh(product: Product) -> Product:
    db.session.expire_all()
    return db.session.get(Product, product.id)


# --------------------------------------------------------------------------- the list


def test_the_list_is_a_page_or_the_results_fragment_with_every_row_detail(as_user, shop):
    client = as_user("cashier")
    page = client.get("/inventory")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert names(html) == ["Amul Butter 500g", "Lux Soap 100g", "Tata Salt 1kg"]
    row = re.search(r'<tr id="product-%d".*?</tr>' % shop.salt.id, html, re.S).group(0)
    assert "SALT-1" in row and "8901234500011" in row and "Grocery" in row and "50 pcs" in row
    assert "₹28.00" in row and "5%" in row
    assert ("MRP incl. GST" if shop.salt.price_includes_tax else "before tax") in row
    form = re.search(r'<form id="inventory-filters"[^>]*>', html, re.S).group(0)
    assert 'method="get"' in form and 'action="/inventory"' in form and 'hx-get="/inventory"' in form
    assert 'hx-push-url="true"' in form
    # leaving the search box (to click Edit in a row) is not a new search that would wipe the row's form
    assert 'hx-trigger="submit, change from:.inventory-filter, input changed delay:250ms from:#inventory-q"' in form
    fragment = client.hx_get("/inventory?q=salt")
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<div id="inventory-results">')
    assert names(body) == ["Tata Salt 1kg"]
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in page.headers["Vary"]
    # the address bar gets the list's own query, not every empty field the form sent
    assert client.hx_get("/inventory?q=salt&category=&type=&stock=&sort=&page=1").headers["HX-Push-Url"] == \
        "/inventory?q=salt"
    assert client.hx_get("/inventory?q=&stock=low&sort=price").headers["HX-Push-Url"] == \
        "/inventory?stock=low&sort=price"
    # a history restore or a boosted request gets the whole page (htmx then pushes nothing of its own)
    restore = client.get("/inventory?q=salt", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_a_measured_unit_shows_its_decimals_and_mrp_or_before_tax_is_said(as_user, shop, make_product):
    rice = make_product(shop.store, "Loose Rice", unit_price="60", quantity=0, unit="kg", price_includes_tax=False)
    from services.catalog import stock

    stock.add({rice: D("12.750")}, reason="import")
    db.session.commit()
    html = as_user("cashier").get("/inventory?q=loose").get_data(as_text=True)
    assert "12.75 kg" in html and "before tax" in html


def test_search_matches_name_sku_and_barcode_through_the_one_rule(as_user, shop, monkeypatch):
    client = as_user("cashier")
    assert names(client.hx_get("/inventory?q=BUT-5").get_data(as_text=True)) == ["Amul Butter 500g"]
    assert names(client.hx_get("/inventory?q=500035").get_data(as_text=True)) == ["Lux Soap 100g"]
    assert names(client.hx_get("/inventory?q=soap").get_data(as_text=True)) == ["Lux Soap 100g"]
    assert "No product matches “xyzzy”" in client.hx_get("/inventory?q=xyzzy").get_data(as_text=True)
    called = []
    rule = search.catalogue_match
    monkeypatch.setattr(search, "catalogue_match", lambda term, **kw: called.append(term) or rule(term, **kw))
    client.hx_get("/inventory?q=lux")
    assert called == ["lux"]


def test_filters_category_type_low_out_and_archived(as_user, shop, make_product):
    make_product(shop.store, "Haircut", type="service", quantity=0)
    empty = make_product(shop.store, "Empty Jar", quantity=0)
    gone = make_product(shop.store, "Old Soap", quantity=1)
    gone.archived = True
    db.session.commit()
    client = as_user("cashier")

    def listed(query: str) -> list[str]:
        return names(client.hx_get("/inventory?" + query).get_data(as_text=True))

    assert listed(f"category={shop.dairy.id}") == ["Amul Butter 500g"]
    assert listed("type=service") == ["Haircut"]
    assert listed("stock=low") == ["Amul Butter 500g"]
    assert listed("stock=out") == ["Empty Jar"] and empty.id
    assert listed("archived=1") == ["Old Soap"]
    assert listed("archived=1&q=old") == ["Old Soap"]
    assert "Old Soap" not in listed("") and "Old Soap" not in listed("q=old")


def test_sorts_by_name_stock_price_and_recent_change(as_user, shop):
    client = as_user("cashier")
    assert names(client.hx_get("/inventory?sort=stock").get_data(as_text=True))[0] == "Amul Butter 500g"
    assert names(client.hx_get("/inventory?sort=price").get_data(as_text=True)) == [
        "Tata Salt 1kg", "Lux Soap 100g", "Amul Butter 500g"]
    shop.soap.description = "touched"
    db.session.commit()
    assert names(client.hx_get("/inventory?sort=updated").get_data(as_text=True))[0] == "Lux Soap 100g"


def test_bad_filters_are_explained_and_ignored(as_user, shop):
    response = as_user("cashier").hx_get("/inventory?type=bogus&stock=x&sort=y&category=abc")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and len(names(html)) == 3
    for field in ("type", "stock", "sort", "category"):
        assert f'data-field="{field}"' in html


def test_pages_with_pager_links_that_work_with_and_without_htmx(as_user, shop, make_product):
    for n in range(30):
        make_product(shop.store, f"Bulk item {n:02d}", quantity=1)
    client = as_user("cashier")
    first = client.hx_get("/inventory?q=bulk").get_data(as_text=True)
    assert len(names(first)) == 20
    link = re.search(r'<a href="([^"]+)" hx-get="([^"]+)" hx-target="#inventory-results"[^>]*rel="next"', first)
    assert link and link.group(1) == link.group(2) and "q=bulk" in link.group(1) and "page=2" in link.group(1)
    second = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "<html" in second and names(second) == [f"Bulk item {n:02d}" for n in range(20, 30)]
    assert 'rel="prev"' in second and 'rel="next"' not in second


# --------------------------------------------------------------------------- inline edit


def test_edit_turns_the_row_into_a_form_and_save_renders_the_row_again(as_user, shop):
    client = as_user("manager")
    html = client.get("/inventory").get_data(as_text=True)
    assert f'hx-get="/inventory/{shop.salt.id}/row/edit"' in html
    assert f'href="/inventory/{shop.salt.id}/edit" hx-get="/inventory/{shop.salt.id}/row/edit"' in html
    form = client.hx_get(f"/inventory/{shop.salt.id}/row/edit").get_data(as_text=True)
    assert form.lstrip().startswith(f'<tr id="product-{shop.salt.id}"') and 'name="price" value="28.00"' in form
    assert 'name="gst_rate" value="5.00"' in form
    saved = client.post_form(f"/inventory/{shop.salt.id}/row", {
        "price": "30.50", "gst_rate": "12", "low_stock": "8", "category": str(shop.dairy.id)}, htmx=True)
    body = saved.get_data(as_text=True)
    assert saved.status_code == 200 and body.lstrip().startswith(f'<tr id="product-{shop.salt.id}"')
    assert "₹30.50" in body and "12%" in body and "Dairy" in body and "<form method" in body
    salt = fresh(shop.salt)
    assert (salt.unit_price, salt.cgst_rate, salt.sgst_rate, salt.low_stock_threshold, salt.category_id) == (
        D("30.50"), D("6.00"), D("6.00"), 8, shop.dairy.id)
    assert salt.quantity == 50  # the stock did not move
    cancel = client.hx_get(f"/inventory/{shop.salt.id}/row").get_data(as_text=True)
    assert cancel.lstrip().startswith(f'<tr id="product-{shop.salt.id}"') and "₹30.50" in cancel


@pytest.mark.parametrize("form, field, message", [
    ({"price": "-1"}, "price", "A price cannot be negative."),
    ({"price": "abc"}, "price", "Enter a number."),
    ({"price": ""}, "price", "This field is required."),
    ({"gst_rate": "300"}, "gst_rate", "Tax rate must be from 0 to 100."),
    ({"low_stock": "-2"}, "low_stock", "The low-stock level must be from 0 to"),
    ({"low_stock": "2.5"}, "low_stock", "Enter a whole number."),
    ({"category": "999999"}, "category", "Category not found in this store."),
])
def test_bad_inline_input_re_renders_the_row_form_with_422_and_writes_nothing(as_user, shop, form, field, message):
    client = as_user("owner")
    given = {"price": "28.00", "gst_rate": "5", "low_stock": "", "category": str(shop.grocery.id)} | form
    response = client.post_form(f"/inventory/{shop.salt.id}/row", given, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.lstrip().startswith(f'<tr id="product-{shop.salt.id}"')
    error = re.search(rf'id="row-{shop.salt.id}-{field}-error">([^<]+)<', body)
    assert error and message in error.group(1)
    assert f'name="{field}" value="{given[field]}"' in body or field == "category"
    salt = fresh(shop.salt)
    assert (salt.unit_price, salt.cgst_rate, salt.low_stock_threshold) == (D("28.00"), D("2.50"), None)
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "update", AuditLog.entity == "product")) == 0


def test_every_mistake_of_an_inline_edit_shows_at_once(as_user, shop):
    body = as_user("owner").post_form(f"/inventory/{shop.salt.id}/row", {
        "price": "-5", "gst_rate": "x", "low_stock": "", "category": ""}, htmx=True).get_data(as_text=True)
    assert "A price cannot be negative." in body and "Enter a number." in body


def test_the_inline_save_goes_through_update_product(as_user, shop, monkeypatch):
    from services.catalog import products

    seen = []
    real = products.update_product
    monkeypatch.setattr(products, "update_product", lambda *a: seen.append(a[3].fields_set) or real(*a))
    as_user("owner").post_form(f"/inventory/{shop.salt.id}/row", {
        "price": "29", "gst_rate": "5", "low_stock": "3", "category": ""}, htmx=True)
    assert seen == [frozenset({"unit_price", "cgst_rate", "sgst_rate", "low_stock_threshold", "category_id"})]


# --------------------------------------------------------------------------- the add / edit form


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


NEW = {"name": "Parle-G 250g", "type": "product", "unit": "pcs", "price": "25", "price_includes_tax": "y",
       "gst_rate": "18", "hsn": "1905", "barcode": "8901719100017", "sku": "PARLE-250", "category": "",
       "low_stock": "10", "description": "Biscuits", "opening_stock": "40"}


def test_adding_a_product_with_every_field_its_opening_stock_and_a_photo(as_user, shop, app):
    client = as_user("manager")
    page = client.get("/inventory/new").get_data(as_text=True)
    for name in ("name", "type", "unit", "price", "price_includes_tax", "gst_rate", "hsn", "barcode", "sku",
                 "category", "low_stock", "description", "opening_stock", "image"):
        assert f'name="{name}"' in page
    data = NEW | {"category": str(shop.grocery.id), "image": (io.BytesIO(png()), "parle.png")}
    response = client.post_form("/inventory/new", data, content_type="multipart/form-data")
    assert response.status_code == 303 and response.headers["Location"] == "/inventory?q=PARLE-250"
    product = db.session.execute(select(Product).filter_by(sku="PARLE-250")).scalar_one()
    assert (product.product_name, product.unit_price, product.price_includes_tax, product.cgst_rate,
            product.sgst_rate, product.hsn_code, product.barcode, product.category_id, product.low_stock_threshold,
            product.description, product.quantity) == (
        "Parle-G 250g", D("25.00"), True, D("9.00"), D("9.00"), "1905", "8901719100017", shop.grocery.id, 10,
        "Biscuits", D("40"))
    assert db.session.scalar(select(func.sum(StockMove.delta)).filter_by(product_id=product.id)) == 40
    assert product.product_Img.startswith("/uploads/") and client.get(product.product_Img).status_code == 200


@pytest.mark.parametrize("change, field, message", [
    ({"price": "-10"}, "price", "A price cannot be negative."),
    ({"sku": "SALT-1"}, "sku", "A product with this SKU already exists in this store."),
    ({"barcode": "8901234500028"}, "barcode", "A product with this barcode already exists in this store."),
    ({"hsn": "12"}, "hsn", "Enter a valid HSN code"),
    ({"opening_stock": "1.5"}, "opening_stock", "must be a whole number"),
    ({"name": ""}, "name", "A product needs a name."),
    ({"image": "text"}, "image", "Upload a JPEG, PNG or WebP image."),
])
def test_bad_input_in_the_form_is_a_422_with_the_message_beside_the_field(as_user, shop, app, change, field,
                                                                          message):
    from pathlib import Path

    data = NEW | change
    if field == "image":
        data["image"] = (io.BytesIO(b"<svg onload=alert(1)>"), "x.png")
    response = as_user("owner").post_form("/inventory/new", data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">([^<]+)<', html)
    assert error and message.lower() in error.group(1).lower()
    assert db.session.scalar(select(func.count()).select_from(Product)) == 3
    uploads = Path(app.config["UPLOAD_FOLDER"])
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))  # no photo left behind


def test_a_duplicate_sku_after_a_good_photo_leaves_no_photo_behind(as_user, shop, app):
    from pathlib import Path

    data = NEW | {"sku": "SALT-1", "image": (io.BytesIO(png()), "p.png")}
    response = as_user("owner").post_form("/inventory/new", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert not any(p.is_file() for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*"))


def test_editing_every_field_keeps_the_stock(as_user, shop):
    client = as_user("owner")
    page = client.get(f"/inventory/{shop.soap.id}/edit").get_data(as_text=True)
    assert 'value="Lux Soap 100g"' in page and 'value="LUX-100"' in page and 'name="opening_stock"' not in page
    data = {k: v for k, v in NEW.items() if k != "opening_stock"} | {"name": "Lux Soap 125g", "sku": "LUX-125"}
    response = client.post_form(f"/inventory/{shop.soap.id}/edit", data)
    assert response.status_code == 303
    soap = fresh(shop.soap)
    assert (soap.product_name, soap.sku, soap.quantity, soap.unit_price) == ("Lux Soap 125g", "LUX-125", 30, 25)


# --------------------------------------------------------------------------- archive and restore


def test_archive_hides_from_list_and_till_and_restore_brings_it_back(as_user, shop):
    billing.save_bill(shop.store, shop.cashier, billing.BillDraft(lines=[billing.DraftLine(product=shop.salt,
                                                                                           qty=1)]))
    db.session.commit()
    client = as_user("manager")
    response = client.post_form(f"/inventory/{shop.salt.id}/archive")
    assert response.status_code == 303
    salt = fresh(shop.salt)
    assert salt.archived and salt.product_name == "Tata Salt 1kg" and salt.sku == "SALT-1"  # kept, not deleted
    assert "Tata Salt 1kg" not in names(client.get("/inventory").get_data(as_text=True))
    assert "Tata Salt" not in client.hx_get("/pos/search?q=tata").get_data(as_text=True)
    assert search.find_by_code(shop.store, "SALT-1") is None
    assert "Tata Salt 1kg" in names(client.get("/inventory?archived=1").get_data(as_text=True))
    assert client.post_form(f"/inventory/{shop.salt.id}/restore").status_code == 303
    assert not fresh(shop.salt).archived
    assert "Tata Salt" in client.hx_get("/pos/search?q=tata").get_data(as_text=True)
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.entity == "product",
                                                               AuditLog.entity_id == str(shop.salt.id))).all()
    assert actions[-2:] == ["archive", "restore"]


# --------------------------------------------------------------------------- categories


def test_categories_add_rename_and_merge(as_user, shop):
    client = as_user("manager")
    assert "Grocery" in client.get("/inventory/categories").get_data(as_text=True)
    assert client.post_form("/inventory/categories", {"name": "Snacks"}).status_code == 303
    snacks = db.session.execute(select(Category).filter_by(name="Snacks")).scalar_one()
    assert client.post_form(f"/inventory/categories/{snacks.id}/rename", {"name": "Namkeen"}).status_code == 303
    assert db.session.get(Category, snacks.id).name == "Namkeen"
    response = client.post_form(f"/inventory/categories/{shop.dairy.id}/merge", {"target_id": str(shop.grocery.id)})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Category, shop.dairy.id) is None
    assert fresh(shop.butter).category_id == shop.grocery.id


@pytest.mark.parametrize("url, data, message", [
    ("/inventory/categories", {"name": "grocery"}, "You already have a category with this name."),
    ("/inventory/categories", {"name": "  "}, "A category needs a name."),
    ("rename", {"name": "DAIRY"}, "You already have a category with this name."),
    ("merge", {"target_id": ""}, "Choose the category to merge into."),
    ("merge-self", {}, "Choose a different category to merge into."),
])
def test_refused_category_changes_say_why_with_422(as_user, shop, url, data, message):
    if url == "rename":
        url = f"/inventory/categories/{shop.grocery.id}/rename"
    elif url == "merge":
        url = f"/inventory/categories/{shop.grocery.id}/merge"
    elif url == "merge-self":
        url, data = f"/inventory/categories/{shop.grocery.id}/merge", {"target_id": str(shop.grocery.id)}
    before = category_names()
    response = as_user("owner").post_form(url, data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert category_names() == before
    assert fresh(shop.butter).category_id == shop.dairy.id


# --------------------------------------------------------------------------- low stock


def test_low_stock_lists_tracked_products_at_or_below_their_level_and_the_home_tile_links_there(as_user, shop,
                                                                                              make_product):
    make_product(shop.store, "Haircut", type="service", quantity=0, low_stock_threshold=1)
    make_product(shop.store, "Ghee 1l", quantity=2, low_stock_threshold=3)
    archived = make_product(shop.store, "Old Ghee", quantity=0, low_stock_threshold=3)
    archived.archived = True
    db.session.commit()
    client = as_user("cashier")
    html = client.get("/inventory/low-stock").get_data(as_text=True)
    assert names(html) == ["Ghee 1l", "Amul Butter 500g"]  # 1 below its level first, then at it
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'<a href="/inventory/low-stock" id="low-stock-figure">2</a>', home)


# --------------------------------------------------------------------------- roles


def edit_routes(shop) -> list[tuple[str, str, dict]]:
    salt, dairy, grocery = shop.salt.id, shop.dairy.id, shop.grocery.id
    return [
        ("get", f"/inventory/{salt}/row/edit", {}),
        ("post", f"/inventory/{salt}/row", {"price": "1", "gst_rate": "0", "low_stock": "", "category": ""}),
        ("get", "/inventory/new", {}),
        ("post", "/inventory/new", NEW),
        ("get", f"/inventory/{salt}/edit", {}),
        ("post", f"/inventory/{salt}/edit", NEW | {"sku": "X"}),
        ("post", f"/inventory/{salt}/archive", {}),
        ("post", f"/inventory/{salt}/restore", {}),
        ("get", "/inventory/categories", {}),
        ("post", "/inventory/categories", {"name": "New"}),
        ("post", f"/inventory/categories/{dairy}/rename", {"name": "Milk"}),
        ("post", f"/inventory/categories/{dairy}/merge", {"target_id": str(grocery)}),
    ]


EDIT_ROUTES = 12


@pytest.mark.parametrize("index", range(EDIT_ROUTES))
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_cashier_is_refused_every_edit_route_and_nothing_changes(as_user, shop, index, htmx):
    method, url, data = edit_routes(shop)[index]
    client = as_user("cashier")
    before = [(p.id, p.product_name, p.unit_price, p.archived, p.category_id)
              for p in db.session.scalars(select(Product).order_by(Product.id))]
    categories = category_names()
    if method == "get":
        response = client.hx_get(url) if htmx else client.get(url)
    else:
        response = client.post_form(url, data, htmx=htmx)
    assert response.status_code == 403
    if htmx:  # the refusal is a flash; the page under it and the address bar stay as they were
        assert response.headers["HX-Reswap"] == "none" and response.headers["HX-Push-Url"] == "false"
    db.session.expire_all()
    assert before == [(p.id, p.product_name, p.unit_price, p.archived, p.category_id)
                      for p in db.session.scalars(select(Product).order_by(Product.id))]
    assert category_names() == categories


@pytest.mark.parametrize("role", ["owner", "manager"])
@pytest.mark.parametrize("index", range(EDIT_ROUTES))
def test_owners_and_managers_may_use_every_edit_route(as_user, shop, role, index):
    method, url, data = edit_routes(shop)[index]
    client = as_user(role)
    if "restore" in url:
        shop.salt.archived = True
        db.session.commit()
    response = client.get(url) if method == "get" else client.post_form(url, data)
    assert response.status_code in (200, 303)


def test_a_cashier_sees_no_edit_links(as_user, shop):
    html = as_user("cashier").get("/inventory").get_data(as_text=True)
    assert "/row/edit" not in html and "/inventory/new" not in html and "/archive" not in html
    assert "/inventory/categories" not in html and "/inventory/low-stock" in html


@pytest.mark.parametrize("url", ["/inventory", "/inventory/low-stock"])
def test_cashiers_may_look(as_user, shop, url):
    assert as_user("cashier").get(url).status_code == 200


def test_another_stores_product_is_a_404(as_user, shop, make_store, make_product):
    other = make_product(make_store("Elsewhere"), "Their Salt")
    client = as_user("owner")
    assert client.hx_get(f"/inventory/{other.id}/row/edit").status_code == 404
    assert client.post_form(f"/inventory/{other.id}/archive").status_code == 404
    assert client.post_form(f"/inventory/{other.id}/row", {"price": "1"}, htmx=True).status_code == 404
    assert not fresh(other).archived


def test_the_stock_room_links_open_for_editors_and_are_hidden_from_cashiers(as_user, shop):
    owner = as_user("owner")
    html = owner.get("/inventory").get_data(as_text=True)
    for path in ("/purchases", "/inventory/stocktake", "/inventory/import", "/inventory/labels"):
        assert f'href="{path}"' in html, path
        assert owner.get(path).status_code == 200, path
    product_id = re.search(r'href="/inventory/(\d+)/history"', html).group(1)
    for path in (f"/inventory/{product_id}/history", f"/inventory/{product_id}/adjust"):
        assert owner.get(path).status_code == 200, path
    cashier = as_user("cashier").get("/inventory").get_data(as_text=True)
    for path in ("/purchases", "/inventory/stocktake", "/inventory/import", "/inventory/labels"):
        assert f'href="{path}"' not in cashier, path
