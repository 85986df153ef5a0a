"""services/reports/xlsx.py: the XLSX written directly reads back in openpyxl cell for cell (numbers as numbers, text
as text even when it looks like a formula, XML's special and forbidden characters), with sheet names a spreadsheet
accepts."""
from __future__ import annotations

import io
from decimal import Decimal

import openpyxl

from services.reports import xlsx
from services.reports.tables import Column, Table, to_xlsx_book


def test_cells_read_back_as_written():
    rows = [["Name", "Amount", "Qty", "Flag", "Empty"],
            ["Tom & <Jerry> \"x\" 'y'", Decimal("1234.50"), 3, True, None],
            ["=SUM(A1:A9)", Decimal("-0.01"), 0.25, False, "  two spaces  "],
            ["bell\x07 and tab\t", Decimal("0"), -7, None, "₹ हिंदी"]]
    book = openpyxl.load_workbook(io.BytesIO(xlsx.workbook([("Data", rows)])))
    got = list(book["Data"].values)
    assert got[0] == ("Name", "Amount", "Qty", "Flag", "Empty")
    assert got[1] == ("Tom & <Jerry> \"x\" 'y'", 1234.5, 3, True, None)
    assert got[2] == ("=SUM(A1:A9)", -0.01, 0.25, False, "  two spaces  ")
    assert book["Data"]["A3"].data_type == "s"  # text, never a formula
    assert got[3] == ("bell and tab\t", 0, -7, None, "₹ हिंदी")


def test_sheet_names_are_ones_a_spreadsheet_accepts():
    assert xlsx.sheet_names(["A/B: c?", "Totals", "totals", "", "x" * 40, "x" * 40]) == [
        "A-B- c-", "Totals", "totals (2)", "Sheet", "x" * 31, "x" * 27 + " (2)"]


def test_a_report_book_has_each_table_and_its_totals_sheet():
    table = Table("Commission by staff", [Column("staff", "Staff"), Column("value", "Value", "money")],
                  rows=[["Meena", Decimal("10.50")], ["'=cmd'", Decimal("2.00")]])
    table.sum_of("value")
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_book([table])))
    assert book.sheetnames == ["Commission by staff", "Commission by staff totals"]
    assert list(book["Commission by staff"].values) == [("Staff", "Value"), ("Meena", 10.5), ("'=cmd'", 2)]
    assert list(book["Commission by staff totals"].values) == [("Staff", "Value"), ("Total", 12.5)]
