"""Barcode labels: in-house EAN-13s (valid check digit, a prefix the scale labels never use, unique in the store,
never over a barcode given meanwhile) and the A4 label sheet, read back with pdftoppm + zbarimg."""
from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image
from reportlab.lib.units import mm
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, Product
from services.catalog import labels
from services.catalog.scale import ean13_check_digit, scale_item
from services.errors import Conflict
from tests.fixtures_documents import need, pdf_pages, pdf_text
from tests.fixtures_pos import sign_in


def decode(pdf: bytes) -> list[str]:
    """The barcode of each label slot in order, page by page (an empty slot ends the sheet), as zbarimg reads a
    300 dpi rendering cut into the 3 x 8 labels (zbarimg reports equal codes in one image once)."""
    dots = 300 / 25.4  # pixels per mm at 300 dpi
    found = []
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "labels.pdf").write_bytes(pdf)
        subprocess.run([need("pdftoppm"), "-r", "300", "-png", "labels.pdf", "page"], cwd=folder, check=True)
        for image in sorted(Path(folder).glob("page*.png")):
            sheet = Image.open(image)
            for slot in range(labels.COLUMNS * labels.ROWS):
                column, row = slot % labels.COLUMNS, slot // labels.COLUMNS
                left, top = labels.LEFT_MARGIN / mm + column * 70, labels.TOP_MARGIN / mm + row * 37
                cell = Path(folder) / f"cell-{slot}.png"
                sheet.crop((int(left * dots), int(top * dots), int((left + 70) * dots),
                            int((top + 37) * dots))).save(cell)
                result = subprocess.run([need("zbarimg"), "-q", "--raw", "--nodbus", str(cell)],
                                        capture_output=True, text=True)
                codes = result.stdout.split()
                if not codes:
                    return found
                found += codes
    return found


@pytest.fixture
def no_barcode(till_shop, make_product):
    return make_product(till_shop.store, "Loose jaggery", unit="kg", quantity=4, unit_price="80")


def set_scale(store, prefix):
    store.settings = {**(store.settings or {}), "scale_barcode": {"prefix": prefix, "item_digits": 5,
                                                                   "value": "weight"}}
    db.session.commit()


def test_in_house_code_is_a_valid_ean13_with_the_store_digits(app, till_shop, no_barcode):
    code = labels.assign_barcode(till_shop.store, till_shop.manager, no_barcode)
    db.session.commit()
    assert len(code) == 13 and code.isdigit() and code.startswith("29")
    assert code[2:5] == f"{till_shop.store.id % 1000:03d}" and int(code[5:12]) == no_barcode.id
    assert int(code[12]) == ean13_check_digit(code[:12]) and labels.is_ean13(code)
    assert db.session.get(Product, no_barcode.id).barcode == code
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "assign_barcode")).scalar_one()
    assert entry.after == {"barcode": code}


@pytest.mark.parametrize("scale, prefix", [(None, "29"), ("21", "29"), ("29", "28"), ("2", "04"), ("290", "28")])
def test_in_house_prefix_is_never_the_scale_labels(app, till_shop, scale, prefix):
    if scale:
        set_scale(till_shop.store, scale)
    assert labels.in_house_prefix(till_shop.store) == prefix


def test_in_house_code_is_scanned_as_the_item_not_as_a_scale_label(app, till_shop, no_barcode):
    set_scale(till_shop.store, "29")
    code = labels.assign_barcode(till_shop.store, till_shop.manager, no_barcode)
    db.session.commit()
    assert code.startswith("28") and scale_item(till_shop.store, code) is None


def test_taken_code_moves_to_the_next_free_number(app, till_shop, no_barcode, make_product):
    wanted = labels.in_house_code("29", till_shop.store.id, no_barcode.id)
    make_product(till_shop.store, "Typed by hand", barcode=wanted)
    code = labels.assign_barcode(till_shop.store, till_shop.manager, no_barcode)
    assert code != wanted and int(code[5:12]) == no_barcode.id + 1 and labels.is_ean13(code)


def test_an_item_with_a_barcode_keeps_it(app, till_shop):
    with pytest.raises(Conflict):
        labels.assign_barcode(till_shop.store, till_shop.manager, till_shop.salt)
    assert db.session.get(Product, till_shop.salt.id).barcode == "8901234500011"


def test_a_barcode_given_meanwhile_is_not_overwritten(app, till_shop, no_barcode):
    stale = db.session.get(Product, no_barcode.id)
    db.session.execute(Product.__table__.update().where(Product.id == no_barcode.id).values(barcode="SOMEONE-ELSE"))
    with pytest.raises(Conflict):
        labels.assign_barcode(till_shop.store, till_shop.manager, stale)
    db.session.expire_all()
    assert db.session.get(Product, no_barcode.id).barcode == "SOMEONE-ELSE"


def test_labels_page_lists_items_and_searches_as_a_fragment(client, till_shop, no_barcode):
    sign_in(client, till_shop.manager)
    page = client.get("/inventory/labels")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Tata Salt 1kg" in body and f'id="assign-{no_barcode.id}"' in body
    fragment = client.hx_get("/inventory/labels?q=jaggery")
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and "Loose jaggery" in text and "Tata Salt" not in text
    assert "HX-Request" in fragment.headers["Vary"]


def test_give_a_barcode_button_answers_the_list_with_the_code(client, till_shop, no_barcode):
    sign_in(client, till_shop.owner)
    response = client.post_form(f"/inventory/labels/{no_barcode.id}/barcode", {"q": "jaggery"}, htmx=True)
    code = db.session.get(Product, no_barcode.id).barcode
    assert response.status_code == 200 and code and code in response.get_data(as_text=True)
    again = client.post_form(f"/inventory/labels/{no_barcode.id}/barcode", {"q": "jaggery"}, htmx=True)
    assert again.status_code == 409 and "already has the barcode" in again.get_data(as_text=True)


def test_label_sheet_pdf_decodes_to_the_right_codes(client, till_shop, no_barcode):
    sign_in(client, till_shop.manager)
    client.post_form(f"/inventory/labels/{no_barcode.id}/barcode", {})
    code = db.session.get(Product, no_barcode.id).barcode
    response = client.post_form("/inventory/labels/sheet.pdf", {
        f"copies-{no_barcode.id}": "2", f"copies-{till_shop.soap.id}": "1", f"copies-{till_shop.butter.id}": ""})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.get_data()
    found = decode(pdf)
    assert found == [code, code, "8901234500035"]
    text = pdf_text(pdf)
    assert text.count("Loose jaggery") == 2 and "₹80.00 / kg" in text and "Amul Butter" not in text


def test_one_label_per_unit_in_stock_for_ticked_items(client, till_shop):
    sign_in(client, till_shop.manager)
    response = client.post_form("/inventory/labels/sheet.pdf", {
        f"copies-{till_shop.butter.id}": "", f"pick-{till_shop.butter.id}": "1", f"copies-{till_shop.salt.id}": "",
        "per_stock": "1"})
    assert response.status_code == 200
    assert pdf_text(response.get_data()).count("Amul Butter 500g") == 5


def test_more_labels_than_a_page_holds_flow_onto_the_next(client, till_shop):
    sign_in(client, till_shop.manager)
    response = client.post_form("/inventory/labels/sheet.pdf", {f"copies-{till_shop.salt.id}": "25"})
    assert pdf_pages(response.get_data()) == 2


@pytest.mark.parametrize("form, words", [
    ({"copies-{salt}": "two"}, "A whole number of labels"),
    ({"copies-{salt}": "-1"}, "A whole number of labels"),
    ({"copies-{salt}": "0"}, "Choose at least one item"),
    ({}, "Choose at least one item"),
    ({"copies-{salt}": "99999"}, "At most 2400 labels"),
    ({"copies-{jaggery}": "1"}, "has no barcode or SKU"),
])
def test_bad_label_request_is_422_on_the_form(client, till_shop, no_barcode, form, words):
    sign_in(client, till_shop.manager)
    ids = {"salt": till_shop.salt.id, "jaggery": no_barcode.id}
    response = client.post_form("/inventory/labels/sheet.pdf", {k.format(**ids): v for k, v in form.items()})
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert words in response.get_data(as_text=True)


def test_cashier_cannot_give_barcodes(client, till_shop, no_barcode):
    sign_in(client, till_shop.cashier)
    assert client.post_form(f"/inventory/labels/{no_barcode.id}/barcode", {}).status_code == 403
    assert db.session.execute(select(func.count()).select_from(Product).where(
        Product.id == no_barcode.id, Product.barcode.is_(None))).scalar_one() == 1


def test_assign_barcode_service_checks_the_role_itself(app, till_shop, no_barcode):
    from services.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        labels.assign_barcode(till_shop.store, till_shop.cashier, no_barcode)
    assert db.session.get(Product, no_barcode.id).barcode is None


def test_items_chosen_under_one_search_stay_chosen_under_the_next_and_print(client, till_shop):
    """The counts typed and the ticks travel with every search and page (hx-include); items not on the page are
    kept under "Chosen from other searches" with their boxes, and the address bar keeps only the search."""
    sign_in(client, till_shop.manager)
    salt, butter = till_shop.salt, till_shop.butter
    answer = client.hx_get(f"/inventory/labels?q=butter&copies-{salt.id}=3&pick-{salt.id}=1"
                           f"&copies-{butter.id}=&copies-999999=4&copies-x=1")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.headers["HX-Push-Url"] == "/inventory/labels?q=butter"
    kept = html[html.index('id="labels-kept"'):]
    assert f'id="kept-{salt.id}"' in kept and f'name="copies-{salt.id}"' in kept and 'value="3"' in kept
    assert re.search(rf'name="pick-{salt.id}" value="1" id="pick-{salt.id}" checked', kept)
    assert f'id="label-row-{butter.id}"' in html and f'id="kept-{butter.id}"' not in html
    assert "999999" not in html  # another store's or a missing item is not kept
    # on its own search page a chosen item shows its count in its row, not twice
    again = client.hx_get(f"/inventory/labels?q=salt&copies-{salt.id}=3").get_data(as_text=True)
    assert 'id="labels-kept"' not in again and re.search(rf'id="copies-{salt.id}"[^>]*\s+value="3"', again)

    # the sheet prints what was chosen on both searches, in the form's order
    pdf = client.post_form("/inventory/labels/sheet.pdf", {f"copies-{butter.id}": "1", f"copies-{salt.id}": "2"})
    assert pdf.status_code == 200 and pdf_text(pdf.get_data()).count("Tata Salt 1kg") == 2
    # a bad count on a kept item is shown beside it (422), under the search it was posted from
    refused = client.post_form("/inventory/labels/sheet.pdf", {"q": "butter", f"copies-{salt.id}": "two"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and f'id="copies-{salt.id}-error"' in text and 'id="labels-kept"' in text
