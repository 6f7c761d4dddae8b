"""Django settings for tinhso.

Configuration comes from the environment (12-factor), so the same code runs the embedded
SQLite demo and a PostgreSQL production deployment (every variable: docs/security.md,
"Production settings"):

- ``TINHSO_DATABASE_URL``: database URL (default ``sqlite:///<repo>/var/tinhso.sqlite3``),
  e.g. ``postgres://user:pass@127.0.0.1:5432/tinhso``. ``TINHSO_DB_PREPARE=0``: no server-side
  binding and no prepared statements on PostgreSQL (behind a transaction-pooling PgBouncer).
- ``TINHSO_SECRET_KEY``: required in production. The demo, the tests and the command line keep
  a random per-install key under ``var/`` instead; ``tinhso serve`` (and any WSGI server) refuses
  to start on that key unless ``TINHSO_DEMO=1`` (set by ``tinhso demo``) or ``TINHSO_DEBUG=1``;
  ``TINHSO_HTTPS=1`` without it refuses at once.
- ``TINHSO_HTTPS=1``: served over HTTPS: HSTS, secure cookies, redirect to https.
- ``TINHSO_TRUSTED_PROXIES``: reverse proxies (IPs/CIDRs) believed about the client's address
  (``TINHSO_PROXY_HEADER``: ``X-Forwarded-For`` or ``Forwarded``).
- ``TINHSO_CACHE_URL``: ``redis://…`` for a Redis cache; the database cache otherwise.
- ``TINHSO_DEBUG`` (``1``/``0``), ``TINHSO_ALLOWED_HOSTS`` (comma-separated).
- ``TINHSO_PROVINCE_CODE``: the province this installation serves (default ``68``, Lâm Đồng).
- ``TINHSO_VAR_DIR``: where the SQLite database, media and generated keys live (default ``var/``).
- ``TINHSO_LOCATOR_GRID_DIR``: where the locator's grids are stored, one per boundary version and keyed by
  its content (default ``VAR_DIR/locator-grid``); servers or test runs may share one.
- ``TINHSO_BACKUP_DIRS``: folders under it that ``tinhso backup`` archives (default ``media,dossiers,uploads,opendata``).
- ``TINHSO_SITE_URL``: the public address used in links inside e-mails (e.g. ``https://ioc.example.vn``).
- ``TINHSO_SOURCE_URL``: where this installation's source code is published (the licence page links
  to it; AGPL section 13). Unset: the page offers an archive of the running code.
- ``TINHSO_EMAIL_URL``, ``TINHSO_EMAIL_FROM``, ``TINHSO_WEBHOOK_ALLOW_NETWORKS``: notifications
  (see ``docs/notify.md``).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import secrets
import stat
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from tinhso.core.clientaddr import parse_networks

# The database, media, uploads and generated keys hold reporters' personal data: whatever this
# process creates is readable by its owner only, whatever umask it was started with.
os.umask(0o077)

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("TINHSO_VAR_DIR", Path.cwd() / "var")).resolve()
LOCATOR_GRID_DIR = os.environ.get("TINHSO_LOCATOR_GRID_DIR") or None  # None: VAR_DIR / "locator-grid"


def _private_dir(path: Path) -> None:
    """Create ``path`` owner-only (0700), or tighten an existing one that others can read."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(mode & 0o700 | 0o700)
        logging.getLogger("tinhso.settings").warning(
            "tinhso: %s was open to other users (mode %o); tightened to 0700", path, mode)


def _private_files(folder: Path) -> None:
    """Owner-only files (0600) directly in ``folder``: the database, the secret key, logs."""
    for entry in folder.iterdir():
        if entry.is_file() and not entry.is_symlink():
            mode = stat.S_IMODE(entry.stat().st_mode)
            if mode & 0o077:
                entry.chmod(mode & 0o600)
                logging.getLogger("tinhso.settings").warning(
                    "tinhso: %s was open to other users (mode %o); tightened to 0600", entry, mode)


_private_dir(VAR_DIR)
_private_files(VAR_DIR)


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = _env_flag("TINHSO_DEBUG", False)
# Demo mode: `tinhso demo` sets it; a throwaway installation that may run on a generated key.
DEMO = _env_flag("TINHSO_DEMO", False)
HTTPS = _env_flag("TINHSO_HTTPS", False)


def _secret_key() -> tuple[str, bool]:
    """The key and whether it was generated (not given by ``TINHSO_SECRET_KEY``)."""
    key = os.environ.get("TINHSO_SECRET_KEY", "").strip()
    if key:
        return key, False
    if HTTPS and not DEMO:
        raise ImproperlyConfigured(
            "TINHSO_SECRET_KEY is required with TINHSO_HTTPS=1 (production): set it to a long random "
            "string kept outside the repository, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(50))'. "
            "See docs/security.md.")
    # A per-install key kept outside the repository: never a secret committed to git.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip(), True


SECRET_KEY, SECRET_KEY_GENERATED = _secret_key()
ALLOWED_HOSTS = _env_list("TINHSO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
PROVINCE_CODE = os.environ.get("TINHSO_PROVINCE_CODE", "68")
# Links in e-mails (the citizen's private link, a handler's report page) start with this.
SITE_URL = (os.environ.get("TINHSO_SITE_URL") or os.environ.get("TINHSO_DEMO_URL")
            or "http://127.0.0.1:8000").rstrip("/")
# AGPL-3.0 section 13: users of the network service are offered its source (tinhso.web.source).
SOURCE_URL = os.environ.get("TINHSO_SOURCE_URL", "").strip()

# Notifications (tinhso.notify, docs/notify.md): unset e-mail URL = mail kept in the outbox.
NOTIFY_EMAIL_URL = os.environ.get("TINHSO_EMAIL_URL", "")
NOTIFY_EMAIL_FROM = os.environ.get("TINHSO_EMAIL_FROM", "")
# The only way to let webhooks reach private addresses: comma-separated CIDRs, e.g. "10.20.0.0/16".
NOTIFY_WEBHOOK_ALLOW_NETWORKS = os.environ.get("TINHSO_WEBHOOK_ALLOW_NETWORKS", "")

# Reverse proxies believed about the client's address (tinhso.core.clientaddr.client_ip).
try:
    TRUSTED_PROXIES = [str(n) for n in parse_networks(_env_list("TINHSO_TRUSTED_PROXIES"))]
except ValueError as exc:
    raise ImproperlyConfigured(f"TINHSO_TRUSTED_PROXIES: {exc}") from None
PROXY_HEADER = os.environ.get("TINHSO_PROXY_HEADER", "X-Forwarded-For").strip()
if PROXY_HEADER.lower() not in {"x-forwarded-for", "forwarded"}:
    raise ImproperlyConfigured(f"TINHSO_PROXY_HEADER must be X-Forwarded-For or Forwarded, not {PROXY_HEADER!r}")

# --- HTTPS and security headers (docs/security.md, "Production settings") ---
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("TINHSO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_flag("TINHSO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_flag("TINHSO_HSTS_PRELOAD", False)
    if TRUSTED_PROXIES:
        # Believed only from a trusted proxy: tinhso.core.clientaddr.ForwardedProtoGuard drops the
        # header from anyone else before SecurityMiddleware reads it.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Joining the browsers' HSTS preload list is the province's decision (TINHSO_HSTS_PRELOAD=1);
# without it, `check --deploy` would warn about it on every run.
SILENCED_SYSTEM_CHECKS = [] if HTTPS and SECURE_HSTS_PRELOAD else ["security.W021"]

# Content-Security-Policy (django-csp): no inline script, style or event handler anywhere; every
# script and style sheet is a static file of this site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if HTTPS:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True
# Street basemap for every map (tinhso.web.basemap, docs/maps.md): an XYZ raster tile URL on the
# province's own network (TINHSO_BASEMAP_TILES; TINHSO_MAP_TILE_URL is its former name), or a local
# PMTiles archive served by tinhso with HTTP Range (TINHSO_BASEMAP_PMTILES). Neither: commune
# boundaries only. A tile server is allowed as an image source below.
TINHSO_BASEMAP_TILES = (os.environ.get("TINHSO_BASEMAP_TILES") or os.environ.get("TINHSO_MAP_TILE_URL", "")).strip()
TINHSO_BASEMAP_PMTILES = os.environ.get("TINHSO_BASEMAP_PMTILES", "").strip()
TINHSO_BASEMAP_ATTRIBUTION = os.environ.get("TINHSO_BASEMAP_ATTRIBUTION", "").strip()
REPORTS_MAP_TILE_URL = TINHSO_BASEMAP_TILES
if REPORTS_MAP_TILE_URL:
    from urllib.parse import urlsplit

    _tiles = urlsplit(REPORTS_MAP_TILE_URL.replace("{s}.", "sub."))
    _host = _tiles.netloc.replace("sub.", "*.", 1) if "{s}." in REPORTS_MAP_TILE_URL else _tiles.netloc
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_tiles.scheme}://{_host}")
# Camera streams on the IOC wall (tinhso.ioc): hls.js fetches the playlists and segments and plays
# them from blob: URLs. TINHSO_CAMERA_ORIGINS lists the stream servers' origins (space-separated).
CONTENT_SECURITY_POLICY["DIRECTIVES"]["media-src"] = ["'self'", "blob:"]
for _origin in os.environ.get("TINHSO_CAMERA_ORIGINS", "").split():
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["media-src"].append(_origin)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["connect-src"].append(_origin)

INSTALLED_APPS = [
    "tinhso.core.apps.AdminConfig",  # django.contrib.admin, opened by a permission (core/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # its Swagger UI from local static files (not a CDN)
    "csp",
    "tinhso.core",
    "tinhso.notify",
    "tinhso.geo",
    "tinhso.reports",
    "tinhso.indicators",
    "tinhso.indices",
    "tinhso.dossiers",
    "tinhso.ioc",
    "tinhso.analysis",
    "tinhso.opendata",
    "tinhso.web",
]

MIDDLEWARE = [
    "tinhso.core.clientaddr.ForwardedProtoGuard",
    "django.middleware.security.SecurityMiddleware",
    "tinhso.core.bodylimit.RequestBodyLimitMiddleware",
    "tinhso.core.csp.CSPMiddleware",  # django-csp's, the site's header built once (core/csp.py)
    "tinhso.core.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tinhso.core.nul_guard.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tinhso.urls"
WSGI_APPLICATION = "tinhso.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tinhso.web.basemap.context",
                "tinhso.notify.context.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("TINHSO_DATABASE_URL", f"sqlite:///{VAR_DIR / 'tinhso.sqlite3'}"),
        conn_max_age=60,
    )
}
# PostgreSQL: parameters are bound by the server (psycopg's default cursor) and a statement a
# connection runs a second time is prepared there: intake's fixed INSERTs and the duplicate search
# are then neither parsed nor planned again (about a quarter of PostgreSQL's CPU per submission,
# docs/benchmarks.md "Intake, fourth round"). TINHSO_DB_PREPARE=0 turns both off (a
# transaction-pooling PgBouncer in front of PostgreSQL loses prepared statements).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and os.environ.get("TINHSO_DB_PREPARE", "1") != "0":
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=2)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections are kept (like PostgreSQL's): opening one and running the PRAGMAs below cost
    # about a millisecond of CPU per request. Each server thread keeps its own.
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    # WAL lets readers run beside one writer; IMMEDIATE avoids lock-upgrade deadlocks;
    # synchronous=FULL keeps an acknowledged write on disk if the server is killed.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=20000;",
    }

AUTHENTICATION_BACKENDS = ["tinhso.core.signin.ThrottledModelBackend"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(mode=0o700, exist_ok=True)  # WhiteNoise expects it even before collectstatic
# Leaflet (the map library) comes from the django-leaflet wheel at install time; we only use its
# static files (its Django app needs GDAL, which tinhso does not), so its folder is added here.
STATICFILES_DIRS = [Path(importlib.util.find_spec("leaflet").origin).parent / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Folders under VAR_DIR that `tinhso backup` archives beside the database (those that exist).
BACKUP_DIRS = [d.strip() for d in os.environ.get("TINHSO_BACKUP_DIRS", "media,dossiers,uploads,opendata").split(",") if d.strip()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the finders when collectstatic has not run (demo, tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "/dang-nhap"
# Request bodies: tinhso.core.bodylimit refuses (413) what is larger than each door takes, before
# Django reads it; DATA_UPLOAD_MAX_MEMORY_SIZE is the largest of those doors (the indices API's JSON).
REQUEST_BODY_LIMITS = {
    "multipart": 25 * 1024 * 1024,          # a report's photos, an uploaded workbook
    "default": 2 * 1024 * 1024,             # JSON, form fields
    "paths": {"/api/v1/indices/": 40 * 1024 * 1024},  # rows of an index computation (indices.api)
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 40 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# One cache for every server process: rate-limit counters must be shared to mean anything.
# The database's by default (`tinhso init` creates the table), Redis with TINHSO_CACHE_URL.
CACHE_URL = os.environ.get("TINHSO_CACHE_URL", "").strip()
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("TINHSO_CACHE_URL must be a redis://, rediss:// or unix:// URL")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                          "KEY_PREFIX": "tinhso"}}
else:
    CACHES = {"default": {"BACKEND": "tinhso.core.cache.DatabaseCache", "LOCATION": "tinhso_cache",
                          "OPTIONS": {"MAX_ENTRIES": 20000}}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TINHSO_LOG_LEVEL", "WARNING")},
    # Failed sign-ins (also in the admin: Core › failed sign-ins) reach the server's log.
    "loggers": {"tinhso.signin": {"level": "WARNING"}},
}

# Public-service dossiers (tinhso.dossiers): the columnar store, and how a supplementation request
# affects the due date ("pause": the time with the citizen extends it; "restart": the full processing
# time starts again when the supplement is accepted). Decree 118/2025/NĐ-CP may require either; pause
# is what the national portal's reference implementation does by default.
DOSSIER_STORE_DIR = Path(os.environ.get("TINHSO_DOSSIER_STORE_DIR", VAR_DIR / "dossiers")).resolve()
DOSSIER_SUPPLEMENT_MODE = os.environ.get("TINHSO_DOSSIER_SUPPLEMENT_MODE", "pause")
# DuckDB's resources for the dossier queries: its default memory limit is 80 % of the machine's RAM (a
# hash aggregate over 10 M dossiers then held ~2.5 GB); above the limit it spills to disk under VAR_DIR.
DOSSIER_DUCKDB_MEMORY_LIMIT = os.environ.get("TINHSO_DUCKDB_MEMORY_LIMIT", "1GB")
DOSSIER_DUCKDB_THREADS = int(os.environ.get("TINHSO_DUCKDB_THREADS", "0") or 0)  # 0: one per core, at most 4
