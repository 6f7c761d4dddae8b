"""Each detector on data built for it (real database, no mocks), and the shared statistics."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from scipy import stats

from tests.analysis.detectors.conftest import MONTH, NOW
from tinhso.analysis.detectors import context_for, parameters, registry, run_all, templates
from tinhso.analysis.detectors._common import (
    benjamini_hochberg,
    count_upper_p,
    count_upper_p_many,
    share_lower_p,
)
from tinhso.analysis.findings import Context

VN = ZoneInfo("Asia/Ho_Chi_Minh")
EXAMPLES = Path(__file__).resolve().parents[3] / "tinhso" / "indices" / "examples"


# ---------------------------------------------------------------------------------------------
# Statistics


def test_benjamini_hochberg_step_up():
    # Benjamini & Hochberg (1995): with m = 5 at α = 0.05 the thresholds are 0.01, 0.02, …, 0.05; the
    # largest rank under its threshold is 3 (0.03 ≤ 0.03), so ranks 1–3 are rejected, even the
    # second (0.025 > 0.02) that a step-down procedure would keep.
    assert benjamini_hochberg([0.005, 0.025, 0.03, 0.5, 0.9], 0.05) == [True, True, True, False, False]
    assert benjamini_hochberg([0.02, 0.03], 0.01) == [False, False]
    assert benjamini_hochberg([], 0.05) == []


def test_count_tail_is_poisson_without_overdispersion_and_wider_with_it():
    assert count_upper_p(9, 4.0, 4.0) == pytest.approx(stats.poisson.sf(8, 4.0))
    assert count_upper_p(9, 4.0, 12.0) > count_upper_p(9, 4.0, 4.0)
    assert count_upper_p(0, 4.0, 4.0) == 1.0
    cases = [(9, 4.0, 4.0), (9, 4.0, 12.0), (0, 2.0, 5.0), (3, 0.2, 0.25), (40, 10.0, 30.0)]
    many = count_upper_p_many(*zip(*cases))
    assert list(many) == pytest.approx([count_upper_p(*c) for c in cases])


def test_share_lower_tail_uses_the_history_and_its_uncertainty():
    long = share_lower_p(5, 20, 800, 1000)   # 25 % now, 80 % over 1000 cases before
    short = share_lower_p(5, 20, 8, 10)      # 25 % now, 80 % over 10 cases before
    assert long < short < 0.05
    assert share_lower_p(16, 20, 800, 1000) > 0.3


# ---------------------------------------------------------------------------------------------
# Data built for the detectors


def _communes(n: int):
    from tinhso.geo.models import Unit

    return list(Unit.objects.filter(structure="current", level="commune", province_code="68", lat__isnull=False)
                .order_by("code")[:n])


def _bulk(rows: list[dict]):
    from tinhso.reports.models import Report, generate_tracking_code

    objs = []
    for r in rows:
        created = r["created_at"]
        objs.append(Report(code=generate_tracking_code(), category=r["category"], commune=r["commune"],
                           province_code="68", description="[Mô phỏng] test", lat=r.get("lat", r["commune"].lat),
                           lon=r.get("lon", r["commune"].lon), created_at=created, updated_at=created,
                           state=r.get("state", "closed"), is_open=False, synthetic=True,
                           resolved_at=r.get("resolved_at"), handling_unit=r.get("handling_unit")))
    Report.objects.bulk_create(objs, batch_size=1000)


def _seasonal_rows(communes, category, *, until: dt.date, boost: dict | None = None, seed: int = 1):
    """Weekly reports per commune since April 2023: 5 a week, 2.5 times more in the rainy season
    (June–October) every year, plus ``boost`` {commune index: factor} in the analysed month."""
    rng = np.random.default_rng(seed)
    rows = []
    day = dt.date(2023, 4, 3)
    while day < until:
        rainy = 6 <= day.month <= 10
        for i, c in enumerate(communes):
            mean = 5 * (2.5 if rainy else 1.0) / 7
            if boost and day >= MONTH and i in boost:
                mean *= boost[i]
            for _ in range(rng.poisson(mean)):
                at = dt.datetime.combine(day, dt.time(int(rng.integers(7, 19)), int(rng.integers(0, 59))), VN)
                rows.append({"category": category, "commune": c, "created_at": at})
        day += dt.timedelta(days=1)
    return rows


@pytest.fixture
def environment(province):
    from tinhso.reports.models import Category

    return Category.objects.get(code="environment")


def test_the_rainy_season_is_expected_not_alerted(environment):
    communes = _communes(4)
    _bulk(_seasonal_rows(communes, environment, until=dt.date(2025, 11, 1)))
    assert run_all(Context(month=MONTH), kinds=["rising_category"]) == []


def test_a_commune_whose_share_doubles_in_the_rainy_season_is_named(environment):
    communes = _communes(4)
    _bulk(_seasonal_rows(communes, environment, until=dt.date(2025, 11, 1), boost={2: 2.5}))
    found = run_all(Context(month=MONTH), kinds=["rising_category"])
    by_commune = [f for f in found if f.subject["scope"] == "commune"]
    assert [f.unit_code for f in by_commune] == [communes[2].code]
    assert by_commune[0].subject["category"] == "environment"
    assert by_commune[0].figures["observed"] > 1.5 * by_commune[0].figures["expected"]
    # The unit filter: only findings about the unit asked for.
    assert [f.unit_code for f in run_all(Context(month=MONTH, unit=communes[2].code), kinds=["rising_category"])] \
        == [communes[2].code]
    assert run_all(Context(month=MONTH, unit=communes[0].code), kinds=["rising_category"]) == []
    _render(found)


def test_a_province_wide_rise_beyond_the_season_uses_stl(environment):
    communes = _communes(4)
    _bulk(_seasonal_rows(communes, environment, until=dt.date(2025, 11, 1), boost={0: 2, 1: 2, 2: 2, 3: 2}))
    found = run_all(Context(month=MONTH), kinds=["rising_category"])
    assert [(f.unit_kind, f.figures["model"]) for f in found] == [("province", "STL")]
    assert found[0].series is not None and len(found[0].series.expected) == len(found[0].series.observed)
    # Short history (a parameter: STL needs more weeks than there are): the mean baseline sees the
    # rainy season itself as a rise, which is why STL is used when two years exist.
    short = Context(month=MONTH, params={"rising_category": {"stl_min_weeks": 1000}})
    assert run_all(short, kinds=["rising_category"])[0].figures["model"] == "mean"
    _render(found)


def test_a_place_reported_again_after_its_report_was_resolved(province):
    from tinhso.reports.models import Category

    traffic = Category.objects.get(code="traffic")
    commune = _communes(1)[0]
    lat, lon = commune.lat, commune.lon
    rows = []
    for k in range(4):  # four places, each resolved in September and reported again in October
        plat, plon = lat + 0.01 * k, lon
        rows.append({"category": traffic, "commune": commune, "lat": plat, "lon": plon,
                     "created_at": dt.datetime(2025, 9, 2, 9, tzinfo=VN),
                     "resolved_at": dt.datetime(2025, 9, 10, 9, tzinfo=VN)})
        rows.append({"category": traffic, "commune": commune, "lat": plat + 0.0001, "lon": plon,
                     "created_at": dt.datetime(2025, 10, 5 + k, 9, tzinfo=VN), "state": "submitted"})
    # Reported again in October but 500 m away: not a repeat.
    rows.append({"category": traffic, "commune": commune, "lat": lat + 0.0045, "lon": lon,
                 "created_at": dt.datetime(2025, 10, 20, 9, tzinfo=VN), "state": "submitted"})
    _bulk(rows)
    found = [f for f in run_all(Context(month=MONTH), kinds=["hotspots"]) if f.subject.get("type") == "repeat"]
    assert [(f.unit_code, f.figures["observed"]) for f in found] == [(commune.code, 4)]
    assert len(found[0].links) == 4
    # Fewer than min_repeats: nothing.
    assert [f for f in run_all(Context(month=MONTH, params={"hotspots": {"min_repeats": 5}}), kinds=["hotspots"])
            if f.subject.get("type") == "repeat"] == []
    _render(found)


def test_a_cluster_in_one_street_is_found_in_its_commune(province):
    from tinhso.reports.models import Category

    traffic = Category.objects.get(code="traffic")
    communes = _communes(6)
    rng = random.Random(3)
    rows = []
    for c in communes:  # background: 3 reports a week spread over ~2 km around each centre
        for d in range(0, 180, 2):
            at = dt.datetime(2025, 5, 1, 9, tzinfo=VN) + dt.timedelta(days=d)
            rows.append({"category": traffic, "commune": c, "lat": c.lat + rng.gauss(0, 0.01),
                         "lon": c.lon + rng.gauss(0, 0.01), "created_at": at})
    target = communes[4]
    for k in range(10):
        rows.append({"category": traffic, "commune": target, "lat": target.lat + 0.02 + rng.gauss(0, 0.0002),
                     "lon": target.lon + rng.gauss(0, 0.0002),
                     "created_at": dt.datetime(2025, 10, 12, 8, tzinfo=VN) + dt.timedelta(hours=9 * k)})
    _bulk(rows)
    found = [f for f in run_all(Context(month=MONTH), kinds=["hotspots"]) if f.subject.get("type") == "cluster"]
    assert [f.unit_code for f in found] == [target.code]
    assert found[0].figures["observed"] >= 8 and found[0].figures["first_day"] == "2025-10-12"
    assert abs(found[0].subject["lat"] - (target.lat + 0.02)) < 0.002
    _render(found)


def test_backlog_growth_and_falling_satisfaction_of_a_unit(province):
    from tinhso.reports.models import Category, HandlingUnit, Report

    traffic = Category.objects.get(code="traffic")
    commune = _communes(1)[0]
    unit = HandlingUnit.objects.get(commune=commune)
    rows = []
    for month in range(6, 11):  # 10 reports a month, resolved within days …
        for k in range(10):
            created = dt.datetime(2025, month, 2 + 2 * k, 9, tzinfo=VN)
            resolved = None if month == 10 else created + dt.timedelta(days=3)
            rows.append({"category": traffic, "commune": commune, "created_at": created, "handling_unit": unit,
                         "resolved_at": resolved, "state": "in_progress" if resolved is None else "closed"})
    for k in range(20):  # … and in October 20 more, none resolved
        rows.append({"category": traffic, "commune": commune, "handling_unit": unit, "state": "in_progress",
                     "created_at": dt.datetime(2025, 10, 3, 9, tzinfo=VN) + dt.timedelta(hours=20 * k)})
    _bulk(rows)
    # Ratings: good before October, bad in it.
    for r in Report.objects.filter(handling_unit=unit, resolved_at__isnull=False):
        r.rating, r.rated_at = 5, r.resolved_at + dt.timedelta(days=1)
        r.save(update_fields=["rating", "rated_at"])
    late = list(Report.objects.filter(handling_unit=unit, resolved_at__isnull=True)[:12])
    for r in late:
        r.resolved_at = dt.datetime(2025, 10, 25, 9, tzinfo=VN)
        r.rating, r.rated_at = 1, dt.datetime(2025, 10, 26, 9, tzinfo=VN)
        r.save(update_fields=["rating", "rated_at", "resolved_at"])
    found = run_all(Context(month=MONTH), kinds=["units_behind"])
    measures = {f.subject["measure"] for f in found if f.unit_code == unit.code}
    assert measures == {"backlog", "satisfaction"}, [(f.unit_code, f.subject, f.figures) for f in found]
    sat = next(f for f in found if f.subject["measure"] == "satisfaction")
    assert sat.figures["observed"] == 0.0 and sat.figures["count"] == 12
    assert sat.subject["commune_code"] == commune.code
    _render(found)


def test_no_dossier_store_means_no_dossier_findings(province, settings, tmp_path):
    settings.DOSSIER_STORE_DIR = tmp_path / "empty"
    assert [f for f in run_all(Context(month=MONTH), kinds=["units_behind"]) if f.area == "dossiers"] == []


def test_plan_indicators_off_track_with_the_gap_per_year(db, boundaries_ready):
    from tinhso.indicators import setup
    from tinhso.indicators.models import Indicator, Observation, Source
    from tinhso.indicators.observations import ObservationInput, record, resolve_unit

    setup.load_demo(out=lambda *a, **k: None)
    source = Source.objects.create(key="test-series", title="Test series")
    bt = resolve_unit("legacy:60")
    series = {"digital-data-share": [(2022, 40), (2024, 42)],         # off track for 90 % in 2030
              "inspections-digital": [(2022, 30), (2024, 25)],        # falling: deteriorating
              "basic-digital-skills-14plus": [(2022, 50), (2024, 60)]}  # on track: not reported
    for code, points in series.items():
        for year, value in points:
            record(ObservationInput(indicator=Indicator.objects.get(code=code), unit=bt, period=year, value=value,
                                    source=source), entered_by_name="test")
    # Everything so far was on record during the month analysed; a figure entered after the month's end
    # (now) must not change that month's analysis: the plan is judged as it stood at the month's end.
    Observation.objects.update(entered_at=NOW - dt.timedelta(days=20))
    record(ObservationInput(indicator=Indicator.objects.get(code="digital-data-share"), unit=bt, period=2025,
                            value=95, source=source), entered_by_name="test")
    found = run_all(Context(month=MONTH), kinds=["targets_at_risk"])
    got = {(f.subject["indicator"], f.figures["milestone"]): f for f in found}
    assert ("basic-digital-skills-14plus", 2030) not in got
    share = got[("digital-data-share", 2030)]
    assert share.figures["status"] == "off_track"
    assert share.figures["needed_per_year"] == pytest.approx((90 - 42) / (2030 - 2024))
    assert share.figures["pace_per_year"] == pytest.approx(1.0)
    assert got[("inspections-digital", 2030)].figures["status"] == "deteriorating"
    assert share.unit_code == "60"
    # The headline's plan statuses are those at the month's end too (the 2025 figure came later).
    from tinhso.analysis import headline

    statuses = headline.plan_statuses(headline.province_scope(), MONTH)
    assert statuses[f"{share.subject['plan']}/digital-data-share"]["status"] == "off_track"
    _render(found)


def test_ranking_levers_from_an_index_dataset(db, boundaries_ready):
    from tinhso.indices import dataset, results, whatif
    from tinhso.indices.methodology import load_method

    assert run_all(Context(month=MONTH), kinds=["ranking_levers"]) == []  # no dataset: nothing
    path = EXAMPLES / "dti-922-synthetic-63.csv"
    entry = {"method": "dti-922", "file": str(path), "unit": "Synthetic 30"}
    found = run_all(Context(month=MONTH, params={"ranking_levers": {"datasets": [entry], "steps": [1]}}),
                    kinds=["ranking_levers"])
    comp = results.compute(dataset.read_file(load_method("dti-922"), path.read_bytes(), path.name))
    rank = whatif.analyse(comp, "Synthetic 30")["current"]["rank"]
    assert len(found) == 1
    f = found[0]
    assert f.figures["rank"] == rank and f.figures["target_rank"] == rank - 1
    doc = whatif.analyse(comp, "Synthetic 30", target_rank=rank - 1)
    assert f.figures["points"] == doc["improvement"]["points"] > 0
    assert f.subject["lever"] == doc["improvement"]["allocation"][0]["node"]
    _render(found)


def test_every_detector_has_parameters_and_six_templates():
    for kind in registry():
        assert set(templates(kind)) == {"finding_vi", "finding_en", "action_vi", "action_en", "rule_vi", "rule_en"}, kind
        assert parameters(kind), kind
    assert context_for(Context(month=MONTH, params={"alpha": 0.01}), "hotspots").params["alpha"] == 0.01
    assert context_for(Context(month=MONTH, params={"hotspots": {"alpha": 0.02}}), "hotspots").params["alpha"] == 0.02


def test_an_unknown_detector_is_a_clear_error(db):
    from tinhso.core.errors import UserError

    with pytest.raises(UserError) as err:
        run_all(Context(month=MONTH), kinds=["nope"])
    assert err.value.code == "unknown_detector" and "nope" in err.value.message_en


# ---------------------------------------------------------------------------------------------


def _render(findings) -> None:
    """Every finding's sentences render in both languages with the report's filters, and carry figures."""
    assert findings
    try:
        from tinhso.analysis.text import finding_text
    except ImportError:  # the monthly report's renderer is not on this branch: the same sandbox here
        finding_text = _finding_text
    for f in findings:
        doc = json.loads(json.dumps(f.as_dict(), default=str))
        # The responsible unit's English name is carried (every unit of these fixtures has one), and the
        # English sentences use it, not the Vietnamese name.
        assert doc["unit_name_en"] and doc["unit_name_en"] != doc["unit_name"], (doc["kind"], doc["unit_name"])
        if "commune_vi" in doc["subject"]:
            assert doc["subject"]["commune_en"] and doc["subject"]["commune_en"] != doc["subject"]["commune_vi"]
        for lang in ("vi", "en"):
            text = finding_text(doc, lang)
            other = doc["unit_name_en"] if lang == "vi" else doc["unit_name"]
            assert other not in f"{text['finding']} {text['action']}", (lang, text)
            assert text["finding"] and text["action"] and "{{" not in text["finding"]
            assert any(ch.isdigit() for ch in text["finding"]), text
            # The rule in the report's language from its template (with its parameters from the figures),
            # not the English rule string stored with the finding.
            if "rule" in text:
                assert text["rule"] != doc["rule"] and "{{" not in text["rule"], (lang, text["rule"])


def _finding_text(finding: dict, lang: str) -> dict:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def need(func):
        def run(value, *args):
            if value is None:
                raise ValueError("no value")
            return func(value, *args)
        return run

    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    env.filters.update({
        "num": need(lambda v, d=0: f"{v:,.{d}f}"), "signed": need(lambda v, d=0: f"{v:+,.{d}f}"),
        "pct": need(lambda v, d=1: f"{100 * v:.{d}f} %"), "pp": need(lambda v, d=1: f"{100 * v:+.{d}f} pp"),
        "date": need(lambda v: str(v)), "month": need(lambda v: str(v))})
    entry = templates(finding["kind"])
    context = {"figures": finding["figures"], "subject": finding["subject"], "unit_code": finding["unit_code"],
               "unit_name": finding["unit_name"], "unit_kind": finding["unit_kind"]}
    return {"finding": env.from_string(entry[f"finding_{lang}"]).render(**context),
            "action": env.from_string(entry[f"action_{lang}"]).render(**context)}


