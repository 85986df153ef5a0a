"""Customers and suppliers of a store. Every surface that creates, finds or changes a party comes here.

Customer identity has one rule each: a phone number is stored in E.164 (`e164_phone`), an email in lower case
(`normal_email`), whichever surface creates, changes or looks the customer up.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Optional, Union

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from extensions import db
from models import GENDERS, Customer, OpeningPayment, Party, Store, Supplier, User, utcnow
from services import audit
from services.accounts.access import require_role
from services.accounts.gstin import STATE_CODES, gstin_error
from services.accounts.gstin import normalise as normalise_gstin
from services.catalog.categories import payment_method_exists
from services.errors import Duplicate, FieldErrors, RuleBroken, ValidationError
from services.inputs import Given
from services.parties import loyalty
from services.scoping import find_in_store

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_INDIAN_MOBILE = re.compile(r"^(?:\+?91|0)?([6-9]\d{9})$")
_INDIAN_TRUNK = re.compile(r"^0([1-9]\d{9})$")  # a landline with its STD code: 020 2612 3456
_SEPARATORS = re.compile(r"[\s\-().]")
NO_RECORD = "No related customer or supplier found"
SUPPLIER_CODE_TAKEN = "A supplier with this code already exists."
EMAIL_TAKEN = "A customer with this email already exists."
PHONE_TAKEN = "A customer with this phone number already exists."
CODE_TAKEN = "A customer with this code already exists."
BAD_PHONE = "Enter a valid phone number."
CUSTOMER_FIELDS = ("name", "email", "phone_no", "Customer_code", "address", "gstin", "legal_name", "state_code",
                   "gender", "open_balance", "credit_limmit", "payment_method_id", "loyalty_points", "referred_by",
                   "notes")
SUPPLIER_FIELDS = ("name", "code", "phone_no", "email", "gstin", "address", "open_balance")


def e164_phone(raw: Optional[str]) -> Optional[str]:
    """A phone number in E.164, from E.164 itself or an Indian number as people type it; None if it is neither.

    "98765 43210", "9876543210", "09876543210", "+91 98765-43210" and "+919876543210" all give +919876543210.
    """
    if not isinstance(raw, str):
        return None
    compact = _SEPARATORS.sub("", raw.strip())
    mobile = _INDIAN_MOBILE.match(compact)
    if mobile:
        return "+91" + mobile.group(1)
    trunk = _INDIAN_TRUNK.match(compact)
    if trunk:
        return "+91" + trunk.group(1)
    return compact if E164.match(compact) else None


def normal_email(raw: Optional[str]) -> Optional[str]:
    """An email as stored and compared: trimmed and lower-cased ("Asha@X.in" is asha@x.in); None when empty."""
    if raw is None:
        return None
    value = raw.strip().lower()
    return value or None


@dataclass
class CustomerInput(Given):
    """A customer as the domain takes it; `fields_set` names the fields given (all of them on create)."""

    name: Optional[str] = None
    email: Optional[str] = None
    phone_no: Optional[str] = None
    Customer_code: Optional[str] = None
    address: Optional[str] = None
    gstin: Optional[str] = None
    legal_name: Optional[str] = None
    state_code: Optional[str] = None
    gender: Optional[str] = None
    open_balance: Optional[Decimal] = None
    credit_limmit: Optional[Decimal] = None
    payment_method_id: Optional[int] = None
    loyalty_points: Optional[int] = None
    referred_by: Optional[str] = None
    notes: Optional[str] = None
    is_active: bool = True
    fields_set: frozenset[str] = frozenset()


@dataclass
class SupplierInput(Given):
    """A supplier as the domain takes it; `fields_set` names the fields given (all of them on create)."""

    name: Optional[str] = None
    code: Optional[str] = None
    phone_no: Optional[str] = None
    email: Optional[str] = None
    gstin: Optional[str] = None
    address: Optional[str] = None
    open_balance: Optional[Decimal] = None
    is_active: bool = True
    fields_set: frozenset[str] = frozenset()


PartyInput = Union[CustomerInput, SupplierInput]


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


# contains_eager: party.customer comes from the same row (every caller reads it), not a second query. Built once:
# every bill for a typed phone runs it, and building it cost more than running it.
_CUSTOMER_BY_PHONE = (select(Party).join(Customer).options(contains_eager(Party.customer))
                      .where(Customer.store_id == bindparam("store_id"), Customer.phone_no == bindparam("phone")))


def find_customer_by_phone(store: Store, phone_no: str) -> Optional[Party]:
    """The store's customer with this phone, however it was typed ("98765 43210" finds +919876543210)."""
    phone = e164_phone(phone_no)
    if phone is None:
        return None
    return db.session.execute(_CUSTOMER_BY_PHONE, {"store_id": store.id, "phone": phone}).scalar_one_or_none()


def _existing_customer(store: Store, field: str, value: Optional[str], exclude_party_id: Optional[int] = None):
    if not value:
        return None
    query = db.select(Party).join(Customer).where(Customer.store_id == store.id, getattr(Customer, field) == value)
    if exclude_party_id is not None:
        query = query.where(Party.id != exclude_party_id)
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def check_customer_unique(store: Store, values: dict[str, Any], exclude_party_id: Optional[int] = None) -> None:
    """Raise Duplicate (carrying the existing party) if the email, phone or code is taken in this store."""
    for field, message in (("email", EMAIL_TAKEN), ("phone_no", PHONE_TAKEN), ("Customer_code", CODE_TAKEN)):
        existing = _existing_customer(store, field, values.get(field), exclude_party_id)
        if existing is not None:
            raise Duplicate(message, field, existing)


def check_supplier_unique(store: Store, values: dict[str, Any], exclude_party_id: Optional[int] = None) -> None:
    code = values.get("code")
    if not code:
        return
    query = db.select(Party).join(Supplier).where(Supplier.store_id == store.id, Supplier.code == code)
    if exclude_party_id is not None:
        query = query.where(Party.id != exclude_party_id)
    existing = db.session.execute(query.limit(1)).scalar_one_or_none()
    if existing is not None:
        raise Duplicate(SUPPLIER_CODE_TAKEN, "code", existing)


# ---------------------------------------------------------------------- rules


def _identity(values: dict[str, Any], errors: FieldErrors) -> None:
    """Phone to E.164 and email to lower case, in place; a phone that is not one is an error."""
    if values.get("phone_no"):
        phone = e164_phone(values["phone_no"])
        if phone is None:
            errors.add("phone_no", BAD_PHONE)
        values["phone_no"] = phone
    elif "phone_no" in values:
        values["phone_no"] = None
    if "email" in values:
        values["email"] = normal_email(values["email"])


def _registration(values: dict[str, Any], errors: FieldErrors) -> None:
    """A GSTIN checked as for stores (format, state, checksum) and upper-cased; it names the customer's state."""
    if "gstin" in values:
        gstin = normalise_gstin(values["gstin"] or "")
        if gstin and (message := gstin_error(gstin)):
            errors.add("gstin", message)  # and no state_code from it: one error, on the field the client sent
        elif gstin:
            values["state_code"] = gstin[:2]
        values["gstin"] = gstin or None
    code = values.get("state_code")
    if code is not None and code not in STATE_CODES:
        errors.add("state_code", "Must be a two-digit GST state code, e.g. 27")
    if values.get("legal_name") is not None:
        values["legal_name"] = values["legal_name"].strip() or None


def customer_values(data: CustomerInput, creating: bool) -> dict[str, Any]:
    """The given fields of a customer as stored (identity normalised), or ValidationError naming each rule broken."""
    values = data.changes()
    errors = FieldErrors()
    if (creating or "name" in values) and not (values.get("name") or "").strip():
        errors.add("name", "A customer needs a name.")
    _identity(values, errors)
    _registration(values, errors)
    if values.get("gender") is not None and values["gender"] not in GENDERS:
        errors.add("gender", "Must be one of: " + ", ".join(GENDERS))
    method = values.get("payment_method_id")
    if method is not None and not payment_method_exists(method):
        errors.add("payment_method_id", "Payment method not found.")
    for name in ("open_balance", "credit_limmit", "loyalty_points"):
        if values.get(name) is not None and values[name] < 0:
            errors.add(name, "Must be at least 0.")
    errors.raise_if()
    if "name" in values:
        values["name"] = values["name"].strip()
    return values


def supplier_values(data: SupplierInput, creating: bool) -> dict[str, Any]:
    """The given fields of a supplier as stored, or ValidationError naming each rule broken."""
    values = data.changes()
    errors = FieldErrors()
    for name in ("name", "code"):
        if (creating or name in values) and not (values.get(name) or "").strip():
            errors.add(name, f"A supplier needs a {name}.")
    _identity(values, errors)
    if values.get("open_balance") is not None and values["open_balance"] < 0:
        errors.add("open_balance", "Must be at least 0.")
    errors.raise_if()
    return values


# ---------------------------------------------------------------------- writing


def create_customer(store: Store, user: Optional[User], data: CustomerInput) -> Party:
    """A new Customer party of the store (flushes). With a user: any role may add one; without (a bill saving its
    new customer, demo data): no role check. Audited either way (the audit trail cannot be switched off)."""
    if user is not None:
        require_role(user, store, "cashier")
    values = customer_values(data, creating=True)
    check_customer_unique(store, values)
    party = Party(store_id=store.id, Category_type="Customer", is_active=values.pop("is_active", True))
    party.customer = Customer(store_id=store.id, **values)
    _flush_new(store, party, values)
    loyalty.adjust(store, user, party.id, 0, party.customer.loyalty_points or 0)  # an opening balance of points
    audit.record("create", "party", party.id, store_id=store.id, user_id=None if user is None else user.id,
                 after=party_snapshot(party))
    return party


def create_supplier(store: Store, user: Optional[User], data: SupplierInput) -> Party:
    """A new Supplier party of the store (flushes); any role may add one."""
    if user is not None:
        require_role(user, store, "cashier")
    values = supplier_values(data, creating=True)
    check_supplier_unique(store, values)
    party = Party(store_id=store.id, Category_type="Supplier", is_active=values.pop("is_active", True))
    party.supplier = Supplier(store_id=store.id, **values)
    _flush_new(store, party, values)
    audit.record("create", "party", party.id, store_id=store.id, user_id=None if user is None else user.id,
                 after=party_snapshot(party))
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
        raise RuleBroken("This party conflicts with another one; please retry.") from exc


def update_party(store: Store, user: User, party: Party, data: PartyInput) -> Party:
    """A partial update of a party and its customer or supplier record; is_updated_at always moves."""
    require_role(user, store, "cashier")
    record = party.customer if party.Category_type == "Customer" else party.supplier
    if record is None:
        raise RuleBroken(NO_RECORD)
    if party.Category_type == "Customer":
        if not isinstance(data, CustomerInput):
            raise ValidationError.field("Category_type", "The party type cannot be changed.")
        values = customer_values(data, creating=False)
        check_customer_unique(store, values, exclude_party_id=party.id)
    else:
        if not isinstance(data, SupplierInput):
            raise ValidationError.field("Category_type", "The party type cannot be changed.")
        values = supplier_values(data, creating=False)
        check_supplier_unique(store, values, exclude_party_id=party.id)
    if values.get("open_balance") is not None and values["open_balance"] != record.open_balance:
        _check_opening_paid(party, values["open_balance"])
    before = party_snapshot(party)
    points = record.loyalty_points if party.Category_type == "Customer" else None
    if "is_active" in values:
        party.is_active = values.pop("is_active")
    for name, value in values.items():
        setattr(record, name, value)
    if points is not None and "loyalty_points" in values:  # a balance written directly: its entry
        loyalty.adjust(store, user, party.id, points, record.loyalty_points)
    # Strictly later than before, even for two updates inside one clock tick.
    party.is_updated_at = max(utcnow(), party.is_updated_at + timedelta(microseconds=1))
    _flush_new(store, party, values, exclude_party_id=party.id)
    audit.record("update", "party", party.id, store_id=store.id, user_id=user.id,
                 before=before, after=party_snapshot(party))
    return party


def _check_opening_paid(party: Party, opening: Decimal) -> None:
    """An opening balance cannot go below what payments have already settled of it (read under the party's row
    lock, as services.parties.ledger.receive_payment takes it before paying)."""
    db.session.execute(update(Party).where(Party.id == party.id).values(is_updated_at=Party.is_updated_at))
    paid = db.session.execute(select(func.coalesce(func.sum(OpeningPayment.amount), 0))
                              .where(OpeningPayment.party_id == party.id)).scalar_one()
    if opening < paid:
        raise ValidationError.field("open_balance", f"Payments have already settled {Decimal(paid):.2f} of the "
                                                    f"opening balance; it cannot be less than that.")


def register_gstin(party: Party, gstin: str, legal_name: Optional[str] = None) -> None:
    """Record the GSTIN (and legal name) a B2B bill gave for a stored customer that had none (flushes)."""
    values = {"gstin": gstin, "legal_name": legal_name}
    errors = FieldErrors()
    _registration(values, errors)
    if errors:
        raise ValidationError("Invalid GSTIN", {"customer." + key: messages for key, messages in errors.items()})
    before = party_snapshot(party)
    for name, value in values.items():
        if value is not None:
            setattr(party.customer, name, value)
    db.session.flush()
    audit.record("update", "party", party.id, store_id=party.store_id, before=before, after=party_snapshot(party))


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

