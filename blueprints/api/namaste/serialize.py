"""NamastePMS responses: each record with the contract's explicit field list and its ways of writing values."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from blueprints.api.common import money_str
from blueprints.api.namaste.bills import invoice_status
from models import Bill, BillItem, Category, Customer, Expense, Party, PaymentMethod, Product, Supplier
from services.catalog.units import qty_out


def drf_datetime(value: Optional[datetime]) -> Optional[str]:
    """ISO 8601 as DRF writes it: UTC with a Z, microseconds only when there are some."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def product_json(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "user": product.user_id,
        "product_name": product.product_name,
        "category": product.category_id,
        "product_Img": product.product_Img,
        "unit_price": money_str(product.unit_price),
        "quantity": qty_out(product.quantity),
        "description": product.description,
        "uid": product.uid,
        "type": product.type,
        "sku": product.sku,
        "barcode": product.barcode,
        "hsn_code": product.hsn_code,
        "cgst_rate": money_str(product.cgst_rate),
        "sgst_rate": money_str(product.sgst_rate),
        "low_stock_threshold": product.low_stock_threshold,
        "unit": product.unit,
        "price_includes_tax": product.price_includes_tax,
    }


def party_json(party: Party) -> dict[str, Any]:
    return {
        "id": party.id,
        "Category_type": party.Category_type,
        "is_active": party.is_active,
        "is_updated_at": drf_datetime(party.is_updated_at),
    }


def party_detail_json(party: Party) -> dict[str, Any]:
    body = party_json(party)
    if party.customer is not None:
        body["customer"] = customer_json(party.customer)
    if party.supplier is not None:
        body["supplier"] = supplier_json(party.supplier)
    return body


def customer_json(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "party": customer.party_id,
        "name": customer.name,
        "email": customer.email,
        "phone_no": customer.phone_no,
        "Customer_code": customer.Customer_code,
        "address": customer.address,
        "open_balance": money_str(customer.open_balance),
        "credit_limmit": money_str(customer.credit_limmit),
        "payment_method": customer.payment_method_id,
        "loyalty_points": customer.loyalty_points,
        "referred_by": customer.referred_by,
        "notes": customer.notes,
        "gender": customer.gender,
        "gstin": customer.gstin,
        "legal_name": customer.legal_name,
    }


def supplier_json(supplier: Supplier) -> dict[str, Any]:
    return {
        "id": supplier.id,
        "party": supplier.party_id,
        "name": supplier.name,
        "code": supplier.code,
        "phone_no": supplier.phone_no,
        "email": supplier.email,
        "gstin": supplier.gstin,
        "address": supplier.address,
    }


def expense_json(expense: Expense) -> dict[str, Any]:
    return {
        "id": expense.id,
        "user": expense.user_id,
        "amount": money_str(expense.amount),
        "description": expense.description,
        "date": expense.date.isoformat(),
        "category": expense.category,
        "is_necessary": expense.is_necessary,
    }


def bill_json(bill: Bill) -> dict[str, Any]:
    return {
        "id": bill.id,
        "user": bill.user_id,
        "invoice_number": bill.invoice_number,
        "invoice_date": bill.invoice_date.isoformat() if bill.invoice_date else None,
        "due_date": bill.due_date.isoformat() if bill.due_date else None,
        "payment_method": bill.payment_method_id,
        "invoice_status": invoice_status(bill),
        "party": bill.party_id,
        "phone": bill.phone,
        "VAt_number": bill.VAt_number,
        "address": bill.address,
        "notes": bill.notes,
        "paid_amount": money_str(bill.paid_amount),
        "due_amount": money_str(bill.due_amount),
        "total_amount": money_str(bill.total_amount),
        "discount": money_str(bill.discount),
        "tax": money_str(bill.tax),
        "sub_total": money_str(bill.sub_total),
        "uid": bill.uid,
        "status": bill.status,
        "items": [bill_item_json(item) for item in bill.items],
    }


def bill_item_json(item: BillItem) -> dict[str, Any]:
    return {"id": item.id, "billing": item.bill_id, "item": item.product_id, "quantity": qty_out(item.qty),
            "rate": money_str(item.rate)}


def category_json(category: Category) -> dict[str, Any]:
    return {"id": category.id, "name": category.name}


def payment_method_json(method: PaymentMethod) -> dict[str, Any]:
    return {"id": method.id, "name": method.name}


