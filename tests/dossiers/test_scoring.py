"""The scoring over arrays (tinhso.dossiers.scoring, ``indicators.score``) gives every number of the
per-unit scoring it replaced (``scoring_oracle.old_compute``, the former ``indicators.compute``): each
indicator's numerator, denominator, rate, points, source and empty flag, the buckets, group points, totals,
ranks, missing inputs and the order of the units — compared as JSON text, so an integer written as a float
or a key out of order fails too.

The count tables are drawn by hypothesis: any agency (departments, communes, inactive ones, a code no
agency has), any procedure (catalogue procedures with every combination of facts, a code the catalogue
does not know), repeated (agency, procedure) rows, zero and non-zero sums (so empty denominators and
negative "decided" denominators occur), several periods at once; supplied values per agency and period or
province-wide, or missing; PAKN counts per agency, or none at all."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.dossiers.scoring_oracle import old_compute
from tinhso.dossiers import engine, indicators, scoring, service, setup
from tinhso.dossiers.models import Agency, Procedure
from tinhso.dossiers.periods import parse

pytestmark = pytest.mark.django_db

PERIODS = ["2025-09", "2025-10", "2025-Q4"]
TODAY = dt.date(2025, 11, 20)  # October is over, Q4 is not
PROCEDURES = [f"R.{i}" for i in range(12)]
SUMS = [k for k in scoring.KEYS]


@pytest.fixture
def world(catalogue):
    """A catalogue with every combination of the facts the formulas read, and a few agencies of each kind,
    one of them inactive."""
    rng = random.Random(766)
    for code in PROCEDURES:
        effective = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(300))
        decision = effective - dt.timedelta(days=rng.randrange(0, 12))
        Procedure.objects.create(
            code=code, name=code, online_level=rng.choice(["none", "partial", "full"]),
            fee_bearing=rng.random() < 0.5, requires_paper_result=rng.random() < 0.5,
            subjects=rng.choice(["citizens", "organisations", "both"]),
            legal_basis_effective=effective if rng.random() < 0.7 else None,
            publication_decision_date=decision if rng.random() < 0.8 else None,
            publicised_date=decision + dt.timedelta(days=rng.randrange(0, 12)) if rng.random() < 0.7 else None,
            parts_complete=rng.choice([None, True, False]))
    departments = list(Agency.objects.filter(kind="department").order_by("code")[:4])
    communes = list(Agency.objects.filter(kind="commune").order_by("code")[:4])
    Agency.objects.filter(pk=communes[-1].pk).update(active=False)
    return {"agencies": [a.code for a in departments + communes] + ["khong-co"],
            "procedures": PROCEDURES + ["T.1", "T.2", "KHONG.CO"],
            "ids": [a.pk for a in departments + communes]}


def _value():
    return st.one_of(st.just(0), st.integers(0, 4), st.integers(0, 60))


def _row(world):
    return st.tuples(st.sampled_from(PERIODS), st.sampled_from(world["agencies"]),
                     st.sampled_from(world["procedures"]), st.lists(_value(), min_size=len(SUMS), max_size=len(SUMS)))


def _context(supplied: dict, pakn: dict | None) -> indicators.Context:
    context = indicators.Context()
    context.supplied = supplied
    for p in map(parse, PERIODS):
        context._pakn[(p.start, p.end, min(p.end, TODAY))] = pakn
    return context


def _assert_same(rows, supplied, pakn, levels=("agency", "commune", "province")):
    context = _context(supplied, pakn)
    periods = [parse(p) for p in PERIODS]
    dicts = [{"period": p, "agency": a, "ma_tthc": m, **dict(zip(SUMS, v))} for p, a, m, v in rows]
    docs = indicators.score(scoring.Counts.from_dicts(dicts), periods, levels, engine="duckdb", mode="pause",
                            today=TODAY, context=context)
    for p in periods:
        mine = [{k: v for k, v in r.items() if k != "period"} for r in dicts if r["period"] == p.code]
        for level in levels:
            expected = old_compute(p.code, level, today=TODAY, rows=mine, context=context)
            got = docs[(p.code, level)]
            assert json.dumps(got, sort_keys=False) == json.dumps(expected, sort_keys=False), (p.code, level)
            # and through the one-document entry point
            assert indicators.compute(p.code, level, today=TODAY, rows=[dict(r) for r in mine],
                                      context=context) == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_scoring_equals_the_per_unit_code(world, data):
    rows = data.draw(st.lists(_row(world), max_size=40), label="rows")
    codes = ["1.1", "1.2", "1.3", "1.4", "4.2c", "5.2", "5.3"]
    supplied = {}
    for code in data.draw(st.lists(st.sampled_from(codes), unique=True), label="supplied codes"):
        agency = data.draw(st.sampled_from([None, *world["ids"]]), label="supplied agency")
        period = data.draw(st.sampled_from(["", *PERIODS]), label="supplied period")
        supplied[(code, agency, period)] = data.draw(st.floats(0, 100, allow_nan=False), label="value")
    pakn = None
    if data.draw(st.booleans(), label="with PAKN"):
        pakn = {aid: {"scope": s, "on_time": min(o, s), "unhappy_or_late": min(u, s), "regulation": min(r, s)}
                for aid in data.draw(st.lists(st.sampled_from([None, *world["ids"]]), unique=True), label="pakn")
                for s, o, u, r in [data.draw(st.tuples(*[st.integers(0, 9)] * 4), label="pakn counts")]}
    _assert_same(rows, supplied, pakn)


def test_every_unit_scored_with_full_supplied_values(world):
    """A dense table (every agency × procedure × period, no zeros) with every supplied value present: every
    unit with rows gets a total, so the points, groups and ranks are all exercised."""
    rng = random.Random(10)
    rows = [(p, a, m, [rng.randrange(1, 50) for _ in SUMS])
            for p in PERIODS for a in world["agencies"] for m in world["procedures"]]
    supplied = {(c, None, ""): v for c, v in {"1.1": 90.0, "1.2": 80.5, "1.3": 70.25, "1.4": 97.5, "4.2c": 100.0,
                                              "5.2": 66.6, "5.3": 33.3}.items()}
    _assert_same(rows, supplied, None)
    context = _context(supplied, None)
    doc = indicators.score(scoring.Counts.from_dicts(
        [{"period": p, "agency": a, "ma_tthc": m, **dict(zip(SUMS, v))} for p, a, m, v in rows]),
        [parse("2025-10")], ("agency",), engine="duckdb", mode="pause", today=TODAY, context=context)
    units = doc[("2025-10", "agency")]["units"]
    with_rows = [u for u in units if u["indicators"]]
    assert len(with_rows) == 4 and all(u["total"] is not None and u["rank"] for u in with_rows)


def test_compute_many_equals_the_per_unit_code_on_a_generated_store(catalogue, tmp_path):
    """The whole path (one query, then the scoring over arrays) against the per-unit code on the same
    counts, with the demo's supplied values and PAKN."""
    setup.demo_catalogue()
    path = tmp_path / "g.jsonl"
    service.generate(path, count=1200, seed=5, end=dt.date(2025, 12, 31))
    service.import_file(path)
    setup.demo_feedback(300, 7, dt.date(2025, 12, 31))
    today = dt.date(2025, 12, 10)
    periods = ["2025-06", "2025-10", "2025-12", "2025-Q4", "2025-W41", "2025"]
    many = indicators.compute_many(periods, levels=("agency", "commune", "province"), today=today)
    context = indicators.Context()
    scored = 0
    for code in periods:
        rows = indicators.count_rows(parse(code), "pause", "duckdb", today)
        for level in ("agency", "commune", "province"):
            expected = old_compute(code, level, today=today, rows=[dict(r) for r in rows], context=context)
            assert json.dumps(many[(code, level)]) == json.dumps(expected), (code, level)
            scored += sum(u["total"] is not None for u in expected["units"])
    assert scored > 20
    assert engine.run("SELECT COUNT(*) FROM dossier_files")[1][0][0] == 1200


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.integers(-10**9, 10**9).map(lambda n: n / 10**4 + 0.00005),
                 st.integers(0, 10**7).map(lambda n: (n + 0.5) / 10**4), st.integers(0, 10**6).map(lambda n: 100.0 * n / 7),
                 st.just(float("nan"))),
       st.sampled_from([2, 4]))
def test_rounded_list_is_pythons_round(x, digits):
    """The vectorised rounding gives Python's ``round`` on any value, halfway cases included."""
    got = scoring.rounded_list([x, x], digits)
    assert json.dumps(got) == json.dumps([scoring.rounded(x, digits)] * 2)
