"""Fixtures of the detector tests: the province's boundaries (session), the demo reference data of
reports (categories, one committee per commune, departments, routing), a dossier store with the demo
catalogue, and generators that return what they injected."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
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


@pytest.fixture
def dossier_store(province, settings, tmp_path) -> Path:
    """An empty dossier store with the demo agencies, synthetic procedures and supplied values."""
    from tinhso.dossiers import setup
    from tinhso.dossiers.models import SuppliedValue

    settings.DOSSIER_STORE_DIR = tmp_path / "store"
    settings.DOSSIER_SUPPLEMENT_MODE = "pause"
    setup.init(out=lambda *a, **k: None)
    setup.demo_catalogue()
    for code, value in setup.DEMO_SUPPLIED.items():
        SuppliedValue.objects.create(indicator=code, value=value)
    return settings.DOSSIER_STORE_DIR


def generate_reports(count: int, seed: int, effects: int = 0, now: dt.datetime = NOW,
                     month: dt.date | None = MONTH) -> list:
    from tinhso.reports import synthetic

    injected: list = []
    synthetic.generate(count, seed=seed, now=now, effects=effects, effects_month=month, injected=injected)
    return injected


def generate_dossiers(tmp_path: Path, count: int, seed: int, effects: int = 0, months: int = 3) -> list[dict]:
    from tinhso.dossiers import importer, synthetic

    injected: list = []
    path = tmp_path / f"dossiers-{seed}-{effects}.parquet"
    synthetic.generate(path, count=count, seed=seed, end=NOW.date(), months=months, effects=effects,
                       effects_month=MONTH, injected=injected)
    importer.import_file(path, synthetic=True)
    return injected
