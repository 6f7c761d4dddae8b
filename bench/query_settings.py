"""Settings of the Open311 query benchmark's server (``bench/open311_query.py``): tinhso's own,
with the 60 s cache of public answers (``reports/public_cache.py``) switched off, so every
request measures the uncached path. Never part of the product."""

from tinhso.settings import *  # noqa: F403

REPORTS_PUBLIC_CACHE_SECONDS = 0
