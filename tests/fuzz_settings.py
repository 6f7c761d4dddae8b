"""Settings of the server the API fuzz test runs (tests/test_api_fuzz.py): the product's, with the
per-minute rate limits off, so the generated requests reach the views instead of stopping at 429
(which every rate-limited operation documents, and tests/reports cover)."""

from tinhso.settings import *  # noqa: F403

REPORTS_RATE_LIMITS = {"submit": 0, "track": 0, "rate": 0, "login": 0}
INDICES_RATE_LIMITS = {"compute": 0, "whatif": 0, "sensitivity": 0}
