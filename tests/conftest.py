"""Shared fixtures: the unit registry is loaded once per test session into the test database."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from tinhso.geo import registry

        registry.ensure_loaded(out=lambda *a, **k: None)
