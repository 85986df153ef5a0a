"""Membership plan pages (issue 16; owners and managers, cashiers 403): `/memberships/plans` lists the store's plans
and `/memberships/plans/new` and `/memberships/plans/<id>/edit` make and change one (price, validity, the discount
rates, the sessions of services, the prepaid value). The rules are services.salon.memberships's; a refused form is
re-rendered with 422 and each message beside its field, nothing written; the view commits once.
"""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.decorators import role_required
from extensions import db
from models import MembershipPlan
from services.errors import ValidationError
from services.salon import memberships as service

bp = Blueprint("memberships", __name__, url_prefix="/memberships")

FIELDS = ("name", "price", "validity_days", "gst_rate", "service_discount", "product_discount", "prepaid_value")
BLANK_SESSION_ROWS = 3


def _typed() -> dict:
    typed = {name: (request.form.get(name) or "").strip()[:40] for name in FIELDS}
    typed["name"] = (request.form.get("name") or "").strip()[:120]
    typed["active"] = request.form.get("active") in ("1", "on")
    typed["sessions"] = list(zip(request.form.getlist("session_product_id")[:50],
                                 request.form.getlist("session_count")[:50]))
    return typed


def _typed_of(plan: MembershipPlan) -> dict:
    half = plan.product.cgst_rate + plan.product.sgst_rate
    return {"name": plan.name, "price": f"{plan.price:.2f}", "validity_days": str(plan.validity_days),
            "gst_rate": f"{half.normalize():f}", "service_discount": service.percent_text(plan.service_discount),
            "product_discount": service.percent_text(plan.product_discount),
            "prepaid_value": f"{plan.prepaid_value:.2f}" if plan.prepaid_value else "", "active": plan.active,
            "sessions": [(str(s.product_id), str(s.sessions)) for s in plan.services]}


def _form_page(plan: Optional[MembershipPlan], typed: dict, errors: Optional[dict] = None, status: int = 200):
    rows = list(typed["sessions"]) + [("", "")] * BLANK_SESSION_ROWS
    return render_template("memberships/form.html", plan=plan, typed=typed, rows=rows, errors=errors or {},
                           services=service.services_for_plans(g.store)), status


def _save(plan: Optional[MembershipPlan]):
    typed = _typed()
    try:
        data = service.parse_plan(request.form, request.form.getlist("session_product_id")[:50],
                                  request.form.getlist("session_count")[:50])
        if plan is None:
            plan = service.create_plan(g.store, current_user, data)
        else:
            plan = service.update_plan(g.store, current_user, plan, data)
    except ValidationError as exc:
        db.session.rollback()
        if plan is not None:
            plan = service.get_plan(g.store, plan.id)
        return _form_page(plan, typed, exc.errors or {"__all__": [exc.message]}, 422)
    db.session.commit()
    flash(f"Plan {plan.name} saved: it is sold as the catalogue item “{plan.name}”.", "success")
    return redirect(url_for("memberships.plans"), 303)


@bp.get("/plans")
@role_required("manager")
def plans():
    """The store's plans and their benefits."""
    return render_template("memberships/plans.html", plans=service.list_plans(g.store),
                           percent=service.percent_text)


@bp.get("/plans/new")
@role_required("manager")
def new():
    return _form_page(None, {"name": "", "price": "", "validity_days": "", "gst_rate": "18", "service_discount": "",
                             "product_discount": "", "prepaid_value": "", "active": True, "sessions": []})


@bp.post("/plans/new")
@role_required("manager")
def create():
    """Make a plan and the catalogue item that sells it; 422 with the messages when it is wrong."""
    return _save(None)


@bp.get("/plans/<int:plan_id>/edit")
@role_required("manager")
def edit(plan_id: int):
    plan = service.get_plan(g.store, plan_id)
    return _form_page(plan, _typed_of(plan))


@bp.post("/plans/<int:plan_id>/edit")
@role_required("manager")
def update(plan_id: int):
    """Change a plan (future sales only) and its catalogue item."""
    return _save(service.get_plan(g.store, plan_id))
