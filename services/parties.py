"""Customers and suppliers of a store. Every surface that creates or finds a customer comes here."""
from __future__ import annotations

import re
from typing import Any, Optional

from extensions import db
from models import Customer, Party, Store
from services.errors import ValidationError

E164 = re.compile(r"^\+[1-9]\d{7,14}$")


class DuplicateCustomer(ValidationError):
    """A customer with the same email, phone or code already exists; `existing` is that party."""

    def __init__(self, message: str, existing: Party, field: str):
        super().__init__(message, {field: [message]})
        self.existing = existing
        self.field = field


def find_customer_by_phone(store: Store, phone_no: str) -> Optional[Party]:
    return db.session.execute(
        db.select(Party).join(Customer).where(Customer.store_id == store.id, Customer.phone_no == phone_no)
    ).scalar_one_or_none()


def _existing_customer(store: Store, field: str, value: Optional[str], exclude_party_id: Optional[int] = None):
    if not value:
        return None
    query = db.select(Party).join(Customer).where(Customer.store_id == store.id, getattr(Customer, field) == value)
    if exclude_party_id is not None:
        query = query.where(Party.id != exclude_party_id)
    return db.session.execute(query).scalar_one_or_none()


def check_customer_unique(store: Store, fields: dict[str, Any], exclude_party_id: Optional[int] = None) -> None:
    """Raise DuplicateCustomer with the contract's words if email, phone or code is taken in this store."""
    checks = (
        ("email", "A customer with this email already exists."),
        ("phone_no", "A customer with this phone number already exists."),
        ("Customer_code", "A customer with this code already exists."),
    )
    for field, message in checks:
        existing = _existing_customer(store, field, fields.get(field), exclude_party_id)
        if existing is not None:
            raise DuplicateCustomer(message, existing, field)


def create_customer(store: Store, name: str, **fields: Any) -> Party:
    """A new Customer party of the store (flushes). Fields are Customer columns: phone_no, email, ..."""
    if not name or not str(name).strip():
        raise ValidationError.field("name", "This field may not be blank.")
    check_customer_unique(store, fields)
    party = Party(store_id=store.id, Category_type="Customer", is_active=fields.pop("is_active", True))
    party.customer = Customer(store_id=store.id, name=str(name).strip(), **fields)
    db.session.add(party)
    db.session.flush()
    return party
