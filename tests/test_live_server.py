"""The real server: gunicorn with two workers serves the migrated embedded database."""
from __future__ import annotations

import json
import urllib.request

import pytest


@pytest.mark.slow
def test_gunicorn_serves_health_and_home_on_a_migrated_sqlite_file(live_server):
    server = live_server(workers=2)
    with urllib.request.urlopen(server.url + "/healthz", timeout=5) as response:
        assert json.loads(response.read()) == {"status": "ok"}
    with urllib.request.urlopen(server.url + "/", timeout=5) as response:
        assert response.status == 200
        assert b"htmx-2.0.11.min.js" in response.read()
    assert (server.instance_path / "shop.db").exists()
