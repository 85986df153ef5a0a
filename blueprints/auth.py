"""Web sign-in pages (Flask-Login sessions)."""
from __future__ import annotations

from typing import Optional

from flask import Blueprint

from extensions import db, login_manager
from models import User

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"


@login_manager.user_loader
def load_user(session_id: str) -> Optional[User]:
    """Session ids are "<user id>:<token version>", so bumping the version ends old sessions."""
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.token_version != version or not user.is_active_account:
        return None
    return user
