"""The jewellery API (docs/contracts/001_bc50bf4c3035272a.txt) at the contract's root paths, in its envelope:
{"success": true, "data"/"message": ...} or {"success": false, "message": ...}.

Bearer JWT from the same accounts; the store is the caller's current store (api_login_required, as NamastePMS), so
no path carries a store id and another shop's data is never reachable. Views parse (parse.py), call a service, and
commit once. So far: the metal-rates extension (GET|POST /metal-rates); the contract's seven paths come later.
"""
from __future__ import annotations

from flask import Blueprint, g, request

from blueprints.api.common import JEWELLERY, api_login_required, json_response, read_json
from blueprints.api.jewellery import parse
from blueprints.api.jewellery.serialize import board_row_json, rate_json
from extensions import db
from services.errors import ValidationError
from services.jewellery import rates

bp = Blueprint("jewellery", __name__)


@bp.errorhandler(ValidationError)
def validation_error(exc: ValidationError):
    """Bad input: 400 {"success": false, "message": "<field>: <what is wrong>; ..."}; nothing was written."""
    db.session.rollback()
    parts = [f"{field}: {message}" for field, messages in exc.errors.items() for message in messages]
    return json_response({"success": False, "message": "; ".join(parts) or exc.message}, exc.status)


def _rates_data(store, day, start, end, metal=None, purity=None) -> dict:
    return {
        "date": day.isoformat(),
        "rates": [board_row_json(row) for row in rates.board(store, day)],
        "history": [rate_json(r) for r in rates.history(store, start, end, metal, purity)],
    }


@bp.route("/metal-rates", methods=["GET", "POST"])
@api_login_required(JEWELLERY)
def metal_rates():
    """GET: the rates in force on ?date= (default today) and the history (?from=&to=&metal=&purity=). POST: set
    today's rates (owners and managers)."""
    store = g.store
    today = store.local_today()
    if request.method == "POST":
        saved = rates.set_rates(store, g.api_user, parse.rate_entries(read_json(JEWELLERY)))
        db.session.commit()
        data = _rates_data(store, today, today, today)
        data["saved"] = [rate_json(r) for r in saved]
        return json_response({"success": True, "message": "Metal rates saved successfully", "data": data}, 201)
    day, start, end = parse.history_window(request.args, today)
    metal, purity = parse.history_filters(request.args)
    return json_response({"success": True, "data": _rates_data(store, day, start, end, metal, purity)})
