"""The counts query (:func:`tinhso.dossiers.indicators.many_counts_sql`, dossiers pre-aggregated by period
index) gives exactly the counts of the join it replaced (``counts_oracle.join_counts_sql``, each dossier
joined to the periods it is in scope of) — on a drawn store made to hit every corner the rules have: dates
on the periods' first and last days and on ``today``, missing due dates, request dates, supplementation
counts, flags and channels, ends before the reception, dossiers received years before the periods or
after them; every kind of period, mixed, with gaps, duplicated; judged at a ``today`` inside, at the end
of and before the periods, or without one; both supplementation modes. On DuckDB, and on Spark (the
query the Spark engine runs is the same text, transpiled)."""

from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.dossiers.counts_oracle import join_counts_sql
from tinhso.dossiers import engine, indicators, store
from tinhso.dossiers.periods import parse

LISTS = [
    [f"2025-{m:02d}" for m in range(1, 13)],
    [f"2025-{m:02d}" for m in range(1, 13)] + ["2024-Q4", "2025-Q2", "2025-Q4", "2025-W01", "2025-W41", "2026-W02",
                                                 "2024", "2025"],
    ["2025-03", "2025-07", "2025-07", "2026-01"],  # a gap, a duplicate, a month without dossiers received
    ["2024-W52", "2025-W01", "2025-W02", "2025-W10"],  # weeks across a year's end
    ["2025-Q1", "2025-Q3"],
    ["2025"],
    ["2025-10"],
]
TODAYS = [None, dt.date(2025, 12, 10), dt.date(2025, 6, 30), dt.date(2025, 1, 1), dt.date(2023, 5, 5)]


def _drawn_rows(n: int, seed: int) -> pa.Table:
    rng = random.Random(seed)
    # the first and last days of every month (so of every quarter and year), the Sundays ending weeks, the todays
    special = sorted({d for y in (2024, 2025, 2026) for m in range(1, 13)
                      for d in (dt.date(y, m, 1), parse(f"{y}-{m:02d}").end)}
                     | {parse(f"{y}-W{w:02d}").end for y in (2024, 2025) for w in range(1, 53)}
                     | {t for t in TODAYS if t})

    def day(base: dt.date | None = None, spread: int = 60) -> dt.date | None:
        if rng.random() < 0.3:
            return rng.choice(special)
        if base is None:
            return dt.date(2023, 10, 1) + dt.timedelta(days=rng.randrange(0, 900))
        return base + dt.timedelta(days=rng.randrange(-spread // 3, spread))

    def maybe(value, p_none: float):
        return None if rng.random() < p_none else value

    def flag():
        return maybe(rng.random() < 0.4, 0.1)

    rows = []
    for i in range(n):
        received = maybe(day(), 0.02)
        end = maybe(day(received or dt.date(2025, 6, 1), 150), 0.3)
        rows.append({
            "ma_ho_so": f"D-{i}", "ma_tthc": f"T.{rng.randrange(4)}", "agency": f"A{rng.randrange(3)}",
            "channel": maybe(rng.choice([1, 2, 3, 4]), 0.05), "status": maybe(rng.randrange(1, 11), 0.01),
            "received_date": received, "end_date": end,
            "due_pause_date": maybe(day(received or dt.date(2025, 6, 1), 90), 0.1),
            "due_restart_date": maybe(day(received or dt.date(2025, 6, 1), 90), 0.1),
            "sup_count": maybe(rng.choice([0, 0, 1, 1, 2, 3]), 0.05),
            "sup_open_date": maybe(day(received or dt.date(2025, 6, 1), 120), 0.5),
            "work_days": maybe(rng.randrange(0, 40), 0.05),
            **{name: flag() for name in ("paid_online", "fee_info", "fee_all_zero", "reuse", "attached", "e_result",
                                         "from_store", "vneid", "unhappy")},
            "synthetic": True, "import_seq": 1,
        })
    for row in rows:  # the timestamps nobody here reads
        for name in ("submitted_at", "received_at", "due_at", "end_at", "returned_at", "due_pause_at",
                     "due_restart_at"):
            row[name] = None
        row["officer"] = None
    return pa.Table.from_pylist(rows, schema=store.SCHEMA)


@pytest.fixture
def drawn_store(store_dir):
    path = store_dir / "month=2025-01"
    path.mkdir(parents=True)
    pq.write_table(_drawn_rows(4000, seed=7), path / "imp-00000001.parquet")
    (store_dir / store.CURRENT_ONLY_MARKER).touch()
    return store_dir


def _cases():
    for i, codes in enumerate(LISTS):
        for today in TODAYS:
            yield [parse(c) for c in codes], ("pause", "restart")[i % 2], today


PER_DOSSIER = "SELECT " + ", ".join("ma_ho_so AS agency" if c == "agency" else c for c in indicators.RULE_INPUTS) \
    + " FROM dossier_files"
"""The rule inputs with each dossier as its own agency: the counts per dossier × period, where a single
dossier's NULLs are not hidden among others' values."""


def test_the_query_equals_the_join_it_replaced(drawn_store):
    checked = 0
    for periods, mode, today in _cases():
        expected = engine.run(join_counts_sql(periods, mode, today), "duckdb")
        got = engine.run(indicators.many_counts_sql(periods, mode, today), "duckdb")
        assert got == expected, ([p.code for p in periods], mode, today)
        checked += sum(r[3] for r in expected[1])
        expected = engine.run(join_counts_sql(periods, mode, today, current=PER_DOSSIER), "duckdb")
        got = engine.run(indicators.many_counts_sql(periods, mode, today, current=PER_DOSSIER), "duckdb")
        assert got == expected, ([p.code for p in periods], mode, today, "per dossier")
    assert checked > 20000  # real work: in-scope dossier × period rows


def test_a_store_holding_superseded_rows_is_read_with_the_window(drawn_store):
    older = pq.read_table(drawn_store / "month=2025-01" / "imp-00000001.parquet").slice(0, 300)
    older = older.set_column(older.schema.get_field_index("import_seq"), "import_seq", pa.array([0] * 300, pa.int64()))
    pq.write_table(older.set_column(older.schema.get_field_index("status"), "status",
                                    pa.array([9] * 300, pa.int8())),
                   drawn_store / "month=2025-01" / "imp-00000000.parquet")
    (drawn_store / store.CURRENT_ONLY_MARKER).unlink()
    periods = [parse(c) for c in LISTS[1]]
    today = dt.date(2025, 12, 10)
    assert (engine.run(indicators.many_counts_sql(periods, "pause", today), "duckdb")
            == engine.run(join_counts_sql(periods, "pause", today), "duckdb"))


def test_every_rule_column_has_its_pre_aggregated_form(monkeypatch):
    from tinhso.dossiers import rules

    original = rules.rule_columns
    monkeypatch.setattr(rules, "rule_columns", lambda *a: {**original(*a), "new_rule": "TRUE"})
    with pytest.raises(AssertionError, match="new_rule"):
        indicators.many_counts_sql([parse("2025-10")], "pause")


@pytest.mark.once  # Parquet, not the database: once per `make test`
@pytest.mark.pg_pass  # in the PostgreSQL pass when there is one, to balance the two passes
@pytest.mark.skipif(engine.spark_available() is not None, reason=f"Spark cannot run here: {engine.spark_available()}")
def test_spark_runs_the_query_to_the_same_counts(drawn_store):
    try:
        for periods, mode, today in [next(c for c in _cases() if len(c[0]) > 12 and c[2] == TODAYS[1]),
                                     ([parse(c) for c in LISTS[3]], "restart", None)]:
            expected = engine.run(join_counts_sql(periods, mode, today), "duckdb")
            assert engine.run(indicators.many_counts_sql(periods, mode, today), "spark") == expected
    finally:
        engine.stop_spark()
