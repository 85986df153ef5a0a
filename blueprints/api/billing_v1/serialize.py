"""Billing v1 responses: bills, bill rows, catalogue items, customers and store settings with explicit field lists."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import select

from blueprints.api.billing_v1.returns import credit_note_summary_v1
from extensions import db
from models import Bill, Customer, HeldBill, Product, Staff, Store
from services.accounts.billing_options import billing_options
from services.billing.pricing import ZERO, money
from services.billing.returns import credit_notes_of
from services.catalog.units import qty_out
from services.formatting import iso_z
from services.paging import Page


def catalog_item_v1(product: Product) -> dict[str, Any]:
    return {
        "id": product.uid,
        "type": product.type,
        "name": product.product_name,
        "price": product.unit_price,
        "cgst": product.cgst_rate,
        "sgst": product.sgst_rate,
        "stock": qty_out(product.quantity) if product.tracks_stock else None,
        "sku": product.sku,
        "barcode": product.barcode,
        # Indian retail extensions (issue 11)
        "unit": product.unit,
        "price_includes_tax": product.price_includes_tax,
    }


def customer_v1(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.party.uid,
        "name": customer.name,
        "phoneNumber": customer.phone_no,
        "email": customer.email,
        "address": customer.address,
        # Indian retail extensions (issue 11): a B2B buyer's registration
        "gstin": customer.gstin,
        "legal_name": customer.legal_name,
    }


def _staff_uids(bill: Bill) -> dict[int, str]:
    ids = {item.staff_id for item in bill.items if item.staff_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Staff.id, Staff.uid).where(Staff.id.in_(ids))).all())


def bill_v1(bill: Bill) -> dict[str, Any]:
    """A saved bill as Billing v1 returns it (save response and GET .../bills/<billId>)."""
    party = bill.party
    customer = party.customer if party is not None else None
    staff = _staff_uids(bill)
    data = {
        "bill_id": bill.uid,
        "invoice_number": bill.invoice_number,
        "created_at": iso_z(bill.created_at),
        "customer": None if party is None else {
            "id": party.uid,
            "name": customer.name if customer else bill.customer_name,
            "phoneNumber": customer.phone_no if customer else bill.phone,
            "address": customer.address if customer else bill.address,
        },
        "items": [
            {
                "line_no": item.line_no,
                "type": item.type,
                "id": item.product.uid if item.product is not None else None,
                "name": item.name,
                "staff_id": staff.get(item.staff_id),
                "qty": qty_out(item.qty),
                "discount_type": item.discount_type,
                "discount_value": item.discount_value,
                "cgst_rate": item.cgst_rate,
                "sgst_rate": item.sgst_rate,
                "cgst_amount": item.cgst_amount,
                "sgst_amount": item.sgst_amount,
                "base_amount": item.base_amount,
                "discount_amount": item.discount_amount,
                "line_total": item.line_total,
                # Indian retail extensions (issue 11): cgst/sgst rates are those charged (0 on an IGST bill)
                "igst_rate": item.igst_rate,
                "igst_amount": item.igst_amount,
                "taxable_amount": item.taxable_amount,
                "unit": item.unit,
                "price_includes_tax": item.price_includes_tax,
                # Salon extension (issue 16): the part of discount_amount that is the membership discount
                "membership_discount": money(Decimal(item.membership_discount or 0)),
            }
            for item in bill.items
        ],
        "totals": {
            "sub_total": bill.sub_total,
            "discount": bill.discount,
            "tax_amount": bill.tax,
            "cgst_amount": bill.cgst_amount,
            "sgst_amount": bill.sgst_amount,
            "grand_total": bill.total_amount,
            "paid": bill.paid_amount,
            "dues": bill.due_amount,
            # Indian retail extensions (issue 11)
            "igst_amount": bill.igst_amount,
            "round_off": bill.round_off,
            "taxable_amount": sum((item.taxable_amount for item in bill.items), ZERO),
            "place_of_supply": bill.place_of_supply,
        },
        "payments": [
            {"mode": p.mode, "amount": p.amount, "reference": p.reference, "timestamp": iso_z(p.timestamp)}
            for p in bill.payments
        ],
        "status": bill.status,
        "coupon_codes": bill.coupon_codes or [],
        "referral_code": bill.referral_code,
        "cancelled_at": iso_z(bill.cancelled_at),
    }
    # Returns (extension): the bill's credit notes, and what they credited and paid back.
    data["credit_notes"] = [credit_note_summary_v1(note) for note in credit_notes_of(bill)]
    data["totals"].update(credited=bill.credited_amount, refunded=bill.refunded_amount)
    return data


def bill_summary_v1(bill: Bill) -> dict[str, Any]:
    """One row of GET .../bills."""
    return {
        "bill_id": bill.uid,
        "invoice_number": bill.invoice_number,
        "created_at": iso_z(bill.created_at),
        "customer_name": bill.customer_name,
        "customer_phone": bill.phone,
        "grand_total": bill.total_amount,
        "paid": bill.paid_amount,
        "dues": bill.due_amount,
        "status": bill.status,
    }


def held_summary_v1(held: HeldBill) -> dict[str, Any]:
    return {"held_id": held.uid, "created_at": iso_z(held.created_at), "customer_summary": held.customer_summary,
            "amount_estimate": held.amount_estimate}


def page_v1(found: Page, serialize: Callable[[Any], dict[str, Any]], key: str = "items",
            capped: bool = False) -> dict[str, Any]:
    """One page of a Billing v1 list: its rows under `key`, then page, limit and total. A list counted up to a cap
    (`capped`: the bills) also says whether `total` is exact (extension `total_exact`; False: at least that many)."""
    data = {key: [serialize(row) for row in found.items], "page": found.page, "limit": found.limit,
            "total": found.total}
    if capped:
        data["total_exact"] = found.total_exact
    return data


def store_v1(store: Store) -> dict[str, Any]:
    """A store's settings as GET/PATCH /api/v1/stores/<storeId> answer them (id and business_kind read-only)."""
    options = billing_options(store)
    return {
        "id": store.uid,
        "name": store.name,
        "address": store.address,
        "phone": store.phone,
        "gstin": store.gstin,
        "state_code": store.state_code,
        "upi_id": store.upi_id,
        "invoice_prefix": store.invoice_prefix,
        "business_kind": store.business_kind,
        "prices_include_tax": options.prices_include_tax,
        "round_off": options.round_off,
        "bill_discount_before_tax": options.bill_discount_before_tax,
        "print_receipt_after_save": options.print_receipt_after_save,
        "hallmark_mandatory": options.hallmark_mandatory,
        "scale_barcode": options.scale_barcode.as_json() if options.scale_barcode else None,
    }
