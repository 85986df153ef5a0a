"""Coupons pages (issue 15): the store's coupons (search by code, active or paused) on the shared pager, adding and
editing one (code, percent or flat, validity window, total uses and uses per customer, minimum bill value), pausing
and resuming, and a coupon's page with the bills that used it, their customers, the discount each gave and the total.

Owners and managers only (cashiers: 403). The rules are services.billing.coupons's, the same the bill engine
(services.billing.bills.save_bill) enforces at every till and API; each write is audited there and the view commits
once.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_login import current_user

from blueprints.decorators import role_required
from blueprints.htmx import push_clean_url, render_page_or_fragment
from blueprints.paging import page_arg
from extensions import db
from models import Coupon
from services.billing import coupons as service
from services.billing.fields import to_date, to_decimal
from services.errors import FieldErrors, ValidationError
from services.scoping import get_in_store
from services.vocabulary import COUPON_KINDS

bp = Blueprint("coupons", __name__, url_prefix="/coupons")

PAGE_SIZE = 20
FIELDS = ("code", "kind", "value", "valid_from", "valid_to", "max_uses", "max_uses_per_customer", "min_bill_value")


# --------------------------------------------------------------------------- the list


@bp.get("")
@role_required("manager")
def index():
    """The store's coupons, newest first: search by code, active or paused; each with its terms and uses."""
    q = (request.args.get("q") or "").strip()[:50]
    status = (request.args.get("status") or "").strip()
    errors = {}
    if status and status not in service.COUPON_STATUSES:
        errors["status"] = ["Choose active or paused."]
        status = ""
    page = page_arg()
    found = service.list_coupons(g.store, current_user, q=q or None, status=status or None, page=page,
                                 limit=PAGE_SIZE)
    args = {key: value for key, value in (("q", q), ("status", status)) if value}
    response = render_page_or_fragment("coupons/index.html", "coupons/_results.html", 422 if errors else 200,
                                       found=found, q=q, status_filter=status, args=args, errors=errors,
                                       windows={c.id: service.window_days(g.store, c) for c in found.items})
    return push_clean_url(response, "coupons.index", page, **args)


# --------------------------------------------------------------------------- adding and editing


def _typed_form() -> dict[str, str]:
    typed = {name: (request.form.get(name) or "").strip()[:60] for name in FIELDS}
    typed["active"] = "yes" if request.form.get("active") in ("yes", "on", "true", "1") else "no"
    return typed


def _whole(raw: str, key: str, errors: FieldErrors) -> Optional[int]:
    if not raw:
        return None
    if not (raw.isascii() and raw.lstrip("-").isdigit()) or len(raw) > 12:
        errors.add(key, "Must be a whole number above 0.")
        return None
    return int(raw)


def _terms(typed: dict[str, str]) -> service.CouponTerms:
    """The typed form as CouponTerms; ValidationError naming every field that is wrong (unreadable values here,
    the coupon rules in the service), all at once."""
    errors = FieldErrors()
    numbers: dict[str, Any] = {}
    for name in ("value", "min_bill_value"):
        numbers[name] = to_decimal(typed[name]) if typed[name] else None
        if typed[name] and numbers[name] is None:
            errors.add(name, "Enter an amount as a number, e.g. 10 or 99.50.")
    days = {}
    for name in ("valid_from", "valid_to"):
        days[name] = to_date(typed[name]) if typed[name] else None
        if typed[name] and days[name] is None:
            errors.add(name, "Enter a date as YYYY-MM-DD.")
    limits = {name: _whole(typed[name], name, errors) for name in ("max_uses", "max_uses_per_customer")}
    terms = service.CouponTerms.of(code=typed["code"], kind=typed["kind"], active=typed["active"] == "yes",
                                   **numbers, **days, **limits)
    coupon = g.get("coupon")
    for key, messages in service.coupon_problems(g.store, terms, coupon).items():
        if key not in errors:
            for message in messages:
                errors.add(key, message)
    errors.raise_if()
    return terms


def _form_page(typed: dict[str, str], coupon: Optional[Coupon] = None, errors: Optional[dict] = None,
               status: int = 200):
    return render_page_or_fragment("coupons/form.html", "coupons/_form.html", status, typed=typed, coupon=coupon,
                                   errors=errors or {}, kinds=COUPON_KINDS)


def _typed_from(coupon: Coupon) -> dict[str, str]:
    start, end = service.window_days(g.store, coupon)
    return {"code": coupon.code, "kind": coupon.kind, "value": f"{coupon.value:.2f}",
            "valid_from": start.isoformat() if start else "", "valid_to": end.isoformat() if end else "",
            "max_uses": str(coupon.max_uses or ""), "max_uses_per_customer": str(coupon.max_uses_per_customer or ""),
            "min_bill_value": f"{coupon.min_bill_value:.2f}" if coupon.min_bill_value is not None else "",
            "active": "yes" if coupon.active else "no"}


@bp.get("/new")
@role_required("manager")
def new():
    return _form_page({name: "" for name in FIELDS} | {"kind": "percent", "active": "yes"})


@bp.post("/new")
@role_required("manager")
def create():
    """Add a coupon; 422 with the messages beside the fields and nothing written when it is wrong."""
    typed = _typed_form()
    try:
        coupon = service.create_coupon(g.store, current_user, _terms(typed))
    except ValidationError as exc:
        db.session.rollback()
        return _form_page(typed, errors=exc.errors or {"__all__": [exc.message]}, status=422)
    db.session.commit()
    flash(f"Coupon {coupon.code} added.", "success")
    return redirect(url_for("coupons.detail", coupon_id=coupon.id), 303)


def _coupon(coupon_id: int) -> Coupon:
    """The store's coupon, else 404 (another store's id is a missing one)."""
    coupon = get_in_store(Coupon, g.store, id=coupon_id, message="Coupon not found")
    g.coupon = coupon
    return coupon


@bp.get("/<int:coupon_id>/edit")
@role_required("manager")
def edit(coupon_id: int):
    coupon = _coupon(coupon_id)
    return _form_page(_typed_from(coupon), coupon)


@bp.post("/<int:coupon_id>/edit")
@role_required("manager")
def update(coupon_id: int):
    """Change a coupon's terms (audited before and after); 422 and nothing changed when it is wrong."""
    coupon = _coupon(coupon_id)
    typed = _typed_form()
    try:
        service.update_coupon(g.store, current_user, coupon, _terms(typed))
    except ValidationError as exc:
        db.session.rollback()
        return _form_page(typed, _coupon(coupon_id), exc.errors or {"__all__": [exc.message]}, 422)
    db.session.commit()
    flash(f"Coupon {coupon.code} saved.", "success")
    return redirect(url_for("coupons.detail", coupon_id=coupon.id), 303)


@bp.post("/<int:coupon_id>/pause")
@role_required("manager")
def pause(coupon_id: int):
    """Pause a coupon: the till and the APIs refuse it until it is resumed."""
    coupon = service.set_active(g.store, current_user, _coupon(coupon_id), False)
    db.session.commit()
    flash(f"Coupon {coupon.code} paused.", "success")
    return redirect(request.form.get("next") == "list" and url_for("coupons.index")
                    or url_for("coupons.detail", coupon_id=coupon.id), 303)


@bp.post("/<int:coupon_id>/resume")
@role_required("manager")
def resume(coupon_id: int):
    coupon = service.set_active(g.store, current_user, _coupon(coupon_id), True)
    db.session.commit()
    flash(f"Coupon {coupon.code} resumed.", "success")
    return redirect(request.form.get("next") == "list" and url_for("coupons.index")
                    or url_for("coupons.detail", coupon_id=coupon.id), 303)


# --------------------------------------------------------------------------- one coupon


@bp.get("/<int:coupon_id>")
@role_required("manager")
def detail(coupon_id: int):
    """A coupon: its terms, how often it was used and by how many customers, the discount it gave, and its uses
    (bill, customer, discount), paged."""
    coupon = _coupon(coupon_id)
    page = page_arg()
    uses = service.coupon_uses(g.store, current_user, coupon, page=page, limit=PAGE_SIZE)
    start, end = service.window_days(g.store, coupon)
    return render_page_or_fragment("coupons/detail.html", "coupons/_uses.html", coupon=coupon, uses=uses,
                                   summary=service.coupon_summary(g.store, coupon), start=start, end=end)
