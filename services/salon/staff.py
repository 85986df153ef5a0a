"""Staff members: the people who serve a bill's lines (a salon's stylists and therapists), with a role, a phone and,
optionally, the login of a member of the store. Owners and managers add, edit, deactivate and reactivate them
(the /staff page); the till and Billing v1 (through services.billing.bills.save_bill) accept only ACTIVE staff of
the bill's store on a line (line_staff_problem). Each write is audited; functions flush, the view commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select

from extensions import db
from models import STAFF_ROLES, Membership, Staff, Store, User
from services import audit
from services.accounts.access import require_role
from services.errors import FieldErrors
from services.parties.parties import e164_phone

NAME_MAX = 255
FIELDS = ("name", "phone", "role", "user_id", "active")


@dataclass
class StaffInput:
    name: str
    role: str = "stylist"
    phone: Optional[str] = None  # as typed; stored in E.164
    user_id: Optional[int] = None  # a login of a member of the store


def line_staff_problem(store: Store, member: Staff) -> Optional[str]:
    """Why `member` cannot serve a line of a bill of `store` (another store's, or inactive), or None."""
    if member.store_id != store.id:
        return "Staff member not found in this store"
    if not member.active:
        return f"{member.name} is inactive: choose an active staff member"
    return None


def store_logins(store: Store) -> list[User]:
    """The logins a staff member may be linked to: the store's members, by username."""
    return list(db.session.execute(select(User).join(Membership, Membership.user_id == User.id)
                                   .where(Membership.store_id == store.id).order_by(User.username)).scalars())


def staff_problems(store: Store, data: StaffInput, member: Optional[Staff] = None) -> FieldErrors:
    """Every field of `data` that cannot be saved, with why (all at once)."""
    errors = FieldErrors()
    name = (data.name or "").strip()
    if not name:
        errors.add("name", "Enter the staff member's name.")
    elif len(name) > NAME_MAX:
        errors.add("name", f"At most {NAME_MAX} characters.")
    if data.role not in STAFF_ROLES:
        errors.add("role", "Choose one of: " + ", ".join(STAFF_ROLES))
    if data.phone and e164_phone(data.phone) is None:
        errors.add("phone", "Enter a mobile number, e.g. 98765 43210 or +919876543210.")
    if data.user_id is not None:
        if data.user_id not in {user.id for user in store_logins(store)}:
            errors.add("user_id", "Choose a login of a member of this store.")
        else:
            taken = db.session.execute(select(Staff).where(
                Staff.store_id == store.id, Staff.user_id == data.user_id,
                Staff.id != (member.id if member is not None else -1))).scalars().first()
            if taken is not None:
                errors.add("user_id", f"That login is already linked to {taken.name}.")
    return errors


def _apply(member: Staff, data: StaffInput) -> None:
    member.name = data.name.strip()
    member.role = data.role
    member.phone = e164_phone(data.phone) if data.phone else None
    member.user_id = data.user_id


def create_staff(store: Store, user: User, data: StaffInput) -> Staff:
    """Add a staff member (managers and owners); ValidationError naming each wrong field."""
    require_role(user, store, "manager")
    staff_problems(store, data).raise_if()
    member = Staff(store_id=store.id, active=True)
    _apply(member, data)
    db.session.add(member)
    db.session.flush()
    audit.record("create", "staff", member.uid, store_id=store.id, user_id=user.id,
                 after=audit.snapshot(member, FIELDS))
    return member


def update_staff(store: Store, user: User, member: Staff, data: StaffInput) -> Staff:
    """Change a staff member's name, phone, role or login (managers and owners)."""
    require_role(user, store, "manager")
    staff_problems(store, data, member).raise_if()
    before = audit.snapshot(member, FIELDS)
    _apply(member, data)
    db.session.flush()
    audit.record("update", "staff", member.uid, store_id=store.id, user_id=user.id, before=before,
                 after=audit.snapshot(member, FIELDS))
    return member


def set_active(store: Store, user: User, member: Staff, active: bool) -> Staff:
    """Deactivate (no new lines; saved bills keep their name) or reactivate a staff member."""
    require_role(user, store, "manager")
    if member.active != active:
        before = audit.snapshot(member, ("active",))
        member.active = active
        db.session.flush()
        audit.record("activate" if active else "deactivate", "staff", member.uid, store_id=store.id,
                     user_id=user.id, before=before, after=audit.snapshot(member, ("active",)))
    return member


def list_staff(store: Store, *, active_only: bool = False) -> list[Staff]:
    """The store's staff, active first, by name."""
    query = select(Staff).where(Staff.store_id == store.id)
    if active_only:
        query = query.where(Staff.active.is_(True))
    return list(db.session.execute(query.order_by(Staff.active.desc(), Staff.name, Staff.id)).scalars())
