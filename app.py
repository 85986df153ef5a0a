"""Application factory: wiring only. Nothing here queries the database or runs at import."""
from __future__ import annotations

import atexit
import gc
import logging
import os
import secrets
import warnings
from pathlib import Path

from flask import Flask

from config import Config
from extensions import csrf, db, init_migrate, limiter, login_manager, mail


def create_app(config_class: type[Config] = Config) -> Flask:
    config = config_class()
    app = Flask(__name__, instance_path=getattr(config, "INSTANCE_PATH", None))
    app.config.from_object(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _ensure_secret_key(app)
    if app.config.get("TRUSTED_PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # SQLite keeps NUMERIC as binary REAL; values are read back quantised to their scale (docs/operations.md).
    warnings.filterwarnings("ignore", message=".*does \\*not\\* support Decimal objects natively.*")

    from services import storage

    storage.init_app(app)  # StorageConfigError for settings that cannot work: stop here, not on the first upload
    db.init_app(app)
    init_migrate(app, directory=str(Path(__file__).parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)

    from services.database import configure_engine_events

    configure_engine_events()

    from services.documents.prerender import configure_prerender

    configure_prerender()

    from blueprints import register_blueprints

    register_blueprints(app)

    from blueprints.errors import register_error_handlers

    register_error_handlers(app)

    from services.formatting import register_template_helpers

    register_template_helpers(app)

    from cli import register_commands

    register_commands(app)

    if app.config.get("GC_FREEZE"):
        _freeze_startup_objects()
    return app


def _freeze_startup_objects() -> None:
    """Python's full garbage collection walks every object the process holds: some 130,000 once the app is built
    (modules, routes, models, templates' code), tens of milliseconds that fall on whichever request is being served
    when it runs. They live as long as the process, so they leave the collector's sight (gc.freeze, after a
    collection so that no garbage is kept); what requests make is collected as before.

    At exit they are handed back (gc.unfreeze), so the last collection still closes what they hold: a SQLite
    connection closed then writes its WAL back into the database file (a CLI command such as seed-demo relies on it)."""
    gc.collect()
    gc.freeze()
    atexit.register(gc.unfreeze)


def _ensure_secret_key(app: Flask) -> None:
    """Use SECRET_KEY from the environment; otherwise a random key kept in instance/secret_key (never in git)."""
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    app.config["SECRET_KEY"] = key_file.read_text().strip()
