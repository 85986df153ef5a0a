"""GST returns from saved bills and credit notes: GSTR-1 (the GST portal offline tool's JSON, and the same figures as
tables for the report page and its CSV/XLSX) and the GSTR-3B summary (3.1 and 3.2).

    parse_period("042026" or "2026-04") -> (month, year)       ValidationError on "period" otherwise
    gstr1(store, month, year) -> Gstr1                          .portal (the portal document), .tables, .warnings
    portal_json(report) -> dict                                 exactly the document the offline tool takes
    gstr3b(store, month, year) -> Gstr3b                        .portal (3.1 and 3.2), .tables

Which documents a month holds:
- outward invoices are the store's SALES (Bill.kind "sale"; purchases, stock purchases and the old-gold vouchers are
  kind "purchase") whose invoice_date (the date printed on the invoice, the store's calendar day) is in the month;
  credit notes are those whose note_date is in the month, whenever their bill was made;
- a cancelled bill is in no table but Table 13, where it counts as cancelled; so is a credit note whose bill was
  cancelled after the return (cancelling keeps the bill's credit notes, and the supply they reduced is gone).

How a document is classified (GSTR-1):
- the recipient is registered when the customer has a GSTIN (else the GSTIN recorded on the bill, VAt_number): the
  bill goes to B2B under that GSTIN (`ctin`), its credit notes to CDNR;
- otherwise an INTER-state bill (place of supply not the store's state) whose invoice value is above the B2C large
  limit (Rs 1,00,000 for invoices from 1 August 2024, Rs 2,50,000 before) goes to B2CL by place of supply, and its
  credit notes to CDNUR (typ "B2CL");
- every other unregistered bill is B2C small: summed by supply type (INTRA/INTER), place of supply and rate, typ
  "OE"; credit notes against such bills reduce the same B2CS row (the portal has no note table for them);
- lines taxed at 0 % are nil-rated supplies (table 8, `nil`), not B2B/B2C rows; the invoice value stays whole.
- B2B, B2CL and note items are one item per tax rate (rate = CGST + SGST + IGST rate of the line), numbered from 1;
- the HSN summary (Table 12) has one row per HSN code, unit (UQC) and rate, split into `hsn_b2b` and `hsn_b2c` by
  the recipient, net of the month's credit notes; services carry UQC "NA" and quantity 0;
- documents issued (Table 13): outward invoices (doc_num 1) per invoice series, credit notes (doc_num 5) per series:
  first and last number, total, cancelled and net issued.
Amounts are Decimals rounded half-up to 2 places; dates dd-mm-yyyy; state codes two-digit strings; `fp` is MMYYYY;
`gstin` is the store's. Empty sections are left out of the portal document; totals are never inside it (the page
adds a total row beside each table).
"""
from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

from sqlalchemy import select

from extensions import db
from models import Bill, BillItem, CreditNote, CreditNoteItem, Customer, Store
from services.accounts.gstin import STATE_NAMES
from services.catalog.exports import neutralise
from services.errors import ValidationError

ZERO = Decimal("0.00")
PAISA = Decimal("0.01")
PERIOD_MESSAGE = "Choose a month: MMYYYY, e.g. 042026 for April 2026"
FIRST_YEAR, LAST_YEAR = 2017, 2099  # GST began in July 2017
# B2C large: inter-state to unregistered buyers above this invoice value (Notification 12/2024-CT: from 1 Aug 2024).
B2CL_LIMIT_CHANGE = date(2024, 8, 1)
B2CL_LIMIT_BEFORE, B2CL_LIMIT = Decimal("250000"), Decimal("100000")
# The portal's unit quantity codes for our units; services (and unknown units) report "NA" / "OTH".
UQC = {"pcs": "NOS", "kg": "KGS", "g": "GMS", "l": "LTR", "ml": "MLT", "m": "MTR"}
DESCRIPTION_LENGTH = 30  # the portal's HSN description limit
OUTWARD_INVOICES, CREDIT_NOTES = 1, 5  # Table 13 document numbers
TAX_KEYS = ("txval", "iamt", "camt", "samt", "csamt")


def money(value: Any) -> Decimal:
    """Half-up to the paisa (SQLite hands NUMERIC back through a float: the quantize removes its noise)."""
    if not isinstance(value, Decimal):
        value = Decimal(str(value if value is not None else 0))
    return value.quantize(PAISA, rounding=ROUND_HALF_UP)


def gst_date(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def b2cl_limit(day: date) -> Decimal:
    return B2CL_LIMIT_BEFORE if day < B2CL_LIMIT_CHANGE else B2CL_LIMIT


# --------------------------------------------------------------------------- the period


def parse_period(raw: Optional[str]) -> tuple[int, int]:
    """(month, year) of a period given as MMYYYY (the portal's `fp`) or YYYY-MM (a month picker); a clear
    ValidationError on "period" for anything else (132026, abc, 000000)."""
    text = (raw or "").strip()
    match = re.fullmatch(r"(\d{2})(\d{4})", text) or re.fullmatch(r"(\d{4})-(\d{2})", text)
    if match is None:
        raise ValidationError.field("period", PERIOD_MESSAGE)
    first, second = match.groups()
    month, year = (int(first), int(second)) if len(first) == 2 else (int(second), int(first))
    if not 1 <= month <= 12 or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError.field("period", PERIOD_MESSAGE)
    return month, year


def month_bounds(month: int, year: int) -> tuple[date, date]:
    """First day of the month and first day of the next."""
    return date(year, month, 1), date(year + month // 12, month % 12 + 1, 1)


def fp(month: int, year: int) -> str:
    return f"{month:02d}{year:04d}"


# --------------------------------------------------------------------------- the month's documents


@dataclass
class Line:
    hsn: str
    name: str
    unit: str
    service: bool
    qty: Decimal
    rate: Decimal
    txval: Decimal
    iamt: Decimal
    camt: Decimal
    samt: Decimal


@dataclass
class Document:
    """An outward invoice or a credit note of the month, with what GSTR-1 needs of it and of its bill."""

    number: str
    day: date
    value: Decimal
    pos: str
    ctin: str  # the recipient's GSTIN; "" for an unregistered buyer
    series: str
    seq: Optional[int]
    cancelled: bool = False
    bill_value: Decimal = ZERO  # a credit note's bill: its value and date decide B2CL
    bill_day: Optional[date] = None
    lines: list[Line] = field(default_factory=list)


def _store_state(store: Store) -> str:
    """The store's GST state: its GSTIN's first two digits, else its state code ("" when neither is set)."""
    return (store.gstin or "")[:2] or store.state_code or ""


def _ctin(customer_gstin: Optional[str], vat_number: Optional[str]) -> str:
    gstin = (customer_gstin or vat_number or "").strip().upper()
    return gstin if len(gstin) == 15 else ""


def _line(row) -> Line:
    rate = money((row.cgst_rate or ZERO) + (row.sgst_rate or ZERO) + (row.igst_rate or ZERO))
    return Line(hsn=(row.hsn_code or "").strip(), name=row.name or "", unit=row.unit or "",
                service=row.type != "product", qty=row.qty, rate=rate, txval=money(row.taxable_amount),
                iamt=money(row.igst_amount), camt=money(row.cgst_amount), samt=money(row.sgst_amount))


_LINE_COLUMNS = ("hsn_code", "name", "unit", "qty", "taxable_amount", "cgst_rate", "sgst_rate", "igst_rate",
                 "cgst_amount", "sgst_amount", "igst_amount")


def _invoices(store: Store, start: date, end: date, home: str) -> list[Document]:
    """The month's sales with their lines, in date and number order (one query)."""
    item = BillItem.__table__.c
    query = (
        select(Bill.id, Bill.invoice_number, Bill.series, Bill.seq, Bill.invoice_date, Bill.total_amount,
               Bill.place_of_supply, Bill.cancelled_at, Bill.VAt_number, Customer.gstin.label("customer_gstin"),
               BillItem.type, *(item[name] for name in _LINE_COLUMNS))
        .select_from(Bill)
        .outerjoin(BillItem, BillItem.bill_id == Bill.id)
        .outerjoin(Customer, Customer.party_id == Bill.party_id)
        .where(Bill.store_id == store.id, Bill.kind == "sale", Bill.invoice_date >= start, Bill.invoice_date < end)
        .order_by(Bill.invoice_date, Bill.invoice_number, Bill.id, BillItem.line_no)
    )
    documents: dict[int, Document] = {}
    for row in db.session.execute(query):
        doc = documents.get(row.id)
        if doc is None:
            doc = documents[row.id] = Document(
                number=row.invoice_number, day=row.invoice_date, value=money(row.total_amount),
                pos=row.place_of_supply or home, ctin=_ctin(row.customer_gstin, row.VAt_number),
                series=row.series or "", seq=row.seq, cancelled=row.cancelled_at is not None)
        if row.qty is not None:
            doc.lines.append(_line(row))
    return list(documents.values())


def _credit_notes(store: Store, start: date, end: date, home: str) -> list[Document]:
    """The month's credit notes with their lines and their bill's recipient, place, value and date."""
    item = CreditNoteItem.__table__.c
    query = (
        select(CreditNote.id, CreditNote.number, CreditNote.series, CreditNote.seq, CreditNote.note_date,
               CreditNote.total_amount, Bill.total_amount.label("bill_value"), Bill.invoice_date,
               Bill.cancelled_at, Bill.place_of_supply, Bill.VAt_number, Customer.gstin.label("customer_gstin"),
               BillItem.type, *(item[name] for name in _LINE_COLUMNS))
        .select_from(CreditNote)
        .join(Bill, Bill.id == CreditNote.bill_id)
        .join(CreditNoteItem, CreditNoteItem.credit_note_id == CreditNote.id)
        .outerjoin(BillItem, BillItem.id == CreditNoteItem.bill_item_id)
        .outerjoin(Customer, Customer.party_id == Bill.party_id)
        .where(CreditNote.store_id == store.id, CreditNote.note_date >= start, CreditNote.note_date < end)
        .order_by(CreditNote.note_date, CreditNote.number, CreditNote.id, CreditNoteItem.line_no)
    )
    documents: dict[int, Document] = {}
    for row in db.session.execute(query):
        doc = documents.get(row.id)
        if doc is None:
            doc = documents[row.id] = Document(
                number=row.number, day=row.note_date, value=money(row.total_amount), pos=row.place_of_supply or home,
                ctin=_ctin(row.customer_gstin, row.VAt_number), series=row.series or "", seq=row.seq,
                cancelled=row.cancelled_at is not None, bill_value=money(row.bill_value),
                bill_day=row.invoice_date or row.note_date)
        doc.lines.append(_line(row))
    return list(documents.values())


# --------------------------------------------------------------------------- GSTR-1


@dataclass
class Table:
    """A report table: rows of cells (text, Decimal or None) and a total row kept out of them."""

    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    total: Optional[list[Any]] = None


@dataclass
class Gstr1:
    store: Store
    month: int
    year: int
    portal: dict[str, Any]
    tables: list[Table]
    warnings: list[str]

    @property
    def period(self) -> str:
        return fp(self.month, self.year)


def _by_rate(lines: list[Line], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Taxed lines summed per rate, as the portal's numbered items (`num`, `itm_det`)."""
    rates: dict[Decimal, dict[str, Decimal]] = {}
    for line in lines:
        if line.rate == 0:
            continue
        sums = rates.setdefault(line.rate, dict.fromkeys(TAX_KEYS, ZERO))
        for key in ("txval", "iamt", "camt", "samt"):
            sums[key] += getattr(line, key)
    return [{"num": index, "itm_det": {"rt": rate, **{k: sums[k] for k in keys}}}
            for index, (rate, sums) in enumerate(sorted(rates.items()), start=1)]


B2B_ITEM = ("txval", "iamt", "camt", "samt", "csamt")
IGST_ITEM = ("txval", "iamt", "csamt")  # b2cl and cdnur: inter-state, no CGST/SGST


class _Builder:
    """Adds the month's invoices and credit notes into the portal's sections."""

    def __init__(self, home: str):
        self.home = home
        self.b2b: dict[str, list[dict]] = defaultdict(list)
        self.b2cl: dict[str, list[dict]] = defaultdict(list)
        self.b2cs: dict[tuple[str, str, Decimal], dict[str, Decimal]] = {}
        self.cdnr: dict[str, list[dict]] = defaultdict(list)
        self.cdnur: list[dict] = []
        self.nil: dict[str, Decimal] = {}
        self.hsn: dict[tuple[str, str, str, Decimal], dict[str, Any]] = {}
        self.docs: dict[tuple[int, str], list[Document]] = defaultdict(list)
        self.missing_hsn = 0

    def supply_type(self, doc: Document) -> str:
        return "INTRA" if not self.home or doc.pos == self.home else "INTER"

    def is_b2cl(self, doc: Document, value: Decimal, day: date) -> bool:
        return not doc.ctin and self.supply_type(doc) == "INTER" and value > b2cl_limit(day)

    def add_b2cs(self, doc: Document, sign: int) -> None:
        for line in doc.lines:
            if line.rate == 0:
                continue
            key = (self.supply_type(doc), doc.pos, line.rate)
            sums = self.b2cs.setdefault(key, dict.fromkeys(TAX_KEYS, ZERO))
            for name in ("txval", "iamt", "camt", "samt"):
                sums[name] += sign * getattr(line, name)

    def add_nil(self, doc: Document, sign: int) -> None:
        kind = ("INTRA" if self.supply_type(doc) == "INTRA" else "INTR") + ("B2B" if doc.ctin else "B2C")
        for line in doc.lines:
            if line.rate == 0:
                self.nil[kind] = self.nil.get(kind, ZERO) + sign * line.txval

    def add_hsn(self, doc: Document, sign: int) -> None:
        section = "hsn_b2b" if doc.ctin else "hsn_b2c"
        for line in doc.lines:
            if not line.hsn:
                self.missing_hsn += 1
            uqc = "NA" if line.service else UQC.get(line.unit, "OTH")
            key = (section, line.hsn, uqc, line.rate)
            row = self.hsn.get(key)
            if row is None:
                row = self.hsn[key] = {"desc": line.name[:DESCRIPTION_LENGTH].strip(), "qty": Decimal(0),
                                       **dict.fromkeys(TAX_KEYS, ZERO)}
            if not line.service:
                row["qty"] += sign * line.qty
            for name in ("txval", "iamt", "camt", "samt"):
                row[name] += sign * getattr(line, name)

    def invoice(self, doc: Document) -> None:
        self.docs[(OUTWARD_INVOICES, doc.series)].append(doc)
        if doc.cancelled:
            return
        self.add_nil(doc, 1)
        self.add_hsn(doc, 1)
        if doc.ctin:
            items = _by_rate(doc.lines, B2B_ITEM)
            if items:
                self.b2b[doc.ctin].append({"inum": doc.number, "idt": gst_date(doc.day), "val": doc.value,
                                           "pos": doc.pos, "rchrg": "N", "inv_typ": "R", "itms": items})
        elif self.is_b2cl(doc, doc.value, doc.day):
            items = _by_rate(doc.lines, IGST_ITEM)
            if items:
                self.b2cl[doc.pos].append({"inum": doc.number, "idt": gst_date(doc.day), "val": doc.value,
                                           "itms": items})
        else:
            self.add_b2cs(doc, 1)

    def credit_note(self, note: Document) -> None:
        self.docs[(CREDIT_NOTES, note.series)].append(note)
        if note.cancelled:  # its bill was cancelled after the return: the note went with it
            return
        self.add_nil(note, -1)
        self.add_hsn(note, -1)
        if note.ctin:
            items = _by_rate(note.lines, B2B_ITEM)
            if items:
                self.cdnr[note.ctin].append({"ntty": "C", "nt_num": note.number, "nt_dt": gst_date(note.day),
                                             "val": note.value, "pos": note.pos, "rchrg": "N", "inv_typ": "R",
                                             "itms": items})
        elif self.is_b2cl(note, note.bill_value, note.bill_day or note.day):
            items = _by_rate(note.lines, IGST_ITEM)
            if items:
                self.cdnur.append({"typ": "B2CL", "ntty": "C", "nt_num": note.number, "nt_dt": gst_date(note.day),
                                   "val": note.value, "pos": note.pos, "itms": items})
        else:
            self.add_b2cs(note, -1)

    def doc_issue(self) -> dict[str, Any]:
        details = []
        for doc_num in (OUTWARD_INVOICES, CREDIT_NOTES):
            ranges = []
            for (number, _series), docs in sorted(self.docs.items()):
                if number != doc_num:
                    continue
                ordered = sorted(docs, key=lambda d: (d.seq is None, d.seq or 0, d.number))
                cancelled = sum(1 for d in docs if d.cancelled)
                ranges.append({"num": len(ranges) + 1, "from": ordered[0].number, "to": ordered[-1].number,
                               "totnum": len(docs), "cancel": cancelled, "net_issue": len(docs) - cancelled})
            if ranges:
                details.append({"doc_num": doc_num, "docs": ranges})
        return {"doc_det": details} if details else {}

    def portal(self) -> dict[str, Any]:
        sections: dict[str, Any] = {}
        if self.b2b:
            sections["b2b"] = [{"ctin": ctin, "inv": invoices} for ctin, invoices in sorted(self.b2b.items())]
        if self.b2cl:
            sections["b2cl"] = [{"pos": pos, "inv": invoices} for pos, invoices in sorted(self.b2cl.items())]
        b2cs = [{"sply_ty": kind, "pos": pos, "typ": "OE", "rt": rate, **sums}
                for (kind, pos, rate), sums in sorted(self.b2cs.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0]))]
        if b2cs:
            sections["b2cs"] = b2cs
        if self.nil:
            sections["nil"] = {"inv": [{"sply_ty": kind, "expt_amt": ZERO, "nil_amt": amount, "ngsup_amt": ZERO}
                                       for kind, amount in sorted(self.nil.items())]}
        if self.cdnr:
            sections["cdnr"] = [{"ctin": ctin, "nt": notes} for ctin, notes in sorted(self.cdnr.items())]
        if self.cdnur:
            sections["cdnur"] = self.cdnur
        hsn: dict[str, list[dict]] = {}
        for (section, code, uqc, rate), row in sorted(self.hsn.items()):
            rows = hsn.setdefault(section, [])
            rows.append({"num": len(rows) + 1, "hsn_sc": code, "desc": row["desc"], "uqc": uqc,
                         "qty": money(row["qty"]), "rt": rate, **{k: row[k] for k in TAX_KEYS}})
        if hsn:
            sections["hsn"] = {key: hsn[key] for key in ("hsn_b2b", "hsn_b2c") if key in hsn}
        if issue := self.doc_issue():
            sections["doc_issue"] = issue
        return sections


def gstr1(store: Store, month: int, year: int) -> Gstr1:
    """GSTR-1 of the store for the month (see the module docstring for every rule)."""
    start, end = month_bounds(month, year)
    home = _store_state(store)
    builder = _Builder(home)
    for doc in _invoices(store, start, end, home):
        builder.invoice(doc)
    for note in _credit_notes(store, start, end, home):
        builder.credit_note(note)
    portal = {"gstin": store.gstin or "", "fp": fp(month, year), **builder.portal()}
    warnings = []
    if not store.gstin:
        warnings.append("The store has no GSTIN: set it in Settings before filing (the portal needs it).")
    if builder.missing_hsn:
        warnings.append(f"{builder.missing_hsn} line(s) have no HSN code; the portal refuses HSN rows without one.")
    return Gstr1(store=store, month=month, year=year, portal=portal, tables=gstr1_tables(portal), warnings=warnings)


def portal_json(report: Gstr1) -> dict[str, Any]:
    """The document the GST portal's offline tool takes for the period: no totals inside it."""
    return report.portal


# --------------------------------------------------------------------------- GSTR-1 as tables


def state(code: str) -> str:
    name = STATE_NAMES.get(code)
    return f"{code}-{name}" if name else code


def _total(rows: list[list[Any]], label_at: int = 0) -> list[Any]:
    """The sums of each column holding Decimals (None elsewhere); "Total" in the first column."""
    width = max((len(r) for r in rows), default=0)
    total: list[Any] = [None] * width
    for index in range(width):
        values = [r[index] for r in rows if isinstance(r[index], Decimal)]
        if values and index != label_at:
            total[index] = sum(values, ZERO)
    if width:
        total[label_at] = "Total"
    return total


TAX_HEADERS = ["Rate %", "Taxable value", "IGST", "CGST", "SGST", "Cess"]


def _item_cells(item: dict[str, Any]) -> list[Any]:
    det = item["itm_det"]
    return [det["rt"], det["txval"], det.get("iamt", ZERO), det.get("camt", ZERO), det.get("samt", ZERO),
            det.get("csamt", ZERO)]


def _invoice_rows(prefix: list[Any], number: str, day: str, value: Decimal, extra: list[Any],
                  items: list[dict]) -> list[list[Any]]:
    """One row per rate of a document; its value only on the first (so the value column adds up)."""
    return [[*prefix, number, day, value if i == 0 else None, *extra, *_item_cells(item)]
            for i, item in enumerate(items)]


def gstr1_tables(portal: dict[str, Any]) -> list[Table]:
    """The portal document as the page's tables, each with its total row kept out of its rows. The rate column is
    not summed."""
    def table(key, title, headers, rows, rate_at=None):
        total = _total(rows)
        if rate_at is not None and total:
            total[rate_at] = None
        return Table(key, title, headers, rows, total if rows else None)

    b2b = [row for party in portal.get("b2b", []) for inv in party["inv"]
           for row in _invoice_rows([party["ctin"]], inv["inum"], inv["idt"], inv["val"], [state(inv["pos"])],
                                    inv["itms"])]
    b2cl = [row for group in portal.get("b2cl", []) for inv in group["inv"]
            for row in _invoice_rows([state(group["pos"])], inv["inum"], inv["idt"], inv["val"], [], inv["itms"])]
    b2cs = [[r["sply_ty"], state(r["pos"]), r["typ"], r["rt"], r["txval"], r["iamt"], r["camt"], r["samt"],
             r["csamt"]] for r in portal.get("b2cs", [])]
    cdnr = [row for party in portal.get("cdnr", []) for nt in party["nt"]
            for row in _invoice_rows([party["ctin"]], nt["nt_num"], nt["nt_dt"], nt["val"], [state(nt["pos"])],
                                     nt["itms"])]
    cdnur = [row for nt in portal.get("cdnur", [])
             for row in _invoice_rows([nt["typ"]], nt["nt_num"], nt["nt_dt"], nt["val"], [state(nt["pos"])],
                                      nt["itms"])]
    nil = [[r["sply_ty"], r["nil_amt"], r["expt_amt"], r["ngsup_amt"]] for r in portal.get("nil", {}).get("inv", [])]
    hsn_headers = ["HSN", "Description", "UQC", "Quantity", *TAX_HEADERS]

    def hsn_rows(key):
        return [[r["hsn_sc"], r["desc"], r["uqc"], r["qty"], r["rt"], r["txval"], r["iamt"], r["camt"], r["samt"],
                 r["csamt"]] for r in portal.get("hsn", {}).get(key, [])]

    names = {OUTWARD_INVOICES: "Invoices for outward supply", CREDIT_NOTES: "Credit notes"}
    docs = [[names.get(group["doc_num"], str(group["doc_num"])), d["from"], d["to"], d["totnum"], d["cancel"],
             d["net_issue"]] for group in portal.get("doc_issue", {}).get("doc_det", []) for d in group["docs"]]
    doc_total = ["Total", None, None, *(sum(r[i] for r in docs) for i in (3, 4, 5))] if docs else None
    return [
        table("b2b", "B2B invoices (4A)", ["Recipient GSTIN", "Invoice", "Date", "Invoice value", "Place of supply",
                                           *TAX_HEADERS], b2b, rate_at=5),
        table("b2cl", "B2C large (5)", ["Place of supply", "Invoice", "Date", "Invoice value", *TAX_HEADERS], b2cl,
              rate_at=4),
        table("b2cs", "B2C small (7)", ["Supply type", "Place of supply", "Type", *TAX_HEADERS], b2cs, rate_at=3),
        table("nil", "Nil rated (8)", ["Supply type", "Nil rated", "Exempted", "Non-GST"], nil),
        table("cdnr", "Credit notes to registered buyers (9B)",
              ["Recipient GSTIN", "Note", "Date", "Note value", "Place of supply", *TAX_HEADERS], cdnr, rate_at=5),
        table("cdnur", "Credit notes to unregistered buyers (9B)",
              ["Type", "Note", "Date", "Note value", "Place of supply", *TAX_HEADERS], cdnur, rate_at=5),
        table("hsn_b2b", "HSN summary, B2B (12)", hsn_headers, hsn_rows("hsn_b2b"), rate_at=4),
        table("hsn_b2c", "HSN summary, B2C (12)", hsn_headers, hsn_rows("hsn_b2c"), rate_at=4),
        Table("doc_issue", "Documents issued (13)", ["Document", "From", "To", "Total", "Cancelled", "Net issued"],
              docs, doc_total),
    ]


# --------------------------------------------------------------------------- GSTR-3B


@dataclass
class Gstr3b:
    store: Store
    month: int
    year: int
    portal: dict[str, Any]
    tables: list[Table]

    @property
    def period(self) -> str:
        return fp(self.month, self.year)


def gstr3b(store: Store, month: int, year: int) -> Gstr3b:
    """GSTR-3B's outward figures for the month, net of its credit notes: 3.1(a) taxable outward supplies (taxable
    value and each tax), 3.1(c) nil-rated supplies, and 3.2 inter-state supplies to unregistered persons by place of
    supply (taxable value and IGST). Shaped as the portal's 3B JSON (`sup_details`, `inter_sup`)."""
    start, end = month_bounds(month, year)
    home = _store_state(store)
    taxed = dict.fromkeys(TAX_KEYS, ZERO)
    nil = ZERO
    unregistered: dict[str, dict[str, Decimal]] = {}
    documents = [(doc, 1) for doc in _invoices(store, start, end, home) if not doc.cancelled]
    documents += [(note, -1) for note in _credit_notes(store, start, end, home) if not note.cancelled]
    for doc, sign in documents:
        inter = bool(home) and doc.pos != home
        for line in doc.lines:
            if line.rate == 0:
                nil += sign * line.txval
                continue
            for name in ("txval", "iamt", "camt", "samt"):
                taxed[name] += sign * getattr(line, name)
            if inter and not doc.ctin:
                row = unregistered.setdefault(doc.pos, {"txval": ZERO, "iamt": ZERO})
                row["txval"] += sign * line.txval
                row["iamt"] += sign * line.iamt
    zero = dict.fromkeys(TAX_KEYS, ZERO)
    portal = {
        "gstin": store.gstin or "",
        "ret_period": fp(month, year),
        "sup_details": {
            "osup_det": taxed,
            "osup_zero": {"txval": ZERO, "iamt": ZERO, "csamt": ZERO},
            "osup_nil_exmp": {"txval": nil},
            "isup_rev": dict(zero),
            "osup_nongst": {"txval": ZERO},
        },
        "inter_sup": {
            "unreg_details": [{"pos": pos, **sums} for pos, sums in sorted(unregistered.items())],
            "comp_details": [],
            "uin_details": [],
        },
    }
    rows_31 = [
        ["(a) Outward taxable supplies (other than zero rated, nil rated and exempted)", taxed["txval"],
         taxed["iamt"], taxed["camt"], taxed["samt"], taxed["csamt"]],
        ["(b) Outward taxable supplies (zero rated)", ZERO, ZERO, None, None, ZERO],
        ["(c) Other outward supplies (nil rated, exempted)", nil, None, None, None, None],
        ["(d) Inward supplies (liable to reverse charge)", ZERO, ZERO, ZERO, ZERO, ZERO],
        ["(e) Non-GST outward supplies", ZERO, None, None, None, None],
    ]
    rows_32 = [[state(r["pos"]), r["txval"], r["iamt"]] for r in portal["inter_sup"]["unreg_details"]]
    tables = [
        Table("3.1", "3.1 Outward supplies and inward supplies liable to reverse charge",
              ["Nature of supplies", "Taxable value", "IGST", "CGST", "SGST", "Cess"], rows_31, _total(rows_31)),
        Table("3.2", "3.2 Inter-state supplies to unregistered persons",
              ["Place of supply", "Taxable value", "IGST"], rows_32, _total(rows_32) if rows_32 else None),
    ]
    return Gstr3b(store=store, month=month, year=year, portal=portal, tables=tables)


# --------------------------------------------------------------------------- downloads


def _cell(value: Any) -> Any:
    return neutralise(value)  # text that looks like a formula is written as text (services.catalog.exports)


def tables_csv(tables: list[Table]) -> str:
    """Every table one after another: its title, headers, rows, then its total row; a blank line between."""
    out = io.StringIO()
    writer = csv.writer(out)
    for table in tables:
        writer.writerow([table.title])
        writer.writerow(table.headers)
        for row in table.rows:
            writer.writerow(["" if v is None else _cell(v) for v in row])
        if table.total:
            writer.writerow(["" if v is None else _cell(v) for v in table.total])
        writer.writerow([])
    return out.getvalue()


def tables_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table (headers, rows, then the total row); amounts as number cells."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(re.sub(r"[^A-Za-z0-9 ._-]", "", table.key)[:31] or "Sheet")
        sheet.append([table.title])
        sheet.append(table.headers)
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
        if table.total:
            sheet.append([_cell(v) for v in table.total])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
