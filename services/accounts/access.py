"""Who may do what in which store: one place for role checks, used by views and services alike."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import case
from sqlalchemy.orm import joinedload

from extensions import db
from models import Membership, Store, User
from services.errors import PermissionDenied

ROLE_RANK = {"cashier": 1, "manager": 2, "owner": 3}


def membership_for(user: User, store: Store | int) -> Optional[Membership]:
    store_id = store if isinstance(store, int) else store.id
    return db.session.execute(
        db.select(Membership).filter_by(user_id=user.id, store_id=store_id)
    ).scalar_one_or_none()


def has_role(role: Optional[str], minimum: str) -> bool:
    return role is not None and ROLE_RANK.get(role, 0) >= ROLE_RANK[minimum]


def require_role(user: User, store: Store | int, minimum: str) -> Membership:
    """The caller's membership in the store, or PermissionDenied if absent or too junior."""
    membership = membership_for(user, store)
    if membership is None or not has_role(membership.role, minimum):
        raise PermissionDenied("You do not have permission to perform this action.")
    return membership


def current_membership_for(user: User) -> Optional[Membership]:
    """The user's membership of the store they are working in: their chosen store's while they are still a member
    there, else their first. One query, the store loaded with it (every page asks)."""
    query = db.select(Membership).options(joinedload(Membership.store)).filter_by(user_id=user.id)
    if user.current_store_id is not None:
        query = query.order_by(case((Membership.store_id == user.current_store_id, 0), else_=1))
    return db.session.execute(query.order_by(Membership.id).limit(1)).scalar_one_or_none()


def current_store_for(user: User) -> Optional[Store]:
    """The store a user is working in: their chosen one if still a member, else their first."""
    membership = current_membership_for(user)
    return membership.store if membership else None


def stores_of(user: User) -> list[tuple[Store, str]]:
    """Every store the user belongs to, with their role there, by name (one query)."""
    rows = db.session.execute(
        db.select(Store, Membership.role).join(Membership).where(Membership.user_id == user.id).order_by(Store.name)
    ).all()
    return [(store, role) for store, role in rows]
