"""Weighing-scale labels (EAN-13): parsing with real check digits, and the store look-up into product + quantity."""
from __future__ import annotations

from decimal import Decimal

import pytest

from extensions import db
from services.accounts.billing_options import ScaleBarcode
from services.catalog.scale import parse_scale_barcode, scale_item
from services.errors import ValidationError

WEIGHT = ScaleBarcode("21", 5, "weight")
PRICE = ScaleBarcode("22", 5, "price")


def check_digit(first12: str) -> str:
    """EAN-13 (GS1): from the right of the 12 digits, weights 3, 1, 3, ...; the digit makes the sum a multiple of 10."""
    total = 0
    for offset, digit in enumerate(reversed(first12)):
        total += int(digit) * (3 if offset % 2 == 0 else 1)
    return str(-total % 10)


def label(first12: str) -> str:
    return first12 + check_digit(first12)


def wrong(code: str) -> str:
    return code[:12] + str((int(code[12]) + 1) % 10)


# Worked by hand: 2100123007509 -> odd places 2+0+1+3+0+5 = 11, even places (1+0+2+0+7+0) x 3 = 30, 41 -> 9;
# 2200456012345 -> odd places 2+0+4+6+1+3 = 16, even places (2+0+5+0+2+4) x 3 = 39, 55 -> 5.
WEIGHT_LABEL = "2100123007509"  # prefix 21, item 00123, 00750 g
PRICE_LABEL = "2200456012345"  # prefix 22, item 00456, 01234 paise = Rs 12.34


def test_the_hand_worked_labels_have_real_check_digits():
    assert check_digit("210012300750") == "9"
    assert check_digit("220045601234") == "5"
    assert label("210012300750") == WEIGHT_LABEL and label("220045601234") == PRICE_LABEL
    assert check_digit("400638133393") == "1"  # a published EAN-13, 4006381333931


def test_a_weight_label_reads_the_item_code_and_grams_as_kg():
    reading = parse_scale_barcode(WEIGHT_LABEL, WEIGHT)
    assert (reading.item_code, reading.value, reading.grams, reading.kg) == ("00123", "weight", 750, Decimal("0.750"))
    assert str(reading.kg) == "0.750"


def test_a_price_label_reads_paise_as_rupees():
    reading = parse_scale_barcode(PRICE_LABEL, PRICE)
    assert (reading.item_code, reading.value, reading.price) == ("00456", "price", Decimal("12.34"))


@pytest.mark.parametrize("layout, first12, item, value", [
    (ScaleBarcode("2", 6, "weight"), "212345601500", "123456", 1500),  # 1 + 6 + 5 digits
    (ScaleBarcode("250", 4, "weight"), "250777712345", "7777", 12345),  # 3 + 4 + 5
    (ScaleBarcode("29", 6, "price"), "299999990450", "999999", Decimal("4.50")),  # 2 + 6 + 4
])
def test_other_layouts_split_the_digits_by_prefix_and_item_digits(layout, first12, item, value):
    reading = parse_scale_barcode(label(first12), layout)
    assert reading.item_code == item
    assert (reading.grams if layout.value == "weight" else reading.price) == value


def test_a_wrong_check_digit_is_an_error_not_a_miss():
    with pytest.raises(ValidationError) as caught:
        parse_scale_barcode(wrong(WEIGHT_LABEL), WEIGHT)
    assert "check digit" in caught.value.errors["code"][0] and "should end in 9" in caught.value.errors["code"][0]


@pytest.mark.parametrize("code", [
    label("230012300750"),  # another prefix
    "8901234567890",  # an ordinary product barcode
    "210012300750",  # 12 digits
    "21001230075090",  # 14 digits
    "21001230075O9",  # a letter
    "２１００１２３００７５０９",  # full-width digits are not a scanner's
    "",
])
def test_codes_that_are_not_scale_labels_are_none(code):
    assert parse_scale_barcode(code, WEIGHT) is None


def test_a_label_with_no_weight_is_refused():
    with pytest.raises(ValidationError, match="shows no weight"):
        parse_scale_barcode(label("210012300000"), WEIGHT)


# --------------------------------------------------------------------------- the store's look-up


@pytest.fixture
def scale_shop(make_store, make_product):
    store = make_store(name="Fresh Veg")
    store.settings = {**(store.settings or {}), "scale_barcode": WEIGHT.as_json()}
    db.session.commit()
    onion = make_product(store, "Onion (loose)", unit_price="40.00", quantity=100, unit="kg", barcode="00123")
    cumin = make_product(store, "Cumin (loose)", unit_price="0.80", quantity=5000, unit="g", sku="456")
    soap = make_product(store, "Soap", unit_price="40.00", quantity=10, barcode="00789")
    return store, onion, cumin, soap


def use(store, layout):
    store.settings = {**(store.settings or {}), "scale_barcode": layout.as_json() if layout else None}
    db.session.commit()


def test_a_weight_label_adds_its_kg_item_with_the_weight(scale_shop):
    store, onion, *_ = scale_shop
    product, qty = scale_item(store, WEIGHT_LABEL)
    assert product.id == onion.id and qty == Decimal("0.750") and str(qty) == "0.750"


def test_a_weight_label_of_a_gram_item_gives_grams_and_the_plu_matches_without_leading_zeros(scale_shop):
    store, _, cumin, _ = scale_shop
    product, qty = scale_item(store, label("210045600250"))  # item 00456 -> SKU "456", 250 g
    assert product.id == cumin.id and qty == Decimal("250.000")


def test_a_price_label_gives_price_over_unit_price_rounded_half_up_to_grams(scale_shop):
    store, onion, *_ = scale_shop
    use(store, ScaleBarcode("21", 5, "price"))
    product, qty = scale_item(store, label("210012303000"))  # Rs 30.00 of onion at 40.00/kg
    assert product.id == onion.id and qty == Decimal("0.750")
    _, qty = scale_item(store, label("210012300002"))  # Rs 0.02 / 40 = 0.0005 kg -> 0.001 (half up)
    assert qty == Decimal("0.001")
    _, qty = scale_item(store, label("210012300099"))  # Rs 0.99 / 40 = 0.02475 kg -> 0.025 (rounded, not cut to 0.024)
    assert qty == Decimal("0.025")


def test_a_price_label_that_comes_to_nothing_is_refused(scale_shop):
    store, *_ = scale_shop
    use(store, ScaleBarcode("21", 5, "price"))
    with pytest.raises(ValidationError, match="less than 0.001"):
        scale_item(store, label("210012300001"))  # Rs 0.01 / 40 = 0.00025 kg -> 0.000


def test_a_wrong_check_digit_at_the_store_is_an_error(scale_shop):
    store, *_ = scale_shop
    with pytest.raises(ValidationError, match="wrong check digit"):
        scale_item(store, wrong(WEIGHT_LABEL))


def test_another_prefix_and_a_store_without_scale_labels_are_not_scale_items(scale_shop):
    store, *_ = scale_shop
    assert scale_item(store, label("220012300750")) is None
    use(store, None)
    assert scale_item(store, WEIGHT_LABEL) is None


def test_an_unknown_item_code_is_an_error_naming_the_code(scale_shop):
    store, *_ = scale_shop
    with pytest.raises(ValidationError) as caught:
        scale_item(store, label("219999900750"))
    assert "99999" in caught.value.errors["code"][0]


def test_an_item_of_another_store_is_unknown(scale_shop, make_store, make_product):
    store, *_ = scale_shop
    other = make_store(name="Elsewhere")
    make_product(other, "Their onion", unit="kg", barcode="00321")
    with pytest.raises(ValidationError, match="No item has the scale code 00321"):
        scale_item(store, label("210032100750"))


def test_a_piece_item_cannot_be_sold_by_a_weight_label(scale_shop):
    store, *_ = scale_shop
    with pytest.raises(ValidationError, match="not by weight"):
        scale_item(store, label("210078900750"))


def test_an_item_whose_own_barcode_is_the_whole_code_is_scanned_as_itself(scale_shop, make_product):
    store, *_ = scale_shop
    make_product(store, "Gift box", barcode=WEIGHT_LABEL)
    assert scale_item(store, WEIGHT_LABEL) is None


# --------------------------------------------------------------------------- the till (/pos/scan)


@pytest.fixture
def weighing_till(client, till_shop, make_product):
    from tests.fixtures_pos import sign_in

    use(till_shop.store, WEIGHT)
    till_shop.onion = make_product(till_shop.store, "Onion (loose)", unit_price="40.00", quantity=100, unit="kg",
                                   barcode="00123", cgst_rate="0", sgst_rate="0")
    sign_in(client, till_shop.cashier)
    return client


def till_lines(shop) -> list:
    from models import TillSession

    db.session.expire_all()
    row = db.session.execute(db.select(TillSession).filter_by(store_id=shop.store.id,
                                                              user_id=shop.cashier.id)).scalar_one_or_none()
    return row.payload["lines"] if row is not None else []


def till_scan(client, code: str):
    return client.post_form("/pos/scan", {"q": code}, htmx=True)


def test_scanning_a_weight_label_at_the_till_adds_the_item_with_its_weight(weighing_till, till_shop):
    response = till_scan(weighing_till, WEIGHT_LABEL)
    assert response.status_code == 200 and response.headers["HX-Trigger-After-Swap"] == "posLineAdded"
    lines = till_lines(till_shop)
    assert [(line["product_id"], str(line["qty"])) for line in lines] == [(till_shop.onion.id, "0.750")]
    assert 'data-amount="30.00"' in weighing_till.get("/pos").get_data(as_text=True)  # 0.750 kg x 40.00


def test_a_scale_label_with_a_wrong_check_digit_is_refused_at_the_till_and_adds_nothing(weighing_till, till_shop):
    response = till_scan(weighing_till, wrong(WEIGHT_LABEL))
    assert response.status_code == 422 and response.headers["HX-Retarget"] == "#search-results"
    assert "wrong check digit" in response.get_data(as_text=True)
    assert till_lines(till_shop) == []


def test_a_scale_label_of_an_unknown_item_is_refused_at_the_till_naming_the_code(weighing_till, till_shop):
    response = till_scan(weighing_till, label("219999900750"))
    assert response.status_code == 422 and "No item has the scale code 99999" in response.get_data(as_text=True)
    assert till_lines(till_shop) == []


def test_ordinary_barcodes_still_scan_in_a_store_with_scale_labels(weighing_till, till_shop):
    assert till_scan(weighing_till, till_shop.salt.barcode).status_code == 200
    assert [(line["product_id"], line["qty"]) for line in till_lines(till_shop)] == [(till_shop.salt.id, "1")]
