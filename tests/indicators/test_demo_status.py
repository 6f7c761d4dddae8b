"""Acceptance: the real demo loader, then status through the service, the CLI and the API."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from django.test import Client

from tinhso import cli
from tinhso.indicators import datafiles, setup, status
from tinhso.indicators.models import Indicator, Observation, Plan, Source, Target
from tinhso.indicators.observations import ObservationInput, record, resolve_unit

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
PLAN = "bt-nq10-2022"

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    setup.load_demo(out=lambda *a, **k: None)


def _by_code(report: dict) -> dict:
    return {e["code"]: e for e in report["indicators"]}


def test_fibre_2025_is_achieved_and_unobserved_indicators_are_insufficient(demo):
    report = status.plan_status(PLAN, 2025)
    rows = _by_code(report)
    fibre = rows["fibre-coverage"]
    assert fibre["status"] == "achieved"
    assert fibre["target"] == 80
    assert fibre["latest"]["value"] == 92 and fibre["latest"]["period"] == 2024
    assert fibre["latest"]["source"]["reference"].endswith("000_deb6e1cdb076ee1d.txt")
    observed = set(Observation.objects.filter(unit__structure="legacy", unit__code="60")
                   .values_list("indicator__code", flat=True))
    for code, entry in rows.items():
        if code not in observed:
            assert entry["status"] == "insufficient_data", code
            assert entry["latest"] is None
    assert report["summary"]["counts"]["achieved"] == 5
    assert set(report["summary"]["needs_data"]) == set(rows) - observed


def test_cli_status_json_has_the_contract_shape(demo, capsys):
    assert cli.main(["indicators", "status", "--plan", PLAN, "--milestone", "2025", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report) == ["plan", "milestone", "indicators", "summary"]
    assert report["plan"] == PLAN and report["milestone"] == 2025
    first = report["indicators"][0]
    for key in ["code", "name", "pillar", "status", "latest", "target", "forecast", "method"]:
        assert key in first
    fibre = _by_code(report)["fibre-coverage"]
    assert fibre["status"] == "achieved"
    assert fibre["latest"]["value"] == 92 and fibre["latest"]["period"] == 2024
    assert "meets the target" in fibre["method"]


def test_cli_bad_milestone_is_a_user_error(demo, capsys):
    assert cli.main(["indicators", "status", "--plan", PLAN, "--milestone", "2024"]) == 2
    assert "unknown_milestone" in capsys.readouterr().err


def test_api_status(demo):
    client = Client()
    body = client.get(f"/api/v1/plans/{PLAN}/status", {"milestone": 2025}).json()
    rows = _by_code(body)
    assert rows["fibre-coverage"]["status"] == "achieved"
    assert rows["digital-identity"]["status"] == "insufficient_data"
    assert body["summary"]["counts"]["insufficient_data"] == len(body["indicators"]) - 5
    missing = client.get("/api/v1/plans/no-such-plan/status", {"milestone": 2025})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "plan_not_found"


def test_a_bad_threshold_set_is_refused_by_the_admin_and_reported_by_the_api(demo):
    from django.core.exceptions import ValidationError

    from tinhso.indicators.models import ThresholdSet

    chosen = ThresholdSet.objects.get(is_default=True)
    chosen.params = {**chosen.params, "cagr_high": chosen.params["cagr_med"]}
    with pytest.raises(ValidationError) as err:
        chosen.full_clean()
    assert "cagr_high > cagr_med" in str(err.value)
    chosen.save()  # written around the admin (a shell, a fixture): the API answers, no traceback
    response = Client().get(f"/api/v1/plans/{PLAN}/status", {"milestone": 2030})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_threshold"


def test_work_files_targets_per_level_show_the_abolished_district_level(demo):
    rows = _by_code(status.plan_status(PLAN, 2030))
    levels = {lv["level"]: lv for lv in rows["work-files-online"]["levels"]}
    assert {k: v["target"] for k, v in levels.items()} == {"province": 100, "district": 90, "commune": 70}
    assert levels["district"]["level_abolished_on"] == "2025-07-01"
    assert levels["province"]["level_abolished_on"] is None
    # 2025: the source says the indicator was met (no figure) — every level is achieved, shown as a statement.
    rows_2025 = _by_code(status.plan_status(PLAN, 2025))
    assert {lv["status"] for lv in rows_2025["work-files-online"]["levels"]} == {"achieved"}
    assert rows_2025["work-files-online"]["latest"]["value"] is None
    assert rows_2025["work-files-online"]["latest"]["reported_met_milestone"] == 2025


def test_plan_page_groups_by_pillar_and_cites_sources(demo):
    html = Client().get(f"/ke-hoach/{PLAN}").content.decode()
    for pillar in ["Chính quyền số", "Kinh tế số", "Xã hội số"]:
        assert pillar in html
    assert 'data-code="fibre-coverage"' in html and 'data-status="achieved"' in html
    assert "Bình Thuận: Xây dựng cấu trúc chuyển đổi số" in html
    assert "Cấp huyện không còn tồn tại" in html
    assert Client().get("/ke-hoach").status_code == 200


def test_demo_loader_is_idempotent_and_keeps_revisions(demo):
    counts = (Observation.objects.count(), Target.objects.count(), Indicator.objects.count())
    setup.load_demo(out=lambda *a, **k: None)
    assert (Observation.objects.count(), Target.objects.count(), Indicator.objects.count()) == counts
    grdp = Observation.objects.filter(indicator__code="digital-economy-grdp-share", unit__code="11")
    assert grdp.count() == 2
    latest = grdp.order_by("-id").first()
    assert latest.value == 6.63 and latest.supersedes.value == 9.5


def test_every_target_of_resolution_10_is_loaded(demo):
    plan = Plan.objects.get(code=PLAN)
    assert plan.unit.structure == "legacy" and plan.unit.code == "60"
    targets = Target.objects.filter(item__plan=plan)
    per_milestone = {m: targets.filter(milestone=m).count() for m in (2025, 2030)}
    # Seed 001: 2025 — 5 government (work files on 3 levels → 7 rows), 4 economy, 5 society;
    # 2030 — 4 government (work files on 3 levels → 6 rows), 4 economy, 4 society, plus the top-20 DTI goal.
    assert per_milestone == {2025: 16, 2030: 15}


def _seed_text(reference: str) -> str:
    path = SHARED / reference.removeprefix("shared/")
    return unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared/ seeds not beside the checkout")
def test_every_quote_is_in_its_seed_article(demo):
    """Transcription check: each target and observation quotes its source verbatim ("..." = elision)."""
    checked = 0
    for target in Target.objects.select_related("source"):
        text = _seed_text(target.source.reference)
        for piece in target.quote.split(" ... "):
            assert piece.strip() in text, (target, piece)
        checked += 1
    for obs in Observation.objects.select_related("source"):
        text = _seed_text(obs.source.reference)
        for piece in obs.quote.split(" ... "):
            assert piece.strip().rstrip(".;").removesuffix(" ...") in text, (obs, piece)
        checked += 1
    assert checked > 60


def test_demo_files_parse_and_reference_known_codes():
    for name in datafiles.DEMO_FILES + ["methods.toml"]:
        assert datafiles._read(datafiles.DATA_DIR / name)


def test_summaries_rank_what_needs_action_first(demo):
    source = Source.objects.create(key="test-series", title="Test series")
    bt = resolve_unit("legacy:60")
    series = {"digital-data-share": [(2022, 40), (2024, 42)],        # R ≈ 0.23 → off track
              "inspections-digital": [(2022, 30), (2024, 25)],       # falling → deteriorating
              "basic-digital-skills-14plus": [(2022, 50), (2024, 60)]}  # R ≈ 1.3 → on track
    for code, points in series.items():
        for year, value in points:
            record(ObservationInput(indicator=Indicator.objects.get(code=code), unit=bt, period=year,
                                    value=value, source=source), entered_by_name="test")
    report = status.plan_status(PLAN, 2030)
    rows = _by_code(report)
    assert rows["digital-data-share"]["status"] == "off_track"
    assert rows["inspections-digital"]["status"] == "deteriorating"
    assert rows["basic-digital-skills-14plus"]["status"] == "on_track"
    assert rows["digital-data-share"]["forecast"]["cagr"]["ratio"] == pytest.approx(
        ((42 / 40) ** 0.5 - 1) / ((90 / 40) ** (1 / 8) - 1))
    summary = report["summary"]
    assert summary["needs_action_first"] == ["inspections-digital", "digital-data-share"]
    government = next(p for p in summary["pillars"] if p["code"] == "chinh-quyen-so")
    assert government["counts"]["off_track"] == 1 and government["counts"]["deteriorating"] == 1
    assert government["needs_action_first"] == ["inspections-digital", "digital-data-share"]
    scored = [e["score"] for e in report["indicators"] if e["score"] is not None]
    assert summary["mean_score"] == pytest.approx(sum(scored) / len(scored), abs=1e-3)
