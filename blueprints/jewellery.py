"""Jewellery store pages: today's metal rates (set by owners and managers, seen by everyone) with their history,
and the pieces (list with a live search, add and edit with photos).

The rules are services.jewellery's (rates.set_rates, pieces.save_piece: derived weights, HUID shape and
uniqueness) and services.documents.uploads's (images judged by their bytes); these views parse the forms, call
them, put their field errors beside the fields (422, nothing written) and commit once. Only jewellery stores have
these pages: elsewhere they are 404.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.decorators import role_required
from blueprints.forms import RATE_FIELDS, PieceForm, RatesForm, apply_errors
from blueprints.htmx import render_page_or_fragment
from blueprints.paging import page_arg
from extensions import db
from models import Product
from services.accounts.access import has_role
from services.billing.fields import to_decimal
from services.documents.uploads import read_image
from services.errors import FieldErrors, ValidationError
from services.jewellery import pieces as piece_service
from services.jewellery import rates as rate_service
from services.scoping import get_in_store

bp = Blueprint("jewellery_web", __name__, url_prefix="/jewellery")

HISTORY_DAYS = 10
PAGE_SIZE = 20
JEWELLERY = "jewellery"
# Service field -> form field, where they differ
PIECE_FIELDS = {"product_name": "name", "metal": "metal_purity", "purity": "metal_purity",
                "tax_json": "gst_rate", "stones[0].weight": "stone_weight", "stones[0].unit": "stone_unit",
                "stones[0].value": "stone_value"}
DECIMAL_FIELDS = ("gross_weight", "less_weight", "tounch", "wastage", "making_charge", "stone_weight", "stone_value",
                  "hallmark_fee", "gst_rate")


def jewellery_page(minimum: str) -> Callable:
    """role_required(minimum), and the store must be a jewellery store (404 elsewhere)."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def check(*args, **kwargs):
            if g.store.business_kind != JEWELLERY:
                abort(404)
            return view(*args, **kwargs)

        return role_required(minimum)(check)

    return decorator


# --------------------------------------------------------------------------- today's rates


def _rates_page(form: RatesForm, status: int = 200):
    store = g.store
    return render_page_or_fragment(
        "jewellery/rates.html", "jewellery/_rate_history.html", status=status, form=form,
        board=rate_service.board(store, store.local_today()), today=store.local_today(),
        history=rate_service.history_by_day(store, page_arg(), HISTORY_DAYS), columns=RATE_FIELDS,
        can_set=has_role(g.membership.role, "manager"))


@bp.get("/rates")
@jewellery_page("cashier")
def rates():
    """Today's rate for each metal and purity (set or derived), the form to set them, and the history by day."""
    form = RatesForm()
    today = g.store.local_today()
    for row in rate_service.board(g.store, today):
        if row.quote is not None and row.quote.derived_from is None and row.quote.date == today:
            getattr(form, f"{row.metal}_{row.purity}").data = f"{row.quote.price_per_gram:.2f}"
    return _rates_page(form)


@bp.post("/rates")
@jewellery_page("manager")
def set_rates():
    """Set today's rates from the boxes filled in (owners and managers); all or nothing."""
    form = RatesForm()
    if not form.validate_on_submit():
        return _rates_page(form, 422)
    given = [(metal, purity, name, (getattr(form, name).data or "").strip()) for metal, purity, name in RATE_FIELDS]
    given = [entry for entry in given if entry[3]]
    try:
        rate_service.set_rates(g.store, current_user,
                               [rate_service.RateEntry(metal, purity, raw) for metal, purity, _, raw in given])
    except ValidationError as exc:
        db.session.rollback()
        apply_errors(form, _rate_errors(exc.errors, [name for _, _, name, _ in given]))
        return _rates_page(form, 422)
    db.session.commit()
    flash("Today's rates saved: " + ", ".join(f"{m.title()} {p} ₹{raw}" for m, p, _, raw in given) + ".", "success")
    return redirect(url_for(".rates"), 303)


def _rate_errors(errors: dict, names: list[str]) -> dict:
    """The service's keys ("price_per_gram" for one entry, "rates[i].price_per_gram" for several) -> form fields."""
    shown: dict[str, list[str]] = {}
    for key, messages in errors.items():
        name = None
        if key.startswith("rates[") and "]" in key:
            index = int(key[6:key.index("]")])
            name = names[index] if index < len(names) else None
        elif key in ("price_per_gram", "metal", "purity") and len(names) == 1:
            name = names[0]
        shown.setdefault(name or "non_field_errors", []).extend(messages)
    return shown


# --------------------------------------------------------------------------- pieces


def _piece(piece_id: int) -> Product:
    """The store's piece; a missing id, another shop's and a product that is not a piece are the same 404."""
    piece = get_in_store(Product, g.store, id=piece_id, live=True, message="Piece not found")
    if piece.gross_weight is None:
        abort(404)
    return piece


@bp.get("/pieces")
@jewellery_page("cashier")
def pieces():
    """The store's pieces, newest first, searched by name, tag or HUID (live with HTMX), paged; `needs_huid=1`
    keeps those that cannot be sold until their HUID is entered (hallmark_problem, the sale's own rule)."""
    q = request.args.get("q", "").strip()[:100]
    needs_huid = request.args.get("needs_huid") == "1"
    found = piece_service.list_pieces(g.store, q, page_arg(), PAGE_SIZE, awaiting=needs_huid)
    args = {key: value for key, value in (("q", q), ("needs_huid", "1" if needs_huid else "")) if value}
    return render_page_or_fragment("jewellery/pieces.html", "jewellery/_pieces.html", found=found, q=q,
                                   needs_huid=needs_huid, args=args,
                                   awaiting=len(piece_service.awaiting_huid(g.store)),
                                   status_of=piece_service.piece_status,
                                   hallmark_of=functools.partial(piece_service.hallmark_problem, g.store),
                                   can_edit=has_role(g.membership.role, "manager"))


@bp.route("/pieces/new", methods=["GET", "POST"])
@jewellery_page("manager")
def new_piece():
    """Add a piece (owners and managers): weights, purity, making, HUID, tag and photos."""
    return _piece_form(None)


@bp.route("/pieces/<int:piece_id>", methods=["GET", "POST"])
@jewellery_page("manager")
def edit_piece(piece_id: int):
    """Change a piece; its derived weights are worked out again."""
    return _piece_form(_piece(piece_id))


def _piece_form(piece: Product | None):
    form = PieceForm(obj=piece) if request.method == "GET" else PieceForm()
    if request.method == "GET" and piece is not None:
        form.name.data = piece.product_name
        form.type.data = piece.trade_type
        attributes = piece.attributes or {}
        form.metal_purity.data = f"{attributes.get('metal')}-{attributes.get('purity')}"
        stones = attributes.get("stones") or []
        if stones:
            form.stone_weight.data, form.stone_unit.data = stones[0]["weight"], stones[0]["unit"]
            form.stone_value.data = stones[0]["value"]
        form.hallmark_fee.data = attributes.get("hallmark_fee")
        form.gst_rate.data = f"{(piece.cgst_rate or 0) + (piece.sgst_rate or 0):f}"
    if request.method == "POST" and form.validate_on_submit():
        try:
            images = _images(form)
            saved = piece_service.save_piece(g.store, current_user, piece, _piece_given(form, piece), images)
        except ValidationError as exc:
            db.session.rollback()
            errors = {PIECE_FIELDS.get(k, k): v for k, v in exc.errors.items()}
            apply_errors(form, errors or {"non_field_errors": [exc.message]})
        else:
            db.session.commit()
            flash(f"{saved.product_name} saved: net {saved.net_weight} g, fine {saved.fine_weight} g.", "success")
            return redirect(url_for(".pieces", q=saved.huid or saved.sku or saved.product_name), 303)
    status = 422 if request.method == "POST" else 200
    hallmark = piece_service.hallmark_problem(g.store, piece) if piece is not None else None
    return render_template("jewellery/piece_form.html", form=form, piece=piece, hallmark=hallmark), status


def _piece_given(form: PieceForm, piece: Product | None = None) -> dict[str, Any]:
    """The form as save_piece's `given`: numbers as Decimals (text that is not one is passed on for the service to
    refuse beside its field), blanks as None, the metal and purity split; the form's one stone row replaces the
    piece's first stone (others, given over the API, are kept)."""
    metal, _, purity = (form.metal_purity.data or "").partition("-")
    given: dict[str, Any] = {"name": (form.name.data or "").strip(), "type": form.type.data,
                             "metal": metal or None, "purity": purity or None,
                             "huid": (form.huid.data or "").strip().upper() or None,
                             "making_type": form.making_type.data}
    for name in ("sku", "barcode", "hsn_code", "size", "remark"):
        given[name] = (getattr(form, name).data or "").strip() or None
    for name in DECIMAL_FIELDS:
        raw = (getattr(form, name).data or "").strip()
        given[name] = (to_decimal(raw) if to_decimal(raw) is not None else raw) if raw else None
    weight, value = given.pop("stone_weight"), given.pop("stone_value")
    others = ((piece.attributes or {}).get("stones") or [])[1:] if piece is not None else []
    stone = [{"weight": weight, "unit": form.stone_unit.data, "value": value or 0}] if weight or value else []
    given["stones"] = stone + others
    if given["gst_rate"] is None:
        del given["gst_rate"]  # blank: the piece keeps its rate (a new one: 3 %)
    return given


def _images(form: PieceForm) -> dict[str, tuple[bytes, str, str]]:
    """The photos sent, each judged by its bytes; every bad one is a message beside its field."""
    images, errors = {}, FieldErrors()
    for name in ("image", "additional_image"):
        upload = getattr(form, name).data
        if upload is None or not getattr(upload, "filename", ""):
            continue
        try:
            data, kind = read_image(upload.stream, name)
        except ValidationError as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    errors.add(field, message)
            continue
        images[name] = (data, kind, upload.filename[:255])
    errors.raise_if()
    return images
