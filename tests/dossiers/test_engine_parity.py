"""The computation is written once (DuckDB SQL, transpiled by sqlglot for Spark) and gives identical results on
DuckDB and on Apache Spark in local mode over the same Parquet store."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.dossiers.conftest import write_json
from tests.dossiers.known import KNOWN
from tinhso.dossiers import engine, indicators, service, setup
from tinhso.dossiers.periods import parse

pytestmark = pytest.mark.django_db

REASON = engine.spark_available()


def test_spark_sql_is_transpiled_from_the_one_query():
    sql = indicators.counts_sql(parse("2025-10"), "pause")
    spark_sql = engine.to_spark_sql(sql)
    assert "GROUP BY agency, ma_tthc" in spark_sql and "ROW_NUMBER() OVER" in spark_sql
    assert "GROUP BY ALL" not in sql and "QUALIFY" not in sql


@pytest.mark.once  # the engines read Parquet, not the database: once per `make test`
@pytest.mark.pg_pass  # in the PostgreSQL pass when there is one, to balance the two passes
@pytest.mark.skipif(REASON is not None, reason=f"Spark cannot run here: {REASON}")
def test_duckdb_and_spark_agree(catalogue, tmp_path):
    setup.demo_catalogue()
    service.import_file(write_json(tmp_path / "known.json", KNOWN))
    service.generate(tmp_path / "g.jsonl", count=600, seed=5, end=dt.date(2025, 11, 30))
    service.import_file(tmp_path / "g.jsonl")
    try:
        for period, mode in (("2025-10", "pause"), ("2025-Q3", "restart"), ("2025-W41", "pause")):
            p = parse(period)
            duck = indicators.count_rows(p, mode, "duckdb")
            spark = indicators.count_rows(p, mode, "spark")
            assert duck and duck == spark, period
        periods = ["2025-09", "2025-10", "2025-Q3", "2025-W41", "2025"]
        duck_many = indicators.compute_many(periods, ("agency", "commune"), engine="duckdb")
        spark_many = indicators.compute_many(periods, ("agency", "commune"), engine="spark")
        for key, doc in duck_many.items():
            assert doc.pop("engine") == "duckdb" and spark_many[key].pop("engine") == "spark"
            assert doc == spark_many[key], key
        for level in ("agency", "commune", "province"):
            duck = service.indicators("2025-10", level, engine="duckdb")
            spark = service.indicators("2025-10", level, engine="spark")
            assert spark.pop("engine") == "spark" and duck.pop("engine") == "duckdb"
            assert duck == spark
            assert any(u["total"] is not None for u in duck["units"])
        now = dt.datetime(2025, 10, 17, 9)  # HS-08 of the known dossiers is due on 20 October
        duck = service.due_soon(24, now=now, engine="duckdb")
        assert duck["count"] >= 1
        assert service.due_soon(24, now=now, engine="spark") == duck
        listed = {"period": "2025-10", "bucket": "finished_late"}
        assert service.list_dossiers(listed, engine="spark") == service.list_dossiers(listed, engine="duckdb")
        days = {"period": "2025-10", "bucket": "received", "since": "2025-10-06", "until": "2025-10-08"}
        duck = service.list_dossiers(days, engine="duckdb")
        assert duck["total"] > 0 and service.list_dossiers(days, engine="spark") == duck
        searched = {"q": "SỞ TƯ PHÁP hs"}  # folded words: the agency's name and the codes
        duck = service.list_dossiers(searched, engine="duckdb")
        assert duck["total"] > 0 and service.list_dossiers(searched, engine="spark") == duck
    finally:
        engine.stop_spark()
