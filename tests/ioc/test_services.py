"""The wall's public-service figures come from the dossier store, computed off the request path."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from tests.dossiers.conftest import PERIOD, catalogue, store_dir, write_json  # noqa: F401
from tests.dossiers.known import BUCKETS_PAUSE, KNOWN, ON_TIME_PAUSE
from tinhso.dossiers import service
from tinhso.ioc import services, summary

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 10, 31)


def test_no_dossier_data_says_so(catalogue):  # noqa: F811
    assert services.compute(TODAY)["available"] is False


def test_figures_are_the_dossier_indicators(catalogue, tmp_path):  # noqa: F811
    service.import_file(write_json(tmp_path / "known.json", KNOWN))
    figures = services.compute(TODAY)
    assert figures["available"] is True and figures["period"] == PERIOD and figures["synthetic"] is False
    assert figures["received"] == BUCKETS_PAUSE["received"]
    on_time, total = ON_TIME_PAUSE
    assert figures["on_time_rate"] == round(on_time / total, 4)
    province = service.indicators(PERIOD, level="province", today=TODAY)["units"][0]
    assert figures["score_766"] == province["total"] and figures["groups"] == province["groups"]
    assert [a["code"] for a in figures["agencies"]] == [
        u["code"] for u in sorted(service.indicators(PERIOD, level="agency", today=TODAY)["units"],
                                  key=lambda u: (u["rank"] is None, u["rank"] or 0))]
    assert cache.get(services.KEY) == figures


def test_the_wall_never_waits_for_the_computation(catalogue, monkeypatch, tmp_path):  # noqa: F811
    assert services.block() == {"available": False}  # an empty store: nothing to compute
    service.import_file(write_json(tmp_path / "known.json", KNOWN))
    started = []
    monkeypatch.setattr(services.threading, "Thread", lambda **kw: type("T", (), {"start": lambda self: started.append(kw)})())
    assert services.block() == {"available": False, "pending": True}
    assert len(started) == 1 and started[0]["target"] is services._background
    assert services.block() == {"available": False, "pending": True}
    assert len(started) == 1  # one computation at a time (a lease in the shared cache)
    cache.set(services.KEY, {"available": True, "as_of": dt.datetime.now(dt.UTC).isoformat(), "received": 3})
    assert summary.dossier_block(None, {})["received"] == 3
