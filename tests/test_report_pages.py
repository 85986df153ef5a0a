"""Issue 15, the report pages: sales and purchase registers, day book, stock summary, top products and sales by
staff member; each a page with a date range, a table with its total row kept out of the data, and CSV/XLSX
downloads; owners and managers only; a bad or inverted range is an error with no table."""
from __future__ import annotations

import csv
import html as html_lib
import io
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import openpyxl
import pytest

from extensions import db
from models import Expense, Payment, Staff
from services.accounts.access import current_store_for
from tests.fixtures_documents import make_bill  # noqa: F401  (a fixture)
from tests.fixtures_pos import sign_in

DAY = date(2026, 3, 10)


@pytest.fixture
def shop(make_user, make_bill, make_product):  # noqa: F811
    owner = make_user(username="owner")
    store = current_store_for(owner)
    noon = datetime.combine(DAY, time(12), tzinfo=store.zone)
    stylist = Staff(store_id=store.id, name="Meena")
    db.session.add(stylist)
    db.session.commit()

    def bill(**fields):
        made = make_bill(store, **fields)
        made.billing_timestamp, made.invoice_date = noon, DAY
        for payment in made.payments:
            payment.timestamp = noon
        db.session.commit()
        return made

    sale = bill(lines=[{"name": "Rice", "rate": "100", "qty": 2, "cgst": "2.5", "sgst": "2.5",
                        "staff_id": stylist.id}], payments=["210.00"], customer_name="=HYPERLINK(\"x\")",
                VAt_number="27ABCDE1234F1Z5", place_of_supply="27")
    dal = bill(lines=[{"name": "Dal", "rate": "50", "qty": 1, "cgst": "0", "sgst": "0"}], payments=["20.00"],
               customer_name="Ravi")
    bill(lines=[{"name": "Oil", "rate": "500", "qty": 1}], payments=["590.00"], cancelled=True,
         customer_name="Gone")
    purchase = bill(kind="purchase", lines=[{"name": "Rice", "rate": "80", "qty": 10, "cgst": "2.5", "sgst": "2.5"}],
                    payments=["840.00"], customer_name="Agarwal Traders", supplier_invoice_no="AT-77",
                    supplier_invoice_date=DAY)
    dal.payments.append(Payment(mode="cash", amount=Decimal("10.00"),
                                timestamp=datetime.combine(DAY, time(18), tzinfo=store.zone)))
    dal.paid_amount, dal.due_amount = Decimal("30.00"), dal.total_amount - Decimal("30.00")
    db.session.add(Expense(store_id=store.id, category="Rent", amount=Decimal("1500.00"), date=DAY,
                           description="March rent"))
    stocked = make_product(store, "Rice 1kg", unit_price="100.00", quantity=12)
    stocked.average_cost = Decimal("80.5000")
    make_product(store, "Never bought", unit_price="10.00", quantity=3)
    db.session.commit()
    return {"owner": owner, "store": store, "sale": sale, "dal": dal, "purchase": purchase, "make_user": make_user}


@pytest.fixture
def owner(client, shop):
    sign_in(client, shop["owner"])
    return client


def get(client, name: str, **args):
    query = "&".join(f"{k}={v}" for k, v in {"from": DAY.isoformat(), "to": DAY.isoformat(), **args}.items())
    return client.get(f"/reports/{name}?{query}")


def body_rows(html: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    cells = r"<td[^>]*>(.*?)</td>"
    return [[html_lib.unescape(re.sub(r"<[^>]+>", "", cell).strip()) for cell in re.findall(cells, row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def foot(html: str) -> list[str]:
    row = re.search(r"<tfoot><tr>(.*?)</tr></tfoot>", html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", row, re.S)]


def test_the_sales_register_lists_each_invoice_and_totals_all_but_the_cancelled(owner, shop):
    html = get(owner, "sales-register").get_data(as_text=True)
    rows = body_rows(html)
    assert [row[1] for row in rows] == [shop["sale"].invoice_number, shop["dal"].invoice_number,
                                        rows[2][1]]  # in time order, the cancelled one listed too
    sale = rows[0]
    assert sale[2:5] == ['=HYPERLINK("x")', "27ABCDE1234F1Z5", "27"]  # escaped on the page, shown as typed
    assert sale[5:11] == ["₹200.00", "₹5.00", "₹5.00", "₹0.00", "₹210.00", "₹210.00"]
    assert rows[2][5:12] == [""] * 7 and rows[2][12] == "cancelled"
    assert foot(html) == ["Total", "", "", "", "", "₹250.00", "₹5.00", "₹5.00", "₹0.00", "₹260.00", "₹240.00",
                          "₹20.00", ""]
    assert f'href="/bills/{shop["sale"].id}"' in html


def test_the_purchase_register_shows_the_suppliers_invoice(owner, shop):
    rows = body_rows(get(owner, "purchase-register").get_data(as_text=True))
    assert len(rows) == 1
    assert rows[0][1:5] == [shop["purchase"].invoice_number, "Agarwal Traders", "AT-77", "10 Mar 2026"]
    assert rows[0][5] == "₹800.00" and rows[0][9] == "₹840.00"


def test_the_day_book_has_every_voucher_and_money_in_and_out(owner, shop):
    html = get(owner, "day-book").get_data(as_text=True)
    vouchers = [row[1] for row in body_rows(html)]
    assert sorted(vouchers) == sorted(["Sale", "Receipt", "Sale", "Receipt", "Purchase", "Payment", "Receipt",
                                       "Expense"])
    assert vouchers[-1] == "Expense"  # the day's expenses close it
    # In: 210 + 20 at noon and 10 at six; out: 840 to the supplier and 1500 rent. The cancelled bill is not here.
    assert foot(html)[-2:] == ["₹240.00", "₹2,340.00"]


def test_the_stock_summary_values_stock_at_average_cost_by_product_and_category(owner, shop):
    html = owner.get("/reports/stock-summary").get_data(as_text=True)
    assert 'type="date"' not in html  # stock is as it is now: no period
    rice = next(row for row in body_rows(html) if row[0] == "Rice 1kg")
    assert rice[2:] == ["12", "pcs", "₹80.50", "₹966.00"]
    never = next(row for row in body_rows(html) if row[0] == "Never bought")
    assert never[4:] == ["", ""]  # no cost yet: no value
    assert "Stock by category" in html and "₹966.00" in foot(html)


def test_top_products_and_sales_by_staff_count_net_sales_of_the_period(owner, shop):
    rows = body_rows(get(owner, "top-products").get_data(as_text=True))
    assert rows == [["Rice", "2", "pcs", "1", "₹200.00"], ["Dal", "1", "pcs", "1", "₹50.00"]]
    staff = body_rows(get(owner, "sales-by-staff").get_data(as_text=True))
    assert staff == [["Meena", "1", "2", "₹200.00"], ["Nobody chosen", "1", "1", "₹50.00"]]


def test_returns_take_their_share_back(owner, shop):
    shop["sale"].items[0].returned_qty = Decimal(1)
    db.session.commit()
    rows = body_rows(get(owner, "top-products").get_data(as_text=True))
    assert ["Rice", "1", "pcs", "1", "₹100.00"] in rows


def test_csv_has_the_data_only_and_neutralises_formulas(owner, shop):
    response = get(owner, "sales-register", download="csv")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="sales-register-2026-03-10-to-2026-03-10.csv"')
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:3] == ["Date", "Invoice", "Customer"] and len(rows) == 4  # header and three invoices
    assert rows[1][2] == "'=HYPERLINK(\"x\")" and rows[1][9] == "210.00"
    assert not any(row[0] == "Total" for row in rows)


def test_xlsx_has_each_table_and_its_totals_on_their_own_sheets(owner, shop):
    response = owner.get("/reports/stock-summary?download=xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["Stock by product", "Stock by product totals", "Stock by category",
                               "Stock by category totals"]
    assert book["Stock by product totals"]["F2"].value == 966


@pytest.mark.parametrize("args, field, message", [
    ({"from": "2026-03-10", "to": "2026-03-01"}, "from", "The start date is after the end date."),
    ({"from": "10/03/2026", "to": "2026-03-10"}, "from", "Enter a date as YYYY-MM-DD"),
    ({"from": "2099-01-01"}, "from", "The start date is after the end date."),  # a start after today's end
    ({"from": "2024-01-01", "to": "2026-03-10"}, "to", "A report covers at most 366 days."),
])
def test_a_bad_period_is_an_error_and_no_table(owner, shop, args, field, message):
    response = owner.get("/reports/sales-register?" + "&".join(f"{k}={v}" for k, v in args.items()))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="report-{field}-error">{message}<' in html
    assert "<table" not in html and "download-csv" not in html


def test_cashiers_see_no_reports_and_unknown_ones_are_404(client, shop):
    cashier = shop["make_user"](username="cashier", store=shop["store"], role="cashier")
    sign_in(client, cashier)
    for name in ("sales-register", "day-book", "stock-summary", "top-products"):
        assert client.get(f"/reports/{name}").status_code == 403
    sign_in(client, shop["owner"])
    assert client.get("/reports/nothing-here").status_code == 404
    assert client.get("/reports/sales-register?download=pdf").status_code == 404


def test_the_default_period_is_the_last_thirty_days(owner, shop):
    html = owner.get("/reports/top-products").get_data(as_text=True)
    today = shop["store"].local_today()
    assert f'value="{(today - timedelta(days=29)).isoformat()}"' in html and f'value="{today.isoformat()}"' in html


def test_profit_and_loss_takes_the_cost_of_goods_sold_and_the_expenses(owner, shop):
    rice = shop["sale"].items[0]
    rice.unit_cost = Decimal("80.0000")  # two sold at 80 each
    db.session.commit()
    html = get(owner, "profit-and-loss").get_data(as_text=True)
    rows = body_rows(html)
    assert rows[:3] == [["Sales (taxable value, net of returns)", "₹250.00"],
                        ["Cost of goods sold (at weighted average cost)", "-₹160.00"],
                        ["Gross profit", "₹90.00"]]
    assert ["Expense: Rent", "-₹1,500.00"] in rows
    assert ["Of the sales, with no known cost (never purchased): 50.00", ""] in rows  # the dal had no cost
    assert foot(html) == ["Net profit", "-₹1,410.00"]


def test_a_sale_keeps_the_unit_cost_its_product_carried_then(client, till_shop):
    from models import BillItem
    from tests.test_pos_after_save import save, scan

    till_shop.butter.average_cost = Decimal("230.1234")
    db.session.commit()
    sign_in(client, till_shop.cashier)
    scan(client, till_shop.butter.barcode)
    scan(client, till_shop.salt.barcode)  # never purchased: no cost
    assert save(client).status_code == 200
    costs = dict(db.session.execute(db.select(BillItem.name, BillItem.unit_cost)).all())
    assert costs == {"Amul Butter 500g": Decimal("230.1234"), "Tata Salt 1kg": None}


def test_long_registers_are_paged_with_the_whole_periods_total_on_every_page(owner, shop, monkeypatch):
    from services.reports import registers

    monkeypatch.setattr(registers, "PAGE_ROWS", 2)
    first = get(owner, "sales-register").get_data(as_text=True)
    second = get(owner, "sales-register", page=2).get_data(as_text=True)
    assert len(body_rows(first)) == 2 and 'id="page-next"' in first and 'id="page-previous"' not in first
    assert len(body_rows(second)) == 1 and 'id="page-previous"' in second and 'id="page-next"' not in second
    assert foot(first) == foot(second) and foot(first)[9] == "₹260.00"
    rows = list(csv.reader(io.StringIO(get(owner, "sales-register", download="csv").get_data().decode("utf-8-sig"))))
    assert len(rows) == 4  # the download has every row
