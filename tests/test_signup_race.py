"""Ten signups at once with the same username or email: one account, the rest the contract's duplicate error.

The check in services.accounts.stores sees nothing while the first signup is still uncommitted; the unique index then
refuses the others, and the savepoint around the insert turns that into the check's own answer (never a 500).
PostgreSQL: threads through the Flask app in this process. SQLite: a database file served by gunicorn workers.
"""
from __future__ import annotations

import http.cookiejar
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, func, select, text

from extensions import db
from models import Membership, Store, User
from tests.accounts_helpers import signup_body

SIGNUPS = 10
TAKEN = {
    "username": {"username": ["A user with that username already exists."]},
    "email": {"email": ["user with this email already exists."]},
}
PASSWORD = "Sup3rSecret!"


def body_for(clash: str, index: int) -> dict:
    """The index-th signup: the same username, or the same email, as every other one."""
    if clash == "username":
        return signup_body("asha", email=f"asha{index}@example.com")
    if clash == "email":
        return signup_body(f"asha{index}", email="asha@example.com")
    return signup_body(f"asha{index}")


def race(count: int, one) -> list:
    barrier = threading.Barrier(count)

    def run(index: int):
        barrier.wait()
        return one(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def check_api(results, clash: str) -> None:
    assert Counter(status for status, _ in results) == Counter({201: 1, 400: SIGNUPS - 1}), results
    assert all(body == TAKEN[clash] for status, body in results if status == 400), results


def check_web(results, clash: str) -> None:
    # The web page answers a refused form with 422 and the message beside the field (its envelope for field errors).
    assert Counter(status for status, _ in results) == Counter({303: 1, 422: SIGNUPS - 1}), [r[0] for r in results]
    message = TAKEN[clash][clash][0]
    assert all(message in page for status, page in results if status == 422)


# --------------------------------------------------------------------------- PostgreSQL, threads in process


def _counts() -> tuple[int, int, int]:
    db.session.expire_all()
    models = (User, Store, Membership)
    return tuple(db.session.execute(select(func.count()).select_from(m)).scalar_one() for m in models)


@pytest.mark.postgres_only
@pytest.mark.slow
@pytest.mark.parametrize("clash", ["username", "email"])
def test_postgres_ten_api_signups_at_once_make_one_account(app, clash):
    def one(index: int):
        with app.test_client() as client:
            response = client.post("/api/signup/", json=body_for(clash, index))
            return response.status_code, json.loads(response.data)

    check_api(race(SIGNUPS, one), clash)
    assert _counts() == (1, 1, 1)


@pytest.mark.postgres_only
@pytest.mark.slow
@pytest.mark.parametrize("clash", ["username", "email"])
def test_postgres_ten_web_signups_at_once_make_one_account(app, clash):
    from tests.conftest import ShopClient

    app.test_client_class = ShopClient

    def one(index: int):
        with app.test_client() as client:
            form = dict(body_for(clash, index), business_kind="general")
            response = client.post_form("/signup", form)
            return response.status_code, response.get_data(as_text=True)

    check_web(race(SIGNUPS, one), clash)
    assert _counts() == (1, 1, 1)


@pytest.mark.postgres_only
@pytest.mark.slow
def test_postgres_ten_different_first_signups_at_once_all_succeed(app):
    """A new database has no payment methods yet: each signup creates them, and only one may."""
    def one(index: int):
        with app.test_client() as client:
            return client.post("/api/signup/", json=body_for("none", index)).status_code

    assert race(SIGNUPS, one) == [201] * SIGNUPS
    assert _counts() == (SIGNUPS, SIGNUPS, SIGNUPS)


# --------------------------------------------------------------------------- SQLite file under gunicorn


def _post_json(url: str, body: dict):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _web_signup(base: str, form: dict):
    """GET the form (its CSRF token and session cookie), then POST it; (status, page)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect)
    page = opener.open(base + "/signup", timeout=60).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({**form, "csrf_token": token}).encode()
    try:
        with opener.open(urllib.request.Request(base + "/signup", data=data, method="POST"), timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _scalar(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("clash", ["username", "email"])
def test_sqlite_under_gunicorn_ten_api_signups_at_once_make_one_account(live_server, clash):
    server = live_server(workers=4)
    results = race(SIGNUPS, lambda i: _post_json(server.url + "/api/signup/", body_for(clash, i)))
    check_api(results, clash)
    assert _scalar(server.database_url, 'SELECT count(*) FROM "user"') == 1
    assert "Traceback" not in server.log()


@pytest.mark.slow
@pytest.mark.parametrize("clash", ["username", "email"])
def test_sqlite_under_gunicorn_ten_web_signups_at_once_make_one_account(live_server, clash):
    server = live_server(workers=4)
    check_web(race(SIGNUPS, lambda i: _web_signup(server.url, dict(body_for(clash, i), business_kind="general"))),
              clash)
    assert _scalar(server.database_url, 'SELECT count(*) FROM "user"') == 1
    assert "Traceback" not in server.log()
