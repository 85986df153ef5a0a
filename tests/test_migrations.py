"""The checked-in migration builds the whole schema on an empty database, matches the models, and undoes."""
from __future__ import annotations

import uuid

import pytest
from flask_migrate import check, downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from extensions import db
from tests.conftest import PG_URL, make_test_config


@pytest.fixture
def empty_database_url(backend, tmp_path):
    """A brand-new empty database of the backend under test, dropped afterwards.

    On PostgreSQL an empty schema first on the search_path stands in for a new database: DROP DATABASE waits for
    a checkpoint (minutes on a busy machine), DROP SCHEMA does not.
    """
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    name = f"mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    url = make_url(PG_URL)
    yield url.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    admin.dispose()


def migration_app(backend, tmp_path, url):
    """An app on the empty database `url`, for running migrations by hand."""
    from config import engine_options

    config = make_test_config(backend, tmp_path)

    class MigrationConfig(config):
        def __init__(self):
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = url
            self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(url)

    return create_app(MigrationConfig)


def test_migration_upgrades_checks_clean_and_downgrades(backend, tmp_path, empty_database_url):
    application = migration_app(backend, tmp_path, empty_database_url)
    with application.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        check()  # exits non-zero if the models and the migrations disagree
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
