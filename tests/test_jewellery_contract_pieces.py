"""The jewellery contract's pieces: POST /update-product (multipart; create when id is empty) and
POST /product-detail-by-id, in the contract's shapes, with every bad input a 400 that says what is wrong and writes
nothing, another shop's id answered like a missing one, and no Bearer token a 401."""
from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from blueprints.api.jewellery.parse import DISPLAY_FLAGS
from extensions import db
from models import AuditLog, Bill, Product, StockMove

D = Decimal
UPDATE, DETAIL = "/update-product", "/product-detail-by-id"
DISPLAY = {"showSizeInBill": True, "showGrossWeightInBill": False, "showHuidInBill": True}


def counts() -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(db.session.execute(select(func.count()).select_from(model)).scalar_one()
                 for model in (Product, StockMove, AuditLog, Bill))


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "gold").save(buffer, "PNG")
    return buffer.getvalue()


def ring_form(**changes) -> dict:
    """The contract's update-product fields for a 22K ring, as ProductForm.jsx sends them (JSON strings)."""
    form = {
        "id": "", "type": "sale", "name": "22K Bridal Ring", "huid": "AB12CD",
        "hsn_id": json.dumps({"value": "7113", "label": "7113 - Jewellery", "variation": []}),
        "size": "14", "remark": "bridal", "comment": "showcase 2",
        "gross_weight": "10.500", "less_weight": "0.500", "net_weight": "99.999", "wastage": "2.00",
        "tounch": "91.60", "fine_weight": "1.000",
        "rate": json.dumps({"label": "Gold 22K", "value": "gold-22K", "price": "1.00"}),
        "making_type": json.dumps({"label": "Per Gram (PG)", "value": "PG"}), "making_charge": "450.00",
        "metal_value": "1.00", "cutting_enabled": "false", "interest_enabled": "false",
        "bill_date": "2026-11-26T10:00:00.000Z", "grace_period_enabled": "false",
        "charges_json": json.dumps([{"name": "Polish", "amount": "150.00"}]),
        "tax_json": json.dumps([{"name": "CGST", "amount": "1.5"}, {"name": "SGST", "amount": "1.5"}]),
        "custom_fields": json.dumps([{"label": "Design", "value": "Peacock", "unit": {"label": "", "value": ""},
                                      "showInBill": True}]),
        "bill_display_settings": json.dumps(DISPLAY),
        "payment_history": json.dumps([{"amount": "999999.00", "date": "2026-01-01", "interest_paid": "0.00",
                                        "remaining_balance": "0.00"}]),
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def post_form(client, headers, form, files=None):
    data = dict(form)
    for name, (content, filename) in (files or {}).items():
        data[name] = (io.BytesIO(content), filename)
    return client.post(UPDATE, headers=headers, data=data, content_type="multipart/form-data")


def test_update_product_with_an_empty_id_creates_the_piece_with_server_derived_values(client, jeweller):
    response = post_form(client, jeweller.headers, ring_form(), {"image": (png(), "ring.png")})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["success"] is True and body["message"] == "Product created successfully"
    data = body["data"]
    # net = 10.500 - 0.500; fine = 10.000 x (91.60 + 2.00) / 100; metal = 10.000 x today's 22K 7150.00
    assert (data["net_weight"], data["fine_weight"], data["metal_value"]) == ("10.000", "9.360", "71500.00")
    assert data["rate"] == {"label": "Gold 22K", "value": "gold-22K", "price": "7150.00"}
    assert data["type"] == "sale" and data["huid"] == "AB12CD" and data["hsn_id"]["value"] == "7113"
    assert data["making_type"] == {"label": "Per Gram (PG)", "value": "PG"} and data["making_charge"] == "450.00"
    assert data["image"]["mimeType"] == "image/png" and data["image"]["fileName"] == "ring.png"
    assert data["payment_history"] == [] and data["quantity"] == "1"
    piece = db.session.get(Product, int(data["id"]))
    assert piece.store_id == jeweller.store.id and piece.quantity == 1 and piece.cgst_rate == D("1.5")
    assert client.get(data["image"]["uri"]).status_code == 200
    entry = db.session.execute(select(AuditLog).filter_by(entity="product", action="create")).scalars().one()
    assert entry.entity_id == data["id"]


def test_update_product_changes_a_piece_and_recomputes_what_is_derived(client, jeweller):
    created = post_form(client, jeweller.headers, ring_form()).get_json()["data"]
    response = post_form(client, jeweller.headers, {"id": created["id"], "less_weight": "1.250", "wastage": "0",
                                                    "net_weight": "0.001", "huid": "zz99yy"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["message"] == "Product updated successfully"
    data = body["data"]
    # net = 10.500 - 1.250 = 9.250; fine = 9.250 x 91.60 / 100 = 8.473; metal = 9.250 x 7150.00
    assert (data["net_weight"], data["fine_weight"], data["metal_value"]) == ("9.250", "8.473", "66137.50")
    assert data["huid"] == "ZZ99YY" and data["name"] == "22K Bridal Ring" and data["size"] == "14"
    assert db.session.execute(select(AuditLog).filter_by(entity="product", action="update")).scalars().one()


def test_detail_shows_the_piece_in_the_contracts_shape(client, jeweller):
    created = post_form(client, jeweller.headers, ring_form()).get_json()["data"]
    response = client.post(DETAIL, headers=jeweller.headers, json={"id": created["id"]})
    assert response.status_code == 200
    data = response.get_json()["data"]
    contract_keys = {
        "id", "type", "name", "huid", "hsn_id", "size", "remark", "comment", "image", "additional_image",
        "gross_weight", "less_weight", "net_weight", "wastage", "tounch", "fine_weight", "rate", "making_type",
        "making_charge", "metal_value", "cutting_enabled", "interest_enabled", "interest_type", "interest_rate",
        "interest_amount", "bill_date", "payment_date", "interest_start_date", "grace_period_enabled",
        "grace_period_days", "interest_notes", "charges_json", "tax_json", "custom_fields", "bill_display_settings",
        "payment_history"}
    assert contract_keys <= set(data)
    assert (data["gross_weight"], data["less_weight"], data["wastage"], data["tounch"]) == (
        "10.500", "0.500", "2.00", "91.60")
    assert data["charges_json"] == [{"name": "Polish", "amount": "150.00"}]
    # the contract's 15 flags as the invoice applies them: the piece's own, the rest on (no store setting)
    assert data["bill_display_settings"] == {**dict.fromkeys(DISPLAY_FLAGS, True), **DISPLAY}
    assert data["custom_fields"][0]["label"] == "Design"
    assert data["interest_enabled"] is False and data["interest_type"] == {"label": "Flat", "value": "1"}


def test_a_piece_needs_a_bearer_token(client, jeweller):
    assert client.post(DETAIL, json={"id": "1"}).status_code == 401
    response = post_form(client, {}, ring_form())
    assert response.status_code == 401
    assert response.get_json() == {"success": False, "message": "Authentication required"}


def test_another_shops_piece_answers_like_a_missing_one(client, jeweller, make_user, api_headers, make_piece):
    other = make_user("other", business_kind="jewellery")
    theirs = make_piece(jeweller.store)
    before = counts()
    for target in (str(theirs.id), "999999"):
        detail = client.post(DETAIL, headers=api_headers(other), json={"id": target})
        update = post_form(client, api_headers(other), {"id": target, "name": "stolen"})
        assert detail.status_code == update.status_code == 404
        assert detail.get_json() == {"success": False,
                                     "message": "Failed to get product detail by id: Product not found"}
        assert update.get_json() == {"success": False, "message": "Failed to update product: Product not found"}
    assert counts() == before


BAD_FORMS = [
    ({"hsn_id": "{nope"}, "hsn_id is not valid JSON"),
    ({"rate": "[1,"}, "rate is not valid JSON"),
    ({"making_type": "{"}, "making_type is not valid JSON"),
    ({"charges_json": "nope"}, "charges_json is not valid JSON"),
    ({"tax_json": "{]"}, "tax_json is not valid JSON"),
    ({"custom_fields": "{"}, "custom_fields is not valid JSON"),
    ({"bill_display_settings": "true,"}, "bill_display_settings is not valid JSON"),
    ({"payment_history": "[{]"}, "payment_history is not valid JSON"),
    ({"interest_enabled": "true", "interest_type": "{x"}, "interest_type is not valid JSON"),
    ({"gross_weight": "10.5001"}, "gross_weight: At most 3 decimal places"),
    ({"less_weight": "0.1234"}, "less_weight: At most 3 decimal places"),
    ({"gross_weight": "-1.000"}, "gross_weight: Must be greater than 0"),
    ({"less_weight": "-0.500"}, "less_weight: Must not be negative"),
    ({"less_weight": "11.000"}, "less_weight: Less weight (11.000) must not be more than the gross weight (10.500)"),
    ({"tounch": "100.01"}, "tounch: Must be at most 100 %"),
    ({"wastage": "-1"}, "wastage: Must not be negative"),
    ({"gross_weight": "ten"}, "gross_weight must be a number, not 'ten'"),
    ({"rate": json.dumps({"value": "platinum-950"})}, "metal: Unknown metal 'platinum'"),
    ({"rate": json.dumps({"value": "gold-20K"})}, "purity: Unknown purity '20K' for gold"),
    ({"rate": "", "metal": ""}, "metal: This field is required"),
    ({"huid": "AB12C"}, "huid: HUID must be 6 uppercase letters or digits, not 'AB12C'"),
    ({"huid": "AB-12C"}, "huid: HUID must be 6 uppercase letters or digits"),
    ({"type": "rent"}, "type: Must be sale or purchase"),
    ({"making_type": json.dumps({"value": "XX"})}, "making_type: Must be one of: PG, PP, PC"),
    ({"making_charge": "1.005"}, "making_charge: At most 2 decimal places"),
    ({"cutting_enabled": "maybe"}, "cutting_enabled must be true or false"),
    ({"charges_json": json.dumps([{"name": "x", "amount": "1.001"}])}, "charges_json[0].amount: At most 2 decimal"),
    ({"charges_json": json.dumps({"name": "x"})}, "charges_json must be a JSON string of an array"),
    ({"bill_display_settings": json.dumps({"showNothing": True})}, "bill_display_settings.showNothing: unknown"),
    ({"hsn_id": json.dumps({"value": "71"})}, "hsn_id.value: HSN must be 4, 6 or 8 digits"),
    ({"interest_enabled": "true"}, "interest_rate is required when interest_enabled is true"),
    ({"interest_enabled": "true", "interest_rate": "2", "interest_start_date": "26/11/2026"},
     "interest_start_date must be a date as YYYY-MM-DD"),
    ({"grace_period_enabled": "true", "grace_period_days": "-3"}, "grace_period_days must be a whole number"),
    ({"id": "abc"}, "id must be a record id"),
]


@pytest.mark.parametrize("changes, words", BAD_FORMS, ids=[w[:40] for _, w in BAD_FORMS])
def test_bad_pieces_are_400_saying_what_is_wrong_with_nothing_written(client, jeweller, changes, words):
    before = counts()
    response = post_form(client, jeweller.headers, ring_form(**changes))
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["success"] is False
    assert body["message"].startswith("Failed to update product: ") and words in body["message"], body["message"]
    assert counts() == before


def test_an_image_that_is_not_an_image_is_refused_with_nothing_written(client, jeweller, tmp_path):
    before = counts()
    response = post_form(client, jeweller.headers, ring_form(),
                         {"additional_image": (b"<svg onload=alert(1)></svg>", "x.png")})
    assert response.status_code == 400
    assert response.get_json()["message"] == "Failed to update product: additional_image: Upload a JPEG, PNG or " \
                                             "WebP image."
    assert counts() == before


def test_a_huid_already_used_in_the_store_is_refused(client, jeweller, make_piece, make_user, api_headers):
    make_piece(jeweller.store, huid="AB12CD")
    before = counts()
    response = post_form(client, jeweller.headers, ring_form(huid="ab12cd", name="Another ring"))
    assert response.status_code == 400
    assert response.get_json()["message"] == (
        "Failed to update product: huid: HUID AB12CD is already used by 22K Ring 1 in this store")
    assert counts() == before
    other = make_user("other", business_kind="jewellery")  # another store may use the same HUID
    from services.accounts.access import current_store_for
    from services.jewellery.rates import RateEntry, set_rates
    set_rates(current_store_for(other), other, [RateEntry("gold", "22K", D("7000.00"))])
    db.session.commit()
    assert post_form(client, api_headers(other), ring_form()).status_code == 201


def test_the_database_refuses_a_second_piece_with_the_same_huid_in_a_store(jeweller, make_piece):
    make_piece(jeweller.store, huid="QW12ER")
    db.session.add(Product(store_id=jeweller.store.id, product_name="Copy", huid="QW12ER"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add_all([Product(store_id=jeweller.store.id, product_name=f"No HUID {i}") for i in range(2)])
    db.session.flush()  # pieces without a HUID are not limited


def test_a_purchase_piece_starts_out_of_stock_and_interest_terms_wait_on_it(client, jeweller):
    form = ring_form(type="purchase", huid="", interest_enabled="true", interest_rate="1.50",
                     interest_type=json.dumps({"label": "Compound", "value": "2"}),
                     interest_start_date="2026-12-01", grace_period_enabled="true", grace_period_days="15")
    data = post_form(client, jeweller.headers, form).get_json()["data"]
    assert data["type"] == "purchase" and data["quantity"] == "0" and data["huid"] is None
    assert data["interest_enabled"] is True and data["interest_type"] == {"label": "Compound", "value": "2"}
    assert (data["interest_rate"], data["interest_start_date"], data["grace_period_days"]) == (
        "1.50", "2026-12-01", "15")


def test_two_pieces_may_share_a_name_but_catalogue_items_may_not(client, jeweller, make_product):
    first = post_form(client, jeweller.headers, ring_form(name="Gold Ring", huid="AB12CD"))
    second = post_form(client, jeweller.headers, ring_form(name="Gold Ring", huid="AB12CE"))
    assert first.status_code == second.status_code == 201, second.get_json()
    assert first.get_json()["data"]["id"] != second.get_json()["data"]["id"]
    # Renaming a piece to another piece's name is fine too.
    third = post_form(client, jeweller.headers, ring_form(name="Gold Chain", huid=None)).get_json()["data"]
    renamed = post_form(client, jeweller.headers, {"id": third["id"], "name": "Gold Ring"})
    assert renamed.status_code == 200, renamed.get_json()
    # A plain catalogue item keeps its store-wide unique name, in the service and in the database.
    make_product(jeweller.store, "Polish Cloth")
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(Product(store_id=jeweller.store.id, product_name="Polish Cloth", unit_price=D(1)))
            db.session.flush()
    from services.catalog import products
    from services.errors import Duplicate
    with pytest.raises(Duplicate):
        products.create_product(jeweller.store, jeweller.owner, products.ProductInput.of(
            product_name="polish cloth", unit_price=D(1)))
    # A piece may carry a catalogue item's name (it is told apart by its tag and HUID).
    assert post_form(client, jeweller.headers, ring_form(name="Polish Cloth", huid=None)).status_code == 201


def test_stones_and_a_hallmark_fee_are_kept_on_the_piece_and_priced_on_its_bill(client, jeweller, make_customer):
    form = ring_form(stones=json.dumps([{"weight": "0.250", "unit": "carat", "value": "15000"}]), hallmark_fee="45")
    data = post_form(client, jeweller.headers, form).get_json()["data"]
    assert data["stones"] == [{"weight": "0.250", "unit": "carat", "value": "15000.00"}]
    assert data["hallmark_fee"] == "45.00"
    from services.billing import bills as billing
    from services.billing.bills import BillDraft, DraftLine, JewelleryTerms
    piece = db.session.get(Product, int(data["id"]))
    bill = billing.save_bill(jeweller.store, jeweller.owner, BillDraft(lines=[DraftLine(
        product=piece, qty=1, jewellery=JewelleryTerms())]))
    line = bill.items[0]
    # metal 10.000 g x 7150.00 = 71500.00; making 450.00 x 10.000 = 4500.00; polish 150.00; stone 15000.00;
    # hallmark 45.00 -> taxable 91195.00; CGST and SGST 1.5 % each 1367.93 (half up of 1367.925)
    assert line.taxable_amount == D("91195.00"), line.extra
    assert (line.cgst_amount, line.sgst_amount) == (D("1367.93"), D("1367.93"))
    assert line.extra["stones_value"] == "15000.00" and line.extra["hallmark_fee"] == "45.00"


@pytest.mark.parametrize("changes, words", [
    ({"stones": "[{\"weight\": \"-1\", \"unit\": \"carat\", \"value\": \"1\"}]"}, "stones[0].weight: Must not be"),
    ({"stones": "[{\"weight\": \"0.2501\", \"unit\": \"carat\", \"value\": \"1\"}]"}, "At most 3 decimal places"),
    ({"stones": "[{\"weight\": \"0.250\", \"unit\": \"ounce\", \"value\": \"1\"}]"}, "stones[0].unit: Must be one"),
    ({"stones": "not json"}, "stones"),
    ({"hallmark_fee": "4.555"}, "hallmark_fee: At most 2 decimal places"),
])
def test_bad_stones_and_hallmark_fees_are_400_with_nothing_written(client, jeweller, changes, words):
    before = counts()
    response = post_form(client, jeweller.headers, ring_form(**changes))
    assert response.status_code == 400 and words in response.get_json()["message"], response.get_json()
    assert counts() == before
