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
- the recipient is registered when the bill's snapshot of the buyer has a GSTIN (Bill.buyer_gstin, taken when the bill
  was saved, so a later change of the customer moves no invoice; else the GSTIN recorded on the bill, VAt_number):
  the bill goes to B2B under that GSTIN (`ctin`), its credit notes to CDNR;
- otherwise an INTER-state bill (place of supply not the store's state) whose invoice value is above the B2C large
  limit (Rs 1,00,000 for invoices from 1 August 2024, Rs 2,50,000 before) goes to B2CL by place of supply, and its
  credit notes to CDNUR (typ "B2CL");
- every other unregistered bill is B2C small: summed by supply type (INTRA/INTER), place of supply and rate, typ
  "OE"; credit notes against such bills reduce the same B2CS row (the portal has no note table for them);
- lines taxed at 0 % are nil-rated supplies (table 8, `nil`), not B2B/B2C rows; the invoice value stays whole.
- B2B, B2CL and note items are one item per tax rate (rate = CGST + SGST + IGST rate of the line), numbered from 1;
- the HSN summary (Table 12) has one row per HSN code, unit (UQC) and rate, split into `hsn_b2b` and `hsn_b2c` by
  the recipient, net of the month's credit notes; services carry UQC "NA" and quantity 0; `desc` is the
  alphabetically first line name under the row (cut to the portal's 30 characters);
- documents issued (Table 13): outward invoices (doc_num 1) per invoice series, credit notes (doc_num 5) per series:
  first and last number, total, cancelled and net issued.
Only the documents reported one by one (B2B, B2CL and their notes) are read line by line; B2C small lines are summed
in the database per place of supply, HSN, unit, kind and rate, and Table 13 is a GROUP BY per series, so a month
of many small bills costs a few grouped rows (indexes bill (store_id, invoice_date), credit_note (store_id,
note_date)).
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
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import and_, case, false, func, or_, select

from extensions import db
from models import Bill, BillItem, CreditNote, CreditNoteItem, Store
from services.accounts.gstin import STATE_NAMES
from services.billing.bills import store_state
from services.catalog.exports import neutralise
from services.errors import ValidationError
from services.reports.registers import money

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


def gst_date(day: date) -> str:
    return day.strftime("%d-%m-%Y")


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
    lines: list[Line] = field(default_factory=list)


def _store_state(store: Store) -> str:
    """The store's GST state (services.billing.bills.store_state, the billing rule); "" when it has none."""
    return store_state(store) or ""


class _Terms:
    """The classification as SQL expressions over Bill alone (its snapshot of the buyer, never the customer's record
    today), so every query draws the same lines."""

    def __init__(self, home: str):
        raw = func.upper(func.trim(func.coalesce(func.nullif(func.trim(Bill.buyer_gstin), ""), Bill.VAt_number, "")))
        self.ctin = case((func.length(raw) == 15, raw), else_="")
        self.pos = func.coalesce(func.nullif(Bill.place_of_supply, ""), home)
        inter = self.pos != home if home else false()
        limit = case((Bill.invoice_date < B2CL_LIMIT_CHANGE, B2CL_LIMIT_BEFORE), else_=B2CL_LIMIT)
        # Documents reported one by one: to registered buyers (B2B, CDNR), and B2C large (B2CL, CDNUR).
        self.invoice_wise = or_(self.ctin != "", and_(inter, Bill.total_amount > limit))


def _line(row) -> Line:
    rate = money((row.cgst_rate or ZERO) + (row.sgst_rate or ZERO) + (row.igst_rate or ZERO))
    return Line(hsn=(row.hsn_code or "").strip(), name=row.name or "", unit=row.unit or "",
                service=row.type != "product", qty=row.qty, rate=rate, txval=money(row.taxable_amount),
                iamt=money(row.igst_amount), camt=money(row.cgst_amount), samt=money(row.sgst_amount))


_LINE_COLUMNS = ("hsn_code", "name", "unit", "qty", "taxable_amount", "cgst_rate", "sgst_rate", "igst_rate",
                 "cgst_amount", "sgst_amount", "igst_amount")


def _invoices(store: Store, start: date, end: date, terms: _Terms) -> list[Document]:
    """The month's standing sales to registered buyers and B2C large ones, with their lines, in date and number
    order (one query)."""
    item = BillItem.__table__.c
    query = (
        select(Bill.id, Bill.invoice_number, Bill.invoice_date, Bill.total_amount, terms.pos.label("pos"),
               terms.ctin.label("ctin"), BillItem.type, *(item[name] for name in _LINE_COLUMNS))
        .select_from(Bill)
        .join(BillItem, BillItem.bill_id == Bill.id)
        .where(Bill.store_id == store.id, Bill.kind == "sale", Bill.invoice_date >= start, Bill.invoice_date < end,
               Bill.cancelled_at.is_(None), terms.invoice_wise)
        .order_by(Bill.invoice_date, Bill.invoice_number, Bill.id, BillItem.line_no)
    )
    documents: dict[int, Document] = {}
    for row in db.session.execute(query):
        doc = documents.get(row.id)
        if doc is None:
            doc = documents[row.id] = Document(number=row.invoice_number, day=row.invoice_date,
                                               value=money(row.total_amount), pos=row.pos, ctin=row.ctin)
        doc.lines.append(_line(row))
    return list(documents.values())


def _notes_query(store: Store, start: date, end: date, *columns):
    return (
        select(*columns)
        .select_from(CreditNote)
        .join(Bill, Bill.id == CreditNote.bill_id)
        .join(CreditNoteItem, CreditNoteItem.credit_note_id == CreditNote.id)
        .outerjoin(BillItem, BillItem.id == CreditNoteItem.bill_item_id)
        .where(CreditNote.store_id == store.id, CreditNote.note_date >= start, CreditNote.note_date < end,
               Bill.cancelled_at.is_(None))  # a bill cancelled after its return took its credit notes with it
    )


def _credit_notes(store: Store, start: date, end: date, terms: _Terms) -> list[Document]:
    """The month's credit notes against registered buyers' and B2C large bills, with their lines."""
    item = CreditNoteItem.__table__.c
    query = _notes_query(
        store, start, end, CreditNote.id, CreditNote.number, CreditNote.note_date, CreditNote.total_amount,
        terms.pos.label("pos"), terms.ctin.label("ctin"), BillItem.type, *(item[name] for name in _LINE_COLUMNS),
    ).where(terms.invoice_wise).order_by(CreditNote.note_date, CreditNote.number, CreditNote.id,
                                         CreditNoteItem.line_no)
    documents: dict[int, Document] = {}
    for row in db.session.execute(query):
        doc = documents.get(row.id)
        if doc is None:
            doc = documents[row.id] = Document(number=row.number, day=row.note_date, value=money(row.total_amount),
                                               pos=row.pos, ctin=row.ctin)
        doc.lines.append(_line(row))
    return list(documents.values())


def _small(store: Store, start: date, end: date, terms: _Terms, notes: bool) -> list[Document]:
    """The month's B2C small sales (or credit notes against them), their lines summed in the database per place of
    supply, HSN, unit, kind and rate: one document per place of supply standing for them all."""
    if notes:
        item = CreditNoteItem.__table__.c
        rate = item.cgst_rate + item.sgst_rate + item.igst_rate
        keys = (terms.pos, item.hsn_code, item.unit, BillItem.type, rate)
        query = _notes_query(store, start, end)
    else:
        item = BillItem.__table__.c
        rate = item.cgst_rate + item.sgst_rate + item.igst_rate
        keys = (terms.pos, item.hsn_code, item.unit, item.type, rate)
        query = (select().select_from(Bill).join(BillItem, BillItem.bill_id == Bill.id)
                 .where(Bill.store_id == store.id, Bill.kind == "sale", Bill.invoice_date >= start,
                        Bill.invoice_date < end, Bill.cancelled_at.is_(None)))
    query = query.add_columns(
        terms.pos.label("pos"), item.hsn_code, item.unit, keys[3].label("type"), rate.label("rate"),
        func.min(item.name).label("name"), *(func.sum(item[name]).label(name) for name in (
            "qty", "taxable_amount", "cgst_amount", "sgst_amount", "igst_amount")),
    ).where(~terms.invoice_wise).group_by(*keys)
    documents: dict[str, Document] = {}
    for row in db.session.execute(query):
        doc = documents.setdefault(row.pos, Document(number="", day=start, value=ZERO, pos=row.pos, ctin=""))
        doc.lines.append(Line(
            hsn=(row.hsn_code or "").strip(), name=row.name or "", unit=row.unit or "", service=row.type != "product",
            qty=Decimal(str(row.qty or 0)), rate=money(row.rate), txval=money(row.taxable_amount),
            iamt=money(row.igst_amount), camt=money(row.cgst_amount), samt=money(row.sgst_amount)))
    return list(documents.values())


def _issued(store: Store, start: date, end: date, notes: bool) -> list[dict[str, Any]]:
    """Table 13 ranges: per series (and financial year) the first and last number, how many, how many cancelled."""
    model = CreditNote if notes else Bill
    number = CreditNote.number if notes else Bill.invoice_number
    when = CreditNote.note_date if notes else Bill.invoice_date
    cancelled = func.sum(case((Bill.cancelled_at.isnot(None), 1), else_=0))
    query = (select(model.series, model.fy, func.count(), cancelled, func.min(model.seq), func.max(model.seq),
                    func.min(number), func.max(number))
             .where(model.store_id == store.id, when >= start, when < end)
             .group_by(model.series, model.fy))
    if notes:
        query = query.select_from(CreditNote).join(Bill, Bill.id == CreditNote.bill_id)
    else:
        query = query.where(Bill.kind == "sale")
    ranges = []
    for series, fy, total, cancel, first_seq, last_seq, first, last in sorted(
            db.session.execute(query), key=lambda r: (r[0] or "", r[1] or 0)):
        if series is not None and first_seq is not None:  # numbered by the app: first and last by sequence
            found = dict(db.session.execute(select(model.seq, number).where(
                model.store_id == store.id, model.series == series, model.fy == fy,
                model.seq.in_((first_seq, last_seq)))).all())
            first, last = found[first_seq], found[last_seq]
        ranges.append({"num": len(ranges) + 1, "from": first, "to": last, "totnum": total, "cancel": int(cancel or 0),
                       "net_issue": total - int(cancel or 0)})
    return ranges


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
        self.issued: dict[int, list[dict[str, Any]]] = {}
        self.missing_hsn = 0

    def supply_type(self, doc: Document) -> str:
        return "INTRA" if not self.home or doc.pos == self.home else "INTER"

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
            desc = line.name[:DESCRIPTION_LENGTH].strip()
            if row is None:
                row = self.hsn[key] = {"desc": desc, "qty": Decimal(0), **dict.fromkeys(TAX_KEYS, ZERO)}
            row["desc"] = min(row["desc"], desc)  # the first name in alphabetical order, whatever the order read
            if not line.service:
                row["qty"] += sign * line.qty
            for name in ("txval", "iamt", "camt", "samt"):
                row[name] += sign * getattr(line, name)

    def small(self, doc: Document, sign: int) -> None:
        """B2C small sales (sign 1) or credit notes against them (-1): B2CS, nil rated and HSN."""
        self.add_nil(doc, sign)
        self.add_hsn(doc, sign)
        self.add_b2cs(doc, sign)

    def invoice(self, doc: Document) -> None:
        """A sale reported invoice-wise: to a registered buyer (B2B), else B2C large."""
        self.add_nil(doc, 1)
        self.add_hsn(doc, 1)
        if doc.ctin:
            items = _by_rate(doc.lines, B2B_ITEM)
            if items:
                self.b2b[doc.ctin].append({"inum": doc.number, "idt": gst_date(doc.day), "val": doc.value,
                                           "pos": doc.pos, "rchrg": "N", "inv_typ": "R", "itms": items})
        else:
            items = _by_rate(doc.lines, IGST_ITEM)
            if items:
                self.b2cl[doc.pos].append({"inum": doc.number, "idt": gst_date(doc.day), "val": doc.value,
                                           "itms": items})

    def credit_note(self, note: Document) -> None:
        """A credit note against a registered buyer's bill (CDNR) or a B2C large one (CDNUR)."""
        self.add_nil(note, -1)
        self.add_hsn(note, -1)
        if note.ctin:
            items = _by_rate(note.lines, B2B_ITEM)
            if items:
                self.cdnr[note.ctin].append({"ntty": "C", "nt_num": note.number, "nt_dt": gst_date(note.day),
                                             "val": note.value, "pos": note.pos, "rchrg": "N", "inv_typ": "R",
                                             "itms": items})
        else:
            items = _by_rate(note.lines, IGST_ITEM)
            if items:
                self.cdnur.append({"typ": "B2CL", "ntty": "C", "nt_num": note.number, "nt_dt": gst_date(note.day),
                                   "val": note.value, "pos": note.pos, "itms": items})

    def doc_issue(self) -> dict[str, Any]:
        details = [{"doc_num": doc_num, "docs": ranges} for doc_num, ranges in sorted(self.issued.items()) if ranges]
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
    terms = _Terms(home)
    builder = _Builder(home)
    for doc in _invoices(store, start, end, terms):
        builder.invoice(doc)
    for doc in _small(store, start, end, terms, notes=False):
        builder.small(doc, 1)
    for note in _credit_notes(store, start, end, terms):
        builder.credit_note(note)
    for note in _small(store, start, end, terms, notes=True):
        builder.small(note, -1)
    builder.issued = {OUTWARD_INVOICES: _issued(store, start, end, notes=False),
                      CREDIT_NOTES: _issued(store, start, end, notes=True)}
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
    terms = _Terms(home)
    documents = [(doc, 1) for doc in _invoices(store, start, end, terms) + _small(store, start, end, terms, False)]
    documents += [(note, -1) for note in _credit_notes(store, start, end, terms) + _small(store, start, end, terms,
                                                                                          True)]
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
