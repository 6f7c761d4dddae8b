"""The three files of `tinhso analysis monthly` open in their readers and carry the right text,
Vietnamese letters included; the dossier figures come from the 766 indicators of the dossier store."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pypdf
import pytest

from tests.analysis.helpers import MONTH, populate
from tests.dossiers.conftest import PERIOD, catalogue, store_dir, write_json  # noqa: F401
from tests.dossiers.known import AGENCY, KNOWN, ON_TIME_PAUSE
from tinhso.analysis import report
from tinhso.analysis.models import MonthlyReport
from tinhso.reports.models import HandlingUnit, UnitKind

pytestmark = pytest.mark.django_db


def _pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(str(path)).pages)


def test_cli_writes_html_pdf_and_docx_that_open(world, cli, tmp_path):
    populate(world)
    code, out, err = cli("analysis", "monthly", "--month", "2025-10", "--unit", "ubnd-phan-thiet",
                         "--out", tmp_path / "out")
    assert code == 0, err
    result = json.loads(out)
    paths = {p.rsplit(".", 1)[1]: p for p in result["files"]}
    assert set(paths) == {"html", "pdf", "docx"}
    html = Path(paths["html"]).read_text(encoding="utf-8")
    assert "UBND Phường Phan Thiết" in html and "tháng 10/2025" in html
    pdf = _pdf_text(paths["pdf"])
    assert "UBND Phường Phan Thiết" in pdf  # diacritics survive the PDF font
    assert "Báo cáo phân tích hằng tháng — tháng 10/2025" in pdf
    word = docx.Document(paths["docx"])
    paragraphs = [p.text for p in word.paragraphs]
    assert paragraphs[0] == "Báo cáo phân tích hằng tháng — tháng 10/2025"
    assert "UBND Phường Phan Thiết" in paragraphs
    assert any(p.startswith("Tiếp nhận ") for p in paragraphs)
    assert len(word.inline_shapes) == 1  # the reports' chart
    assert len(word.tables) == 1
    item = MonthlyReport.objects.get(month=MONTH, unit_code="ubnd-phan-thiet")
    assert item.scope == "unit" and result["name"] == item.unit_name


def test_cli_english_and_errors(world, cli, tmp_path):
    code, out, err = cli("analysis", "monthly", "--month", "2025-10", "--out", tmp_path, "--lang", "en")
    assert code == 0, err
    pdf = _pdf_text(json.loads(out)["files"][1])
    assert "Monthly analysis — October 2025" in pdf
    code, out, err = cli("analysis", "monthly", "--month", "2025/10", "--out", tmp_path)
    assert code == 2 and "2025-10" in err and "Traceback" not in err
    code, out, err = cli("analysis", "monthly", "--month", "2025-10", "--unit", "nope", "--out", tmp_path)
    assert code == 2 and "nope" in err


def test_synthetic_files_say_so(world, tmp_path):
    from tests.analysis.helpers import local
    from tests.reports.factories import make_report
    from tinhso.ioc import aggregates
    from tinhso.reports.models import Report, State

    make_report(world, State.ASSIGNED, unit=world.pt, now=local(MONTH.replace(day=5)))
    Report.objects.update(synthetic=True)
    aggregates.rebuild()
    data = report.build(MONTH, None, findings=[])
    html, pdf, word = report.write_files(data, tmp_path, "vi")
    assert "DỮ LIỆU MẪU" in html.read_text(encoding="utf-8")
    assert "DỮ LIỆU MẪU" in _pdf_text(pdf)
    assert any("DỮ LIỆU MẪU" in p.text for p in docx.Document(str(word)).paragraphs)


def test_dossier_figures_of_a_department(world, catalogue, tmp_path):  # noqa: F811
    from tinhso.dossiers import service

    service.import_file(write_json(tmp_path / "known.json", KNOWN))
    HandlingUnit.objects.create(code=AGENCY, name="Sở Tư pháp", kind=UnitKind.DEPARTMENT)
    data = report.build(MONTH, AGENCY, findings=[])
    dossiers = data["headline"]["dossiers"]
    assert dossiers["available"] is True
    got = {i["key"]: i for i in dossiers["items"]}
    # counted by hand in tests/dossiers/known.py: 10 received in October, 4 of them online; 8 of 12 on time
    assert got["dossiers_received"]["value"] == 10
    assert got["online_rate"]["value"] == 0.4
    assert got["dossiers_on_time_rate"]["value"] == round(ON_TIME_PAUSE[0] / ON_TIME_PAUSE[1], 4)
    assert got["rank_766"]["value"] == 1 and got["rank_766"]["of"] == 1
    assert got["score_766"]["value"] is not None
    # September: HS-06, HS-13 and HS-14 were received then; October 2024 holds nothing (no figure, not 0)
    assert got["dossiers_received"]["previous"] == 3 and got["dossiers_received"]["change"] == 7
    assert got["dossiers_received"]["year_ago"] is None and got["dossiers_received"]["change_year"] is None
    text = report.render.html(data, "vi")
    assert "Tiếp nhận 10 hồ sơ thủ tục hành chính" in text and "40,0\u00a0% hồ sơ được nộp trực tuyến" in text
    assert PERIOD == "2025-10"
