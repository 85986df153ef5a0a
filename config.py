"""Configuration read from the environment (a `.env` file is read in development)."""
import os
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "shop.db")


class Config:
    """Production-like defaults; every value can be set from the environment."""

    def __init__(self) -> None:
        env = os.environ
        self.SECRET_KEY = env.get("SECRET_KEY") or None
        self.INSTANCE_PATH = env.get("INSTANCE_PATH") or str(BASE_DIR / "instance")
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL") or _default_database_url(self.INSTANCE_PATH)
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        self.MAIL_SERVER = env.get("MAIL_SERVER") or None
        self.MAIL_PORT = int(env.get("MAIL_PORT") or 25)
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
        self.MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
        self.MAIL_USERNAME = env.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD") or None
        self.MAIL_DEFAULT_SENDER = env.get("MAIL_DEFAULT_SENDER") or "shop@localhost"
        self.MAIL_SUPPRESS_SEND = _bool("MAIL_SUPPRESS_SEND", False)
        self.MAIL_OUTBOX = env.get("MAIL_OUTBOX") or None  # defaults to <instance>/outbox
        # Seconds an SMTP connect or reply may take; mail goes out after the commit, so no lock waits on it.
        self.MAIL_TIMEOUT = float(env.get("MAIL_TIMEOUT") or 10)
        # Redis shared by every app server of a chain (docs/operations.md "A shop chain"): the rate-limit counters
        # and, unless JOB_QUEUE_URL says otherwise, the job queue (jobs.py). Sessions stay signed cookies.
        self.REDIS_URL = env.get("REDIS_URL") or None
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        # memory:// counts per worker process: with several workers or servers a client gets N times the limit.
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI") or self.REDIS_URL or "memory://"
        # Prefix of the limiter's Redis keys, when several deployments (or test runs) share one Redis database.
        self.RATELIMIT_KEY_PREFIX = env.get("RATELIMIT_KEY_PREFIX") or ""
        self.RATELIMIT_HEADERS_ENABLED = True
        # Where uploads and rendered PDFs live (services/storage.py, docs/operations.md "Storage"): "local" folders
        # (UPLOAD_FOLDER, PDF_CACHE_FOLDER) or "s3", one bucket of S3-compatible object storage shared by every
        # app server. S3 credentials only from the environment (or boto3's own chain when left unset).
        self.STORAGE_BACKEND = (env.get("STORAGE_BACKEND") or "local").strip().lower()
        self.S3_ENDPOINT_URL = env.get("S3_ENDPOINT_URL") or None  # e.g. http://minio:9000; unset: AWS S3
        self.S3_BUCKET = env.get("S3_BUCKET") or None
        self.S3_REGION = env.get("S3_REGION") or None
        self.S3_ACCESS_KEY_ID = env.get("S3_ACCESS_KEY_ID") or None
        self.S3_SECRET_ACCESS_KEY = env.get("S3_SECRET_ACCESS_KEY") or None
        self.S3_PREFIX = env.get("S3_PREFIX") or ""  # keys go under <prefix>/uploads/ and <prefix>/pdf-cache/
        self.S3_ADDRESSING_STYLE = env.get("S3_ADDRESSING_STYLE") or "auto"  # "path" for most MinIO set-ups
        self.UPLOAD_FOLDER = env.get("UPLOAD_FOLDER") or None  # defaults to <instance>/uploads
        # Rendered invoice and credit note PDFs, a folder per store (services/documents/pdf_cache.py)
        self.PDF_CACHE_FOLDER = env.get("PDF_CACHE_FOLDER") or None  # defaults to <instance>/pdf-cache
        # Render a sale's invoice PDF into that cache in a background job after each commit that changes it
        # (services/documents/prerender.py).
        self.PDF_PRERENDER = _bool("PDF_PRERENDER", True)
        # Backups (services/backups, `flask backup` / `flask restore`, docs/operations.md "Backups").
        # A folder (default <instance>/backups) or s3://<bucket>/<prefix> (the S3_* endpoint and credentials).
        self.BACKUP_DIR = env.get("BACKUP_DIR") or None
        self.BACKUP_KEEP = int(env.get("BACKUP_KEEP") or 14)  # the newest N backups are kept, older ones removed
        # The job runner backs up when the newest backup is this many hours old (checked hourly); 0: no scheduled
        # backups.
        self.BACKUP_EVERY_HOURS = float(env.get("BACKUP_EVERY_HOURS") or 24)
        self.BACKUP_PG_BINDIR = env.get("BACKUP_PG_BINDIR") or None  # where pg_dump / pg_restore are; else PATH
        self.MAX_CONTENT_LENGTH = 6 * 1024 * 1024
        self.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL") or None
        # How many reverse proxies sit in front (X-Forwarded-For/-Proto/-Host are trusted that many hops deep).
        self.TRUSTED_PROXY_COUNT = int(env.get("TRUSTED_PROXY_COUNT") or 0)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_DURATION = timedelta(days=30)
        self.JWT_ACCESS_MINUTES = int(env.get("JWT_ACCESS_MINUTES") or 15)
        self.JWT_REFRESH_DAYS = int(env.get("JWT_REFRESH_DAYS") or 7)
        self.OTP_TTL_MINUTES = 10
        self.OTP_MAX_ATTEMPTS = 5
        self.IDEMPOTENCY_TTL_HOURS = 24
        self.IDEMPOTENCY_STALE_SECONDS = 300  # an in-flight key older than this was left by a crashed worker
        self.SHARE_LINK_DAYS = 7
        self.WTF_CSRF_TIME_LIMIT = None
        self.PASSWORD_HASH_METHOD = "scrypt"  # werkzeug's method for new password hashes
        # Freeze the objects create_app leaves (app.py _freeze_startup_objects): no full garbage collection walks
        # them again, a pause of tens of milliseconds on some request otherwise. Off for tests (an app per test).
        self.GC_FREEZE = _bool("GC_FREEZE", True)


class TestConfig(Config):
    """pytest: a throwaway database, mail captured, no rate limits unless a test turns them on."""

    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = "test-secret-key-with-enough-length-for-hs256"
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        self.MAIL_SERVER = None
        self.MAIL_SUPPRESS_SEND = True
        self.RATELIMIT_ENABLED = False
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.WTF_CSRF_ENABLED = True
        self.SERVER_NAME = None
        self.PUBLIC_BASE_URL = None
        # One PBKDF2 round instead of scrypt: tests make hundreds of users; production keeps scrypt.
        self.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"
        self.GC_FREEZE = False
        # The tests' job queue runs jobs inline: a render after every saved bill would slow the suite several-fold.
        # The tests of the background render turn it on (tests/test_documents_prerender.py).
        self.PDF_PRERENDER = False


def engine_options(url: str) -> dict:
    """Per-backend engine options: one shared in-memory SQLite for tests, a pool for PostgreSQL."""
    if url.startswith("sqlite"):
        options: dict = {"connect_args": {"timeout": 15, "check_same_thread": False}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            from sqlalchemy.pool import StaticPool

            options["poolclass"] = StaticPool
        return options
    # No pool_pre_ping: services/database.py checks a connection at checkout without a round trip unless it idled.
    return {"pool_size": 10, "max_overflow": 20}
