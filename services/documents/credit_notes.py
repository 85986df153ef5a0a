"""The credit note document (GST rule 53): a return against a sale, as a PDF made with the invoice's machinery
(services.documents.invoices: the supplier and recipient blocks, the resource rules of the renderer, xhtml2pdf).

Rule 53 fields: the supplier's name, address and GSTIN; the note's number (CN series, consecutive per financial
year) and date; the original invoice's number and date; the recipient's name and address, and GSTIN when registered;
the place of supply; per line the HSN, quantity, taxable value, rates and amounts of CGST and SGST (or IGST); the
total; the signature of the supplier.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from models import CreditNote
from services.billing.bills import store_state
from services.billing.pricing import money
from services.catalog.units import qty_out
from services.documents.invoices import (
    PartyBlock,
    RenderedPdf,
    _counterparty_block,
    _render,
    _store_block,
    document_filename,
    render_paged,
    state_label,
)
from services.formatting import amount_in_words, local_time
from services.vocabulary import payment_mode_label


@dataclass(frozen=True)
class CreditNoteLine:
    line_no: int
    name: str
    hsn_code: str
    qty: object
    unit: str
    rate: Decimal
    taxable: Decimal
    cgst_rate: Decimal
    cgst_amount: Decimal
    sgst_rate: Decimal
    sgst_amount: Decimal
    igst_rate: Decimal
    igst_amount: Decimal
    line_total: Decimal


@dataclass
class CreditNoteDocument:
    note: CreditNote
    title: str
    number: str
    date: str
    invoice_number: str
    invoice_date: str
    seller: PartyBlock
    buyer: PartyBlock
    place_of_supply: str
    lines: list[CreditNoteLine]
    igst: bool  # print IGST columns instead of CGST and SGST
    taxable_total: Decimal
    cgst_total: Decimal
    sgst_total: Decimal
    igst_total: Decimal
    sub_total: Decimal
    discount: Decimal
    round_off: Decimal
    grand_total: Decimal
    dues_reduced: Decimal
    refund: Decimal
    refund_mode: str
    reason: str
    words: str


def credit_note_document(note: CreditNote) -> CreditNoteDocument:
    """The printable view of a credit note: parties, the original invoice, lines, taxes and how it was settled."""
    bill, store = note.bill, note.store
    lines = [
        CreditNoteLine(
            line_no=item.line_no, name=item.name, hsn_code=item.hsn_code or "", qty=qty_out(item.qty),
            unit=item.unit or "", rate=money(item.rate), taxable=money(item.taxable_amount),
            cgst_rate=Decimal(item.cgst_rate), cgst_amount=money(item.cgst_amount),
            sgst_rate=Decimal(item.sgst_rate), sgst_amount=money(item.sgst_amount),
            igst_rate=Decimal(item.igst_rate), igst_amount=money(item.igst_amount), line_total=money(item.line_total),
        )
        for item in note.items
    ]
    pos_code = bill.place_of_supply or store_state(store)
    invoice_day = bill.invoice_date.strftime("%d %b %Y") if bill.invoice_date else local_time(
        bill.billing_timestamp or bill.created_at, store.zone.key, "%d %b %Y")
    return CreditNoteDocument(
        note=note, title="Credit Note", number=note.number, date=note.note_date.strftime("%d %b %Y"),
        invoice_number=bill.invoice_number, invoice_date=invoice_day,
        seller=_store_block(store), buyer=_counterparty_block(bill), place_of_supply=state_label(pos_code),
        lines=lines, igst=any(line.igst_amount or line.igst_rate for line in lines),
        taxable_total=money(note.taxable_amount), cgst_total=money(note.cgst_amount),
        sgst_total=money(note.sgst_amount), igst_total=money(note.igst_amount), sub_total=money(note.sub_total),
        discount=money(note.discount), round_off=money(note.round_off), grand_total=money(note.total_amount),
        dues_reduced=money(note.dues_reduced), refund=money(note.refund_amount),
        refund_mode=payment_mode_label(note.refund_mode) if note.refund_amount else "",
        reason=note.reason or "", words=amount_in_words(note.total_amount),
    )


def render_credit_note_html(note: CreditNote) -> str:
    return _render("pdf/credit_note.html", doc=credit_note_document(note), for_pdf=True)


def render_credit_note_pdf(note: CreditNote) -> RenderedPdf:
    """The credit note as A4 PDF bytes ("Page n of N" in one pass when it can: render_paged); DocumentError if
    xhtml2pdf reports an error."""
    doc = credit_note_document(note)
    return render_paged(lambda pages: _render("pdf/credit_note.html", doc=doc, for_pdf=True, page_count=pages),
                        note.store, "credit note", note.number, ("credit note", False), len(doc.lines))


def credit_note_filename(note: CreditNote) -> str:
    return document_filename(note.number, "credit-note")
