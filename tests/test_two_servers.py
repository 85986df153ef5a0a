"""A shop chain on several app servers (issue 17): two gunicorn instances on different ports over one PostgreSQL
database and one Redis, their uploads and cached PDFs in one S3-compatible object store (moto's server, through
boto3 as with MinIO in production; services/storage.py), each server with an instance folder of its own: nothing a
request needs is on one server's disk (docs/operations.md "A shop chain").

Across the two servers: a sign-in started on one finishes on the other (signed-cookie sessions, one SECRET_KEY), a
bill saved on one is listed and printed on the other (and the other serves the PDF the first cached in the bucket,
same ETag), a logo uploaded on one lands in the bucket and is served by the other, a rate limit counts the requests
made to both (its counters are in Redis), one Idempotency-Key replays on the other, and 40 saves spread over both
in threads get invoice numbers 1..40.

Needs TEST_DATABASE_URL on PostgreSQL (skipped otherwise) and Redis at TEST_REDIS_URL (default
redis://127.0.0.1:6379/15; skipped when it does not answer, a failure with REQUIRE_REDIS=1 as in CI). The
limiter's keys carry a prefix of this test's own and only those keys are deleted afterwards.
"""
from __future__ import annotations

import copy
import io
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar

import pytest
from sqlalchemy.engine import make_url

from tests.accounts_helpers import last_code
from tests.conftest import PG_URL, WORKER
from tests.fixtures_billing import LiveShop, cash_bill, seed_bill
from tests.fixtures_live import _wait_until_healthy, empty_pg_database
from tests.test_storage import bucket, keys, s3_endpoint  # noqa: F401  (fixtures: moto's S3 server, a new bucket)

REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
REQUIRE_REDIS = os.environ.get("REQUIRE_REDIS") == "1"
LOGIN_LIMIT = 10  # RATELIMIT_LOGIN_PER_ACCOUNT's default: 10 password checks per email in 10 minutes
SAVES = 40
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --------------------------------------------------------------------------- configuration (no servers)


def test_redis_url_puts_the_rate_limit_counters_in_redis_unless_a_storage_is_given(monkeypatch):
    from config import Config

    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert Config().RATELIMIT_STORAGE_URI == "memory://"
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    assert Config().RATELIMIT_STORAGE_URI == "redis://cache.internal:6379/0"
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://limits.internal:6379/2")
    assert Config().RATELIMIT_STORAGE_URI == "redis://limits.internal:6379/2"


def test_redis_url_puts_the_job_queue_in_redis_unless_job_queue_url_is_given(monkeypatch, tmp_path):
    from huey import MemoryHuey, RedisHuey, SqliteHuey

    import jobs

    monkeypatch.delitem(sys.modules, "pytest")  # as in the consumer and gunicorn, which never import pytest
    monkeypatch.delenv("JOB_QUEUE_URL", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/1")
    queue = jobs.make_huey()
    assert isinstance(queue, RedisHuey) and queue.storage.conn.connection_pool.connection_kwargs["host"] == \
        "cache.internal"
    monkeypatch.setenv("JOB_QUEUE_URL", "immediate")
    assert isinstance(jobs.make_huey(), MemoryHuey)
    monkeypatch.delenv("REDIS_URL")
    monkeypatch.delenv("JOB_QUEUE_URL")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    queue = jobs.make_huey()
    assert isinstance(queue, SqliteHuey)
    # The queue file is as durable as the app's SQLite database (NORMAL, no fsync per enqueue), not huey's FULL.
    assert queue.storage.conn.execute("pragma synchronous").fetchone()[0] == 1
    assert queue.storage.conn.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_under_pytest_a_redis_url_in_the_shell_never_queues_test_jobs(monkeypatch):
    from huey import MemoryHuey

    import jobs

    monkeypatch.delenv("JOB_QUEUE_URL", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/1")
    assert isinstance(jobs.make_huey(), MemoryHuey)


# --------------------------------------------------------------------------- two live servers


@pytest.fixture
def redis_keys():
    """A Redis client and a key prefix of this test's own; its keys (and only those) are deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if REQUIRE_REDIS:
            pytest.fail(f"REQUIRE_REDIS=1 but Redis at {REDIS_URL} does not answer: {exc}")
        pytest.skip(f"the two-server test needs Redis at {REDIS_URL} ({exc})")
    prefix = f"shoptest-{uuid.uuid4().hex[:12]}"
    yield client, prefix
    for key in client.scan_iter(match=f"*{prefix}*", count=500):
        client.delete(key)
    client.close()


@pytest.fixture
def chain(live_server, smtp_sink, redis_keys, s3_endpoint, bucket):  # noqa: F811
    """Two servers over one new PostgreSQL database, one Redis, one object store. One worker each: the
    case is across servers (several workers of one server are tests/test_billing_v1_races.py's), and it boots in
    half the time."""
    if not PG_URL.startswith("postgresql"):
        pytest.skip("the two-server test needs TEST_DATABASE_URL on PostgreSQL")
    _, prefix = redis_keys
    url = empty_pg_database(PG_URL, f"{make_url(PG_URL).database}_bk{WORKER or 'main'}_chain")
    shared = {
        "REDIS_URL": REDIS_URL, "RATELIMIT_ENABLED": "true", "RATELIMIT_KEY_PREFIX": prefix,
        # Uploads and PDFs in the bucket; each server's UPLOAD_FOLDER and PDF_CACHE_FOLDER are its own (unused).
        "STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": s3_endpoint, "S3_BUCKET": bucket, "S3_PREFIX": "chain",
        "S3_ADDRESSING_STYLE": "path", "S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "testing",
        "S3_SECRET_ACCESS_KEY": "testing",
        "MAIL_SERVER": smtp_sink.host, "MAIL_PORT": smtp_sink.port,
        # No job consumer runs here: the background render of each bill would only pile up in Redis.
        "PDF_PRERENDER": "false",
    }
    # The first builds the schema with the migration; then both boot at once.
    first = live_server(workers=1, database_url=url, wait=False, **shared)
    second = live_server(workers=1, database_url=url, build=False, wait=False, **shared)
    for server in (first, second):
        _wait_until_healthy(server)
    shop = LiveShop(first)
    other = copy.copy(shop)
    other.server, other.url = second, shop.url.replace(first.url, second.url)
    yield shop, other
    for server in (first, second):
        assert "Traceback" not in server.log(), server.log()


class Browser:
    """A cookie jar shared by both servers (one host behind a load balancer), forms posted with their CSRF token."""

    def __init__(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def open(self, url: str, data: bytes | None = None, headers: dict | None = None):
        request = urllib.request.Request(url, data=data, headers=headers or {})
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), exc.headers, exc.url
        with response:
            return response.status, response.read(), response.headers, response.url

    def token(self, url: str) -> str:
        status, body, _, _ = self.open(url)
        assert status == 200, (url, status)
        return CSRF.search(body.decode()).group(1)

    def post(self, url: str, fields: dict):
        return self.open(url, urllib.parse.urlencode(fields).encode())

    def post_multipart(self, url: str, fields: dict, files: dict):
        boundary = uuid.uuid4().hex
        body = io.BytesIO()
        for name, value in fields.items():
            body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, data, content_type) in files.items():
            body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                       f'Content-Type: {content_type}\r\n\r\n'.encode() + data + b"\r\n")
        body.write(f"--{boundary}--\r\n".encode())
        return self.open(url, body.getvalue(), {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _pdf(shop: LiveShop, bill_uid: str, etag: str | None = None):
    headers = {"Authorization": f"Bearer {shop.token}", **({"If-None-Match": etag} if etag else {})}
    request = urllib.request.Request(f"{shop.url}/bills/{bill_uid}/pdf", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


def _api_login(server_url: str, email: str) -> int:
    request = urllib.request.Request(
        server_url + "/api/login/", data=json.dumps({"email": email, "password": "not-the-password"}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
@pytest.mark.postgres_only
def test_two_servers_over_one_database_and_redis_act_as_one_shop(chain, smtp_sink, redis_keys, s3_endpoint,  # noqa: F811
                                                                  bucket):  # noqa: F811
    a, b = chain
    browser = Browser()

    # A sign-in started on one server finishes on the other: the session is a cookie signed with the one SECRET_KEY.
    status, _, _, _ = browser.post(a.server.url + "/login", {
        "csrf_token": browser.token(a.server.url + "/login"), "email": "live@example.com", "password": "Password123!"})
    assert status == 200
    code = last_code(smtp_sink.messages, "live@example.com", subject="Your login code")
    status, _, _, landed = browser.post(b.server.url + "/login/verify", {
        "csrf_token": browser.token(b.server.url + "/login/verify"), "otp": code})
    assert status == 200 and "/login" not in landed, landed

    # A logo uploaded through one server's settings page lands in the bucket and is served by the other.
    logo = _png()
    form = {"csrf_token": browser.token(a.server.url + "/admin/settings"), "name": "Chain Store",
            "address": "1 Ring Road", "state_code": "27", "phone": "", "gstin": "", "upi_id": "chain@okaxis",
            "invoice_prefix": "CH", "business_kind": "general", "timezone": "Asia/Kolkata", "scale_value": "",
            "scale_prefix": "", "scale_item_digits": "5"}
    status, _, _, _ = browser.post_multipart(a.server.url + "/admin/settings", form,
                                             {"logo": ("logo.png", logo, "image/png")})
    assert status == 200
    logo_path = a.scalar("SELECT logo_path FROM store WHERE uid = :u", u=a.store_uid)
    assert keys(s3_endpoint, bucket, "chain/uploads/") == [f"chain/uploads/{logo_path}"]
    status, served, headers, _ = browser.open(f"{b.server.url}/uploads/{logo_path}")
    assert (status, served, headers["Content-Type"]) == (200, logo, "image/png")

    # A bill saved on one is listed and printed on the other; the first server then serves the other's cached PDF.
    status, saved = a.post(cash_bill(a.service_uid, item_type="service"), {})
    assert status == 201, saved
    bill_uid = saved["data"]["bill_id"]
    status, listing = b.get("/bills")
    assert status == 200 and [row["bill_id"] for row in listing["data"]["items"]] == [bill_uid]
    status, pdf, headers = _pdf(b, bill_uid)
    assert status == 200 and pdf.startswith(b"%PDF") and headers["Content-Type"] == "application/pdf"
    etag = headers["ETag"]
    assert keys(s3_endpoint, bucket, "chain/pdf-cache/") == [
        f"chain/pdf-cache/{a.store_uid}/invoice-{a.scalar('SELECT id FROM bill')}-{etag.strip(chr(34))}.pdf"]
    status, again, headers = _pdf(a, bill_uid)
    assert (status, again, headers["ETag"]) == (200, pdf, etag)
    assert _pdf(a, bill_uid, etag)[0] == 304

    # One Idempotency-Key: the second server replays the first's response, and there is one bill.
    body = seed_bill(a.service_uid, payment_amount=56.2)
    body["payments"][0]["amount"], body["payments"][1]["amount"] = 30, 26.2
    first = a.post(body, {"Idempotency-Key": "chain-1"})
    assert first[0] == 201, first
    assert b.post(body, {"Idempotency-Key": "chain-1"}) == first
    assert a.scalar("SELECT count(*) FROM bill") == 2

    # Saves spread over both servers in threads: the numbers are 1..n with no gap and no repeat.
    pool_size = 8
    with ThreadPoolExecutor(pool_size) as pool:
        results = list(pool.map(lambda i: (a, b)[i % 2].post(cash_bill(a.service_uid, item_type="service"), {}),
                                range(SAVES)))
    assert [status for status, _ in results] == [201] * SAVES, [r for r in results if r[0] != 201][:3]
    assert a.scalar("SELECT string_agg(seq::text, ',' ORDER BY seq) FROM bill") == \
        ",".join(str(n) for n in range(1, SAVES + 3))

    # The login limit counts requests to both servers: alternate, and the one after the limit is refused.
    client, prefix = redis_keys
    email = f"nobody-{prefix}@example.com"
    statuses = [_api_login((a, b)[n % 2].server.url, email) for n in range(LOGIN_LIMIT + 1)]
    assert statuses == [404] * LOGIN_LIMIT + [429], statuses
    assert any(client.scan_iter(match=f"*{prefix}*")), "the limiter's counters are not in Redis"
