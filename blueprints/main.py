"""Home page and health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from extensions import db
from services.dashboard import home_summary

bp = Blueprint("main", __name__)


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
