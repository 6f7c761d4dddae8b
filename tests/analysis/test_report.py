"""The monthly report's figures and text: headline figures equal counts taken directly from the
records, the text comes only from templates with its figures, and the same data gives the same
bytes."""

from __future__ import annotations

import datetime as dt

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from tests.analysis.helpers import MONTH, direct, populate
from tinhso.analysis import headline, render, report, text
from tinhso.analysis.findings import Finding, Link, Series
from tinhso.analysis.models import MonthlyReport
from tinhso.core.errors import UserError

pytestmark = pytest.mark.django_db

DETECTORS_TOML = '''
[test_rising]
finding_vi = "Phản ánh {{ subject.category }} tại {{ unit_name }} tăng lên {{ figures.count|num }} ({{ figures.change|pp }})."
finding_en = "{{ subject.category_en }} reports at {{ unit_name }} rose to {{ figures.count|num }} ({{ figures.change|pp }})."
action_vi = "Đề nghị {{ unit_name }} kiểm tra nguyên nhân."
action_en = "{{ unit_name }} should look into the cause."
'''


@pytest.fixture
def detector_templates(monkeypatch, tmp_path):
    """A detector's sentence templates, as the detectors' data file would hold them."""
    (tmp_path / "headline.toml").write_bytes((text.DATA / "headline.toml").read_bytes())
    (tmp_path / "detectors.toml").write_text(DETECTORS_TOML, encoding="utf-8")
    monkeypatch.setattr(text, "DATA", tmp_path)
    text._load.cache_clear()
    yield
    text._load.cache_clear()


def finding(**over) -> Finding:
    values = dict(kind="test_rising", unit_code="ubnd-phan-thiet", unit_name="UBND Phường Phan Thiết",
                  unit_kind="commune", severity=2.0, confidence=0.999, rule="MSTL residual z ≥ 3.09 (α = 0.001)",
                  figures={"count": 42, "change": 0.125}, subject={"category": "Giao thông", "category_en": "Traffic"},
                  links=[Link("Các phản ánh", "The reports", "/can-bo?linh-vuc=traffic")],
                  series=Series("Phản ánh giao thông theo tuần", "Traffic reports per week",
                                ["2025-09-01", "2025-09-08", "2025-09-15"], [10, 12, 42], [11, 11, 11],
                                [5, 5, 5], [17, 17, 17]))
    values.update(over)
    return Finding(**values)


def _items(section: dict) -> dict:
    return {i["key"]: i for i in section["items"]}


@pytest.mark.parametrize("unit", [None, "ubnd-phan-thiet", "so-y-te"])
def test_headline_figures_equal_direct_counts(world, unit):
    populate(world)
    data = report.build(MONTH, unit, findings=[])
    got = _items(data["headline"]["reports"])
    for month, field in ((MONTH, "value"), (headline.shift(MONTH, -1), "previous"),
                         (headline.shift(MONTH, -12), "year_ago")):
        expected = direct(month, unit)
        assert {k: got[k][field] for k in expected} == expected, (month, field)
    assert got["received"]["change"] == got["received"]["value"] - got["received"]["previous"]
    assert got["received"]["value"] > 0 and got["received"]["year_ago"] > 0
    series = data["headline"]["reports"]["series"]
    assert series["months"][-1] == "2025-10" and len(series["months"]) == headline.SERIES_MONTHS
    assert series["received"][-1] == got["received"]["value"]
    assert data["headline"]["scope"]["code"] == (unit or "68")


def test_a_month_before_the_first_report_is_no_data_not_zero(world):
    from tests.analysis.helpers import local
    from tests.reports.factories import make_report
    from tinhso.reports.models import State

    for day in (3, 9, 17):
        make_report(world, State.SUBMITTED, category=world.traffic, now=local(MONTH.replace(day=day)))
    data = report.build(MONTH, None, findings=[])
    got = _items(data["headline"]["reports"])
    assert got["received"]["value"] == 3 and got["backlog"]["value"] == 3
    # September 2025 and October 2024 ended before the first report: not "0 reports" but no data.
    assert got["received"]["previous"] is None and got["received"]["year_ago"] is None
    assert got["backlog"]["previous"] is None and got["backlog"]["year_ago"] is None
    html = render.html(data, "vi")
    assert "so với mức 0" not in html


def test_rejected_reports_leave_the_backlog_when_they_are_rejected(world):
    from tests.analysis.helpers import local
    from tests.reports.factories import make_report
    from tinhso.reports.models import ReportEvent, State

    def rejected(day, at):
        r = make_report(world, State.REJECTED, category=world.traffic, now=local(day))
        ReportEvent.objects.create(report=r, at=local(at), actor_label="op", actor_role="operator", action="reject",
                                   from_state=State.SUBMITTED, to_state=State.REJECTED)

    make_report(world, State.SUBMITTED, category=world.traffic, now=local(MONTH.replace(day=2)))
    rejected(MONTH.replace(day=3), MONTH.replace(day=4))            # rejected within the month: not open
    rejected(MONTH.replace(day=20), dt.date(2025, 11, 2))           # rejected after the month: open at its end
    make_report(world, State.REJECTED, category=world.traffic, now=local(MONTH.replace(day=5)))  # no event
    got = _items(report.build(MONTH, None, findings=[])["headline"]["reports"])
    assert got["received"]["value"] == 4
    assert got["backlog"]["value"] == 2
    later = _items(report.build(headline.shift(MONTH, 1), None, findings=[])["headline"]["reports"])
    assert later["backlog"]["value"] == 1  # the rejected ones never come back


def test_no_dossier_data_says_so(world, settings, tmp_path):
    settings.DOSSIER_STORE_DIR = tmp_path / "empty-store"
    data = report.build(MONTH, None, findings=[])
    assert data["headline"]["dossiers"] == {"available": False, "synthetic": False, "items": []}
    for lang, words in (("vi", "Không có số liệu hồ sơ"), ("en", "No dossier figures")):
        assert words in render.html(data, lang)


def test_same_data_gives_byte_identical_html(world, detector_templates):
    populate(world)
    first = report.build(MONTH, None, findings=[finding()])
    again = report.build(MONTH, None, findings=[finding()])
    assert first == again
    for lang in ("vi", "en"):
        assert render.html(first, lang).encode() == render.html(again, lang).encode()
    # and regenerating the archived report keeps the data (the same numbers and text)
    one = report.generate(MONTH, None, findings=[finding()])
    data_one = one.data
    two = report.generate(MONTH, None, findings=[finding()])
    assert two.pk == one.pk and two.revision == 2 and two.data == data_one
    assert MonthlyReport.objects.count() == 1


def test_sentences_come_with_their_figures(world, detector_templates):
    populate(world)
    data = report.build(MONTH, "ubnd-phan-thiet", findings=[finding()])
    got = _items(data["headline"]["reports"])
    vi = render.html(data, "vi")
    en = render.html(data, "en")
    received = got["received"]
    assert f"Tiếp nhận {received['value']} phản ánh của người dân" in vi
    assert f"{received['value']} citizen reports were received" in en
    # the finding's sentence, its action, rule, confidence, evidence link and chart
    assert "Phản ánh Giao thông tại UBND Phường Phan Thiết tăng lên 42 (+12,5 điểm\u00a0%)." in vi
    assert "Traffic reports at UBND Phường Phan Thiết rose to 42 (+12.5\u00a0pp)." in en
    assert "Đề nghị UBND Phường Phan Thiết kiểm tra nguyên nhân." in vi
    assert "MSTL residual z ≥ 3.09 (α = 0.001)" in vi and "100\u00a0%" in vi
    assert 'href="http://127.0.0.1:8000/can-bo?linh-vuc=traffic"' in vi
    assert vi.count('src="data:image/svg+xml;base64,') == 2  # the reports' chart and the finding's


def test_a_missing_figure_is_never_written_around():
    item = {"key": "on_time_rate", "value": None, "previous": 0.5, "year_ago": None, "change": None,
            "change_year": None, "on_time": 0, "resolved": 0}
    assert render.item_sentence(item, "vi")["sentence"] == "Tỷ lệ xử lý đúng hạn (phản ánh tiếp nhận trong tháng): không có số liệu trong tháng."
    # a template naming a figure the finding does not carry fails instead of writing a blank
    with pytest.raises(UndefinedError):
        text.render("Tăng {{ figures.count|num }}", "vi", figures={})
    with pytest.raises(ValueError):
        text.render("Tăng {{ figures.count|num }}", "vi", figures={"count": None})


def test_templates_are_sandboxed():
    with pytest.raises(SecurityError):
        text.render("{{ figures.__class__.__mro__ }}", "vi", figures={})
    with pytest.raises(SecurityError):
        text.render("{{ figures.clear() }}", "vi", figures={"a": 1})


def test_filters_in_vietnamese_and_english():
    cases = {
        ("num", 1234567): ("1.234.567", "1,234,567"),
        ("pct", 0.125): ("12,5\u00a0%", "12.5%"),
        ("pp", -0.032): ("−3,2 điểm\u00a0%", "−3.2\u00a0pp"),
        ("signed", 3): ("+3", "+3"),
        ("signed", -3): ("−3", "−3"),
        ("date", "2025-10-25"): ("25/10/2025", "25 October 2025"),
        ("month", "2025-10"): ("tháng 10/2025", "October 2025"),
    }
    for (name, value), (vi, en) in cases.items():
        assert text.render(f"{{{{ v|{name} }}}}", "vi", v=value) == vi
        assert text.render(f"{{{{ v|{name} }}}}", "en", v=value) == en
    assert text.render("{{ v|num(2) }}", "vi", v=85.754) == "85,75"


def test_a_finding_without_templates_is_an_error(world, detector_templates):
    data = report.build(MONTH, None, findings=[finding(kind="unknown_kind")])
    with pytest.raises(UserError, match="unknown_kind"):
        render.html(data, "vi")


def test_detectors_are_asked_about_the_month_and_unit(world, monkeypatch, detector_templates):
    from tinhso.analysis import detectors

    asked = []

    def run_all(ctx, kinds=None):
        asked.append(ctx)
        return [finding()]

    monkeypatch.setattr(detectors, "run_all", run_all)
    data = report.build(MONTH, "ubnd-phan-thiet")
    assert (asked[0].month, asked[0].unit) == (MONTH, "ubnd-phan-thiet")
    assert data["findings"][0]["figures"] == {"count": 42, "change": 0.125}


def test_bad_month_and_unit_are_clear_errors(world):
    for bad in ("2025-13", "10/2025", "2025-1"):
        with pytest.raises(UserError) as err:
            headline.month_start(bad)
        assert err.value.code == "bad_month"
    with pytest.raises(UserError) as err:
        report.build(MONTH, "no-such-unit", findings=[])
    assert err.value.status == 404
    with pytest.raises(UserError) as err:
        report.generate(dt.date.today().replace(day=1), None, findings=[])
    assert err.value.code == "month_not_over"


def test_synthetic_data_is_labelled(world):
    from tests.analysis.helpers import local
    from tests.reports.factories import make_report
    from tinhso.reports.models import Report, State

    r = make_report(world, State.ASSIGNED, unit=world.pt, now=local(MONTH.replace(day=5)))
    data = report.build(MONTH, None, findings=[])
    assert data["synthetic"] is False and "DỮ LIỆU MẪU" not in render.html(data, "vi")
    Report.objects.filter(pk=r.pk).update(synthetic=True)
    from tinhso.ioc import aggregates

    aggregates.rebuild()
    data = report.build(MONTH, None, findings=[])
    assert data["synthetic"] is True
    assert "DỮ LIỆU MẪU" in render.html(data, "vi") and "SYNTHETIC DATA" in render.html(data, "en")


def test_plan_indicators_that_changed_status(world):
    from tinhso.indicators import progress

    def entry(code, status):
        return {"code": code, "name": f"Chỉ tiêu {code}", "name_en": f"Indicator {code}", "plan": "p",
                "milestone": 2025, "status": status}

    now = {"p/A": entry("A", progress.AT_RISK), "p/B": entry("B", progress.ON_TRACK), "p/C": entry("C", progress.ACHIEVED)}
    last_month = {"p/A": entry("A", progress.ON_TRACK), "p/B": entry("B", progress.ON_TRACK)}  # C is new: no change
    year_ago = {"p/A": entry("A", progress.ON_TRACK), "p/B": entry("B", progress.OFF_TRACK), "p/C": entry("C", progress.ACHIEVED)}
    head = headline.figures(MONTH, headline.province_scope(), plan_now=now, previous_plan=last_month,
                            year_ago_plan=year_ago)
    assert [(c["code"], c["before"], c["status"]) for c in head["plan"]["changed"]] == [
        ("A", progress.ON_TRACK, progress.AT_RISK)]
    assert [c["code"] for c in head["plan"]["changed_year"]] == ["A", "B"]
    data = {"headline": head, "findings": [], "synthetic": False}
    vi, en = render.html(data, "vi"), render.html(data, "en")
    assert "Chỉ tiêu A (Chỉ tiêu A) chuyển từ “Đúng hướng” sang “Có nguy cơ không đạt”." in vi
    assert "Indicator A (Indicator A) moved from “On track” to “At risk”." in en
    assert "So với cuối tháng cùng kỳ năm trước, 2 chỉ tiêu đã đổi trạng thái:" in vi
    # without an archived report last month, the report says there is nothing to compare with
    first = headline.figures(MONTH, headline.province_scope(), plan_now=now)
    assert first["plan"]["changed"] == [] and first["plan"]["compared"] is False
    assert "Chưa có số liệu tháng trước" in render.html({"headline": first, "findings": []}, "vi")


def test_english_text_names_the_unit_in_english_and_old_findings_fall_back(detector_templates):
    stored = finding(unit_name_en="People's Committee of Phan Thiet Ward").as_dict()
    assert text.finding_text(stored, "en") == {
        "finding": "Traffic reports at People's Committee of Phan Thiet Ward rose to 42 (+12.5\u00a0pp).",
        "action": "People's Committee of Phan Thiet Ward should look into the cause.",
        "rule": "MSTL residual z ≥ 3.09 (α = 0.001)"}
    assert text.finding_text(stored, "vi")["finding"] == "Phản ánh Giao thông tại UBND Phường Phan Thiết tăng lên 42 (+12,5 điểm\u00a0%)."
    assert render.finding_view(stored, "en")["unit_name"] == "People's Committee of Phan Thiet Ward"
    assert render.finding_view(stored, "vi")["unit_name"] == "UBND Phường Phan Thiết"
    # stored before findings carried the English name (no key), or of a unit without one (""): the Vietnamese name
    old = {k: v for k, v in stored.items() if k != "unit_name_en"}
    for without in (old, {**stored, "unit_name_en": ""}):
        assert text.finding_text(without, "en")["finding"] == "Traffic reports at UBND Phường Phan Thiết rose to 42 (+12.5\u00a0pp)."
        assert render.finding_view(without, "en")["unit_name"] == "UBND Phường Phan Thiết"


def test_a_months_text_does_not_depend_on_which_other_months_were_generated(world):
    """Regenerating a past month from the same data gives the same text: the plan statuses it compares
    with come from the data as of the previous month's end, not from whether that month's report was
    archived before."""
    from tinhso.indicators import setup as indicators_setup

    indicators_setup.init(out=lambda *a, **k: None)
    indicators_setup.load_demo(out=lambda *a, **k: None)
    populate(world)
    alone = report.generate(MONTH, None, findings=[])
    assert alone.data["headline"]["plan"]["available"]
    before = {lang: render.html(alone.data, lang) for lang in ("vi", "en")}
    report.generate(headline.shift(MONTH, -1), None, findings=[])
    report.generate(headline.shift(MONTH, -12), None, findings=[])
    again = report.generate(MONTH, None, findings=[])
    assert again.revision == 2
    assert {lang: render.html(again.data, lang) for lang in ("vi", "en")} == before


def test_each_on_time_figure_says_which_reports_it_counts(world):
    """The headline's on-time rate counts the reports received in the month, the units-behind
    detector's the reports resolved in the month: each sentence names its basis, in both languages."""
    populate(world)
    behind = Finding(
        kind="units_behind", unit_code="ubnd-phan-thiet", unit_name="UBND Phường Phan Thiết", unit_kind="handling_unit",
        severity=5.0, confidence=0.99, rule="on_time",
        figures={"month": "2025-10", "measure": "on_time", "observed": 0.0, "before": 0.8, "change": -0.8,
                 "count": 19, "numerator": 0, "alpha": 0.05, "history_months": 4, "min_count": 10},
        subject={"area": "reports", "measure": "on_time", "measure_vi": "Tỷ lệ xử lý đúng hạn",
                 "measure_en": "On-time rate", "handling_unit_code": "ubnd-phan-thiet"})
    data = report.build(MONTH, "ubnd-phan-thiet", findings=[behind])
    item = next(i for i in data["headline"]["reports"]["items"] if i["key"] == "on_time_rate")
    assert item["resolved"]
    vi, en = render.document(data, "vi"), render.document(data, "en")
    head_vi = next(i["sentence"] for i in vi["reports"]["items"] if i["label"].startswith("Tỷ lệ xử lý đúng hạn"))
    head_en = next(i["sentence"] for i in en["reports"]["items"] if i["label"].startswith("On-time rate"))
    assert head_vi.startswith("Trong các phản ánh tiếp nhận trong tháng đã xử lý xong, ")
    assert f"{item['on_time']} trên {item['resolved']} phản ánh xong đúng hạn" in head_vi
    assert head_en.startswith("Of the reports received in the month and resolved since, ")
    assert vi["findings"][0]["finding"].startswith(
        "UBND Phường Phan Thiết: tỷ lệ xử lý đúng hạn của các phản ánh xử lý xong trong tháng 10/2025 là 0")
    assert "on-time rate of the reports resolved in October 2025 was 0" in en["findings"][0]["finding"]
