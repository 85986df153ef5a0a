"""Admin pages: store settings and staff (owner only), and the store switcher (every member)."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import available_timezones

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from blueprints.auth import safe_next
from blueprints.decorators import role_required
from blueprints.forms import EmptyForm, InviteForm, RoleForm, StoreSettingsForm, apply_errors
from blueprints.htmx import render_page_or_fragment
from blueprints.paging import page_arg
from extensions import db
from services import audit
from services.accounts import users as accounts
from services.accounts.access import stores_of
from services.accounts.billing_options import FLAGS, billing_options
from services.accounts.store_settings import update_store_settings
from services.billing.fields import to_date
from services.documents import uploads
from services.errors import DomainError, ValidationError

bp = Blueprint("admin", __name__, url_prefix="/admin")

COMMON_ZONES = ("Asia/Kolkata", "Asia/Dubai", "Asia/Singapore", "Asia/Kathmandu", "Europe/London", "UTC")
# The service's keys for the scale label setting -> the form's fields
SCALE_FIELDS = {"scale_barcode": "scale_value", "scale_barcode.value": "scale_value",
                "scale_barcode.prefix": "scale_prefix", "scale_barcode.item_digits": "scale_item_digits"}


def _external(endpoint: str, **values) -> str:
    """An absolute link for mail: PUBLIC_BASE_URL when set (behind a proxy), else this request's host."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


@bp.route("/settings", methods=["GET", "POST"])
@role_required("owner")
def settings():
    """The store's details for invoices and the till; owners only."""
    store = g.store
    form = StoreSettingsForm(obj=store)
    if request.method == "GET":
        _show_billing_options(form, store)
        if not store.invoice_prefix:
            form.invoice_prefix.data = "INV"
    if form.validate_on_submit():
        upload = form.logo.data if form.logo.data and getattr(form.logo.data, "filename", "") else None
        old_logo = store.logo_path
        try:
            update_store_settings(current_user, store, _settings_data(form), logo=upload.stream if upload else None)
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, {SCALE_FIELDS.get(key, key): messages for key, messages in exc.errors.items()})
        else:
            db.session.commit()
            if upload and old_logo and old_logo != store.logo_path:
                uploads.remove(old_logo)
            flash("Store settings saved.", "success")
            return redirect(url_for(".settings"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/settings.html", form=form, store=store, zones=COMMON_ZONES,
                           all_zones=sorted(available_timezones())), status


def _show_billing_options(form: StoreSettingsForm, store) -> None:
    options = billing_options(store)
    for flag in FLAGS:
        getattr(form, flag).data = getattr(options, flag)
    form.loyalty_per_100.data = f"{options.loyalty_per_100:.2f}"
    form.loyalty_point_value.data = f"{options.loyalty_point_value:.2f}"
    if options.scale_barcode:
        form.scale_value.data = options.scale_barcode.value
        form.scale_prefix.data = options.scale_barcode.prefix
        form.scale_item_digits.data = str(options.scale_barcode.item_digits)


def _settings_data(form: StoreSettingsForm) -> dict:
    """Every field of the page for update_store_settings: the text fields as typed, the boxes as True/False (an
    unticked box is not posted at all) and the scale label setting as one value (None when off)."""
    data: dict = request.form.to_dict()
    for flag in FLAGS:
        data[flag] = bool(getattr(form, flag).data)
    data["scale_barcode"] = {"prefix": (form.scale_prefix.data or "").strip(), "value": form.scale_value.data,
                             "item_digits": form.scale_item_digits.data} if form.scale_value.data else None
    return data


@bp.get("/staff")
@role_required("owner")
def staff():
    """Who works in this store, with their roles; invite someone by email."""
    return _staff_page(InviteForm())


def _staff_page(invite_form: InviteForm, status: int = 200):
    members = accounts.members_of(g.store)
    role_forms = {m.id: RoleForm(prefix=f"m{m.id}", role=m.role) for m in members}
    return render_template("admin/staff.html", store=g.store, members=members, invite_form=invite_form,
                           role_forms=role_forms, empty_form=EmptyForm()), status


@bp.post("/staff/invite")
@role_required("owner")
def invite():
    """Add a person by email with a role; a new person sets their password through "forgot password"."""
    form = InviteForm()
    email = accounts.normalise_email(form.email.data)
    try:
        accounts.invite_member(current_user, g.store, email, form.role.data or "",
                               accept_url=_external("auth.forgot_password", email=email))
    except ValidationError as exc:
        db.session.rollback()
        apply_errors(form, exc.errors, fallback="email")
        return _staff_page(form, 422)
    db.session.commit()
    flash(f"{email} is invited as {form.role.data}.", "success")
    return redirect(url_for(".staff"), 303)


@bp.post("/staff/<int:membership_id>/role")
@role_required("owner")
def change_role(membership_id: int):
    """Change a member's role (a store always keeps one owner)."""
    role = request.form.get(f"m{membership_id}-role") or request.form.get("role") or ""
    return _staff_change(lambda: accounts.change_role(current_user, g.store, membership_id, role), "Role changed.")


@bp.post("/staff/<int:membership_id>/remove")
@role_required("owner")
def remove_member(membership_id: int):
    """Take someone out of this store (their account stays; other stores are not touched)."""
    return _staff_change(lambda: accounts.remove_member(current_user, g.store, membership_id),
                         "Removed from the store.")


def _staff_change(change, done: str):
    """Run one change to the staff list, then back to it with the outcome flashed (a missing member is a 404)."""
    try:
        change()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        flash(" ".join(m for ms in exc.errors.values() for m in ms) or exc.message, "error")
        return redirect(url_for(".staff"), 303)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(".staff"), 303)


AUDIT_PAGE_SIZE = 50


def _audit_filters(members: list) -> tuple[dict, dict, dict]:
    """The audit page's query string, checked: (as typed, store_entries arguments, errors beside the fields)."""
    args = request.args
    typed = {name: (args.get(name) or "").strip()[:40] for name in ("entity", "action", "user", "from", "to")}
    errors: dict = {}
    query: dict = {"entity": typed["entity"] or None, "action": typed["action"] or None}
    if typed["user"]:
        ids = {str(m.user_id): m.user_id for m in members}
        if typed["user"] not in ids:
            errors["user"] = ["Choose someone from the list."]
        query["user_id"] = ids.get(typed["user"])
    days = {}
    for name in ("from", "to"):
        if typed[name]:
            days[name] = to_date(typed[name])
            if days[name] is None:
                errors[name] = ["Enter a date as YYYY-MM-DD."]
    zone = g.store.zone
    if days.get("from") and days.get("to") and days["from"] > days["to"]:
        errors["to"] = ["Must not be before the start date."]
        days["to"] = None
    # Days are the store's days: from its midnight to the next.
    query["start"] = datetime.combine(days["from"], time.min, zone) if days.get("from") else None
    query["end"] = datetime.combine(days["to"] + timedelta(days=1), time.min, zone) if days.get("to") else None
    return typed, query, errors


@bp.get("/audit")
@role_required("owner")
def audit_log():
    """Who changed what in this store, newest first: filter by entity, action, person and dates; paged."""
    members = accounts.members_of(g.store)
    typed, query, errors = _audit_filters(members)
    found = audit.store_entries(g.store.id, page=page_arg(), limit=AUDIT_PAGE_SIZE, **query)
    entities, actions = audit.store_vocabulary(g.store.id)
    names = {m.user_id: m.user.username for m in members}
    args = {k: v for k, v in typed.items() if v}
    links = _audit_links(audit.targets(g.store.id, found.items))
    return render_page_or_fragment("admin/audit.html", "admin/_audit_rows.html", found=found, typed=typed,
                                   args=args, errors=errors, entities=entities, actions=actions, members=members,
                                   names=names, store=g.store, links=links)


@bp.get("/audit/chain")
@role_required("owner")
def audit_chain():
    """Whether the store's audit trail verifies (no row changed or deleted), naming the rows that do not. The audit
    page loads it after the list (HTMX), since it reads the whole trail; without JavaScript it is a page of its own."""
    return render_page_or_fragment("admin/audit_chain.html", "admin/_audit_chain.html", chain=audit.verify(g.store.id),
                                   store=g.store)


AUDIT_LINKS = {  # what an audit row is about -> (its page, the link's words)
    "bill": ("bills.detail", "bill_id", "open bill"),
    "purchase": ("purchases.detail", "bill_id", "open purchase"),
    "credit_note": ("bills.credit_note", "note_id", "open credit note"),
    "product": ("inventory.edit", "product_id", "open product"),
    "stock": ("stock.history", "product_id", "stock history"),
}


def _audit_links(targets: dict[int, list[tuple[str, int]]]) -> dict[int, list[tuple[str, str]]]:
    """Audit row id -> [(url, words)] for the records it is about that still exist (jewellery pieces open their
    own form)."""
    jewellery = g.store.business_kind == "jewellery"
    links: dict[int, list[tuple[str, str]]] = {}
    for entry_id, found in targets.items():
        for kind, record_id in found:
            if kind == "product" and jewellery:
                url, words = url_for("jewellery_web.edit_piece", piece_id=record_id), "open piece"
            else:
                endpoint, arg, words = AUDIT_LINKS[kind]
                url = url_for(endpoint, **{arg: record_id})
            links.setdefault(entry_id, []).append((url, words))
    return links


@bp.get("/stores")
@login_required
def stores():
    """The stores you work in, to switch between them."""
    return render_template("admin/stores.html", stores=stores_of(current_user), empty_form=EmptyForm())


@bp.post("/stores/switch")
@login_required
def switch_store():
    """Work in another of your stores (the web pages and the NamastePMS API follow it)."""
    try:
        store_id = int(request.form.get("store_id", ""))
    except ValueError:
        store_id = 0
    store = accounts.switch_store(current_user, store_id)  # NotFound -> 404 page
    db.session.commit()
    flash(f"You are now working in {store.name}.", "success")
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"), 303)


