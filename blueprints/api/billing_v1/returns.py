"""Billing v1 returns (extension): the body of POST .../bills/<billId>/returns into a ReturnDraft, and a credit note
as the response's `data`.

Body: {"items": [{"line_no": 1, "qty": 1}], "refund_mode": "cash", "reason": "..."}; unknown fields and bad types
are a 400 keyed by request path ("items[0].qty"), every problem at once. Domain rules (what is left to return, the
units rule, the refund mode being needed) are services.billing.returns's.
"""
from __future__ import annotations

from typing import Any

from models import CreditNote
from services.billing.fields import MISSING, parse_decimal, parse_int, parse_string
from services.billing.returns import REASON_LENGTH, ReturnDraft, ReturnLine, membership_discounts_returned
from services.catalog.units import qty_out
from services.errors import FieldErrors
from services.formatting import iso_z
from services.vocabulary import REFUND_MODES

FIELDS = ("items", "refund_mode", "reason")
ITEM_FIELDS = ("line_no", "qty")


def _unknown(data: dict, allowed: tuple[str, ...], prefix: str, errors: FieldErrors) -> None:
    for key in data:
        if key not in allowed:
            errors.add(f"{prefix}{key}", "Unknown field; expected one of: " + ", ".join(allowed))


def _lines(raw: Any, errors: FieldErrors) -> list[ReturnLine]:
    if raw is MISSING or raw is None:
        errors.add("items", "This field is required")
        return []
    if not isinstance(raw, list) or not raw:
        errors.add("items", "Must be a non-empty list of lines")
        return []
    lines = []
    for index, entry in enumerate(raw):
        where = f"items[{index}]"
        if not isinstance(entry, dict):
            errors.add(where, "Must be an object")
            continue
        before = len(errors)
        _unknown(entry, ITEM_FIELDS, f"{where}.", errors)
        line_no = parse_int(entry.get("line_no", MISSING), f"{where}.line_no", errors)
        if line_no is not None and line_no < 1:
            errors.add(f"{where}.line_no", "Must be at least 1")
        qty = parse_decimal(entry.get("qty", MISSING), f"{where}.qty", errors, places=3)
        if qty is not None and qty <= 0:
            errors.add(f"{where}.qty", "Must be greater than 0")
        if len(errors) == before:
            lines.append(ReturnLine(line_no=line_no, qty=int(qty) if qty == qty.to_integral_value() else qty,
                                    field=where))
    return lines


def parse_return_payload(payload: dict) -> ReturnDraft:
    """A ReturnDraft from the JSON body, or ValidationError naming every bad field."""
    errors = FieldErrors()
    _unknown(payload, FIELDS, "", errors)
    lines = _lines(payload.get("items", MISSING), errors)
    mode = payload.get("refund_mode")
    if mode is not None and mode not in REFUND_MODES:
        errors.add("refund_mode", "Must be one of: " + ", ".join(REFUND_MODES))
    reason = parse_string(payload.get("reason"), "reason", errors, max_length=REASON_LENGTH)
    errors.raise_if()
    return ReturnDraft(lines=lines, refund_mode=mode, reason=reason)


def credit_note_v1(note: CreditNote) -> dict[str, Any]:
    """A credit note as POST .../returns answers it."""
    bill = note.bill
    membership = membership_discounts_returned(note)
    return {
        "credit_note_id": note.uid,
        "number": note.number,
        "bill_id": bill.uid,
        "invoice_number": bill.invoice_number,
        "created_at": iso_z(note.created_at),
        "note_date": note.note_date.isoformat(),
        "reason": note.reason,
        "refund_mode": note.refund_mode,
        "items": [
            {
                "line_no": item.line_no,
                "name": item.name,
                "qty": qty_out(item.qty),
                "unit": item.unit,
                "rate": item.rate,
                "taxable_amount": item.taxable_amount,
                "cgst_rate": item.cgst_rate,
                "cgst_amount": item.cgst_amount,
                "sgst_rate": item.sgst_rate,
                "sgst_amount": item.sgst_amount,
                "igst_rate": item.igst_rate,
                "igst_amount": item.igst_amount,
                "line_total": item.line_total,
                # Salon extension (issue 16): the returned units' part of the line's membership discount
                "membership_discount": membership[item.id],
            }
            for item in note.items
        ],
        "totals": {
            "sub_total": note.sub_total,
            "discount": note.discount,
            "taxable_amount": note.taxable_amount,
            "cgst_amount": note.cgst_amount,
            "sgst_amount": note.sgst_amount,
            "igst_amount": note.igst_amount,
            "tax_amount": note.tax,
            "round_off": note.round_off,
            "grand_total": note.total_amount,
            "refund_amount": note.refund_amount,
            "dues_reduced": note.dues_reduced,
        },
        "bill": {"status": bill.status, "dues": bill.due_amount, "credited": bill.credited_amount,
                 "refunded": bill.refunded_amount},
    }


def credit_note_summary_v1(note: CreditNote) -> dict[str, Any]:
    """One of a bill's credit notes in the bill detail."""
    return {"id": note.uid, "number": note.number, "grand_total": note.total_amount,
            "created_at": iso_z(note.created_at)}
