"""A report as a table: columns, rows of data and a total row kept out of the data, written to CSV and XLSX.

Every report page shows a Table (the total in the table's foot) and downloads it. In a download the data stay
data: the CSV holds the header and the rows only (a sum over a column gives the total), the XLSX has the rows on
its first sheet and the totals on a sheet of their own. Text cells that a spreadsheet would run as a formula are
neutralised (services.catalog.exports.neutralise); money is written as numbers.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Iterator, Optional

from services.catalog.exports import neutralise
from services.reports import xlsx

MONEY = "money"
NUMBER = "number"
TEXT = "text"
DATE = "date"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    total: Optional[list[Any]] = None  # one cell per column (None where a total means nothing)
    links: list[Optional[str]] = field(default_factory=list)  # per row: the page of what the row is, if any
    paged: bool = False  # the rows are one page of many (the total is still the whole table's)
    page: int = 1
    has_more: bool = False

    def sum_of(self, *keys: str, label: str = "Total") -> None:
        """A total row: `label` in the first column, the sum of each named column, nothing elsewhere."""
        index = {c.key: i for i, c in enumerate(self.columns)}
        total: list[Any] = [None] * len(self.columns)
        total[0] = label
        for key in keys:
            total[index[key]] = sum((row[index[key]] or Decimal(0) for row in self.rows), Decimal(0))
        self.total = total


def _cell(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return out.getvalue()


def to_xlsx(table: Table) -> bytes:
    return to_xlsx_book([table])


def to_xlsx_book(parts: list[Table]) -> bytes:
    """Each table on a sheet of its own, and each one's totals on a sheet named after it (services.reports.xlsx
    writes the file: Decimals become number cells)."""
    sheets: list[tuple[str, Any]] = []
    for table in parts:
        header = [c.label for c in table.columns]
        sheets.append((table.title[:31], _sheet_rows(header, table.rows)))
        if table.total is not None:
            sheets.append((f"{table.title[:24]} totals", [header, [_cell(v) for v in table.total]]))
    return xlsx.workbook(sheets)


def _sheet_rows(header: list[str], rows: Iterable[list[Any]]) -> Iterator[list[Any]]:
    yield header
    for row in rows:
        yield [_cell(v) for v in row]
