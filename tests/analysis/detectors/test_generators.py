"""The generators' injected effects: printed, written as JSON, and leaving the base data unchanged."""

from __future__ import annotations

import datetime as dt
import json

from django.db import transaction

from tests.analysis.detectors.conftest import MONTH, NOW, generate_reports
from tinhso.reports.effects import MIN_RESOLVED


def _rows():
    from tinhso.reports.models import Report

    return sorted(Report.objects.values_list("lat", "lon", "category__code"))


def test_report_effects_add_to_the_same_base(province):
    with transaction.atomic():
        generate_reports(60, seed=9, effects=0)
        base = _rows()
        transaction.set_rollback(True)
    with transaction.atomic():
        effects = generate_reports(60, seed=9, effects=2)
        with_effects = _rows()
        transaction.set_rollback(True)
    # A re-planned report keeps its place and category: the base is a sub-multiset of the new rows.
    remaining = list(with_effects)
    for row in base:
        remaining.remove(row)
    assert len(remaining) == sum(e.added for e in effects)
    assert all(e.added <= MIN_RESOLVED for e in effects if e.kind == "on_time_collapse")
    assert all(e.month == f"{MONTH:%Y-%m}" for e in effects)


def _resolved_before_month(unit_code: str) -> list[tuple]:
    from tinhso.reports.models import Report

    start = dt.datetime.combine(MONTH, dt.time(), NOW.tzinfo)
    return sorted(Report.objects.filter(handling_unit__code=unit_code, resolved_at__lt=start)
                  .values_list("lat", "lon", "resolved_at", "handle_due"))


def test_on_time_collapse_leaves_the_months_before_unchanged(province):
    """Seed 5114802: the ward's reports created in the fortnight before the month were re-planned late
    and some were resolved (late) before the month, so the month the collapse is compared with had
    collapsed too (0 of 7 on time) and the collapse was not significant. What was resolved before the
    month is now the same with or without the effect."""
    with transaction.atomic():
        effects = generate_reports(800, seed=5114802, effects=3)
        (collapse,) = [e for e in effects if e.kind == "on_time_collapse"]
        with_effect = _resolved_before_month(collapse.unit_code)
        transaction.set_rollback(True)
    generate_reports(800, seed=5114802, effects=0)
    assert with_effect == _resolved_before_month(collapse.unit_code)
    assert with_effect  # the ward has a history to compare with


def test_category_doubles_is_large_enough_for_the_detectors_share_test():
    """The extra reports of a doubled category × commune give a p-value below the first
    Benjamini–Hochberg threshold of a month with ~1,100 cells (9 categories × 125 communes), under the
    detector's own beta-binomial predictive with six months of history. Seed 3088497 (2,000 reports):
    12 extra reports in a cell that usually had 2 gave p = 9.5e-5 > 0.05 / 1125 and were missed."""
    from tinhso.analysis.detectors.rising_category import _beta_binom_sf
    from tinhso.reports.effects import detectable_extra

    months, weight, cells = 6, 20.0, 1125
    for province_month in (100, 300, 3000):  # the category's reports in the province in a month
        for usual in (0.3, 1.0, 2.2, 5.0, 10.0, 20.0, 40.0):
            if usual > province_month / 3:
                continue
            extra = detectable_extra(usual)
            share = usual / province_month
            a = months * usual + weight * share
            b = months * (province_month - usual) + weight * (1 - share)
            observed = int(usual) + extra  # the month's usual reports (rounded down) and the injected ones
            p = _beta_binom_sf(observed, province_month + extra, a, b)
            assert extra >= usual and p <= 0.05 / cells / 10, (province_month, usual, extra, p)


def test_reports_generate_cli_prints_and_writes_the_effects(province, capsys, tmp_path):
    from tinhso.cli import main

    out = tmp_path / "effects.json"
    code = main(["reports", "generate", "--count", "40", "--seed", "5", "--effects", "3", "--effects-month", "2025-10",
                 "--now", NOW.isoformat(), "--effects-out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(e["kind"] for e in written) == ["category_doubles", "on_time_collapse", "street_cluster"]
    for e in written:
        assert f"injected {e['kind']}: unit={e['unit_code']}" in printed and e["month"] == "2025-10"
    cluster = next(e for e in written if e["kind"] == "street_cluster")
    assert cluster["category"] and len(cluster["place"]) == 2
    assert main(["reports", "generate", "--count", "0"]) == 2  # refused with a clear error


def test_dossier_effect_changes_only_its_agency_month(dossier_store, tmp_path, capsys):
    from tinhso.cli import main
    from tinhso.dossiers import synthetic

    end = dt.date(2025, 11, 5)
    plain = list(synthetic.records(3000, 21, end, 3))
    injected: list = []
    changed = list(synthetic.records(3000, 21, end, 3, effects=1, effects_month=MONTH, injected=injected))
    (effect,) = injected
    diff = [(a, b) for a, b in zip(plain, changed) if a != b]
    assert diff and len(plain) == len(changed)
    for a, b in diff:
        assert a["DonViXuLy"] == effect["unit_code"] and b["TaiLieuNop"] == [] and b["HoSoCoThanhPhanSoHoa"] == 0
        assert {k for k in a if a[k] != b[k]} <= {"TaiLieuNop", "HoSoCoThanhPhanSoHoa"}
    out = tmp_path / "e.json"
    code = main(["dossiers", "generate", "--count", "500", "--seed", "21", "--out", str(tmp_path / "d.jsonl"),
                 "--end", "2025-11-05", "--months", "3", "--effects", "1", "--effects-out", str(out)])
    assert code == 0
    (written,) = json.loads(out.read_text(encoding="utf-8"))
    assert written["kind"] == "digitisation_drop" and written["month"] == "2025-10"
    assert f"injected digitisation_drop: unit={written['unit_code']}" in capsys.readouterr().out


def test_dossier_effect_says_how_many_dossiers_it_has(dossier_store, tmp_path, capsys):
    """The injected effect states its agency's dossiers in the month and the month before (what the
    detector needs at least ``min_dossiers`` of), counted here from the records themselves."""
    from tinhso.cli import main
    from tinhso.dossiers import synthetic

    end = dt.date(2025, 11, 5)
    injected: list = []
    rows = list(synthetic.records(4000, 33, end, 3, effects=1, effects_month=MONTH, injected=injected))
    (effect,) = injected

    def received_in(month: str) -> int:
        return sum(1 for r in rows if r["DonViXuLy"] == effect["unit_code"] and r["NgayTiepNhan"]
                   and dt.datetime.strptime(r["NgayTiepNhan"], "%d/%m/%Y %H:%M:%S").strftime("%Y-%m") == month)

    assert effect["dossiers_in_month"] == received_in("2025-10") > 0
    assert effect["dossiers_month_before"] == received_in("2025-09") > 0
    code = main(["dossiers", "generate", "--count", "4000", "--seed", "33", "--out", str(tmp_path / "d.jsonl"),
                 "--end", "2025-11-05", "--months", "3", "--effects", "1", "--effects-month", "2025-10"])
    assert code == 0
    assert (f"dossiers={effect['dossiers_in_month']} (month before: {effect['dossiers_month_before']})"
            in capsys.readouterr().out)
