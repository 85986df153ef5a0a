"""Migration b7e2a9c41d03: a product's making_type may be PC (a percentage of the metal value), and back."""
from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from extensions import db
from tests.test_migrations import empty_database_url, migration_app  # noqa: F401  (the fixture)


def _making_check() -> str:
    [check] = [c for c in inspect(db.engine).get_check_constraints("product") if c["name"].endswith("making_type")]
    return check["sqltext"]


def test_making_type_pc_is_allowed_after_the_upgrade_and_not_after_the_downgrade(backend, tmp_path,
                                                                                 empty_database_url):  # noqa: F811
    application = migration_app(backend, tmp_path, empty_database_url)
    with application.app_context():
        upgrade(revision="b7e2a9c41d03")
        assert "'PC'" in _making_check()
        downgrade(revision="8a11c0de7e55")
        assert "'PC'" not in _making_check() and "'PP'" in _making_check()
        db.engine.dispose()
