"""WSGI entry point (used by `tinhso serve` through gunicorn, or any WSGI server)."""

import os

os.umask(0o077)  # files under var/ (database, keys, media, logs) are the owner's only
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

from tinhso.core.serve import require_production_key  # noqa: E402

application = get_wsgi_application()
require_production_key()
