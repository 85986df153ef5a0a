"""Extension objects, created unbound so models, services and blueprints can import them without cycles."""
import logging

import click
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

MIGRATE_OPTIONS = {"render_as_batch": True, "compare_type": True}


def init_migrate(app: Flask, directory: str) -> None:
    """Flask-Migrate for `flask db ...` and flask_migrate's functions, without importing it in a web worker.

    Flask-Migrate imports Alembic, which imports Mako and Pygments: some 8 MB of a worker's memory for commands a
    worker never runs (docs/performance.md "One worker's memory"). So the app gets a stand-in, bound to the real
    Flask-Migrate the first time anything reads `app.extensions["migrate"]` (flask_migrate.upgrade() and the
    migrations' env.py do) or runs `flask db`; from then on it is exactly Flask-Migrate's own set-up."""
    app.extensions["migrate"] = _PendingMigrate(app, directory)
    app.cli.add_command(_PendingDbCommands(app, directory), "db")


def bind_migrate(app: Flask, directory: str):
    """The app's real Flask-Migrate configuration, set up now if it was still the stand-in."""
    if isinstance(app.extensions.get("migrate"), _PendingMigrate):
        # Imported after create_app's logging.basicConfig, Alembic would log each plugin it sets up (INFO).
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
        from flask_migrate import Migrate  # Alembic, Mako, Pygments: only where migrations are run

        Migrate(app, db, directory=directory, **MIGRATE_OPTIONS)  # replaces the stand-in and the `db` command
    return app.extensions["migrate"]


class _PendingMigrate:
    """app.extensions["migrate"] until first read: any attribute binds Flask-Migrate and is read from it."""

    def __init__(self, app: Flask, directory: str) -> None:
        self._app, self._directory = app, directory

    def __getattr__(self, name: str):
        return getattr(bind_migrate(self._app, self._directory), name)


class _PendingDbCommands(click.Group):
    """The `flask db` group until it is run: running it (or asking its help) runs Flask-Migrate's own group."""

    def __init__(self, app: Flask, directory: str) -> None:
        super().__init__("db", help="Perform database migrations.")
        self._app, self._directory = app, directory

    def make_context(self, info_name, args, parent=None, **extra):
        bind_migrate(self._app, self._directory)
        from flask_migrate.cli import db as commands

        return commands.make_context(info_name, args, parent=parent, **extra)
