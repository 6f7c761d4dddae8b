"""The /chi-so pages with Django's test client: upload → ranked table, row errors, follow-up actions on
the kept upload (Excel, what-if, sensitivity), the method page, example downloads."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.indices.published import as_csv
from tinhso.indices import dataset, methodology, results, synthetic, views

pytestmark = pytest.mark.django_db  # sessions live in the database

ROW_RE = re.compile(r'<tr data-unit="([^"]+)">\s*<td class="num rank">(\d+)</td>')


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.INDICES_UPLOAD_DIR = str(tmp_path / "uploads")
    settings.INDICES_RATE_LIMITS = {"compute": 0, "whatif": 0, "sensitivity": 0}


def upload(client: Client, content: bytes, name: str = "input.csv", **fields):
    f = io.BytesIO(content)
    f.name = name
    return client.post("/chi-so", {"method": "dti-922", "file": f, **fields})


@pytest.fixture
def rows() -> list[dict]:
    return synthetic.dti_rows(n_units=15, periods=("2022", "2023"), seed=11)


@pytest.fixture
def uploaded(client, rows):
    """The result page's path after uploading the synthetic two-period input."""
    response = upload(client, as_csv(rows))
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def test_index_page_lists_methods_examples_and_form(client):
    html = client.get("/chi-so").content.decode()
    for code in methodology.available_methods():
        assert f'href="/chi-so/phuong-phap/{code}"' in html
        assert f'<option value="{code}"' in html
    assert 'href="/chi-so/vi-du/dti-2022-published-sample.csv"' in html
    assert 'href="/chi-so/vi-du/dti-922-synthetic-63.csv"' in html
    assert 'name="csrfmiddlewaretoken"' in html and 'enctype="multipart/form-data"' in html
    assert 'name="merge_provinces_2025"' in html
    assert 'href="/chi-so"' in html  # the nav link
    # The examples are described in the page's language (the README holds both).
    assert "Bộ Thông tin và Truyền thông" in html and "Ministry of Information" not in html
    client.cookies["django_language"] = "en"
    english = client.get("/chi-so").content.decode()
    assert "Ministry of Information and Communications" in english and "Bộ Thông tin" not in english
    assert "Real, 3 of 63 rows" in english
    assert "python -m tinhso.indices.synthetic" in english and "`python" not in english
    # The methods too: each titled and described in the page's language only.
    assert "Provincial Digital Transformation Index (DTI), Decision 922/QĐ-BTTTT" in english
    assert "DTI 2021, 2022, 2023 (63 provinces and cities)" in english
    assert "Chỉ số đánh giá chuyển đổi số cấp tỉnh" not in english and "tỉnh, thành phố" not in english
    assert "Chỉ số đánh giá chuyển đổi số cấp tỉnh (DTI) theo Quyết định 922/QĐ-BTTTT" in html
    assert "Provincial Digital Transformation Index" not in html
    method = client.get("/chi-so/phuong-phap/pci-2013").content.decode()
    assert "PCI 2013 onwards" in method and "trở đi" not in method


def test_upload_shows_units_in_rank_order(client, rows, uploaded):
    html = client.get(uploaded).content.decode()
    shown = ROW_RE.findall(html)
    expected = results.report(results.compute(dataset.from_records(methodology.load_method("dti-922"), rows)))
    assert [(u, int(r)) for u, r in shown] == [(u["unit"], u["rank"]) for u in expected["units"]]
    assert len(shown) == 15
    assert "2023" in html and "2022" in html
    # Rank changes since 2022 are marked ▲/▼ for the units that moved.
    moved = [u for u in expected["units"] if u["change"]["rank"]]
    table = html[html.index('id="ix-ranking"'):html.index("</table>", html.index('id="ix-ranking"'))]
    assert moved and table.count("▲") + table.count("▼") == len(moved)
    assert 'id="ix-legend"' in html and "15 đơn vị" in html
    assert 'id="ix-synthetic"' in html  # synthetic units are said to be synthetic


def test_result_page_for_another_period(client, rows, uploaded):
    html = client.get(uploaded + "?ky=2022").content.decode()
    expected = results.report(results.compute(dataset.from_records(methodology.load_method("dti-922"), rows)), "2022")
    assert [u for u, _ in ROW_RE.findall(html)] == [u["unit"] for u in expected["units"]]


def test_row_errors_reshow_the_form_with_a_table(client, rows):
    rows[1]["indicator"] = "no_such_index"
    rows[4]["value"] = "x"
    response = upload(client, as_csv(rows), period="2023")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="ix-error-rows"' in html
    cells = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td>", html)
    assert ("3", "indicator") in cells and ("6", "value") in cells
    assert 'id="ix-upload"' in html and 'value="2023"' in html  # the form is back, with what was typed


def test_missing_file_and_unknown_method(client):
    response = client.post("/chi-so", {"method": "dti-922"})
    assert response.status_code == 400 and "ix-error" in response.content.decode()
    f = io.BytesIO(b"unit,period,indicator,value\n")
    f.name = "x.csv"
    response = client.post("/chi-so", {"method": "../methods/dti-922.yaml", "file": f})
    assert response.status_code == 404


def test_names_are_escaped(client):
    rows = [{"unit": "X1", "unit_name": "<script>alert(1)</script>", "period": "2023", "indicator": code, "value": 0.5}
            for code in ("awareness", "institutions", "infrastructure", "human_resources", "cybersecurity",
                         "gov_activity", "econ_activity", "society_activity")]
    location = upload(client, as_csv(rows))["Location"]
    html = client.get(location).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'id="ix-synthetic"' not in html


def test_excel_download_without_reupload(client, uploaded):
    response = client.get(uploaded + "/ket-qua.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="dti-922-2023.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    assert "Xếp hạng" in workbook.sheetnames


def test_whatif_on_the_page_shows_the_allocation(client, rows, uploaded):
    expected = results.report(results.compute(dataset.from_records(methodology.load_method("dti-922"), rows)))
    last = expected["units"][-1]["unit"]
    response = client.post(uploaded + "/what-if", {"unit": last, "target_rank": "5", "period": "2023"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="ix-whatif-result"' in html and 'id="ix-allocation"' in html
    assert 'id="ix-per-step"' in html and 'id="ix-profile"' in html
    assert re.search(r"hạng\s*5\b", html)
    assert f'<option value="{last}" selected>' in html


def _panel(html: str, panel: str) -> str:
    return html.split(f'id="{panel}"', 1)[1].split("</section>", 1)[0]


def test_whatif_error_stays_on_the_result_page(client, uploaded):
    response = client.post(uploaded + "/what-if", {"unit": "Nobody", "target_rank": "1"})
    assert response.status_code in (400, 404)
    html = response.content.decode()
    assert 'id="ix-ranking"' in html and 'id="ix-error"' not in html
    assert 'id="ix-whatif-error"' in _panel(html, "ix-whatif-panel")


def test_whatif_error_is_shown_in_its_panel_next_to_the_field(client, uploaded):
    """The form's action goes to #ix-whatif-panel: the error is drawn there, under the target field, which
    is marked invalid and keeps what was typed; nothing at the top of the page."""
    response = client.post(uploaded + "/what-if", {"unit": "Synthetic 03", "target_score": "5", "period": "2023"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="ix-error"' not in html
    panel = _panel(html, "ix-whatif-panel")
    field = re.search(r'<input id="id_wi_score"[^>]*>', panel).group(0)
    assert 'value="5"' in field and 'aria-invalid="true"' in field and 'aria-describedby="ix-whatif-error"' in field
    after = panel.split(field, 1)[1].split("</div>", 1)[0]
    assert 'id="ix-whatif-error"' in after and "Giá trị mục tiêu 5 nằm ngoài khoảng [0, 1]" in after
    assert "Chỉ số chuyển đổi số cấp tỉnh (DTI)" in after
    assert 'aria-invalid' not in re.search(r'<input id="id_wi_rank"[^>]*>', panel).group(0)
    assert '<option value="Synthetic 03" selected>' in panel


def test_two_targets_mark_both_fields(client, uploaded):
    response = client.post(uploaded + "/what-if", {"unit": "Synthetic 03", "target_rank": "2", "target_score": "0.5"})
    assert response.status_code == 400
    panel = _panel(response.content.decode(), "ix-whatif-panel")
    for field_id, typed in (("id_wi_rank", "2"), ("id_wi_score", "0.5")):
        field = re.search(rf'<input id="{field_id}"[^>]*>', panel).group(0)
        assert 'aria-invalid="true"' in field and f'value="{typed}"' in field
    assert panel.count('id="ix-whatif-error"') == 1


def test_sensitivity_error_is_shown_in_its_panel(client, uploaded):
    response = client.post(uploaded + "/do-nhay", {"runs": "50", "weights": "dirichlet"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="ix-error"' not in html and 'id="ix-whatif-error"' not in html
    panel = _panel(html, "ix-sensitivity-panel")
    field = re.search(r'<input id="id_se_runs"[^>]*>', panel).group(0)
    assert 'value="50"' in field and 'aria-invalid="true"' in field
    assert 'id="ix-sensitivity-error"' in panel.split(field, 1)[1].split("</div>", 1)[0]
    assert '<option value="dirichlet" selected>' in panel


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_sensitivity_inputs_and_output_in_the_page_language(client, uploaded, lang):
    client.cookies["django_language"] = lang
    html = client.post(uploaded + "/do-nhay", {"runs": "300", "weights": "perturb"}).content.decode()
    result = html.split('id="ix-sensitivity-result"', 1)[1].split("</section>", 1)[0]
    method = methodology.load_method("dti-922")
    for raw in ("weight:", "normalisation", "aggregation", " perturb.", "<code>"):  # the service's names
        assert raw not in result, raw
    if lang == "vi":
        assert f"Trọng số: {method.nodes['awareness'].name_vi}" in result
        assert "Cách chuẩn hóa" in result and "Cách tổng hợp" in result and "độ lệch hạng tuyệt đối" in result
        assert "mean absolute" not in result and "trọng số: nhiễu ±25 %." in result
    else:
        assert f"Weight: {method.nodes['awareness'].name_en}" in result
        assert "Normalisation" in result and "Aggregation" in result and "mean absolute rank shift" in result
        assert "Trọng số" not in result and "weights: perturbed ±25 %." in result


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_pci_whatif_step_in_the_page_language(client, lang):
    client.cookies["django_language"] = lang
    f = io.BytesIO((views.EXAMPLES_DIR / "pci-2020-published-sample.csv").read_bytes())
    f.name = "pci.csv"
    location = client.post("/chi-so", {"method": "pci-2013", "file": f})["Location"]
    html = client.post(location + "/what-if", {"unit": "Quảng Ninh"}).content.decode()
    heading = re.search(r"<h4>([^<]*)</h4>\s*<div class=\"ix-scroll\"><table class=\"ix-table\" id=\"ix-per-step\"",
                        html).group(1)
    if lang == "vi":
        assert heading.endswith("tăng 0,5 điểm chỉ số thành phần (thang 1–10)")
    else:
        assert heading.endswith("0.5 sub-index points (1–10 scale)") and "điểm" not in heading


def test_sensitivity_on_the_page(client, uploaded):
    response = client.post(uploaded + "/do-nhay", {"runs": "300", "weights": "perturb"})
    assert response.status_code == 200, response.content.decode()[:3000]
    html = response.content.decode()
    assert 'id="ix-rank-intervals"' in html and 'id="ix-sobol"' in html
    assert html.count('class="ix-bar"') == 15


def test_upload_is_tied_to_the_session_and_expires(client, uploaded, monkeypatch):
    stranger = Client()
    assert stranger.get(uploaded).status_code == 404
    assert stranger.get(uploaded + "/ket-qua.xlsx").status_code == 404
    monkeypatch.setattr(views, "STORE_SECONDS", -1)
    response = client.get(uploaded)
    assert response.status_code == 404 and "upload_expired" in response.content.decode()


def test_page_posts_are_rate_limited(client, rows, settings):
    settings.INDICES_RATE_LIMITS = {"compute": 1, "whatif": 0, "sensitivity": 0}
    first = upload(client, as_csv(rows), REMOTE_ADDR="203.0.113.9")
    second = upload(client, as_csv(rows), REMOTE_ADDR="203.0.113.9")
    assert first.status_code == 302 and second.status_code == 429
    assert "rate_limited" in second.content.decode()


def test_method_page_lists_nodes_and_status_badges(client):
    method = methodology.load_method("dti-922")
    html = client.get("/chi-so/phuong-phap/dti-922").content.decode()
    assert set(re.findall(r'data-node="([^"]+)"', html)) == set(method.nodes)
    assert '<span class="badge inferred">' in html and '<span class="badge official">' in html
    assert method.legal_basis in html
    assert '<a href="https://dti.gov.vn/xep-hang-2022"' in html
    svc = client.get("/chi-so/phuong-phap/svc-766").content.decode()
    assert '<span class="badge third_party">' in svc
    assert "threshold: min(1, x / " in svc
    assert client.get("/chi-so/phuong-phap/nope").status_code == 404
    for code in methodology.available_methods():
        other = methodology.load_method(code)
        page = client.get(f"/chi-so/phuong-phap/{code}").content.decode()
        assert set(re.findall(r'data-node="([^"]+)"', page)) == set(other.nodes), code
    assert "weighted_sum" in client.get("/chi-so/phuong-phap/pci-2013").content.decode()


def test_example_download_only_from_the_examples_folder(client):
    response = client.get("/chi-so/vi-du/dti-2022-published-sample.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content == (views.EXAMPLES_DIR / "dti-2022-published-sample.csv").read_bytes()
    assert client.get("/chi-so/vi-du/nope.csv").status_code == 404
    assert client.get("/chi-so/vi-du/methodology.py").status_code == 404
    assert client.get("/chi-so/vi-du/..%2Fmethodology.py").status_code == 404


def test_english_page(client):
    html = client.get("/chi-so", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Composite indices" in html


def test_missing_main_index_is_listed_per_unit(client, rows):
    dropped = next(r for r in rows if r["period"] == "2023" and r["indicator"] == "cybersecurity")
    rows.remove(dropped)
    response = upload(client, as_csv(rows))
    assert response.status_code == 400
    html = response.content.decode()
    assert f"{dropped['unit']} (2023)" in html and "cybersecurity" in html


def test_merge_provinces_2025_on_the_page(client):
    mains = ("awareness", "institutions", "infrastructure", "human_resources", "cybersecurity", "gov_activity",
             "econ_activity", "society_activity")
    rows = [{"unit": unit, "period": "2022", "indicator": code, "value": value}
            for unit, value in (("48", 0.8), ("49", 0.6), ("22", 0.65)) for code in mains]
    location = upload(client, as_csv(rows), merge_provinces_2025="on")["Location"]
    html = client.get(location).content.decode()
    assert [u for u, _ in ROW_RE.findall(html)] == ["48", "22"]
    assert "Thành phố Đà Nẵng" in html and "0,7000" in html  # the mean of 0.8 and 0.6


def test_old_uploads_are_swept(client, rows, settings, monkeypatch):
    from pathlib import Path

    first = upload(client, as_csv(rows))["Location"]
    monkeypatch.setattr(views, "STORE_SECONDS", -1)  # everything kept so far counts as expired
    upload(client, as_csv(rows))
    kept = {p.stem for p in Path(settings.INDICES_UPLOAD_DIR).glob("*.bin")}
    assert len(kept) == 1 and first.rsplit("/", 1)[1] not in kept


def test_page_upload_over_5_mb_is_413(client, rows):
    response = upload(client, as_csv(rows) + b"#" * (views.api.MAX_UPLOAD_BYTES + 70 * 1024))
    assert response.status_code == 413 and "input_too_large" in response.content.decode()


def test_a_file_of_another_method_is_recognised_not_listed_row_by_row(client):
    """A DTI 922 file uploaded as DTI 1726: one message naming DTI 922, the form offering it, no row table."""
    content = (views.EXAMPLES_DIR / "dti-922-synthetic-63.csv").read_bytes()
    f = io.BytesIO(content)
    f.name = "dti.csv"
    response = client.post("/chi-so", {"method": "dti-1726", "file": f})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Tệp này giống tệp DTI 922" in html and "[looks_like_other_method]" in html
    assert 'id="ix-error-rows"' not in html
    assert '<option value="dti-922" selected>' in html  # pre-selected: choose the file again and send
    assert "This looks like" not in html  # once, in the page's language
    english = client.post("/i18n/setlang/", {"language": "en", "next": "/chi-so"})
    assert english.status_code == 302
    f = io.BytesIO(content)
    f.name = "dti.csv"
    html = client.post("/chi-so", {"method": "dti-1726", "file": f}).content.decode()
    assert "This looks like a DTI 922 file" in html and "Tệp này giống" not in html


def test_row_errors_are_summarised_once_above_their_table(client, rows):
    rows[1]["indicator"] = "no_such_index"
    html = upload(client, as_csv(rows)).content.decode()
    summary = re.search(r'<p class="error"><strong>([^<]+)</strong>', html).group(1)
    assert "1 lỗi" in summary and "no_such_index" not in summary  # the row is in the table, not twice
    assert len(re.findall(r"<tr><td>3</td>", html)) == 1


def test_profile_labels_sit_next_to_the_index_name(client):
    """DTI 2020 sample: Bắc Ninh is 2/2 on every pillar; the closest pillar to the best (econ) is the
    strength, the farthest (society) the weakness, and the label is in the name's cell (on a phone the
    last column is off-screen)."""
    f = io.BytesIO((views.EXAMPLES_DIR / "dti-2020-published-sample.csv").read_bytes())
    f.name = "dti.csv"
    location = client.post("/chi-so", {"method": "dti-1726", "file": f})["Location"]
    html = client.post(location + "/what-if", {"unit": "Bắc Ninh"}).content.decode()
    profile = html.split('id="ix-profile"', 1)[1].split("</table>", 1)[0]
    kinds = dict(re.findall(r'<tr data-node="([^"]+)" data-kind="([^"]+)">', profile))
    assert kinds == {"gov": "neutral", "econ": "strength", "society": "weakness"}
    econ = profile.split('data-node="econ"', 1)[1].split("</td>", 1)[0]
    assert 'class="badge ok">điểm mạnh</span>' in econ
