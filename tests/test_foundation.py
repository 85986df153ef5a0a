"""The skeleton: health check, home page, error envelopes per surface, mail outbox, configuration."""
from __future__ import annotations

import re

import pytest
from sqlalchemy.exc import OperationalError

from config import Config
from extensions import db


def test_healthz_answers_ok_after_touching_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_answers_503_when_the_database_fails(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] != "ok"


def test_home_page_loads_pinned_vendored_htmx_and_csrf_header(client, app):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/static/vendor/htmx-2.0.11.min.js" in html
    assert "/static/vendor/pico-2.1.1.min.css" in html
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[^\"]+\"\}'>", html)
    assert "http://" not in html.replace("http://localhost", "") and "https://" not in html
    assert client.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200


def test_home_page_shows_the_store_summary_when_signed_in(client, make_user, app):
    user = make_user(username="asha", store_name="Asha General Store")
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    html = client.get("/").get_data(as_text=True)
    assert "Asha General Store" in html
    assert 'id="bills-today">0<' in html


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/api/no-such-thing/", {"detail": "Not found."}),
        ("/api/v1/no-such-thing", {"success": False, "message": "Not Found"}),
        ("/get-invoice-home-nope", None),
    ],
)
def test_unknown_urls_answer_in_their_surface_envelope(client, path, expected):
    response = client.get(path)
    assert response.status_code == 404
    if expected is None:
        assert response.content_type.startswith("text/html")
        assert "404" in response.get_data(as_text=True)
    else:
        assert response.get_json() == expected


def test_jewellery_paths_use_the_success_envelope(client):
    response = client.get("/invoice/does-not-exist/not-a-route")
    assert response.status_code == 404
    assert response.get_json() == {"success": False, "message": "Not Found"}
    response = client.get("/api/logs/nothing-here")
    assert response.get_json() == {"success": False, "message": "Not Found"}


def test_wrong_method_on_an_api_url_answers_405_in_drf_words(client, app):
    # A throwaway route proves the handler's wording without depending on any feature's endpoints.
    @app.route("/api/_probe/", methods=["GET"])
    def probe():
        return {"ok": True}

    response = client.delete("/api/_probe/")
    assert response.status_code == 405
    assert response.get_json() == {"detail": 'Method "DELETE" not allowed.'}
    assert "GET" in response.headers["Allow"]


def test_unexpected_errors_answer_500_in_the_surface_envelope(client, app):
    @app.route("/api/v1/_boom")
    def boom():
        raise RuntimeError("kaboom")

    @app.route("/api/_boom/")
    def boom_drf():
        raise RuntimeError("kaboom")

    response = client.get("/api/v1/_boom")
    assert response.status_code == 500
    assert response.get_json() == {"success": False, "message": "Internal server error"}
    response = client.get("/api/_boom/")
    assert response.get_json() == {"detail": "A server error occurred."}


def test_mail_without_a_server_goes_to_the_outbox(app, outbox):
    from services.mail import send_mail

    send_mail("owner@example.com", "Your code", "Code 123456", html="<p>Code <b>123456</b></p>")
    messages = outbox()
    assert len(messages) == 1
    assert messages[0]["To"] == "owner@example.com"
    assert messages[0]["Subject"] == "Your code"
    parts = [part.get_content_type() for part in messages[0].walk()]
    assert "text/plain" in parts and "text/html" in parts


def test_config_reads_the_environment_when_instantiated(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("MAIL_PORT", "2525")
    config = Config()
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/db"
    assert config.RATELIMIT_ENABLED is False
    assert config.MAIL_PORT == 2525
    monkeypatch.delenv("DATABASE_URL")
    assert Config().SQLALCHEMY_DATABASE_URI.endswith("instance/shop.db")


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    from sqlalchemy import text

    from app import create_app
    from config import TestConfig, engine_options

    url = f"sqlite:///{tmp_path / 'shop.db'}"

    class FileConfig(TestConfig):
        def __init__(self):
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = url
            self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(url)
            self.INSTANCE_PATH = str(tmp_path)

    application = create_app(FileConfig)
    with application.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        db.engine.dispose()


def test_secret_key_is_generated_once_per_instance_when_not_configured(tmp_path, monkeypatch):
    from app import create_app
    from config import TestConfig

    class NoSecret(TestConfig):
        def __init__(self):
            super().__init__()
            self.SECRET_KEY = None
            self.INSTANCE_PATH = str(tmp_path)

    first = create_app(NoSecret).config["SECRET_KEY"]
    second = create_app(NoSecret).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def _sign_in(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def test_navigation_shows_settings_to_owners_only(client, make_user, make_store):
    store = make_store(name="Corner Shop")
    cashier = make_user(username="ravi", store=store, role="cashier")
    _sign_in(client, cashier)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/admin/settings"' not in html
    owner = make_user(username="meena")
    _sign_in(client, owner)
    assert 'href="/admin/settings"' in client.get("/").get_data(as_text=True)


def test_store_switcher_appears_for_a_user_of_several_stores(client, make_user, make_store):
    other = make_store(name="Second Branch")
    single = make_user(username="solo")
    _sign_in(client, single)
    assert 'name="store_id"' not in client.get("/").get_data(as_text=True)
    multi = make_user(username="multi", store=other, role="manager")
    _sign_in(client, multi)
    html = client.get("/").get_data(as_text=True)
    assert 'name="store_id"' in html and "Second Branch (manager)" in html and "multi shop (owner)" in html


@pytest.mark.parametrize("hops, expected", [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_forwarded_client_address_is_trusted_only_behind_a_configured_proxy(tmp_path, hops, expected):
    from flask import request

    from app import create_app
    from tests.conftest import make_test_config

    application = create_app(make_test_config("sqlite", tmp_path, TRUSTED_PROXY_COUNT=hops))

    @application.get("/_whoami")
    def whoami():
        return request.remote_addr or ""

    response = application.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.9"},
                                              environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.get_data(as_text=True) == expected
