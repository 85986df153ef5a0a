"""Customers and suppliers of a store. Every surface that creates, finds or changes a party comes here."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Optional

from sqlalchemy.exc import IntegrityError

from extensions import db
from models import GENDERS, PARTY_TYPES, Customer, Party, Store, Supplier, User, utcnow
from services import audit
from services.access import require_role
from services.categories import payment_method_exists
from services.errors import ValidationError
from services.field_parsers import Fields, RuleError
from services.scoping import find_in_store

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
PHONE = re.compile(r"^\+?\d[\d -]{4,18}\d$")
INVALID_TYPE = "Invalid Category. Must be 'Customer' or 'Supplier'"
NO_RECORD = "No related customer or supplier found"
SUPPLIER_CODE_TAKEN = "A supplier with this code already exists."
CUSTOMER_FIELDS = ("name", "email", "phone_no", "Customer_code", "address", "gstin", "gender", "open_balance",
                   "credit_limmit", "payment_method_id", "loyalty_points", "referred_by", "notes")
SUPPLIER_FIELDS = ("name", "code", "phone_no", "email", "gstin", "address")


class DuplicateCustomer(RuleError):
    """A customer with the same email, phone or code already exists; `existing` is that party."""

    def __init__(self, message: str, existing: Party, field: str):
        super().__init__(message, field)
        self.existing = existing
        self.field = field


class DuplicateSupplier(RuleError):
    """A supplier with the same code already exists; `existing` is that party."""

    def __init__(self, message: str, existing: Party, field: str = "code"):
        super().__init__(message, field)
        self.existing = existing
        self.field = field


# ---------------------------------------------------------------------- finding


def parties_query(store: Store, category_type: Optional[str] = None):
    query = db.select(Party).where(Party.store_id == store.id)
    if category_type:
        query = query.where(Party.Category_type == category_type)
    return query.order_by(Party.id)


def get_party(store: Store, party_id: int) -> Optional[Party]:
    return find_in_store(Party, store, id=party_id)


def customer_party_exists(store: Store, party_id: int) -> bool:
    return db.session.execute(
        db.select(Party.id).where(Party.store_id == store.id, Party.id == party_id,
                                  Party.Category_type == "Customer")
    ).first() is not None


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
    return db.session.execute(query.limit(1)).scalar_one_or_none()


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


def check_supplier_unique(store: Store, fields: dict[str, Any], exclude_party_id: Optional[int] = None) -> None:
    code = fields.get("code")
    if not code:
        return
    query = db.select(Party).join(Supplier).where(Supplier.store_id == store.id, Supplier.code == code)
    if exclude_party_id is not None:
        query = query.where(Party.id != exclude_party_id)
    existing = db.session.execute(query.limit(1)).scalar_one_or_none()
    if existing is not None:
        raise DuplicateSupplier(SUPPLIER_CODE_TAKEN, existing)


# ---------------------------------------------------------------------- parsing


def _parse_customer(data: dict[str, Any], partial: bool) -> dict[str, Any]:
    fields = Fields(data, partial=partial)
    fields.string("name", required=True, max_length=255, allow_blank=False)
    fields.email("email")
    _phone(fields)
    fields.string("Customer_code", max_length=50, allow_null=True)
    fields.text("address", allow_null=True)
    fields.string("gstin", max_length=15, allow_null=True)
    fields.choice("gender", GENDERS, allow_null=True)
    fields.decimal("open_balance")
    fields.decimal("credit_limmit")
    fields.primary_key("payment_method_id", payment_method_exists, aliases=("preferred_payment_method",
                                                                           "payment_method"))
    fields.integer("loyalty_points", min_value=0)
    fields.string("referred_by", max_length=255, allow_null=True)
    fields.text("notes", allow_null=True)
    fields.boolean("is_active")
    if "payment_method_id" in fields.errors:  # name the field the client actually sent
        key = next(k for k in ("preferred_payment_method", "payment_method", "payment_method_id") if k in data)
        fields.errors[key] = fields.errors.pop("payment_method_id")
    values = fields.check()
    for name in ("Customer_code", "gstin", "referred_by", "address"):
        if values.get(name) == "":
            values[name] = None
    if "notes" in values and values["notes"] is None:
        values["notes"] = ""
    return values


def _parse_supplier(data: dict[str, Any], partial: bool) -> dict[str, Any]:
    fields = Fields(data, partial=partial)
    fields.string("name", required=True, max_length=255, allow_blank=False)
    fields.string("code", required=True, max_length=50, allow_blank=False)
    _phone(fields)
    fields.email("email")
    fields.string("gstin", max_length=15, allow_null=True)
    fields.text("address", allow_null=True)
    fields.boolean("is_active")
    return fields.check()


def _phone(fields: Fields) -> None:
    fields.string("phone_no", max_length=20, allow_null=True)
    value = fields.values.get("phone_no")
    if value == "":
        fields.values["phone_no"] = None
    elif value and not PHONE.match(value):
        del fields.values["phone_no"]
        fields.errors["phone_no"] = ["Enter a valid phone number."]


def _category_type(data: dict[str, Any]) -> str:
    value = data.get("Category_type", data.get("category_type"))
    if value not in PARTY_TYPES:
        raise RuleError(INVALID_TYPE, "Category_type")
    return value


# ---------------------------------------------------------------------- writing


def create_customer(store: Store, name: str, **fields: Any) -> Party:
    """A new Customer party of the store (flushes). Fields are Customer columns: phone_no, email, ..."""
    if not name or not str(name).strip():
        raise ValidationError.field("name", "This field may not be blank.")
    check_customer_unique(store, fields)
    party = Party(store_id=store.id, Category_type="Customer", is_active=fields.pop("is_active", True))
    party.customer = Customer(store_id=store.id, name=str(name).strip(), **fields)
    _flush_new(store, party, fields)
    return party


def create_party(store: Store, user: User, data: dict[str, Any]) -> Party:
    """A Customer or Supplier with its nested record, from a client's dict (any role may add parties)."""
    require_role(user, store, "cashier")
    kind = _category_type(data)
    if kind == "Customer":
        values = _parse_customer(data, partial=False)
        is_active = values.pop("is_active", True)
        party = create_customer(store, values.pop("name"), is_active=is_active, **values)
    else:
        values = _parse_supplier(data, partial=False)
        check_supplier_unique(store, values)
        party = Party(store_id=store.id, Category_type="Supplier", is_active=values.pop("is_active", True))
        party.supplier = Supplier(store_id=store.id, **values)
        _flush_new(store, party, values)
    audit.record("create", "party", party.id, store_id=store.id, user_id=user.id, after=party_snapshot(party))
    return party


def _flush_new(store: Store, party: Party, values: dict[str, Any], exclude_party_id: Optional[int] = None) -> None:
    """Flush in a savepoint; losing a race on a unique email, phone or code gives the same duplicate error."""
    try:
        with db.session.begin_nested():
            db.session.add(party)
            db.session.flush()
    except IntegrityError as exc:
        if party.Category_type == "Customer":
            check_customer_unique(store, values, exclude_party_id)
        else:
            check_supplier_unique(store, values, exclude_party_id)
        raise RuleError("This party conflicts with another one; please retry.") from exc


def update_party(store: Store, user: User, party: Party, data: dict[str, Any]) -> Party:
    """A partial update of a party and its customer or supplier record; is_updated_at always moves."""
    require_role(user, store, "cashier")
    record = party.customer if party.Category_type == "Customer" else party.supplier
    if record is None:
        raise RuleError(NO_RECORD)
    sent_type = data.get("Category_type", data.get("category_type"))
    if sent_type is not None and sent_type != party.Category_type:
        raise ValidationError("Invalid input.", {"Category_type": ["The party type cannot be changed."]})
    if party.Category_type == "Customer":
        values = _parse_customer(data, partial=True)
        check_customer_unique(store, values, exclude_party_id=party.id)
    else:
        values = _parse_supplier(data, partial=True)
        check_supplier_unique(store, values, exclude_party_id=party.id)
    before = party_snapshot(party)
    if "is_active" in values:
        party.is_active = values.pop("is_active")
    for name, value in values.items():
        setattr(record, name, value)
    # Strictly later than before, even for two updates inside one clock tick.
    party.is_updated_at = max(utcnow(), party.is_updated_at + timedelta(microseconds=1))
    _flush_new(store, party, values, exclude_party_id=party.id)
    audit.record("update", "party", party.id, store_id=store.id, user_id=user.id,
                 before=before, after=party_snapshot(party))
    return party


def delete_party(store: Store, user: User, party: Party) -> None:
    """Delete a party with its record; bills keep their own copy of name, phone and address."""
    require_role(user, store, "manager")
    before = party_snapshot(party)
    db.session.delete(party)
    db.session.flush()
    audit.record("delete", "party", before["id"], store_id=store.id, user_id=user.id, before=before)


def party_snapshot(party: Party) -> dict[str, Any]:
    snap = audit.snapshot(party, ("id", "Category_type", "is_active", "is_updated_at"))
    if party.customer is not None:
        snap["customer"] = audit.snapshot(party.customer, CUSTOMER_FIELDS)
    if party.supplier is not None:
        snap["supplier"] = audit.snapshot(party.supplier, SUPPLIER_FIELDS)
    return snap

