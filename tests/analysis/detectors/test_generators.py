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
    added = sum(e.reports for e in effects if e.kind != "on_time_collapse")
    added += sum(MIN_RESOLVED for e in effects if e.kind == "on_time_collapse")
    assert len(remaining) == added
    assert all(e.month == f"{MONTH:%Y-%m}" for e in effects)


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
