"""Shared fixtures: the unit registry is loaded once per test session into the test database."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from tinhso.geo import registry

        registry.ensure_loaded(out=lambda *a, **k: None)


@pytest.fixture(autouse=True)
def _steady_rate_limit_window(monkeypatch):
    """Rate limits count per clock minute: a test that makes a limit's worth of requests must not see
    the minute roll over between them (it did, now and then). The test's minute is the current one
    (so nothing is shared between tests that was not before), held at its middle. Tests of the window
    itself pass ``now`` explicitly."""
    import time

    from tinhso.core import ratelimit

    held = time.time() // 60 * 60 + 30
    monkeypatch.setattr(ratelimit, "clock", lambda: held)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 at production strength costs ~0.3 s per hash; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def registry_after_flush(transactional_db):
    """pytest-django runs the transactional tests last, and each one empties every table when it ends:
    the registry and boundaries loaded once per session are gone by then, so load them again (a test
    that needs PostgreSQL is skipped before paying for it)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (concurrent connections, data-modifying WITH)")
    from tinhso.geo import boundaries, registry

    registry.ensure_loaded(out=lambda *a, **k: None)
    boundaries.ensure_active(out=lambda *a, **k: None)
