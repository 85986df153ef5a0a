"""The jewellery contract's shapes, field by field (money and weights as strings, dates ISO)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Optional

from blueprints.api.common import money_str
from blueprints.api.jewellery.parse import DISPLAY_FLAGS
from models import Bill, BillItem, MetalRate, Product
from services.documents.invoices import piece_display_settings
from services.jewellery import interest
from services.jewellery.rates import RateBoardRow


def board_row_json(row: RateBoardRow) -> dict:
    quote = row.quote
    return {
        "metal": row.metal,
        "purity": row.purity,
        "fineness": row.fineness,
        "price_per_gram": f"{quote.price_per_gram:.2f}" if quote else None,
        "rate_date": quote.date.isoformat() if quote else None,
        "derived_from": quote.derived_from if quote else None,
    }


def rate_json(rate: MetalRate) -> dict:
    return {
        "date": rate.date.isoformat(),
        "metal": rate.metal,
        "purity": rate.purity_label,
        "price_per_gram": f"{rate.price_per_gram:.2f}",
    }


# --------------------------------------------------------------------------- pieces and invoices

MAKING_LABELS = {"PG": "Per Gram (PG)", "PP": "Per Piece (PP)", "PC": "Percent of metal value (PC)"}
INVOICE_TYPES = {"sale": "1", "purchase": "2"}


def weight(value: Optional[Decimal]) -> Optional[str]:
    """A weight as the contract writes it: a string with 3 decimals."""
    return None if value is None else f"{Decimal(value).quantize(Decimal('0.001')):f}"


def pct(value: Optional[Decimal]) -> Optional[str]:
    return money_str(value)


def _iso(value: Optional[datetime | date]) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value.isoformat()


def _image(value: Optional[dict]) -> Optional[dict]:
    return {"uri": value.get("uri"), "fileName": value.get("fileName"), "mimeType": value.get("mimeType")} \
        if value else None


def _hsn(piece: Product) -> Optional[dict]:
    if piece.hsn:
        return piece.hsn
    return {"value": piece.hsn_code, "label": piece.hsn_code, "variation": []} if piece.hsn_code else None


def _payments(bill: Optional[Bill], today: date) -> tuple[Optional[interest.Statement], list[dict]]:
    if bill is None:
        return None, []
    result = interest.bill_statement(bill, today)
    return result, [{"amount": money_str(r.amount), "date": r.date.isoformat(),
                     "interest_paid": money_str(r.interest_paid), "remaining_balance": money_str(r.remaining_balance)}
                    for r in result.rows]


def piece_json(piece: Product, bill: Optional[Bill], today: date) -> dict:
    """The contract's product-detail data: the piece, and the interest and payments of the bill that sold (or
    bought) it (else the interest terms kept on the piece). Extensions: metal, purity, stones, hallmark_fee,
    quantity, invoice_id, remaining_balance."""
    attrs = piece.attributes or {}
    terms = (bill.interest_terms if bill is not None else None) or attrs.get("interest_terms") or {}
    statement, history = _payments(bill, today)
    kind = terms.get("interest_type") or "1"
    return {
        "id": str(piece.id), "type": piece.trade_type or "sale", "name": piece.product_name, "huid": piece.huid,
        "hsn_id": _hsn(piece), "size": piece.size, "remark": piece.remark, "comment": piece.comment,
        "image": _image(piece.image), "additional_image": _image(piece.additional_image),
        "gross_weight": weight(piece.gross_weight), "less_weight": weight(piece.less_weight),
        "net_weight": weight(piece.net_weight), "wastage": pct(piece.wastage), "tounch": pct(piece.tounch),
        "fine_weight": weight(piece.fine_weight), "rate": piece.rate,
        "making_type": {"label": MAKING_LABELS.get(piece.making_type or "PG"), "value": piece.making_type or "PG"},
        "making_charge": money_str(piece.making_charge), "metal_value": money_str(piece.metal_value),
        "cutting_enabled": bool(piece.cutting_enabled),
        "interest_enabled": bool(terms.get("interest_enabled")),
        "interest_type": {"label": interest.KIND_LABELS.get(kind, "Flat"), "value": kind},
        "interest_rate": terms.get("interest_rate"),
        "interest_amount": money_str(statement.interest_total) if statement is not None else None,
        "bill_date": terms.get("bill_date") or (bill.invoice_date.isoformat() if bill and bill.invoice_date else None),
        "payment_date": terms.get("payment_date") or (_iso(bill.payment_timestamp) if bill else None),
        "interest_start_date": terms.get("interest_start_date"),
        "grace_period_enabled": bool(terms.get("grace_period_enabled")),
        "grace_period_days": str(terms.get("grace_period_days") or 0),
        "interest_notes": terms.get("interest_notes"),
        "charges_json": piece.charges_json or [], "tax_json": piece.tax_json or [],
        "custom_fields": piece.custom_fields or [],
        "bill_display_settings": piece_display_settings(piece, DISPLAY_FLAGS),
        "payment_history": history,
        "metal": attrs.get("metal"), "purity": attrs.get("purity"),
        "stones": attrs.get("stones") or [], "hallmark_fee": attrs.get("hallmark_fee") or "0.00",
        "quantity": f"{Decimal(piece.quantity).normalize():f}",
        "invoice_id": str(bill.id) if bill is not None else None,
        "remaining_balance": money_str(statement.balance) if statement is not None else None,
    }


def remaining(bill: Bill) -> str:
    """The contract's `total`, the remaining balance: the bill's dues, and with interest on credit the balance of
    principal and interest due today (the figure product-detail-by-id and record_payment's limit use)."""
    owing = interest.owed(bill) if bill.cancelled_at is None else None
    return money_str(owing.balance if owing is not None else bill.due_amount)


def _item_json(item: BillItem) -> dict:
    piece = item.product
    return {
        "product_id": item.product_id,
        "product": {"name": item.name, "huid": item.huid, "hsn_id": item.hsn_code},
        "gross_weight": weight(item.gross_weight), "net_weight": weight(item.net_weight),
        "fine_weight": weight(item.fine_weight), "tounch": pct(item.tounch), "wastage": pct(item.wastage),
        "net_price": money_str(item.taxable_amount), "making_type": item.making_type,
        "making_charge": money_str(item.making_charge),
        "rate": {"price": money_str(item.metal_rate)},
        "size": item.size, "show_size_in_bill": bool(item.show_size_in_bill),
        "line_total": money_str(item.line_total),
        "in_stock": None if piece is None else piece.quantity > 0,
    }


def invoice_json(bill: Bill) -> dict:
    """An invoice as get-invoice-home shows it. Extensions: invoice_number, status, tax, additional_charges,
    total (the remaining balance), interest_terms."""
    return {
        "id": str(bill.id), "invoice_type": INVOICE_TYPES.get(bill.kind, "1"),
        "user_contact_id": str(bill.party_id) if bill.party_id is not None else None,
        "customer_name": bill.customer_name, "payment_date": _iso(bill.payment_timestamp),
        "bill_total": money_str(bill.total_amount), "amount_paid": money_str(bill.paid_amount),
        "items": [_item_json(item) for item in bill.items],
        "created_at": _iso(bill.created_at), "updated_at": _iso(bill.updated_at),
        "invoice_number": bill.invoice_number, "status": "cancelled" if bill.cancelled_at else bill.status,
        "tax": money_str(bill.tax), "additional_charges": money_str(bill.additional_charges),
        "total": remaining(bill), "interest_terms": bill.interest_terms,
    }


def history_json(bill: Bill) -> dict:
    """An invoice as user-contact-invoice-history shows it. Extensions: invoice_number, total."""
    return {
        "id": str(bill.id), "invoice_type": INVOICE_TYPES.get(bill.kind, "1"),
        "payment_date": _iso(bill.payment_timestamp), "bill_total": money_str(bill.total_amount),
        "amount_paid": money_str(bill.paid_amount), "created_at": _iso(bill.created_at),
        "invoice_number": bill.invoice_number, "total": remaining(bill),
    }
