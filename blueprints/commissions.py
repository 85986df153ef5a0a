"""Commission pages (issue 16; owners and managers, cashiers 403): `/commissions/rules` lists each staff member with
their default rule and overrides (a category or a service/product), and adds, changes and deletes rules; the report
is `/reports/commissions` (blueprints/report_pages.py: its period, total row and CSV/XLSX downloads), which
`/commissions` opens.

The rules are services.salon.commissions's; a refused form is re-rendered with 422 and each message beside its
field, nothing written. Each write is audited there and the view commits once.
"""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from blueprints.decorators import role_required
from extensions import db
from models import Category, CommissionRule, Product
from services.billing.fields import to_decimal
from services.bounds import row_id
from services.errors import ValidationError
from services.salon import commissions as service
from services.scoping import get_in_store
from services.vocabulary import PERCENT

bp = Blueprint("commissions", __name__, url_prefix="/commissions")

FIELDS = ("staff_id", "target", "category_id", "product_id", "kind", "value")
MAX_CHOICES = 1000  # products offered in the form's list (a salon's menu is far shorter)


@bp.get("")
@role_required("manager")
def index():
    """The commission report (its page lives with the other reports)."""
    return redirect(url_for("report_pages.report", name="commissions", **request.args), 303)


def _typed() -> dict[str, str]:
    return {name: (request.form.get(name) or "").strip()[:40] for name in FIELDS}


def _value(typed: dict[str, str]):
    """The typed amount as a Decimal; an unreadable one is None, which the service refuses beside the field."""
    return to_decimal(typed["value"]) if typed["value"] else None


def _rules_page(typed: dict[str, str], errors: Optional[dict] = None, status: int = 200):
    products = db.session.execute(
        select(Product).where(Product.store_id == g.store.id, Product.archived.is_(False))
        .order_by(Product.type != "service", Product.product_name).limit(MAX_CHOICES)).scalars().all()
    categories = db.session.execute(select(Category).where(Category.store_id == g.store.id)
                                    .order_by(Category.name)).scalars().all()
    people = service.rules_by_staff(g.store)
    return render_template("commissions/rules.html", people=people, products=products, categories=categories,
                           typed=typed, errors=errors or {}, kinds=service.KIND_LABELS,
                           describe=service.describe, target_name=service.target_name), status


@bp.get("/rules")
@role_required("manager")
def rules():
    """Each staff member's default rule and overrides, and the form that adds one."""
    return _rules_page({name: "" for name in FIELDS} | {"target": "all", "kind": PERCENT})


@bp.post("/rules")
@role_required("manager")
def add():
    """Add a rule; 422 with the messages beside the fields and nothing written when it is wrong."""
    typed = _typed()
    rule_input = service.RuleInput(staff_id=row_id(typed["staff_id"]), target=typed["target"], kind=typed["kind"],
                                   value=_value(typed), category_id=row_id(typed["category_id"]),
                                   product_id=row_id(typed["product_id"]))
    try:
        rule = service.add_rule(g.store, current_user, rule_input)
    except ValidationError as exc:
        db.session.rollback()
        return _rules_page(typed, exc.errors or {"__all__": [exc.message]}, 422)
    db.session.commit()
    flash(f"Rule for {rule.staff.name} added: {service.target_name(rule)}, {service.describe(rule)}.", "success")
    return redirect(url_for("commissions.rules"), 303)


def _rule(rule_id: int) -> CommissionRule:
    return get_in_store(CommissionRule, g.store, id=rule_id, message="Commission rule not found")


def _edit_page(rule: CommissionRule, typed: dict[str, str], errors: Optional[dict] = None, status: int = 200):
    return render_template("commissions/edit.html", rule=rule, typed=typed, errors=errors or {},
                           kinds=service.KIND_LABELS, target_name=service.target_name), status


@bp.get("/rules/<int:rule_id>/edit")
@role_required("manager")
def edit(rule_id: int):
    rule = _rule(rule_id)
    return _edit_page(rule, {"kind": rule.kind, "value": f"{rule.value:.2f}"})


@bp.post("/rules/<int:rule_id>/edit")
@role_required("manager")
def update(rule_id: int):
    """Change a rule's terms; bills already saved keep their commission."""
    rule = _rule(rule_id)
    typed = {name: (request.form.get(name) or "").strip()[:40] for name in ("kind", "value")}
    try:
        service.update_rule(g.store, current_user, rule, typed["kind"], _value(typed))
    except ValidationError as exc:
        db.session.rollback()
        return _edit_page(_rule(rule_id), typed, exc.errors or {"__all__": [exc.message]}, 422)
    db.session.commit()
    flash(f"Rule for {rule.staff.name} saved: {service.target_name(rule)}, {service.describe(rule)}.", "success")
    return redirect(url_for("commissions.rules"), 303)


@bp.post("/rules/<int:rule_id>/delete")
@role_required("manager")
def delete(rule_id: int):
    """Delete a rule; bills already saved keep their commission."""
    rule = _rule(rule_id)
    name, target = rule.staff.name, service.target_name(rule)
    service.delete_rule(g.store, current_user, rule)
    db.session.commit()
    flash(f"Rule for {name} deleted: {target}.", "success")
    return redirect(url_for("commissions.rules"), 303)
