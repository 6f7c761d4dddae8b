"""``engine.prefetch``: a query started in a background thread gives the caller's later ``run`` the same
answer (or the same error), and results not taken are dropped."""

from __future__ import annotations

import datetime as dt

import pytest

from tinhso.core.errors import UserError
from tinhso.dossiers import engine, indicators, service, setup
from tinhso.dossiers.periods import parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_store(catalogue, tmp_path):
    setup.demo_catalogue()
    path = tmp_path / "g.jsonl"
    service.generate(path, count=400, seed=5, end=dt.date(2025, 11, 5))
    service.import_file(path)


def test_a_prefetched_query_gives_run_its_result(small_store):
    sql = indicators.many_counts_sql([parse("2025-09"), parse("2025-10")], "pause", dt.date(2025, 10, 31))
    expected = engine.run(sql)
    assert expected[1]  # real rows
    engine.prefetch(sql)
    assert engine._prefetched  # started, not yet taken
    assert engine.run(sql) == expected
    assert not engine._prefetched  # taken once; the next run queries the store again
    assert engine.run(sql) == expected


def test_a_prefetched_error_is_raised_by_run_and_unused_results_are_dropped(small_store):
    bad = "SELECT no_such_column FROM dossier_files"
    engine.prefetch(bad)
    with pytest.raises(UserError) as caught:
        engine.run(bad)
    assert caught.value.code == "engine_failed"
    engine.prefetch("SELECT COUNT(*) AS n FROM dossier_files")
    engine.drop_prefetched()
    assert not engine._prefetched
    engine.prefetch("SELECT 1 AS one", engine="spark")  # DuckDB only: nothing started for Spark
    assert not engine._prefetched
