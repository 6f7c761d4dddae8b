"""The issue's check: synthetic data with effects placed at random by the generators is analysed, and
each effect must be found and attributed to the right unit (and category); the same data without the
injections raises no more alerts than the stated false-alarm rate allows."""

from __future__ import annotations

import math

import pytest

from tests.analysis.detectors.conftest import MONTH, generate_dossiers, generate_reports
from tests.analysis.detectors.test_detectors import _render
from tinhso.analysis.detectors import context_for, parameters, run_all
from tinhso.analysis.findings import Context

REPORT_KINDS = ["rising_category", "hotspots", "units_behind"]
REPORTS = 800


def _found(effect, findings) -> bool:
    if effect.kind == "category_doubles":
        return any(f.kind == "rising_category" and f.unit_code == effect.commune_code
                   and f.subject["category"] == effect.category for f in findings)
    if effect.kind == "street_cluster":
        return any(f.kind == "hotspots" and f.subject.get("type") == "cluster" and f.unit_code == effect.commune_code
                   and _metres((f.subject["lat"], f.subject["lon"]), effect.place) < 300 for f in findings)
    if effect.kind == "on_time_collapse":
        return any(f.kind == "units_behind" and f.unit_code == effect.unit_code
                   and f.subject.get("measure") == "on_time" for f in findings)
    raise AssertionError(effect.kind)


def _metres(a, b) -> float:
    return math.hypot((a[0] - b[0]) * 111_320, (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0])))


@pytest.mark.parametrize("seed", [4101, 4202, 4303])
def test_every_injected_report_effect_is_found_with_its_unit(province, seed):
    effects = generate_reports(REPORTS, seed=seed, effects=3)
    assert sorted(e.kind for e in effects) == ["category_doubles", "on_time_collapse", "street_cluster"]
    findings = run_all(Context(month=MONTH), kinds=REPORT_KINDS)
    missed = [e.line() for e in effects if not _found(e, findings)]
    assert not missed, f"not found: {missed}; findings: {[(f.kind, f.unit_code, f.subject) for f in findings]}"
    _render(findings)


def _statistical_alerts(findings) -> list:
    """The alerts that carry a false-alarm rate (repeats are a rule, not a test)."""
    return [f for f in findings if f.subject.get("type") != "repeat"]


def test_without_injections_alerts_stay_within_the_false_alarm_rate(province):
    """Benjamini–Hochberg at α per detector: when nothing changed, each detector alerts in a month with
    probability ≤ α, so over S seeds × D detectors about α·S·D alerting runs are expected. Allowed:
    that plus a tolerance of one."""
    from django.db import transaction

    seeds = [5101, 5202, 5303]
    alerting_runs = 0
    alerts = []
    for seed in seeds:
        with transaction.atomic():  # each seed on its own data: rolled back after the run
            generate_reports(REPORTS, seed=seed, effects=0)
            findings = _statistical_alerts(run_all(Context(month=MONTH), kinds=REPORT_KINDS))
            transaction.set_rollback(True)
        alerts += findings
        alerting_runs += len({f.kind for f in findings})
    alpha = max(parameters(k)["alpha"] for k in REPORT_KINDS)
    allowed = alpha * len(seeds) * len(REPORT_KINDS) + 1
    assert alerting_runs <= allowed, [(f.kind, f.unit_code, f.subject, f.figures) for f in alerts]


def test_injected_digitisation_drop_is_found_with_its_agency_and_not_without(dossier_store, tmp_path):
    effects = generate_dossiers(tmp_path, 5000, seed=77, effects=1, months=4)
    assert [e["kind"] for e in effects] == ["digitisation_drop"]
    findings = [f for f in run_all(Context(month=MONTH), kinds=["units_behind"]) if f.area == "dossiers"]
    hits = [f for f in findings if f.unit_code == effects[0]["unit_code"]]
    assert hits and hits[0].subject["group"] == "digitisation", [(f.unit_code, f.subject) for f in findings]
    assert hits[0].figures["total"] < hits[0].figures["before"]
    _render(hits)
    # Same records without the injection (a fresh store): no dossier alert.
    from tinhso.dossiers import store
    from tinhso.dossiers.models import DossierImport

    for imp in DossierImport.objects.all():
        store.remove_import(imp.pk)
    DossierImport.objects.all().delete()
    generate_dossiers(tmp_path, 5000, seed=77, effects=0, months=4)
    ctx = context_for(Context(month=MONTH), "units_behind")
    assert [f for f in run_all(ctx, kinds=["units_behind"]) if f.area == "dossiers"] == []
