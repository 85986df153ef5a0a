"""Products import and export (issue 14): template, upload, column mapping, a preview listing every row's problems,
the three modes, the background job (run inline here: Huey's immediate mode) with its progress fragment and report,
each bad input, export neutralisation and the role matrix. Both databases."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import openpyxl
import pytest

from extensions import db
from models import ImportJob, Product, StockMove
from tests.fixtures_pos import sign_in

HEADER = "Name,SKU,Barcode,Category,Price,GST %,HSN,Opening stock\n"


@pytest.fixture(autouse=True)
def immediate_jobs(monkeypatch):
    """Jobs run inline when enqueued (no consumer in unit tests; jobs.py's default under pytest, made sure here)."""
    import jobs

    monkeypatch.setattr(jobs.huey, "immediate", True)


@pytest.fixture
def shop(till_shop, client):
    sign_in(client, till_shop.manager)
    return till_shop


def products(store) -> dict[str, Product]:
    db.session.expire_all()
    rows = db.session.execute(db.select(Product).where(Product.store_id == store.id)).scalars()
    return {p.sku or p.product_name: p for p in rows}


def upload(client, content: bytes | str, filename: str = "items.csv"):
    if isinstance(content, str):
        content = content.encode()
    return client.post_form("/inventory/import", data={"file": (io.BytesIO(content), filename)},
                            content_type="multipart/form-data")


def job_of(response) -> ImportJob:
    assert response.status_code == 303, response.get_data(as_text=True)
    job_id = int(response.headers["Location"].split("/import/")[1].split("/")[0])
    return db.session.get(ImportJob, job_id)


def map_and_start(client, job: ImportJob, mode: str = "create", match_by: str = "sku", mapping=None):
    form = {f"col{i}": name for i, name in enumerate(mapping or job.mapping)}
    response = client.post_form(f"/inventory/import/{job.id}/mapping", data={**form, "mode": mode,
                                                                             "match_by": match_by})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert client.get(f"/inventory/import/{job.id}/preview").status_code == 200
    response = client.post_form(f"/inventory/import/{job.id}/start")
    assert response.status_code == 303
    db.session.expire_all()
    return db.session.get(ImportJob, job.id)


def run_import(client, text: str, mode: str = "create", match_by: str = "sku") -> ImportJob:
    return map_and_start(client, job_of(upload(client, text)), mode, match_by)


# --------------------------------------------------------------------------- template, mapping, preview


def test_templates_download_in_both_formats_with_every_field(client, shop):
    response = client.get("/inventory/import/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    header = next(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert header[:3] == ["Name", "SKU", "Barcode"] and "Opening stock" in header
    response = client.get("/inventory/import/template.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    assert [c.value for c in next(sheet.iter_rows())][:3] == ["Name", "SKU", "Barcode"]
    # The template itself imports cleanly (its example row is valid).
    job = map_and_start(client, job_of(upload(client, response.data, "template.xlsx")))
    assert (job.status, job.done, job.failed) == ("done", 1, 0)
    assert products(shop.store)["RICE-1KG"].quantity == 40


def test_mapping_is_guessed_from_headers_and_can_be_changed(client, shop):
    job = job_of(upload(client, "Item Name,Item Code,MRP,Qty,Colour\nPen,PEN-1,10,5,blue\n"))
    assert job.mapping == ["product_name", "sku", "unit_price", "quantity", ""]
    page = client.get(f"/inventory/import/{job.id}/mapping").get_data(as_text=True)
    assert '<option value="unit_price" selected>' in page
    # The user maps "Colour" to the description instead of skipping it.
    job = map_and_start(client, job, mapping=["product_name", "sku", "unit_price", "quantity", "description"])
    assert job.status == "done"
    assert products(shop.store)["PEN-1"].description == "blue"


def test_a_mapping_that_cannot_work_is_refused_with_every_reason(client, shop):
    job = job_of(upload(client, "Name,SKU,Price\nPen,PEN-1,10\n"))
    response = client.post_form(f"/inventory/import/{job.id}/mapping",
                                data={"col0": "sku", "col1": "sku", "col2": "", "mode": "create", "match_by": "sku"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "SKU is chosen for more than one column" in page
    assert "New products need a Name column" in page and "New products need a Price column" in page
    db.session.expire_all()
    assert db.session.get(ImportJob, job.id).mapping == ["product_name", "sku", "unit_price"]  # unchanged


def test_preview_lists_every_problem_of_every_row_at_once_and_writes_nothing(client, shop):
    before = len(products(shop.store))
    text = HEADER + (
        "Good pen,PEN-1,,General,10,18,9608,5\n"
        "Bad row,BAD-1,,Nowhere,-5,250,12,-3\n"           # 5 problems in one row
        "Formula,=HYPERLINK(\"http://x\"),,,10,,,\n"
        "Twin A,TWIN,,,1,,,\n"
        "Twin B,TWIN,,,1,,,\n"
        "Salt again,SALT-1,,,1,,,\n"                      # SKU already in the store
        "Cheap,CH-1,,,abc,,,\n"
    )
    job = job_of(upload(client, text))
    client.post_form(f"/inventory/import/{job.id}/mapping",
                     data={**{f"col{i}": n for i, n in enumerate(job.mapping)}, "mode": "create", "match_by": "sku"})
    response = client.get(f"/inventory/import/{job.id}/preview")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="preview-bad-count">6<' in page
    row3 = page.split('id="problem-row-3"')[1].split("</tr>")[0]
    for message in ("no category named &#39;Nowhere&#39;", "A price cannot be negative", "Tax rate must be from 0",
                    "Enter a valid HSN code", "Stock cannot be negative"):
        assert message in row3
    assert "formulas are not imported" in page.split('id="problem-row-4"')[1].split("</tr>")[0]
    assert page.count("appears more than once in the file (rows 5, 6)") == 2
    assert "already exists in this store" in page.split('id="problem-row-7"')[1]
    assert "enter a number" in page.split('id="problem-row-8"')[1]
    assert 'id="problem-row-2"' not in page
    assert len(products(shop.store)) == before  # the preview wrote nothing


# --------------------------------------------------------------------------- the modes


def test_create_mode_imports_good_rows_with_opening_stock_and_reports_the_bad(client, shop):
    job = run_import(client, HEADER + "Pen,PEN-1,8900000000011,General,10,18,9608,5\n"
                                      "Bad,BAD-1,,,-1,,,\n"
                                      "Ink,INK-1,,,25.50,5,,0\n")
    assert (job.status, job.total, job.done, job.failed) == ("done", 3, 3, 1)
    found = products(shop.store)
    pen = found["PEN-1"]
    assert (pen.quantity, pen.unit_price, pen.cgst_rate, pen.sgst_rate) == (5, Decimal("10.00"), 9, 9)
    assert pen.category.name == "General" and pen.barcode == "8900000000011"
    assert found["INK-1"].quantity == 0 and "BAD-1" not in found
    moves = db.session.execute(db.select(StockMove).where(StockMove.product_id == pen.id)).scalars().all()
    assert [(m.reason, m.delta, m.note) for m in moves] == [("import", 5, f"import #{job.id}")]
    assert job.report[0]["row"] == 3 and "A price cannot be negative" in job.report[0]["messages"][0]


def test_update_mode_matches_by_sku_sets_price_and_stock(client, shop):
    job = run_import(client, "SKU,Price,Stock\nSALT-1,30,60\nNOPE-1,5,1\n", mode="update")
    assert (job.status, job.failed) == ("done", 1)
    salt = products(shop.store)["SALT-1"]
    assert (salt.unit_price, salt.quantity, salt.product_name) == (Decimal("30.00"), 60, "Tata Salt 1kg")
    move = db.session.execute(db.select(StockMove).where(StockMove.product_id == salt.id,
                                                    StockMove.note == f"import #{job.id}")).scalar_one()
    assert move.delta == 10  # 50 -> 60 through the stock service
    assert "no product with 'NOPE-1'" in job.report[0]["messages"][0]


def test_upsert_mode_by_barcode_updates_one_and_creates_another(client, shop):
    job = run_import(client, "Barcode,Name,Price\n8901234500011,,29\n8909999999999,New soap,12\n",
                     mode="upsert", match_by="barcode")
    assert (job.status, job.failed) == ("done", 0), job.report
    found = products(shop.store)
    assert found["SALT-1"].unit_price == Decimal("29.00")
    assert found["New soap"].barcode == "8909999999999"


def test_a_row_the_domain_refuses_at_write_time_loses_only_itself(client, shop, monkeypatch):
    from services.catalog import imports
    from services.errors import Duplicate

    real = imports._write

    def racing(store, user, job, rows):
        real(store, user, job, rows)
        if any(row.cells.get("sku") == "B-2" for row in rows):
            # written, then refused: the whole batch is undone, then its rows are written one at a time
            raise Duplicate("A product with this SKU already exists in this store.", "sku")

    monkeypatch.setattr(imports, "_write", racing)
    job = run_import(client, "Name,SKU,Price,Stock\nA,A-1,1,1\nB,B-2,1,2\nC,C-3,1,3\n")
    assert (job.status, job.failed) == ("done", 1)
    found = products(shop.store)
    assert "A-1" in found and "C-3" in found and "B-2" not in found  # its savepoint rolled back, stock move too
    assert db.session.execute(db.select(db.func.count()).select_from(StockMove)
                              .where(StockMove.note == f"import #{job.id}")).scalar() == 2


def test_a_product_added_meanwhile_refuses_only_the_row_that_clashes_with_it(client, shop, monkeypatch):
    """Between the preview's check and the write, someone adds a product with one row's SKU: the batch's own check
    (one query for all its SKUs) refuses it, and only that row is reported; its neighbours and their stock land."""
    from services.catalog import imports
    from services.catalog.products import ProductInput, create_product

    real = imports.plan_for

    def then_someone_adds(job, store):
        plan = real(job, store)
        if job.status != "running":
            return plan  # the preview
        create_product(store, shop.manager, ProductInput.of(product_name="Added at the counter", sku="B-2",
                                                            unit_price=Decimal(5)))
        return plan

    monkeypatch.setattr(imports, "plan_for", then_someone_adds)
    job = run_import(client, "Name,SKU,Price,Stock\nA,A-1,1,1\nB,B-2,1,2\nC,C-3,1,3\n")
    assert (job.status, job.done, job.failed) == ("done", 3, 1)
    assert job.report == [{"row": 3, "sku": "B-2", "barcode": "", "name": "B",
                           "messages": ["SKU: A product with this SKU already exists in this store."]}]
    found = products(shop.store)
    assert found["A-1"].quantity == 1 and found["C-3"].quantity == 3
    assert found["B-2"].product_name == "Added at the counter" and found["B-2"].quantity == 0
    moves = db.session.execute(db.select(StockMove.product_id, StockMove.delta, StockMove.reason)
                               .where(StockMove.note == f"import #{job.id}").order_by(StockMove.id)).all()
    assert moves == [(found["A-1"].id, 1, "import"), (found["C-3"].id, 3, "import")]


def test_many_rows_land_in_batches_with_their_stock_equal_to_their_moves(client, shop):
    from services.catalog import imports

    rows = "".join(f"Item {n},IT-{n},{n}.50,{n % 7}\n" for n in range(imports.BATCH * 2 + 5))
    job = run_import(client, "Name,SKU,Price,Stock\n" + rows)
    assert (job.status, job.done, job.failed) == ("done", imports.BATCH * 2 + 5, 0), job.report
    found = products(shop.store)
    sums = dict(db.session.execute(db.select(StockMove.product_id, db.func.sum(StockMove.delta))
                                   .group_by(StockMove.product_id)).all())
    for n in range(imports.BATCH * 2 + 5):
        product = found[f"IT-{n}"]
        assert product.unit_price == Decimal(f"{n}.50") and product.quantity == n % 7
        assert sums.get(product.id, 0) == product.quantity


@pytest.mark.parametrize("second, field", [({"product_name": "SOAP"}, "product_name"), ({"sku": "S-1"}, "sku"),
                                            ({"barcode": "8900000000017"}, "barcode")])
def test_a_batch_of_new_products_is_all_or_none_and_may_not_repeat_itself(shop, second, field):
    from services.catalog.products import ProductInput, create_products
    from services.errors import DomainError

    first = {"product_name": "Soap", "sku": "S-1", "barcode": "8900000000017"}
    other = {"product_name": "Shampoo", "sku": "S-2", "barcode": "8900000000024", **second}
    before = db.session.execute(db.select(db.func.count()).select_from(Product)).scalar()
    with pytest.raises(DomainError) as refused:
        create_products(shop.store, shop.manager, [ProductInput.of(unit_price=Decimal(1), quantity=Decimal(2), **d)
                                                   for d in (first, other)])
    assert field in refused.value.errors
    db.session.rollback()
    assert db.session.execute(db.select(db.func.count()).select_from(Product)).scalar() == before


def test_a_clash_only_the_database_saw_is_named_by_its_field(shop, monkeypatch):
    """The check passed, then another request took the SKU before the flush: the unique constraint refuses it and
    the error is the check's own, naming the SKU (not the name)."""
    from services.catalog import products as product_service

    create = product_service.ProductInput.of(product_name="Racer", sku="RACE-1", unit_price=Decimal(1))
    product_service.create_product(shop.store, shop.manager,
                                   product_service.ProductInput.of(product_name="First", sku="RACE-1",
                                                                   unit_price=Decimal(1)))
    calls = []

    def too_early(*args, **kwargs):  # the check ran before the other request's insert
        calls.append(1)

    monkeypatch.setattr(product_service, "_check_unique", too_early)
    with pytest.raises(product_service.ValidationError) as refused:
        product_service.create_product(shop.store, shop.manager, create)
    assert refused.value.errors == {"sku": [product_service.SKU_TAKEN]} and len(calls) == 1


def test_a_crashed_job_is_failed_not_left_running(client, shop, monkeypatch):
    from services.catalog import imports

    def crash(*args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(imports, "_write", crash)
    job = run_import(client, "Name,SKU,Price\nA,A-1,1\n")
    assert job.status == "failed" and "RuntimeError" in job.error and job.finished_at is not None
    page = client.get(f"/inventory/import/{job.id}/progress").get_data(as_text=True)
    assert "The import failed" in page and "hx-trigger" not in page


def test_a_job_is_claimed_once(app, client, shop):
    from services.catalog import imports

    job = run_import(client, "Name,SKU,Price,Stock\nA,A-1,1,4\n")
    imports.run_job(job.id)  # a second delivery of the same job: the claim refuses it
    db.session.expire_all()
    again = db.session.get(ImportJob, job.id)
    assert (again.status, again.done, again.failed) == ("done", 1, 0)
    assert db.session.execute(db.select(db.func.count()).select_from(StockMove)
                              .where(StockMove.note == f"import #{job.id}")).scalar() == 1


# --------------------------------------------------------------------------- progress and report


def test_progress_fragment_polls_while_running_and_stops_when_done(client, shop):
    job = job_of(upload(client, "Name,SKU,Price\nA,A-1,1\n"))
    job.status, job.total, job.done = "running", 10, 4
    job.started_at = job.heartbeat_at = datetime.now(timezone.utc)
    db.session.commit()
    response = client.hx_get(f"/inventory/import/{job.id}/progress")
    page = response.get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in page and 'hx-swap="outerHTML"' in page and 'value="4" max="10"' in page
    assert client.get(f"/inventory/import/{job.id}").get_data(as_text=True).count('id="import-progress"') == 1
    job.status, job.done, job.failed = "done", 10, 2
    job.report = [{"row": 2, "sku": "A-1", "barcode": "", "name": "A", "messages": ["Price: bad"]}]
    db.session.commit()
    page = client.hx_get(f"/inventory/import/{job.id}/progress").get_data(as_text=True)
    assert "hx-trigger" not in page and "hx-get" not in page and "8 of 10 rows imported, 2 refused" in page
    assert f"/inventory/import/{job.id}/report.csv" in page


def test_a_job_whose_worker_vanished_shows_as_failed(client, shop):
    job = job_of(upload(client, "Name,SKU,Price\nA,A-1,1\n"))
    job.status = "running"
    job.started_at = job.heartbeat_at = datetime.now(timezone.utc) - timedelta(minutes=10)
    db.session.commit()
    page = client.hx_get(f"/inventory/import/{job.id}/progress").get_data(as_text=True)
    assert "The import failed" in page and "hx-trigger" not in page
    db.session.expire_all()
    assert db.session.get(ImportJob, job.id).status == "failed"


def test_report_lists_refused_rows_with_their_messages(client, shop):
    job = run_import(client, HEADER + "Pen,PEN-1,,,10,,,1\nBad,=cmd,,,-1,,,\nWorse,W-1,,,x,,,\n")
    response = client.get(f"/inventory/import/{job.id}/report.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Row", "SKU", "Barcode", "Name", "Problems"]
    assert [r[0] for r in rows[1:]] == ["3", "4"]
    assert rows[1][1] == "'=cmd"  # the report neutralises what it echoes back
    assert "formulas are not imported" in rows[1][4] and "A price cannot be negative" in rows[1][4]
    assert "enter a number" in rows[2][4]


# --------------------------------------------------------------------------- bad input


def _count_jobs() -> int:
    return db.session.execute(db.select(db.func.count()).select_from(ImportJob)).scalar()


def test_a_file_that_is_not_csv_is_refused(client, shop):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100)
    for content, name, message in ((png, "items.csv", "not a CSV or XLSX"),
                                   (b"Name,Price\nCaf\xe9,1\n", "items.csv", "not UTF-8"),
                                   (b"just some words\nno header we know\n", "notes.csv", "No column"),
                                   (b"Name,SKU\nA,B\n", "items.xlsx", "not a CSV or XLSX"),
                                   (b"", "empty.csv", "empty")):
        response = upload(client, content, name)
        assert response.status_code == 422 and message in response.get_data(as_text=True), name
    assert _count_jobs() == 0


def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_bomb_is_refused_before_it_is_opened(client, shop, monkeypatch):
    import openpyxl as real

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_xlsx([["Name"]]))) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        bomb.writestr("xl/worksheets/sheet2.xml", b"<a>" + b" " * (200 * 1024 * 1024) + b"</a>")
    opened = []
    monkeypatch.setattr(real, "load_workbook", lambda *a, **k: opened.append(1))
    response = upload(client, out.getvalue(), "bomb.xlsx")
    assert response.status_code == 422 and "unpacks to far more data" in response.get_data(as_text=True)
    assert opened == [] and _count_jobs() == 0
    # Many members each just under the ratio check's size: refused on their total unpacked size.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/workbook.xml", b"<workbook/>")
        for i in range(120):
            bomb.writestr(f"xl/media/m{i}.bin", bytes(1024 * 1024))
    response = upload(client, out.getvalue(), "many.xlsx")
    assert response.status_code == 422 and "unpacks to far more data" in response.get_data(as_text=True)
    assert opened == [] and _count_jobs() == 0


def test_a_50_mb_upload_is_refused_with_a_clear_message(client, shop):
    response = upload(client, b"Name,SKU,Price\n" + b"x" * (50 * 1024 * 1024), "huge.csv")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The file is too large: imports take files up to 6 MB" in page and 'id="import-form"' in page
    sign_in(client, shop.cashier)  # a cashier gets the message, not the import page
    response = upload(client, b"Name,SKU,Price\n" + b"x" * (50 * 1024 * 1024), "huge.csv")
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)
    assert 'id="import-form"' not in response.get_data(as_text=True)
    assert _count_jobs() == 0


def test_formulas_in_xlsx_cells_are_refused(client, shop):
    content = _xlsx([["Name", "SKU", "Price"], ['=HYPERLINK("http://evil","x")', "F-1", 1], ["Fine", "F-2", 2],
                     ["Sum", "F-3", "=1+2"]])
    job = map_and_start(client, job_of(upload(client, content, "f.xlsx")))
    assert (job.done, job.failed) == (3, 2)
    found = products(shop.store)
    assert "F-2" in found and "F-1" not in found and "F-3" not in found
    assert not any(p.product_name.startswith("=") for p in found.values())


def test_duplicates_in_the_file_and_against_the_store_write_nothing_of_those_rows(client, shop):
    job = run_import(client, "Name,SKU,Barcode,Price\nOne,D-1,,1\nTwo,D-1,,1\nThree,D-3,8901234500028,1\n"
                             "Lux Soap 100g,D-4,,1\nFour,D-5,,1\n")
    assert (job.done, job.failed) == (5, 4)
    found = products(shop.store)
    assert {"D-1", "D-3", "D-4"}.isdisjoint(found) and "D-5" in found
    messages = {entry["row"]: " ".join(entry["messages"]) for entry in job.report}
    assert "appears more than once" in messages[2] and "appears more than once" in messages[3]
    assert "Barcode '8901234500028' belongs to another product" in messages[4]
    assert "Name 'Lux Soap 100g' belongs to another product" in messages[5]


# --------------------------------------------------------------------------- export


def test_export_neutralises_formula_like_text_and_keeps_numbers(client, shop, make_product):
    make_product(shop.store, "=HYPERLINK(\"http://evil\")", unit_price="12.50", quantity=3, sku="+SKU",
                 description="@SUM(A1)", barcode="-123")
    response = client.get("/inventory/export.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    row = next(r for r in rows if r[1] == "'+SKU")
    assert row[0] == "'=HYPERLINK(\"http://evil\")" and row[2] == "'-123" and row[13] == "'@SUM(A1)"
    assert row[6] == "12.50" and row[11] == "3"
    assert any(r[0] == "Tata Salt 1kg" and r[11] == "50" for r in rows)
    response = client.get("/inventory/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    row = next(r for r in values if r[1] == "'+SKU")
    assert row[0].startswith("'=") and sheet.cell(1, 1).value == "Name"
    assert row[6] == 12.5 and row[11] == 3  # numbers stay number cells
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)


# --------------------------------------------------------------------------- roles


@pytest.mark.parametrize("method,url", [
    ("get", "/inventory/import"), ("get", "/inventory/import/template.csv"), ("get", "/inventory/export.csv"),
    ("get", "/inventory/export.xlsx"), ("post", "/inventory/import")])
def test_cashiers_are_refused(client, till_shop, method, url):
    sign_in(client, till_shop.cashier)
    if method == "get":
        response = client.get(url)
    else:
        response = upload(client, "Name,SKU,Price\nA,A-1,1\n")
    assert response.status_code == 403
    assert _count_jobs() == 0


def test_cashier_cannot_see_or_start_someone_elses_job(client, till_shop):
    sign_in(client, till_shop.manager)
    job = job_of(upload(client, "Name,SKU,Price\nA,A-1,1\n"))
    sign_in(client, till_shop.cashier)
    assert client.post_form(f"/inventory/import/{job.id}/start").status_code == 403
    assert client.get(f"/inventory/import/{job.id}/report.csv").status_code == 403
    db.session.expire_all()
    assert db.session.get(ImportJob, job.id).status == "uploaded"


def test_owner_may_import_and_another_store_cannot_see_the_job(client, till_shop, make_user):
    sign_in(client, till_shop.owner)
    job = job_of(upload(client, "Name,SKU,Price\nA,A-1,1\n"))
    sign_in(client, make_user("otherowner"))
    assert client.get(f"/inventory/import/{job.id}/progress").status_code == 404


def test_the_services_refuse_cashiers_too(app, till_shop):
    from services.catalog import exports, imports
    from services.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        imports.new_job(till_shop.store, till_shop.cashier, "a.csv", b"Name,SKU,Price\nA,A-1,1\n")
    with pytest.raises(PermissionDenied):
        exports.export_csv(till_shop.store, till_shop.cashier)
    with pytest.raises(PermissionDenied):
        exports.export_xlsx(till_shop.store, till_shop.cashier)
    job = imports.new_job(till_shop.store, till_shop.manager, "a.csv", b"Name,SKU,Price\nA,A-1,1\n")
    with pytest.raises(PermissionDenied):
        imports.queue(job, till_shop.cashier, till_shop.store)
    assert job.status == "uploaded"
