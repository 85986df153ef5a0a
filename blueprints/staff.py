"""Staff pages (issue 16): the store's staff members (a salon's stylists, therapists, receptionists), adding and
editing one (name, phone, role, an optional linked login of a member of the store), deactivating and reactivating.

Owners and managers only (cashiers: 403). The rules are services.salon.staff's, the same the bill engine applies
to a line's staff member on every surface (only active staff of the store); the view commits once.
"""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_login import current_user

from blueprints.decorators import role_required
from blueprints.htmx import render_page_or_fragment
from extensions import db
from models import STAFF_ROLES, Staff
from services import bounds
from services.errors import ValidationError
from services.salon import staff as service
from services.scoping import get_in_store

bp = Blueprint("staff", __name__, url_prefix="/staff")

TEXT = {"name": 255, "phone": 30, "role": 20, "user_id": 12}


def _typed() -> dict[str, str]:
    return {name: (request.form.get(name) or "").strip()[:limit] for name, limit in TEXT.items()}


def _input(typed: dict[str, str]) -> service.StaffInput:
    """The typed form as StaffInput; an unreadable login id is refused beside its field."""
    user_id = None
    if typed["user_id"]:
        user_id = bounds.row_id(typed["user_id"])
        if user_id is None:
            raise ValidationError.field("user_id", "Choose a login of a member of this store.")
    return service.StaffInput(name=typed["name"], role=typed["role"], phone=typed["phone"] or None, user_id=user_id)


def _page(typed: dict[str, str], member: Optional[Staff] = None, errors: Optional[dict] = None, status: int = 200):
    """The staff list with the add (or edit) form; the form partial alone for HTMX."""
    return render_page_or_fragment("staff/index.html", "staff/_form.html", status, typed=typed, member=member,
                                   errors=errors or {}, roles=STAFF_ROLES, logins=service.store_logins(g.store),
                                   staff=service.list_staff(g.store))


def _member(staff_id: int) -> Staff:
    """The store's staff member, else 404 (another store's id is a missing one)."""
    return get_in_store(Staff, g.store, id=staff_id, message="Staff member not found")


@bp.get("")
@role_required("manager")
def index():
    """The store's staff, active first, and the form to add one."""
    return _page({"name": "", "phone": "", "role": "stylist", "user_id": ""})


@bp.post("")
@role_required("manager")
def create():
    """Add a staff member; 422 with the messages beside the fields and nothing written when it is wrong."""
    typed = _typed()
    try:
        member = service.create_staff(g.store, current_user, _input(typed))
    except ValidationError as exc:
        db.session.rollback()
        return _page(typed, errors=exc.errors or {"__all__": [exc.message]}, status=422)
    db.session.commit()
    flash(f"{member.name} added.", "success")
    return redirect(url_for("staff.index"), 303)


@bp.get("/<int:staff_id>/edit")
@role_required("manager")
def edit(staff_id: int):
    member = _member(staff_id)
    return _page({"name": member.name, "phone": member.phone or "", "role": member.role,
                  "user_id": str(member.user_id or "")}, member)


@bp.post("/<int:staff_id>/edit")
@role_required("manager")
def update(staff_id: int):
    """Change a staff member's name, phone, role or login; 422 and nothing changed when it is wrong."""
    member = _member(staff_id)
    typed = _typed()
    try:
        service.update_staff(g.store, current_user, member, _input(typed))
    except ValidationError as exc:
        db.session.rollback()
        return _page(typed, _member(staff_id), exc.errors or {"__all__": [exc.message]}, 422)
    db.session.commit()
    flash(f"{member.name} saved.", "success")
    return redirect(url_for("staff.index"), 303)


@bp.post("/<int:staff_id>/deactivate")
@role_required("manager")
def deactivate(staff_id: int):
    """Deactivate: the till and the APIs refuse the staff member on new lines; saved bills keep the name."""
    return _set_active(staff_id, False)


@bp.post("/<int:staff_id>/reactivate")
@role_required("manager")
def reactivate(staff_id: int):
    return _set_active(staff_id, True)


def _set_active(staff_id: int, active: bool):
    member = service.set_active(g.store, current_user, _member(staff_id), active)
    db.session.commit()
    flash(f"{member.name} {'reactivated' if active else 'deactivated'}.", "success")
    return redirect(url_for("staff.index"), 303)
