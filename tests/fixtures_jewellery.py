"""Fixtures for the jewellery tests: a jeweller in Maharashtra with today's rates set, and pieces to sell."""
from __future__ import annotations

from decimal import Decimal

import pytest

from extensions import db

D = Decimal
RING_STONES = [{"weight": "0.250", "unit": "carat", "value": "2500.00"}]


@pytest.fixture
def jeweller(app, make_user, api_headers):
    """An owner's jewellery store (state 27) with today's gold 24K 7800.00 and 22K 7150.00 and silver 925 95.00."""
    from services.accounts.access import current_store_for
    from services.jewellery.rates import RateEntry, set_rates

    owner = make_user("jeweller", business_kind="jewellery", store_name="Laxmi Jewellers", state_code="27",
                      gstin="27AAPFU0939F1ZV")
    store = current_store_for(owner)
    set_rates(store, owner, [RateEntry("gold", "24K", D("7800.00")), RateEntry("gold", "22K", D("7150.00")),
                             RateEntry("silver", "925", D("95.00"))])
    db.session.commit()

    class Shop:
        pass

    shop = Shop()
    shop.store, shop.owner, shop.headers = store, owner, api_headers(owner)
    return shop


@pytest.fixture
def make_piece(app, make_product):
    """A jewellery piece in stock (quantity 1): by default the 22K ring of the golden bills."""
    counter = {"n": 0}

    def factory(store, name: str | None = None, **fields):
        counter["n"] += 1
        attributes = {"metal": "gold", "purity": "22K", "stones": RING_STONES, "hallmark_fee": "45.00"}
        attributes.update(fields.pop("attributes", {}))
        values = dict(
            unit_price="0.00", quantity=1, cgst_rate="1.5", sgst_rate="1.5", hsn_code="7113",
            huid=f"AB{counter['n']:04d}", gross_weight=D("10.500"), less_weight=D("0.500"), tounch=D("91.60"),
            wastage=D("2.00"), making_type="PG", making_charge=D("450.00"), attributes=attributes,
        )
        values.update(fields)
        return make_product(store, name or f"22K Ring {counter['n']}", **values)

    return factory
