"""The IOC wall's tests reuse the reports fixtures (a small province with units and staff)."""

import pytest  # noqa: E402

from tests.reports.conftest import _media, boundaries_ready, world  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The wall caches its snapshots for a few seconds; each test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
