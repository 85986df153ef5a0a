"""Home page and health check."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from extensions import db
from services.accounts.access import has_role, stores_of
from services.reports.dashboard import home_summary

bp = Blueprint("main", __name__)


@bp.app_context_processor
def navigation() -> dict:
    """What base.html needs on every page: the user's stores and role here, and which pages exist."""
    stores: list = []
    store = role = None
    if getattr(current_user, "is_authenticated", False):  # current_user is None outside a request
        stores = stores_of(current_user)
        for candidate, candidate_role in stores:
            if candidate.id == current_user.current_store_id or store is None:
                store, role = candidate, candidate_role
                if candidate.id == current_user.current_store_id:
                    break
    return {
        "has_endpoint": lambda name: name in current_app.view_functions,
        "current_store": store,
        "current_role": role,
        "can": lambda minimum: has_role(role, minimum),
        "switch_stores": stores,
        "jewellery_store": store is not None and store.business_kind == "jewellery",
        "mail_to_outbox": not current_app.config.get("MAIL_SERVER"),
    }


@bp.get("/")
def index():
    """The home page: a day's summary for a signed-in user, an introduction otherwise."""
    summary = home_summary(current_user) if current_user.is_authenticated else None
    return render_template("main/index.html", summary=summary)


@bp.get("/healthz")
def healthz():
    """Liveness that touches the database: 200 ok, or 503 when the database does not answer."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means unhealthy
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")
