"""Issue 12, the till by keyboard (server side): Enter on a term that is not an exact code adds the first result
(an exact code still adds its item, a scanned code nobody has is refused); the payment modes and the cash-tendered
box show their shortcut keys; a split row is filled with what is left of the total (and refilled until the
cashier types over it); the change due comes back as the tendered amount is typed."""
from __future__ import annotations

import json
import re

import pytest

from tests.fixtures_pos import sign_in
from tests.test_pos_pages import oob_ids, scan, till_state


@pytest.fixture
def till(client, till_shop):
    sign_in(client, till_shop.cashier)
    return client


def line_products(shop) -> list[int]:
    return [line["product_id"] for line in till_state(shop, shop.cashier).get("lines", [])]


# --------------------------------------------------------------------------- 1. Enter adds the first result


def test_enter_on_a_name_with_several_matches_adds_the_first_result(till, till_shop):
    # "g" is in all three names; the results list them by name: Amul Butter 500g first.
    listed = till.hx_get("/pos/search?q=g").get_data(as_text=True)
    first_listed = int(re.search(r'data-product-id="(\d+)"', listed).group(1))
    assert first_listed == till_shop.butter.id and listed.count('class="pos-result"') == 3
    response = scan(till, "g")
    assert response.status_code == 200 and response.headers["HX-Trigger-After-Swap"] == "posLineAdded"
    assert line_products(till_shop) == [till_shop.butter.id]
    scan(till, "soap 1")  # a single match as before
    assert line_products(till_shop) == [till_shop.butter.id, till_shop.soap.id]


def test_an_exact_code_adds_its_own_item_even_when_other_items_match_the_term(till, till_shop, make_product):
    # A name containing the salt's SKU sorts first ("A..."), but the exact SKU wins.
    make_product(till_shop.store, "A box of SALT-1 packets", sku="BOX-9", barcode="4000000000009")
    scan(till, "SALT-1")
    scan(till, till_shop.soap.barcode)
    assert line_products(till_shop) == [till_shop.salt.id, till_shop.soap.id]


def test_a_scanned_code_nobody_has_is_refused_though_other_barcodes_contain_it(till, till_shop):
    # "89012345000" is inside every item's barcode: a scanner's unknown code must not add one of them.
    listed = till.hx_get("/pos/search?q=89012345000").get_data(as_text=True)
    assert listed.count('class="pos-result"') == 3
    response = scan(till, "89012345000")
    assert response.status_code == 422 and response.headers["HX-Retarget"] == "#search-results"
    assert "No item has the barcode or SKU “89012345000”." in response.get_data(as_text=True)
    assert line_products(till_shop) == []


@pytest.mark.parametrize("term, message", [("zzzz", "No item has the barcode or SKU “zzzz”."),
                                           ("", "Type a name, SKU or barcode.")])
def test_no_result_says_so_under_the_box_and_adds_nothing(till, till_shop, term, message):
    response = scan(till, term)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert ("Nothing matches “zzzz”." in html) == bool(term)
    assert line_products(till_shop) == []


# --------------------------------------------------------------------------- 2 and 4. keys on screen


def test_the_payment_modes_and_the_tendered_box_show_their_keys(till, till_shop):
    html = till.get("/pos").get_data(as_text=True)
    for number, mode in enumerate(["cash", "card", "upi", "wallet", "split", "none"], start=1):
        assert re.search(rf'id="pay-{mode}"[^>]*aria-keyshortcuts="Alt\+{number}"[^>]*>[^<]*'
                         rf'<kbd class="key" title="Alt\+{number}">{number}</kbd>', html), mode
    assert re.search(r'Cash tendered <kbd class="key">F6</kbd>\s*<input id="pos-tendered"', html)
    footer = re.search(r'<footer class="pos-keys".*?</footer>', html, re.S).group(0)
    assert "payment mode" in footer and "<kbd>F6</kbd> cash tendered" in footer


def test_the_change_due_comes_back_as_the_tendered_amount_is_typed(till, till_shop):
    scan(till, till_shop.soap.barcode)  # 47.20
    for typed, change in (("5", None), ("50", "₹2.80"), ("500", "₹452.80")):
        response = till.post_form("/pos/payment", {"payment_mode": "cash", "tendered": typed, "discount": "0"},
                                  htmx=True)
        html = response.get_data(as_text=True)
        assert response.headers["HX-Reswap"] == "none" and oob_ids(html)[0] == "pos-totals"  # the box is left alone
        if change is None:
            assert 'id="pos-change">₹0.00' in html and "Left due" in html
        else:
            assert f'id="pos-change">{change}<' in html


# --------------------------------------------------------------------------- 3. split: the rest in the next row


def split_form(amounts: list[str], modes=("cash", "upi")) -> dict:
    return {"payment_mode": "split", "split_mode": list(modes), "split_amount": amounts,
            "split_reference": [""] * len(amounts), "discount": "0"}


def test_a_split_row_filled_puts_what_is_left_in_the_next_row(till, till_shop):
    scan(till, till_shop.soap.barcode)  # 47.20
    till.post_form("/pos/payment", {"payment_mode": "split"}, htmx=True)
    response = till.post_form("/pos/payment", split_form(["20", ""]), htmx=True)
    html = response.get_data(as_text=True)
    assert json.loads(response.headers["HX-Trigger-After-Swap"]) == {"posSplitFilled": {"index": 1, "amount": "27.20"}}
    assert 'id="pos-remaining" class="ok">₹0.00' in html
    assert not re.search(r'id="pos-save" disabled', html)
    split = till_state(till_shop, till_shop.cashier)["split"]
    assert [(row["amount"], row.get("auto", False)) for row in split] == [("20", False), ("27.20", True)]

    # The first row changed (the filled row as it was sent back): the rest follows.
    response = till.post_form("/pos/payment", split_form(["30", "27.20"]), htmx=True)
    assert json.loads(response.headers["HX-Trigger-After-Swap"])["posSplitFilled"] == {"index": 1, "amount": "17.20"}
    # The cashier types over it: theirs is kept, and the remaining says what is missing.
    response = till.post_form("/pos/payment", split_form(["30", "10"]), htmx=True)
    assert "HX-Trigger-After-Swap" not in response.headers
    assert 'id="pos-remaining" class="warn">₹7.20' in response.get_data(as_text=True)
    response = till.post_form("/pos/payment", split_form(["25", "10"]), htmx=True)
    assert [row["amount"] for row in till_state(till_shop, till_shop.cashier)["split"]] == ["25", "10"]


def test_a_filled_row_is_emptied_when_nothing_is_left_and_a_third_row_takes_the_rest(till, till_shop):
    scan(till, till_shop.soap.barcode)  # 47.20
    till.post_form("/pos/payment", {"payment_mode": "split"}, htmx=True)
    till.post_form("/pos/payment", split_form(["20", ""]), htmx=True)
    response = till.post_form("/pos/payment", split_form(["47.20", "27.20"]), htmx=True)
    assert json.loads(response.headers["HX-Trigger-After-Swap"])["posSplitFilled"] == {"index": 1, "amount": ""}
    till.post_form("/pos/payment", split_form(["10", "20", ""], modes=("cash", "upi", "card")), htmx=True)
    assert [row["amount"] for row in till_state(till_shop, till_shop.cashier)["split"]] == ["10", "20", "17.20"]


def test_the_rest_is_filled_without_javascript_too(till, till_shop):
    scan(till, till_shop.soap.barcode)
    till.post_form("/pos/payment", {"payment_mode": "split"})
    response = till.post_form("/pos/payment", split_form(["40", ""]))
    assert response.status_code == 303
    html = till.get("/pos").get_data(as_text=True)
    assert re.search(r'id="split-1-amount"[^>]*value="7.20"', html)
