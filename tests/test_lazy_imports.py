"""A web worker carries only what its requests use (issue 17, docs/performance.md "One worker's memory").

Building the app (what a gunicorn worker does before its first request) must not import the heavy libraries:
PDF rendering (xhtml2pdf, ReportLab, html5lib, pypdf), images (PIL), barcodes, QR codes, XLSX (openpyxl), S3
(boto3), amounts in words, or the migration tooling (Flask-Migrate, Alembic, Mako, Pygments). Each is imported by
the function that needs it. Checked in a fresh interpreter, since this test process has long imported them all.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

HEAVY = ("reportlab", "xhtml2pdf", "html5lib", "pypdf", "svglib", "PIL", "barcode", "segno", "openpyxl", "boto3",
         "botocore", "num2words", "flask_migrate", "alembic", "mako", "pygments")

PROBE = """
import json, sys
from app import create_app
app = create_app()
client = app.test_client()
pages = {path: client.get(path).status_code for path in ("/healthz", "/auth/login", "/")}
loaded = lambda: sorted({name.partition(".")[0] for name in sys.modules} & set(json.loads(sys.argv[1])))
after_start = loaded()
use = sys.argv[2]
if use == "label":
    from services.catalog.labels import barcode_image
    barcode_image("8901234567890")
heads = ""
if use == "migrate":
    heads = app.test_cli_runner().invoke(args=["db", "heads"]).output
print(json.dumps({"pages": pages, "after_start": after_start, "after_use": loaded(), "heads": heads}))
"""


def probe(tmp_path: Path, use: str = "") -> dict:
    env = {"PATH": "/usr/bin:/bin", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "lazy-imports-test",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}", "RATELIMIT_ENABLED": "false"}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(HEAVY), use], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_building_the_app_and_serving_a_page_imports_no_heavy_library(tmp_path):
    found = probe(tmp_path)
    assert found["pages"]["/healthz"] == 200  # the app really served (the database is empty: pages may redirect)
    assert found["after_start"] == []
    assert found["after_use"] == []


@pytest.mark.slow
def test_the_probe_sees_a_library_once_it_is_used(tmp_path):
    """The check above can fail: drawing a barcode imports python-barcode and PIL, `flask db heads` imports
    Flask-Migrate and Alembic (and prints the migrations' head), and the probe reports them."""
    label = probe(tmp_path, "label")
    assert label["after_start"] == []
    assert {"barcode", "PIL"} <= set(label["after_use"])
    migrate = probe(tmp_path, "migrate")
    assert {"flask_migrate", "alembic"} <= set(migrate["after_use"])
    assert "(head)" in migrate["heads"]


def test_label_geometry_is_reportlabs(app):
    """services.catalog.labels writes ReportLab's mm and A4 itself (so importing it does not import ReportLab)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    from services.catalog import labels

    assert labels.mm == mm
    assert labels.A4 == A4


def test_flask_db_commands_run_through_the_stand_in(app):
    """`flask db` is Flask-Migrate's own group once run: its options, its commands, and app.extensions["migrate"]
    becomes Flask-Migrate's configuration. (What `db heads` prints goes to the stdout Alembic saw when first
    imported, which a CLI runner cannot capture once another test has imported it; the probe above reads it.)"""
    from flask_migrate import _MigrateConfig

    runner = app.test_cli_runner()
    usage = runner.invoke(args=["db", "--help"])
    assert usage.exit_code == 0, usage.output
    assert "--x-arg" in usage.output and "upgrade" in usage.output
    assert isinstance(app.extensions["migrate"], _MigrateConfig)
    assert app.extensions["migrate"].directory.endswith("migrations")
    heads = runner.invoke(args=["db", "heads"])
    assert heads.exit_code == 0 and heads.exception is None, heads.output


QUEUE_PROBE = """
import json, sys
import jobs
print(json.dumps([type(jobs.huey).__name__, "redis" in sys.modules, "psycopg" in sys.modules]))
"""


def queue_probe(tmp_path: Path, **env: str) -> list:
    done = subprocess.run([sys.executable, "-c", QUEUE_PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "INSTANCE_PATH": str(tmp_path), **env})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_job_queue_imports_only_its_own_client(tmp_path):
    """Huey's storage module imports every installed queue client; jobs.py holds back the ones its queue does not
    use: a SQLite queue (the default) imports neither redis-py nor psycopg, a Redis queue imports redis-py and
    works (a RedisHuey with its connection pool; nothing connects until a job is sent)."""
    assert queue_probe(tmp_path) == ["SqliteHuey", False, False]
    assert queue_probe(tmp_path, JOB_QUEUE_URL="redis://127.0.0.1:6379/15") == ["RedisHuey", True, False]
    assert queue_probe(tmp_path, JOB_QUEUE_URL="immediate") == ["MemoryHuey", False, False]
