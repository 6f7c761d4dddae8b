"""WSGI entry point (used by `tinhso serve` through gunicorn, or any WSGI server)."""

import gc
import os

os.umask(0o077)  # files under var/ (database, keys, media, logs) are the owner's only
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

from tinhso.core.serve import require_production_key  # noqa: E402

application = get_wsgi_application()
require_production_key()

# What is loaded at start (Django, the apps, the URL map) lives as long as the process: moved out
# of the cyclic collector's generations, so its collections stop walking it between requests
# (a few per cent of a submission's CPU; docs/benchmarks.md "Intake, fourth round").
gc.freeze()

# ... and again once the worker has loaded what its first requests need (the locator's index, the
# process caches, lazily imported modules): tinhso.core.gcwarm.
from tinhso.core.gcwarm import FreezeAfterWarmup  # noqa: E402

application = FreezeAfterWarmup(application)
