"""Fixtures of the analysis tests: the province's boundaries (session), the demo reference data of
reports (categories, one committee per commune, departments, routing) and a fixed 'now'."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

NOW = dt.datetime(2025, 11, 6, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
MONTH = dt.date(2025, 10, 1)


@pytest.fixture(scope="session")
def boundaries_ready(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from tinhso.geo import boundaries

        boundaries.ensure_active(out=lambda *a, **k: None)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def province(db, boundaries_ready):
    """Categories, a committee for every commune, departments and routing rules (the demo's)."""
    from tinhso.reports import setup

    setup.init(out=lambda *a, **k: None)
    setup._demo_reference(out=lambda *a, **k: None)


def generate(count: int, seed: int, effects: int = 0, now: dt.datetime = NOW, month: dt.date | None = MONTH):
    from tinhso.reports import synthetic

    injected: list = []
    synthetic.generate(count, seed=seed, now=now, effects=effects, effects_month=month, injected=injected)
    return injected
