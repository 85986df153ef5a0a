"""Store settings and billing options: GET/PATCH /api/v1/stores/<storeId> (Billing v1 extension) and the web
settings page, both through services.accounts.store_settings.update_store_settings."""
from __future__ import annotations

import pytest
import simplejson

from extensions import db
from models import AuditLog, Store
from services.accounts.access import current_store_for
from services.accounts.billing_options import ScaleBarcode, billing_options
from tests.fixtures_pos import sign_in

GOOD_GSTIN = "27AAPFU0939F1ZV"  # Maharashtra; check character V


def body_of(response) -> dict:
    return simplejson.loads(response.data, use_decimal=True)


@pytest.fixture
def shop(make_user, api_headers):
    owner = make_user(username="owner", store_name="Asha General Store", address="12 MG Road, Pune",
                      state_code="27", upi_id="asha@okaxis")
    store = current_store_for(owner)
    manager = make_user(username="manager", store=store, role="manager")
    cashier = make_user(username="cashier", store=store, role="cashier")
    return {"store": store, "owner": owner, "manager": manager, "cashier": cashier,
            "url": f"/api/v1/stores/{store.uid}", "headers": api_headers(owner)}


def stored(shop) -> tuple:
    """What the database holds for the store now (read afresh)."""
    db.session.expire_all()
    store = db.session.get(Store, shop["store"].id)
    return (store.name, store.address, store.phone, store.gstin, store.state_code, store.upi_id,
            store.invoice_prefix, store.business_kind, dict(store.settings or {}))


# --------------------------------------------------------------------------- API: happy path


def test_get_answers_the_store_settings_with_billing_options_off_by_default(client, shop):
    response = client.get(shop["url"], headers=shop["headers"])
    assert response.status_code == 200
    assert body_of(response) == {"success": True, "data": {
        "id": shop["store"].uid, "name": "Asha General Store", "address": "12 MG Road, Pune", "phone": None,
        "gstin": None, "state_code": "27", "upi_id": "asha@okaxis", "invoice_prefix": "INV",
        "business_kind": "general", "prices_include_tax": False, "round_off": False,
        "bill_discount_before_tax": False, "print_receipt_after_save": False, "hallmark_mandatory": True,
        "scale_barcode": None}}


def test_patch_changes_every_field_and_answers_the_new_settings(client, shop):
    change = {"name": "Asha Stores", "address": "14 MG Road, Pune", "phone": "+91 98765 43210", "gstin": GOOD_GSTIN,
              "state_code": "27", "upi_id": "asha@okicici", "invoice_prefix": "ash", "prices_include_tax": True,
              "round_off": True, "bill_discount_before_tax": True, "print_receipt_after_save": True,
              "hallmark_mandatory": False, "scale_barcode": {"prefix": "21", "item_digits": 5, "value": "weight"}}
    response = client.patch(shop["url"], json=change, headers=shop["headers"])
    assert response.status_code == 200, response.data
    body = body_of(response)
    assert body["success"] is True and body["message"] == "Store settings saved"
    assert body["data"] == {**change, "invoice_prefix": "ASH", "id": shop["store"].uid, "business_kind": "general"}
    assert client.get(shop["url"], headers=shop["headers"]).get_json()["data"] == body["data"]
    store = db.session.get(Store, shop["store"].id)
    options = billing_options(store)
    assert (options.prices_include_tax, options.round_off, options.bill_discount_before_tax) == (True, True, True)
    assert options.hallmark_mandatory is False
    assert options.scale_barcode == ScaleBarcode("21", 5, "weight")
    audit = db.session.execute(db.select(AuditLog).filter_by(entity="store", action="update")).scalar_one()
    assert audit.after["settings"]["round_off"] is True and audit.before["name"] == "Asha General Store"


def test_a_partial_patch_keeps_every_field_not_sent(client, shop):
    client.patch(shop["url"], json={"round_off": True, "phone": "+91 98765 43210",
                                    "scale_barcode": {"prefix": "22", "item_digits": 6, "value": "price"}},
                 headers=shop["headers"])
    before = stored(shop)
    response = client.patch(shop["url"], json={"prices_include_tax": True}, headers=shop["headers"])
    assert response.status_code == 200
    after = stored(shop)
    assert after[:8] == before[:8]
    assert after[8] == {**before[8], "prices_include_tax": True}
    assert after[8]["round_off"] is True and after[8]["scale_barcode"] == {"prefix": "22", "item_digits": 6,
                                                                          "value": "price"}


def test_null_clears_optional_fields_and_turns_scale_labels_off(client, shop):
    client.patch(shop["url"], json={"scale_barcode": {"prefix": "21", "item_digits": 5, "value": "weight"}},
                 headers=shop["headers"])
    response = client.patch(shop["url"], json={"address": None, "upi_id": None, "scale_barcode": None},
                            headers=shop["headers"])
    assert response.status_code == 200
    data = body_of(response)["data"]
    assert (data["address"], data["upi_id"], data["scale_barcode"]) == (None, None, None)
    assert billing_options(db.session.get(Store, shop["store"].id)).scale_barcode is None


def test_sending_back_what_get_answered_changes_nothing(client, shop):
    data = client.get(shop["url"], headers=shop["headers"]).get_json()["data"]
    before = stored(shop)
    response = client.patch(shop["url"], json=data, headers=shop["headers"])
    assert response.status_code == 200, response.data
    assert stored(shop)[:8] == before[:8]


# --------------------------------------------------------------------------- API: who may


@pytest.mark.parametrize("role", ["manager", "cashier"])
@pytest.mark.parametrize("method", ["get", "patch"])
def test_managers_and_cashiers_are_refused_with_403_and_nothing_changes(client, shop, api_headers, role, method):
    before = stored(shop)
    response = getattr(client, method)(shop["url"], json={"name": "Taken over"}, headers=api_headers(shop[role]))
    assert response.status_code == 403
    assert body_of(response) == {"success": False, "message": "Only the store's owner can view or change its settings"}
    assert stored(shop) == before


@pytest.mark.parametrize("method", ["get", "patch"])
def test_another_shops_store_and_a_missing_store_answer_alike(client, shop, make_user, api_headers, method):
    stranger = make_user(username="stranger")
    their = current_store_for(stranger)
    before = stored(shop)
    answers = []
    for url, headers in ((shop["url"], api_headers(stranger)),
                         (f"/api/v1/stores/{their.uid}", shop["headers"]),
                         ("/api/v1/stores/00000000-0000-4000-8000-000000000000", shop["headers"])):
        response = getattr(client, method)(url, json={"name": "Taken over"}, headers=headers)
        answers.append((response.status_code, body_of(response)))
    # Billing v1's answer for any storeId the caller is not a member of, existing or not (docs/api.md)
    assert answers == [(403, {"success": False, "message": "You do not have access to this store"})] * 3
    assert stored(shop) == before
    assert db.session.get(Store, their.id).name != "Taken over"


@pytest.mark.parametrize("method", ["get", "patch"])
def test_no_token_is_401(client, shop, method):
    response = getattr(client, method)(shop["url"], json={"name": "x"})
    assert response.status_code == 401 and body_of(response)["message"] == "Authentication required"


# --------------------------------------------------------------------------- API: bad input


@pytest.mark.parametrize("change, field, words", [
    ({"name": ""}, "name", "may not be blank"),
    ({"name": None}, "name", "may not be null"),
    ({"name": 5}, "name", "Must be a string"),
    ({"name": "x" * 256}, "name", "no more than 255"),
    ({"address": ["a"]}, "address", "Must be a string"),
    ({"phone": "call me"}, "phone", "phone number"),
    ({"gstin": "27AAPFU0939F1ZX"}, "gstin", "check character"),
    ({"gstin": "29AAPFU0939F1ZV"}, "gstin", "state code 27"),
    ({"state_code": "99"}, "state_code", "Choose a state"),
    ({"upi_id": "not a upi"}, "upi_id", "UPI id"),
    ({"upi_id": "a" * 95 + "@okaxis"}, "upi_id", "at most 100"),
    ({"invoice_prefix": "TOO-LONG"}, "invoice_prefix", "1 to 6"),
    ({"invoice_prefix": None}, "invoice_prefix", "may not be null"),
    ({"invoice_prefix": "CN"}, "invoice_prefix", "credit notes"),
    ({"invoice_prefix": "pur"}, "invoice_prefix", "purchases"),
    ({"round_off": "true"}, "round_off", "true or false"),
    ({"prices_include_tax": 1}, "prices_include_tax", "true or false"),
    ({"bill_discount_before_tax": None}, "bill_discount_before_tax", "true or false"),
    ({"scale_barcode": "21"}, "scale_barcode", "Must be an object"),
    ({"scale_barcode": {"prefix": "2a", "item_digits": 5, "value": "weight"}}, "scale_barcode.prefix", "1 to 3"),
    ({"scale_barcode": {"prefix": "2100", "item_digits": 5, "value": "weight"}}, "scale_barcode.prefix", "1 to 3"),
    ({"scale_barcode": {"prefix": 21, "item_digits": 5, "value": "weight"}}, "scale_barcode.prefix", "1 to 3"),
    ({"scale_barcode": {"item_digits": 5, "value": "weight"}}, "scale_barcode.prefix", "required"),
    ({"scale_barcode": {"prefix": "21", "item_digits": 3, "value": "weight"}}, "scale_barcode.item_digits", "4, 5"),
    ({"scale_barcode": {"prefix": "21", "item_digits": 7, "value": "weight"}}, "scale_barcode.item_digits", "4, 5"),
    ({"scale_barcode": {"prefix": "21", "item_digits": "5", "value": "weight"}}, "scale_barcode.item_digits",
     "whole number"),
    ({"scale_barcode": {"prefix": "21", "item_digits": True, "value": "weight"}}, "scale_barcode.item_digits",
     "whole number"),
    ({"scale_barcode": {"prefix": "21", "item_digits": 5, "value": "kg"}}, "scale_barcode.value", "weight"),
    ({"scale_barcode": {"prefix": "21", "item_digits": 5}}, "scale_barcode.value", "required"),
    ({"scale_barcode": {"prefix": "21", "item_digits": 5, "value": "price", "x": 1}}, "scale_barcode.x", "Unknown"),
    ({"timezone": "UTC"}, "timezone", "Unknown field"),
    ({"logo_path": "x.png"}, "logo_path", "Unknown field"),
    ({"id": "00000000-0000-4000-8000-000000000000"}, "id", "read-only"),
    ({"business_kind": "salon"}, "business_kind", "read-only"),
])
def test_each_bad_field_is_a_400_naming_it_and_nothing_is_written(client, shop, change, field, words):
    before = stored(shop)
    response = client.patch(shop["url"], json={"round_off": True, "name": "Asha Stores", **change},
                            headers=shop["headers"])
    assert response.status_code == 400, response.data
    body = body_of(response)
    assert body["success"] is False and list(body["errors"]) == [field]
    assert words in body["errors"][field][0] and words in body["message"]
    assert stored(shop) == before
    assert db.session.execute(db.select(AuditLog).filter_by(entity="store")).first() is None


def test_several_bad_fields_are_reported_together(client, shop):
    response = client.patch(shop["url"], json={"round_off": "yes", "upi_id": "nope", "colour": "red"},
                            headers=shop["headers"])
    assert response.status_code == 400
    body = body_of(response)
    assert set(body["errors"]) == {"round_off", "colour"}  # the body's types first; the rules once they are right
    assert body["message"].startswith("Validation failed: ")


@pytest.mark.parametrize("raw", [b"", b"[]", b"{nope", b'"x"'])
def test_a_body_that_is_not_a_json_object_is_a_400(client, shop, raw):
    before = stored(shop)
    response = client.patch(shop["url"], data=raw, headers={**shop["headers"], "Content-Type": "application/json"})
    assert response.status_code == 400 and body_of(response)["success"] is False
    assert stored(shop) == before


# --------------------------------------------------------------------------- web settings page


def settings_form(**overrides) -> dict:
    data = {"name": "Asha General Store", "address": "12 MG Road, Pune", "state_code": "27", "phone": "",
            "gstin": "", "upi_id": "asha@okaxis", "invoice_prefix": "INV", "business_kind": "general",
            "timezone": "Asia/Kolkata", "scale_value": "", "scale_prefix": "", "scale_item_digits": "5"}
    data.update(overrides)
    return data


def test_the_web_page_shows_the_billing_options(client, shop):
    client.patch(shop["url"], json={"round_off": True, "scale_barcode": {"prefix": "23", "item_digits": 6,
                                                                         "value": "price"}}, headers=shop["headers"])
    sign_in(client, shop["owner"])
    html = client.get("/admin/settings").get_data(as_text=True)
    assert '<input checked id="round_off" name="round_off" type="checkbox" value="y">' in html
    assert '<input id="prices_include_tax" name="prices_include_tax" type="checkbox" value="y">' in html
    assert 'name="scale_prefix" placeholder="21" type="text" value="23">' in html
    assert '<option selected value="6">' in html and '<option selected value="price">' in html
    assert "Round each bill&#39;s total to the nearest rupee" in html


def test_the_web_page_saves_the_billing_options_and_scale_labels(client, shop):
    sign_in(client, shop["owner"])
    response = client.post_form("/admin/settings", settings_form(
        prices_include_tax="y", round_off="y", scale_value="weight", scale_prefix="21", scale_item_digits="5"))
    assert response.status_code == 303
    options = billing_options(db.session.get(Store, shop["store"].id))
    assert (options.prices_include_tax, options.round_off, options.bill_discount_before_tax) == (True, True, False)
    assert options.scale_barcode == ScaleBarcode("21", 5, "weight")


def test_unticking_on_the_web_page_turns_the_options_off(client, shop):
    client.patch(shop["url"], json={"round_off": True, "bill_discount_before_tax": True, "scale_barcode": {
        "prefix": "21", "item_digits": 5, "value": "weight"}}, headers=shop["headers"])
    sign_in(client, shop["owner"])
    assert client.post_form("/admin/settings", settings_form(scale_prefix="21")).status_code == 303
    options = billing_options(db.session.get(Store, shop["store"].id))
    assert (options.round_off, options.bill_discount_before_tax, options.scale_barcode) == (False, False, None)


@pytest.mark.parametrize("overrides, field, words", [
    ({"scale_value": "weight", "scale_prefix": "2x"}, "scale_prefix", "1 to 3 digits"),
    ({"scale_value": "weight", "scale_prefix": ""}, "scale_prefix", "required"),
    ({"scale_value": "weight", "scale_prefix": "21", "scale_item_digits": "9"}, "scale_item_digits", ""),
    ({"invoice_prefix": "CN"}, "invoice_prefix", "credit notes"),
])
def test_bad_web_settings_are_shown_beside_their_field_and_nothing_is_saved(client, shop, overrides, field, words):
    sign_in(client, shop["owner"])
    before = stored(shop)
    response = client.post_form("/admin/settings", settings_form(round_off="y", **overrides))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error">' in html
    assert words in html.split(f'id="{field}-error">', 1)[1].split("</small>", 1)[0]
    assert stored(shop) == before


# --------------------------------------------------------------------------- the service itself


@pytest.mark.parametrize("data, field", [
    ({"round_off": "y"}, "round_off"),
    ({"prices_include_tax": 1}, "prices_include_tax"),
    ({"scale_barcode": {"prefix": "21", "item_digits": "x", "value": "weight"}}, "scale_barcode.item_digits"),
    ({"scale_barcode": ["21", 5, "weight"]}, "scale_barcode"),
])
def test_the_service_refuses_options_of_the_wrong_type_whoever_calls_it(shop, data, field):
    from services.accounts.store_settings import update_store_settings
    from services.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        update_store_settings(shop["owner"], shop["store"], data)
    assert list(caught.value.errors) == [field]


def test_the_service_takes_item_digits_typed_as_text_as_the_web_form_sends_them(shop):
    from services.accounts.store_settings import update_store_settings

    update_store_settings(shop["owner"], shop["store"], {"scale_barcode": {"prefix": "2", "item_digits": "6",
                                                                            "value": "price"}})
    assert billing_options(shop["store"]).scale_barcode == ScaleBarcode("2", 6, "price")


def test_the_web_page_and_the_api_turn_printing_the_receipt_after_save_on_and_off(client, shop):
    sign_in(client, shop["owner"])
    assert "Print the 80 mm receipt at the till by itself after each Save" in client.get(
        "/admin/settings").get_data(as_text=True)
    assert client.post_form("/admin/settings", settings_form(print_receipt_after_save="y")).status_code == 303
    assert billing_options(db.session.get(Store, shop["store"].id)).print_receipt_after_save is True
    assert client.get(shop["url"], headers=shop["headers"]).get_json()["data"]["print_receipt_after_save"] is True
    response = client.patch(shop["url"], json={"print_receipt_after_save": False}, headers=shop["headers"])
    assert response.status_code == 200 and response.get_json()["data"]["print_receipt_after_save"] is False
    db.session.expire_all()
    assert billing_options(db.session.get(Store, shop["store"].id)).print_receipt_after_save is False
    bad = client.patch(shop["url"], json={"print_receipt_after_save": "yes"}, headers=shop["headers"])
    assert bad.status_code == 400 and "print_receipt_after_save" in bad.get_data(as_text=True)
