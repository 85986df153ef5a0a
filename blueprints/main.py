"""Home page and health check."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text
from werkzeug.local import LocalProxy

from extensions import db
from services.accounts.access import has_role, stores_of
from services.reports.dashboard import home_summary

bp = Blueprint("main", __name__)


@bp.app_context_processor
def navigation() -> dict:
    """What base.html needs on every page: the user's stores and role here, and which pages exist. The stores are
    read when a template first asks for them: a fragment (an HTMX swap, one row) that shows none costs no query."""
    found: dict = {}

    def here() -> dict:
        if not found:
            found.update(_where_the_user_works())
        return found

    return {
        "has_endpoint": lambda name: name in current_app.view_functions,
        "current_store": LocalProxy(lambda: here()["store"]),
        "current_role": LocalProxy(lambda: here()["role"]),
        "can": lambda minimum: has_role(here()["role"], minimum),
        "switch_stores": LocalProxy(lambda: here()["stores"]),
        "jewellery_store": LocalProxy(lambda: here()["store"] is not None
                                      and here()["store"].business_kind == "jewellery"),
        "mail_to_outbox": not current_app.config.get("MAIL_SERVER"),
    }


def _where_the_user_works() -> dict:
    """The signed-in user's stores with their roles (one query), and the store they work in with their role."""
    stores: list = []
    store = role = None
    if getattr(current_user, "is_authenticated", False):  # current_user is None outside a request
        stores = stores_of(current_user)
        for candidate, candidate_role in stores:
            if candidate.id == current_user.current_store_id or store is None:
                store, role = candidate, candidate_role
                if candidate.id == current_user.current_store_id:
                    break
    return {"stores": stores, "store": store, "role": role}


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
