"""Sessions that end and pages that fail visibly: logout kills every copy of the session and remember-me cookies,
HTML pages refuse framing and vary on HX-Request, a cashier's home shows no money, and every HTMX failure is either
the login page loaded whole (HX-Redirect) or a message swapped out of band into the flash area."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import abort
from sqlalchemy import select

from extensions import db
from models import HeldBill, User
from services.documents import invoices as documents
from services.errors import Conflict, DomainError
from tests.accounts_helpers import last_code
from tests.fixtures_documents import make_bill  # noqa: F401  (a fixture)
from tests.fixtures_pos import sign_in
from tests.test_web_auth import web_login

OOB_FLASH = re.compile(
    r'<div id="flashes" hx-swap-oob="true">\s*<p class="flash flash-error" role="status">([^<]+)</p>')
SESSION_COOKIE, REMEMBER_COOKIE = "session", "remember_token"


def signed_in(client) -> bool:
    return client.get("/account/password").status_code == 200


def fresh_client(app, client, **cookies):
    """A new browser holding only the given cookies."""
    other = app.test_client()
    other.__class__ = type(client)
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def flash_of(response) -> str:
    """The out-of-band flash message of an HTMX error answer (and nothing that would be swapped in its place)."""
    html = response.get_data(as_text=True)
    found = OOB_FLASH.search(html)
    assert found, html[:500]
    assert "<html" not in html and "<form" not in html
    return found.group(1)


# --------------------------------------------------------------------------- logout ends the session


def test_logout_kills_copies_of_the_session_and_remember_me_cookies(app, client, make_user, outbox):
    user = make_user(username="asha")
    web_login(client, outbox, remember=True)
    session_cookie = client.get_cookie(SESSION_COOKIE).value
    remember_cookie = client.get_cookie(REMEMBER_COOKIE).value
    # Before logout each copy alone signs a new browser in: the replays below would pass for a good reason.
    assert signed_in(fresh_client(app, client, session=session_cookie))
    assert signed_in(fresh_client(app, client, remember_token=remember_cookie))

    response = client.post_form("/logout")
    assert response.status_code == 303
    cleared = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{REMEMBER_COOKIE}=")]
    assert cleared and "Expires=Thu, 01 Jan 1970" in cleared[0]  # the browser drops it
    assert not signed_in(client)
    db.session.expire_all()
    assert db.session.get(User, user.id).session_version == 1

    assert not signed_in(fresh_client(app, client, session=session_cookie))
    assert not signed_in(fresh_client(app, client, remember_token=remember_cookie))
    assert not signed_in(fresh_client(app, client, session=session_cookie, remember_token=remember_cookie))


def test_logout_ends_the_other_browsers_of_the_user_but_not_the_api_tokens(app, client, make_user, outbox,
                                                                             api_headers):
    user = make_user(username="asha")
    web_login(client, outbox)
    other = fresh_client(app, client)
    web_login(other, outbox, remember=True)
    headers = api_headers(user)
    assert client.post_form("/logout").status_code == 303
    assert not signed_in(other)
    # The web session is what ended; the API has its own tokens and logout (token_version is untouched).
    assert client.get("/api/payment-methods/", headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).token_version == user.token_version
    assert web_login(client, outbox).status_code == 303 and signed_in(client)  # and one can sign in again


def test_a_password_reset_also_kills_saved_remember_me_cookies(app, client, make_user, outbox):
    make_user(username="asha")
    web_login(client, outbox, remember=True)
    remember_cookie = client.get_cookie(REMEMBER_COOKIE).value
    other = fresh_client(app, client)
    other.post_form("/forgot-password", {"email": "asha@example.com"})
    code = last_code(outbox(), "asha@example.com", subject="Reset your password")
    done = other.post_form("/reset-password", {"otp": code, "new_password": "NewPass456!",
                                               "confirm_password": "NewPass456!"})
    assert done.status_code == 303
    assert not signed_in(client)
    assert not signed_in(fresh_client(app, client, remember_token=remember_cookie))
    assert web_login(other, outbox, password="NewPass456!").status_code == 303


def test_a_session_id_from_before_session_versions_no_longer_signs_in(client, make_user):
    user = make_user(username="asha")
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.token_version}"  # the old "<id>:<token version>" shape
        session["_fresh"] = True
    assert not signed_in(client)
    sign_in(client, user)
    assert signed_in(client)


# --------------------------------------------------------------------------- headers


def assert_no_framing(response) -> None:
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_html_pages_refuse_framing_and_vary_on_hx_request(client, make_user):
    user = make_user(username="asha")
    for response in (client.get("/login"), client.get("/"), client.get("/no-such-page"), client.get("/pos"),
                     client.hx_get("/pos/search?q=x")):
        assert_no_framing(response)
        assert "HX-Request" in response.headers.get("Vary", ""), response.status_code
    sign_in(client, user)
    for response in (client.get("/"), client.get("/pos"), client.hx_get("/pos/search?q=x"),
                     client.get("/bills/999999")):
        assert response.mimetype == "text/html"
        assert_no_framing(response)
        assert "HX-Request" in response.headers["Vary"], response.status_code


def test_json_responses_are_framed_out_too_but_do_not_vary_on_hx_request(client):
    response = client.get("/healthz")
    assert response.mimetype == "application/json"
    assert_no_framing(response)
    assert "HX-Request" not in response.headers.get("Vary", "")


def test_the_public_share_page_refuses_framing(app, client, make_user, make_bill):  # noqa: F811
    from services.accounts.access import current_store_for

    bill = make_bill(current_store_for(make_user(username="asha")))
    with app.test_request_context():
        path = documents.share_url(bill).split("localhost", 1)[1]
    response = client.get(path)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert_no_framing(response)
    assert_no_framing(client.get(path + "tampered"))  # its error page too


def test_a_views_own_policy_keeps_its_rules_and_gains_frame_ancestors(app, client):
    @app.get("/test-own-policy")
    def own_policy():
        return "x", 200, {"Content-Security-Policy": "default-src 'none'; sandbox"}

    policy = client.get("/test-own-policy").headers["Content-Security-Policy"]
    assert policy == "default-src 'none'; sandbox; frame-ancestors 'none'"


# --------------------------------------------------------------------------- a cashier's home page


@pytest.mark.parametrize("role, sees_money", [("cashier", False), ("manager", True), ("owner", True)])
def test_only_managers_and_owners_see_money_on_the_home_page(client, make_user, make_bill, role,  # noqa: F811
                                                              sees_money):
    from services.accounts.access import current_store_for

    owner = make_user(username="owner")
    store = current_store_for(owner)
    bill = make_bill(store, lines=[{"name": "Ghee 1l", "rate": "654.32", "qty": 1}], payments=["100.00"])
    bill.billing_timestamp = datetime.now(UTC)  # a sale of today
    db.session.commit()
    user = owner if role == "owner" else make_user(username=role, store=store, role=role)
    bill.user_id = user.id  # made by the user who looks
    other = make_bill(store, lines=[{"name": "Salt", "rate": "20", "qty": 1}], payments=["20.00"])
    other.billing_timestamp, other.user_id = datetime.now(UTC), owner.id if role != "owner" else None
    db.session.commit()
    sign_in(client, user)
    html = client.get("/").get_data(as_text=True)
    if sees_money:
        assert 'id="bills-today">2<' in html  # the store's bills
    else:  # a cashier counts their own bills only (counts are not money), and sees nothing of the store's
        assert 'id="my-bills-today">1<' in html and 'id="bills-today"' not in html
    money = [f"{bill.total_amount + other.total_amount:,.2f}", f"{bill.due_amount + other.due_amount:,.2f}"]
    assert all(figure in html for figure in money) is sees_money
    assert any(figure in html for figure in money) is sees_money
    assert ('id="sales-today"' in html) is sees_money and ("₹" in html) is sees_money


# --------------------------------------------------------------------------- HTMX without a session


def test_an_htmx_request_without_a_session_loads_the_login_page_whole(client):
    response = client.hx_get("/pos/search?q=salt", headers={"HX-Current-URL": "http://localhost/pos?q=salt"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/pos?q%3Dsalt&ended=1"
    assert flash_of(response) == "Your session has ended. Please log in again."
    login_page = client.get(response.headers["HX-Redirect"]).get_data(as_text=True)  # where htmx goes next
    assert "Your session has ended. Please log in again." in login_page


def test_an_htmx_post_after_logout_loads_the_login_page_not_a_csrf_error(client, till_shop, outbox):
    web_login(client, outbox, email=till_shop.cashier.email)
    token = client.csrf_token()
    client.post_form("/logout")
    response = client.post("/pos/hold", headers={"HX-Request": "true", "X-CSRFToken": token,
                                                 "HX-Current-URL": "http://evil.example/pos"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?ended=1"  # another host's page is not a place to come back to
    assert db.session.execute(select(HeldBill)).first() is None


def test_an_htmx_request_from_another_browser_after_logout_loads_the_login_page(app, client, till_shop, outbox):
    web_login(client, outbox, email=till_shop.cashier.email)
    tab = fresh_client(app, client, session=client.get_cookie(SESSION_COOKIE).value)  # its CSRF token still good
    client.post_form("/logout")
    response = tab.post_form("/pos/scan", {"q": "8901234500011"}, htmx=True)
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")


def test_without_htmx_a_missing_session_still_redirects_to_login(client):
    response = client.get("/pos")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=%2Fpos"
    assert "HX-Redirect" not in response.headers


# --------------------------------------------------------------------------- HTMX errors show a message


@pytest.fixture
def failing_routes(app):
    """Pages that fail the ways no view of ours has a partial for."""

    @app.get("/test-domain-422")
    def domain_422():
        raise DomainError("That is not a valid amount.", status=422)

    @app.get("/test-conflict")
    def conflict():
        raise Conflict("Someone else changed this bill.")

    @app.get("/test-server-error")
    def server_error():
        raise RuntimeError("boom")

    @app.get("/test-throttled")
    def throttled():
        abort(429, description="Too many attempts. Please wait a few minutes and try again.")


def assert_oob_error(response, status: int, message_part: str) -> None:
    assert response.status_code == status
    assert message_part in flash_of(response)
    assert response.headers["HX-Reswap"] == "none"  # the part the user works in stays as it was
    assert response.headers["HX-Push-Url"] == "false"
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_errors_without_their_own_partial_come_as_an_out_of_band_flash(client, till_shop, failing_routes, app):
    sign_in(client, till_shop.cashier)
    assert_oob_error(client.hx_get("/admin/staff"), 403, "Your role in this store does not allow this page.")
    assert_oob_error(client.hx_get("/bills/999999"), 404, "not found")
    assert_oob_error(client.hx_get("/test-domain-422"), 422, "That is not a valid amount.")
    assert_oob_error(client.hx_get("/test-conflict"), 409, "Someone else changed this bill.")
    assert_oob_error(client.hx_get("/test-throttled"), 429, "Too many attempts")
    assert_oob_error(client.hx_get("/test-server-error"), 500, "internal error")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    assert_oob_error(client.post_form("/pos/hold", {"note": "x" * 5000}, htmx=True), 413, "exceeds")
    assert db.session.execute(select(HeldBill)).first() is None


def test_an_htmx_csrf_failure_with_a_session_asks_to_reload(client, till_shop):
    sign_in(client, till_shop.cashier)
    client.csrf_token()  # the session has a token; the page sends a stale one
    response = client.post("/pos/hold", headers={"HX-Request": "true", "X-CSRFToken": "stale"})
    assert_oob_error(response, 400, "Reload the page and try again.")
    assert db.session.execute(select(HeldBill)).first() is None


def test_the_same_errors_without_htmx_are_whole_error_pages(client, till_shop, failing_routes):
    sign_in(client, till_shop.cashier)
    for url, status in (("/admin/staff", 403), ("/bills/999999", 404), ("/test-domain-422", 422),
                        ("/test-server-error", 500)):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == status and "<html" in html and f"<h1>{status}</h1>" in html
        assert "HX-Reswap" not in response.headers
    boosted = client.get("/bills/999999", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.status_code == 404 and "<html" in boosted.get_data(as_text=True)


def test_htmx_errors_swap_into_the_page_that_is_configured_to_take_them(client, till_shop):
    """htmx only swaps (and so runs the out-of-band flash) for 4xx/5xx when responseHandling says so."""
    sign_in(client, till_shop.cashier)
    html = client.get("/pos").get_data(as_text=True)
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', html).group(1)
    assert '{"code": "[45]..", "swap": true, "error": true}' in config
    assert '<div id="flashes">' in html
