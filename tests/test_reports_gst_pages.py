"""GSTR-1 and GSTR-3B pages (issue 15): roles (owners and managers; cashiers 403), the month field and its 422 for a
period that is not a month (no table shown), tables with their total rows apart, and the downloads (the portal's
JSON, CSV and XLSX, formula-like text neutralised). Both databases; the month is test_gstr1's golden October."""
from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest

from tests.fixtures_pos import sign_in
from tests.test_gstr1 import EXPECTED, gst_month  # noqa: F401  (the golden month's fixture)


@pytest.fixture
def people(gst_month, make_user):  # noqa: F811
    store, owner = gst_month
    return {"owner": owner, "manager": make_user("pagemanager", store=store, role="manager"),
            "cashier": make_user("pagecashier", store=store, role="cashier")}


URLS = ["/reports", "/reports/gstr1?period=102026", "/reports/gstr3b?period=102026",
        "/reports/gstr1.json?period=102026", "/reports/gstr1.csv?period=102026", "/reports/gstr1.xlsx?period=102026",
        "/reports/gstr3b.csv?period=102026", "/reports/gstr3b.json?period=102026", "/reports/gstr3b.xlsx?period=102026"]


@pytest.mark.parametrize("url", URLS)
def test_cashiers_get_403_managers_and_owners_200(client, people, url):
    sign_in(client, people["cashier"])
    assert client.get(url).status_code == 403
    for role in ("manager", "owner"):
        sign_in(client, people[role])
        assert client.get(url).status_code == 200, role


def test_signed_out_goes_to_login(client, people):
    response = client.get("/reports/gstr1?period=102026")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_gstr1_page_shows_each_table_with_its_total_row_apart(client, people):
    sign_in(client, people["owner"])
    html = client.get("/reports/gstr1?period=102026").get_data(as_text=True)
    for key in ("b2b", "b2cl", "b2cs", "cdnr", "cdnur", "hsn_b2b", "hsn_b2c", "doc_issue"):
        assert f'id="table-{key}"' in html, key
    assert "INV202600001" in html and "CN202600002" in html and "27AABCS1429B1ZU" in html
    assert html.count('<tr class="total-row">') == 8  # every table with rows except nil (none in the month)
    assert "73,030.00" in html  # B2B invoice values: 2230 + 70800, in the B2B total row
    assert 'value="2026-10"' in html and "/reports/gstr1.json?period=102026" in html


@pytest.mark.parametrize("period", ["132026", "abc", "002026", "2026-13"])
def test_a_period_that_is_not_a_month_is_a_422_and_no_table(client, people, period):
    sign_in(client, people["owner"])
    for url in (f"/reports/gstr1?period={period}", f"/reports/gstr3b?period={period}",
                f"/reports/gstr1.json?period={period}"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, url
        assert "Choose a month: MMYYYY" in html and 'aria-invalid="true"' in html
        assert "<table" not in html and "INV2026" not in html


def test_month_picker_value_and_no_period(client, people):
    sign_in(client, people["manager"])
    assert "INV202600003" in client.get("/reports/gstr1?period=2026-10").get_data(as_text=True)
    assert client.get("/reports/gstr1").status_code == 200  # last month in the store's calendar


def test_json_download_is_the_portal_document(client, people):
    sign_in(client, people["owner"])
    response = client.get("/reports/gstr1.json?period=102026")
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="GSTR1_27AAPFU0939F1ZV_102026.json"'
    assert json.loads(response.data, parse_float=Decimal) == EXPECTED


def test_csv_and_xlsx_downloads_hold_the_tables_and_their_totals(client, people):
    import openpyxl

    sign_in(client, people["owner"])
    response = client.get("/reports/gstr1.csv?period=102026")
    text = response.data.decode("utf-8")
    assert response.mimetype == "text/csv" and text.startswith("\ufeff")
    assert "B2B invoices (4A)" in text and "INV202600001" in text and "Total,,,73030.00" in text
    response = client.get("/reports/gstr1.xlsx?period=102026")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["b2b", "b2cl", "b2cs", "nil", "cdnr", "cdnur", "hsn_b2b", "hsn_b2c", "doc_issue"]
    rows = list(book["b2b"].iter_rows(values_only=True))
    assert rows[0][0] == "B2B invoices (4A)" and rows[2][1] == "INV202600001"
    assert rows[-1][0] == "Total" and rows[-1][3] == 73030


def test_gstr3b_page(client, people):
    sign_in(client, people["manager"])
    html = client.get("/reports/gstr3b?period=102026").get_data(as_text=True)
    assert "3.1 Outward supplies" in html and "1,24,700.00" in html
    assert "33-Tamil Nadu" in html and "10,800.00" in html


def test_formula_like_text_is_neutralised_in_downloads(client, make_user, make_product):
    from datetime import datetime, timezone

    from extensions import db
    from services.accounts.access import current_store_for
    from services.billing.bills import BillDraft, DraftLine, save_bill

    owner = make_user("formulaowner", gstin="27AAPFU0939F1ZV", state_code="27")
    store = current_store_for(owner)
    product = make_product(store, "=HYPERLINK(1)", unit_price="10.00", hsn_code="1006")
    save_bill(store, owner, BillDraft(lines=[DraftLine(product=product, qty=1)]),
              now=datetime(2026, 10, 5, 6, tzinfo=timezone.utc))
    db.session.commit()
    sign_in(client, owner)
    text = client.get("/reports/gstr1.csv?period=102026").data.decode("utf-8")
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text
