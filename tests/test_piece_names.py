"""Jewellery pieces share names ("Gold Ring", "Gold Ring": told apart by tag and HUID); a jeweller's other catalogue
items keep the store-wide unique name, and every surface that creates or renames one says so in its own format:
NamastePMS JSON, the inventory form beside its field, an import's row report. (The jewellery /update-product and
the service's own checks: tests/test_jewellery_contract_pieces.py; Billing v1 creates no products.)"""
from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest

from extensions import db
from models import Category, Product, StockMove
from services.catalog.products import NAME_TAKEN
from tests.fixtures_pos import sign_in

D = Decimal


@pytest.fixture(autouse=True)
def immediate_jobs(monkeypatch):
    """Import jobs run inline when enqueued."""
    import jobs

    monkeypatch.setattr(jobs.huey, "immediate", True)


@pytest.fixture
def showcase(jeweller, make_piece, make_product):
    """Two pieces named "Gold Ring" and two catalogue items, in the jeweller's store."""
    jeweller.rings = [make_piece(jeweller.store, "Gold Ring", sku="GR-1", huid="GR0001"),
                      make_piece(jeweller.store, "Gold Ring", sku="GR-2", huid="GR0002")]
    jeweller.cloth = make_product(jeweller.store, "Polish Cloth", unit_price="40.00", quantity=5, sku="PC-1")
    jeweller.box = make_product(jeweller.store, "Ring Box", unit_price="90.00", quantity=5, sku="RB-1")
    return jeweller


def snapshot() -> tuple:
    return tuple(db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()
                 for model in (Product, StockMove)) + tuple(
        db.session.execute(db.select(Product.product_name).order_by(Product.id)).scalars())


def test_namaste_refuses_a_catalogue_name_taken_in_a_jewellers_store_and_writes_nothing(client, showcase):
    category = db.session.execute(db.select(Category.id).filter_by(store_id=showcase.store.id)).scalars().first()
    before = snapshot()
    created = client.post("/api/products/", headers=showcase.headers,
                          json={"product_name": "polish cloth", "category": category, "unit_price": "10.00",
                                "quantity": 1})
    renamed = client.put(f"/api/products/?id={showcase.box.id}", headers=showcase.headers,
                         json={"product_name": "Polish Cloth"})
    for response in (created, renamed):
        assert response.status_code == 400 and response.get_json() == {"error": NAME_TAKEN}
    db.session.expire_all()
    assert snapshot() == before


def test_the_inventory_form_refuses_a_catalogue_name_taken_beside_its_field(client, showcase):
    sign_in(client, showcase.owner)
    before = snapshot()
    form = {"name": "Polish Cloth", "type": "product", "unit": "pcs", "price": "10", "price_includes_tax": "y",
            "gst_rate": "18", "hsn": "", "barcode": "", "sku": "", "category": "", "low_stock": "",
            "description": "", "opening_stock": "1"}
    response = client.post_form("/inventory/new", form, content_type="multipart/form-data")
    assert response.status_code == 422
    error = re.search(r'id="name-error">([^<]+)<', response.get_data(as_text=True))
    assert error and NAME_TAKEN in error.group(1)
    db.session.expire_all()
    assert snapshot() == before


def run_import(client, text: str, mode: str, match_by: str = "sku"):
    from models import ImportJob

    response = client.post_form("/inventory/import", data={"file": (io.BytesIO(text.encode()), "items.csv")},
                                content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    job = db.session.get(ImportJob, int(response.headers["Location"].split("/import/")[1].split("/")[0]))
    form = {f"col{i}": name for i, name in enumerate(job.mapping)}
    assert client.post_form(f"/inventory/import/{job.id}/mapping",
                            data={**form, "mode": mode, "match_by": match_by}).status_code == 303
    assert client.post_form(f"/inventory/import/{job.id}/start").status_code == 303
    db.session.expire_all()
    return db.session.get(ImportJob, job.id)


def test_an_import_refuses_a_catalogue_name_taken_and_lets_a_piece_keep_its_shared_name(client, showcase):
    sign_in(client, showcase.owner)
    job = run_import(client, "Name,SKU,Price\nPolish Cloth,PC-2,10\nGold Ring,NEW-1,25\n", "create")
    messages = {entry["row"]: " ".join(entry["messages"]) for entry in job.report}
    assert (job.done, job.failed) == (2, 1) and list(messages) == [2]
    assert "Name 'Polish Cloth' belongs to another product" in messages[2]  # a piece's name is free to take
    # Updating the first ring by its tag keeps its name, which the second ring shares.
    job = run_import(client, "Name,SKU,Price\nGold Ring,GR-1,125\n", "update")
    assert (job.done, job.failed, job.report) == (1, 0, []), job.report
    assert db.session.get(Product, showcase.rings[0].id).unit_price == D("125.00")
    names = db.session.execute(db.select(Product.product_name).filter_by(store_id=showcase.store.id)
                               .order_by(Product.id)).scalars().all()
    assert names == ["Gold Ring", "Gold Ring", "Polish Cloth", "Ring Box", "Gold Ring"]
