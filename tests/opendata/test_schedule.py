"""Generated datasets are refreshed on their own schedule by the background worker: due by frequency and
last refresh, idempotent and one small query when nothing is due."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tinhso.opendata import generated, schedule
from tinhso.opendata.models import Dataset, DatasetEvent
from tinhso.opendata.writers import Field, Table

UTC = dt.UTC


def _at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("frequency, last, now, due", [
    ("MONTHLY", _at(2026, 11, 3), _at(2026, 11, 29), False),
    ("MONTHLY", _at(2026, 11, 3), _at(2026, 12, 1, 1), True),
    ("ANNUAL", _at(2026, 2, 1), _at(2026, 12, 31), False),
    ("ANNUAL", _at(2026, 2, 1), _at(2027, 1, 2), True),
    ("QUARTERLY", _at(2026, 1, 5), _at(2026, 3, 30), False),
    ("QUARTERLY", _at(2026, 1, 5), _at(2026, 4, 2), True),
    ("DAILY", _at(2026, 1, 5, 1), _at(2026, 1, 5, 12), False),
    ("WEEKLY", _at(2026, 1, 5), _at(2026, 1, 12, 1), True),
    ("IRREG", _at(2026, 1, 5), _at(2026, 1, 30), False),
    ("IRREG", _at(2026, 1, 5), _at(2026, 2, 10), True),
    ("MONTHLY", None, _at(2026, 1, 5), True),
])
def test_due_by_frequency(frequency, last, now, due):
    assert schedule.is_due(frequency, last, now) is due


@pytest.fixture
def fake_generators(monkeypatch, db):
    calls = []
    monkeypatch.setattr(schedule, "_tried", {})

    def make(name, frequency):
        def generate():
            calls.append(name)
            meta = {"name": name, "title_vi": name, "title_en": name, "description_vi": "x", "description_en": "x",
                    "theme": "GOVE", "keywords": [], "frequency": frequency, "generator": name}
            return meta, Table(name, [Field("a", "integer")], [{"a": 1}])
        return generate

    monkeypatch.setattr(generated, "GENERATORS", {"thang": make("thang", "MONTHLY"), "nam": make("nam", "ANNUAL"),
                                                 "trong": lambda: calls.append("trong")})
    return calls


def test_refreshes_happen_on_schedule_and_only_when_due(fake_generators, monkeypatch):
    from django.utils import timezone

    clock = {"now": _at(2026, 11, 10, 3)}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    assert schedule.refresh_due(clock["now"]) == {"thang": 1, "nam": 1}
    assert fake_generators == ["thang", "nam", "trong"]
    events = DatasetEvent.objects.count()
    # Nothing due: nothing recomputed, no event, a couple of queries.
    clock["now"] = _at(2026, 11, 10, 5)
    with CaptureQueriesContext(connection) as queries:
        assert schedule.refresh_due(clock["now"]) == {}
    assert len(queries) == 1
    assert fake_generators == ["thang", "nam", "trong"] and DatasetEvent.objects.count() == events
    # Next month: the monthly dataset is refreshed, the annual one is not; the empty generator is retried.
    clock["now"] = _at(2026, 12, 1, 2)
    assert schedule.refresh_due(clock["now"]) == {"thang": 1}
    assert fake_generators[3:] == ["thang", "trong"]
    assert Dataset.objects.get(name="thang").metadata_modified == clock["now"]
    assert Dataset.objects.get(name="nam").metadata_modified == _at(2026, 11, 10, 3)
    clock["now"] = _at(2027, 1, 1, 2)
    assert schedule.refresh_due(clock["now"]) == {"thang": 1, "nam": 1}


def test_a_second_worker_does_not_refresh_at_the_same_time(fake_generators):
    from django.core.cache import cache

    cache.add(schedule.LOCK, 1, 60)
    assert schedule.refresh_due(_at(2026, 11, 10)) == {}
    assert fake_generators == [] and not Dataset.objects.exists()


def test_the_worker_that_serve_starts_runs_the_open_data_refresh(monkeypatch, db):
    import threading

    from tinhso.notify import periodic, worker

    job = periodic.JOBS["opendata-refresh"]  # registered by OpendataConfig.ready
    assert job.func is schedule.refresh_due and job.every == schedule.CHECK_EVERY
    stop = threading.Event()
    ran = []

    def fake_refresh():
        ran.append("refresh")
        stop.set()

    def failing():
        raise RuntimeError("a job's failure does not end the worker")

    monkeypatch.setattr(periodic, "JOBS", {})
    periodic.register("boom", failing, every=0)
    periodic.register("opendata-refresh", fake_refresh, every=0)
    monkeypatch.setattr(worker, "run_once", lambda: {})
    thread = threading.Thread(target=worker.run_forever, kwargs={"interval": 0.01, "stop": stop})
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and ran == ["refresh"]


def test_a_periodic_job_waits_its_interval():
    from tinhso.notify import periodic

    clock = {"t": 1000.0}
    calls = []
    job = periodic.Job("x", lambda: calls.append(clock["t"]), every=300, next_at=1000.0)
    saved = dict(periodic.JOBS)
    periodic.JOBS.clear()
    periodic.JOBS["x"] = job
    try:
        assert periodic.run_due(lambda: clock["t"]) == ["x"]
        clock["t"] = 1200.0
        assert periodic.run_due(lambda: clock["t"]) == []
        clock["t"] = 1300.0
        assert periodic.run_due(lambda: clock["t"]) == ["x"]
    finally:
        periodic.JOBS.clear()
        periodic.JOBS.update(saved)
    assert calls == [1000.0, 1300.0]


def test_refresh_due_from_the_command_line(fake_generators, capsys):
    import argparse

    from tinhso.opendata import cli

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["opendata", "refresh", "--due", "--json"])
    assert args.func(args) == 0
    assert '"thang": 1' in capsys.readouterr().out
    args = parser.parse_args(["opendata", "refresh", "--due"])
    assert args.func(args) == 0
    assert "nothing due" in capsys.readouterr().out
