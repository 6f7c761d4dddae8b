"""A unit's own report holds every finding the province's report assigns to it: whatever detector
found it, a finding that names a unit (its responsible unit, or the commune, handling unit or agency
its subject names) is in that unit's report too."""

from __future__ import annotations

import pytest

from tests.analysis.detectors.conftest import MONTH, generate_reports
from tinhso.analysis.detectors import run_all
from tinhso.analysis.findings import Context

REPORT_KINDS = ["rising_category", "hotspots", "units_behind"]


def _key(f) -> tuple:
    return f.kind, f.unit_code, str(sorted(f.subject.items()))


def _units_named(f) -> set[str]:
    """The handling units (their codes: the unit reports) a finding names; a commune is named through
    its People's Committee."""
    from tinhso.reports.models import HandlingUnit, UnitKind

    codes = {f.unit_code, *(f.subject.get(k) for k in ("handling_unit_code", "agency_code"))} - {None, ""}
    named = set(HandlingUnit.objects.filter(code__in=codes).values_list("code", flat=True))
    communes = {f.unit_code if f.unit_kind == "commune" else None, f.subject.get("commune_code")} - {None, ""}
    named |= set(HandlingUnit.objects.filter(kind=UnitKind.COMMUNE_COMMITTEE, commune__code__in=communes)
                 .values_list("code", flat=True))
    return named


@pytest.mark.parametrize("seed", [4101, 4202])
def test_every_province_finding_about_a_unit_is_in_that_units_report(province, seed):
    effects = generate_reports(800, seed=seed, effects=3)
    province_findings = run_all(Context(month=MONTH), kinds=REPORT_KINDS)
    kinds = {f.kind for f in province_findings}
    assert {"hotspots", "rising_category", "units_behind"} <= kinds, kinds
    by_unit: dict[str, list] = {}
    for f in province_findings:
        for code in _units_named(f):
            by_unit.setdefault(code, []).append(f)
    cluster = next(e for e in effects if e.kind == "street_cluster")
    from tinhso.reports.models import HandlingUnit

    committee = HandlingUnit.objects.get(commune__code=cluster.commune_code, kind="commune_committee").code
    assert any(f.kind == "hotspots" for f in by_unit.get(committee, [])), "the cluster names no committee"
    missing = []
    for code, expected in sorted(by_unit.items()):
        own = {_key(f) for f in run_all(Context(month=MONTH, unit=code), kinds=REPORT_KINDS)}
        missing += [(code, *_key(f)) for f in expected if _key(f) not in own]
    assert not missing, missing
