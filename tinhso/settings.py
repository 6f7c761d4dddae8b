"""Django settings for tinhso.

Configuration comes from the environment (12-factor), so the same code runs the embedded
SQLite demo and a PostgreSQL production deployment:

- ``TINHSO_DATABASE_URL``: database URL (default ``sqlite:///<repo>/var/tinhso.sqlite3``),
  e.g. ``postgres://user:pass@127.0.0.1:5432/tinhso``.
- ``TINHSO_SECRET_KEY``: required when ``TINHSO_DEBUG`` is off; a random per-install key is
  generated under ``var/`` otherwise.
- ``TINHSO_DEBUG`` (``1``/``0``), ``TINHSO_ALLOWED_HOSTS`` (comma-separated).
- ``TINHSO_PROVINCE_CODE``: the province this installation serves (default ``68``, Lâm Đồng).
- ``TINHSO_VAR_DIR``: where the SQLite database, media and generated keys live (default ``var/``).
- ``TINHSO_SITE_URL``: the public address used in links inside e-mails (e.g. ``https://ioc.example.vn``).
- ``TINHSO_EMAIL_URL``, ``TINHSO_EMAIL_FROM``, ``TINHSO_WEBHOOK_ALLOW_NETWORKS``: notifications
  (see ``docs/notify.md``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("TINHSO_VAR_DIR", Path.cwd() / "var")).resolve()
# The database, media and generated keys hold reporters' personal data: owner-only access when we
# create the folder (an existing one keeps the permissions its administrator gave it).
VAR_DIR.parent.mkdir(parents=True, exist_ok=True)
with contextlib.suppress(FileExistsError):
    VAR_DIR.mkdir(mode=0o700)


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    key = os.environ.get("TINHSO_SECRET_KEY")
    if key:
        return key
    # A per-install key kept outside the repository: never a secret committed to git.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = _env_flag("TINHSO_DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h for h in os.environ.get("TINHSO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
PROVINCE_CODE = os.environ.get("TINHSO_PROVINCE_CODE", "68")
# Links in e-mails (the citizen's private link, a handler's report page) start with this.
SITE_URL = (os.environ.get("TINHSO_SITE_URL") or os.environ.get("TINHSO_DEMO_URL")
            or "http://127.0.0.1:8000").rstrip("/")

# Notifications (tinhso.notify, docs/notify.md): unset e-mail URL = mail kept in the outbox.
NOTIFY_EMAIL_URL = os.environ.get("TINHSO_EMAIL_URL", "")
NOTIFY_EMAIL_FROM = os.environ.get("TINHSO_EMAIL_FROM", "")
# The only way to let webhooks reach private addresses: comma-separated CIDRs, e.g. "10.20.0.0/16".
NOTIFY_WEBHOOK_ALLOW_NETWORKS = os.environ.get("TINHSO_WEBHOOK_ALLOW_NETWORKS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "tinhso.core",
    "tinhso.notify",
    "tinhso.geo",
    "tinhso.reports",
    "tinhso.indicators",
    "tinhso.indices",
    "tinhso.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it even before collectstatic
# Leaflet (the map library) comes from the django-leaflet wheel at install time; we only use its
# static files (its Django app needs GDAL, which tinhso does not), so its folder is added here.
STATICFILES_DIRS = [Path(importlib.util.find_spec("leaflet").origin).parent / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the finders when collectstatic has not run (demo, tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "/dang-nhap"
DATA_UPLOAD_MAX_MEMORY_SIZE = 60 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TINHSO_LOG_LEVEL", "WARNING")},
}
