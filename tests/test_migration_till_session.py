"""The pos_draft -> till_session migration keeps every till's state and renames the constraints, both ways."""
from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from extensions import db
from tests.test_migrations import empty_database_url, migration_app  # noqa: F401  (the fixture)

BEFORE = "df79ea8cf9bc"


def _names(table: str) -> set[str]:
    inspector = inspect(db.engine)
    names = {inspector.get_pk_constraint(table)["name"]}
    names |= {fk["name"] for fk in inspector.get_foreign_keys(table)}
    names |= {uq["name"] for uq in inspector.get_unique_constraints(table)}
    return names


def test_till_session_rename_keeps_rows_and_renames_constraints(backend, tmp_path, empty_database_url):  # noqa: F811
    application = migration_app(backend, tmp_path, empty_database_url)
    with application.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO store (uid, name, invoice_prefix, business_kind, timezone, allow_walk_in, settings, "
                "created_at) VALUES ('s-1', 'Shop', 'INV', 'general', 'Asia/Kolkata', true, '{}', '2025-01-01')"))
            connection.execute(text(
                "INSERT INTO \"user\" (uid, username, email, password_hash, is_verify, is_active_account, "
                "token_version, created_at) VALUES ('u-1', 'asha', 'a@x.in', 'x', true, true, 0, '2025-01-01')"))
            connection.execute(text(
                "INSERT INTO pos_draft (store_id, user_id, payload, updated_at) "
                "VALUES (1, 1, '{\"lines\": [1]}', '2025-01-01')"))
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert "till_session" in tables and "pos_draft" not in tables
        assert _names("till_session") == {"pk_till_session", "fk_till_session_store_id_store",
                                          "fk_till_session_user_id_user", "uq_till_session_store_id_user_id"}
        with db.engine.begin() as connection:
            rows = connection.execute(text("SELECT store_id, user_id, payload FROM till_session")).all()
            assert [(r[0], r[1]) for r in rows] == [(1, 1)] and "lines" in str(rows[0][2])
            # New rows still get ids (PostgreSQL's renamed sequence).
            connection.execute(text("DELETE FROM till_session"))
            connection.execute(text("INSERT INTO till_session (store_id, user_id, payload, updated_at) "
                                    "VALUES (1, 1, '{}', '2025-01-02')"))
        downgrade(revision=BEFORE)
        tables = set(inspect(db.engine).get_table_names())
        assert "pos_draft" in tables and "till_session" not in tables
        assert "pk_pos_draft" in _names("pos_draft")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM pos_draft")).scalar() == 1
        db.engine.dispose()
