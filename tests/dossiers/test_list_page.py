"""/dich-vu-cong/ho-so names each dossier's procedure (its English name on English pages where the
catalogue has one, else the Vietnamese; the code small beside it), lets staff filter by a procedure's name
(picked from the catalogue's names or typed in part) while ``ma_tthc=<code>`` keeps working in links and the
API, and reads as people read it: periods by name, counts with grouped digits, an empty list that says why."""

from __future__ import annotations

import re

import pytest

from tests.dossiers.conftest import staff_client, write_json
from tests.dossiers.known import AGENCY, dossier
from tinhso.dossiers import catalogue as catalogue_import
from tinhso.dossiers import service
from tinhso.dossiers.models import Procedure

pytestmark = pytest.mark.django_db

RECORDS = [
    dossier("HS-A1", 4, "01/10/2025 08:00:00", "08/10/2025 08:00:00"),  # T.1: English name
    dossier("HS-A2", 4, "02/10/2025 08:00:00", "09/10/2025 08:00:00", MaTTHC="T.2"),  # no English name
    dossier("HS-KS", 4, "03/10/2025 08:00:00", "10/10/2025 08:00:00", MaTTHC="HT.KS"),
    dossier("HS-KS-NN", 4, "06/10/2025 08:00:00", "13/10/2025 08:00:00", MaTTHC="HT.KSNN"),
]


@pytest.fixture
def listed(catalogue, tmp_path):
    from django.core.cache import cache

    cache.clear()
    Procedure.objects.filter(code="T.1").update(name_en="Test procedure one")
    Procedure.objects.create(code="HT.KS", name="Đăng ký khai sinh", name_en="Birth registration", legal_time=1)
    Procedure.objects.create(code="HT.KSNN", name="Đăng ký khai sinh có yếu tố nước ngoài",
                             name_en="Birth registration with a foreign element", legal_time=5)
    service.import_file(write_json(tmp_path / "r.json", RECORDS), synthetic=True)
    return staff_client("ioc", "view_all_dossiers")


def _row(html: str, code: str) -> str:
    return re.search(rf"<tr><td>{code}</td>.*?</tr>", html, re.S).group(0)


def _listed(html: str) -> list[str]:
    return re.findall(r"<tr><td>(HS-[A-Z0-9-]+)</td>", html)


def _english(client):
    client.cookies["django_language"] = "en"
    return client


def test_each_dossier_names_its_procedure_in_the_pages_language_with_its_code(listed):
    html = listed.get("/dich-vu-cong/ho-so").content.decode()
    assert "Mã TTHC" not in html
    row = _row(html, "HS-A1")
    assert 'Thủ tục thử 1 <small class="dvc-code">T.1</small>' in row
    assert 'Thủ tục thử 2 (giờ) <small class="dvc-code">T.2</small>' in _row(html, "HS-A2")
    english = _english(listed).get("/dich-vu-cong/ho-so").content.decode()
    assert "<th>Procedure</th>" in english
    assert 'Test procedure one <small class="dvc-code">T.1</small>' in _row(english, "HS-A1")
    assert "Thủ tục thử 1" not in _row(english, "HS-A1")
    # no English name in the catalogue: the Vietnamese one, not the bare code
    assert 'Thủ tục thử 2 (giờ) <small class="dvc-code">T.2</small>' in _row(english, "HS-A2")


def test_names_are_looked_up_for_the_pages_rows_only(listed, django_assert_max_num_queries):
    """One query on the catalogue table for the rows' names (never a join over the store)."""
    names = service.procedure_names(["T.1", "T.2", "NOT.IN.CATALOGUE", None], english=True)
    assert names == {"T.1": "Test procedure one", "T.2": "Thủ tục thử 2 (giờ)"}
    with django_assert_max_num_queries(1):
        service.procedure_names(["T.1"] * 50)


def test_the_code_is_still_findable_and_ma_tthc_links_keep_working(listed):
    html = listed.get("/dich-vu-cong/ho-so", {"ma_tthc": "T.1"}).content.decode()
    assert _listed(html) == ["HS-A1"]
    chip = re.search(r'<li data-filter="ma_tthc">.*?</li>', html, re.S).group(0)
    assert "Thủ tục: <strong>Thủ tục thử 1</strong>" in chip and "T.1" in chip
    # the form's procedure field holds the name, which leads back to the same procedure alone
    assert re.search(r'name="procedure" value="Thủ tục thử 1"', html)
    assert _listed(listed.get("/dich-vu-cong/ho-so", {"procedure": "Thủ tục thử 1"}).content.decode()) == ["HS-A1"]
    # a code typed in the field, or in the search box
    assert _listed(listed.get("/dich-vu-cong/ho-so", {"procedure": "t.2"}).content.decode()) == ["HS-A2"]
    assert _listed(listed.get("/dich-vu-cong/ho-so", {"q": "HT.KSNN"}).content.decode()) == ["HS-KS-NN"]
    # the API, by code and by name
    assert [i["ma_ho_so"] for i in listed.get("/api/v1/dossiers/records", {"ma_tthc": "T.2"}).json()["items"]] == ["HS-A2"]
    by_name = listed.get("/api/v1/dossiers/records", {"procedure": "Birth registration"}).json()["items"]
    assert [i["ma_ho_so"] for i in by_name] == ["HS-KS"]


def test_filter_by_a_procedures_name_picked_or_typed_in_part(listed):
    # the suggestions: every catalogue name in the page's language, once each
    html = listed.get("/dich-vu-cong/ho-so").content.decode()
    datalist = re.search(r'<datalist id="dvc-procedures">(.*?)</datalist>', html, re.S).group(1)
    assert '<option value="Đăng ký khai sinh">' in datalist and "Birth registration" not in datalist
    assert 'list="dvc-procedures"' in html
    english = _english(listed).get("/dich-vu-cong/ho-so").content.decode()
    assert '<option value="Birth registration">' in english and '<option value="Thủ tục thử 2 (giờ)">' in english
    listed.cookies["django_language"] = "vi"
    # a name picked from the suggestions: that procedure, not the others whose names begin the same way
    picked = listed.get("/dich-vu-cong/ho-so", {"procedure": "Đăng ký khai sinh"}).content.decode()
    assert _listed(picked) == ["HS-KS"]
    chip = re.search(r'<li data-filter="procedure">.*?</li>', picked, re.S).group(0)
    assert "<strong>Đăng ký khai sinh</strong>" in chip and "HT.KS" in chip
    # part of a name, without diacritics: every procedure holding the words
    typed = listed.get("/dich-vu-cong/ho-so", {"procedure": "khai sinh"}).content.decode()
    assert sorted(_listed(typed)) == ["HS-KS", "HS-KS-NN"] and "2 thủ tục" in typed
    assert _listed(listed.get("/dich-vu-cong/ho-so", {"procedure": "nuoc ngoai"}).content.decode()) == ["HS-KS-NN"]
    # the English name on an English page
    english = _english(listed).get("/dich-vu-cong/ho-so", {"procedure": "foreign"}).content.decode()
    assert _listed(english) == ["HS-KS-NN"]
    assert "Birth registration with a foreign element" in _row(english, "HS-KS-NN")
    # nothing in the catalogue by that name: said so, in the page's language only, and no dossier
    none = _english(listed).get("/dich-vu-cong/ho-so", {"procedure": "xyzzy"}).content.decode()
    assert 'id="dvc-no-procedure"' in none and "No procedure in the catalogue" in none and "Không có" not in none
    assert _listed(none) == [] and 'id="dvc-empty"' in none and "Remove a filter" in none
    assert 'id="dvc-csv"' not in none


def test_the_list_reads_as_people_read_it(listed, tmp_path):
    """Periods offered by name, not code; a count's digits grouped; statuses and channels in words."""
    html = listed.get("/dich-vu-cong/ho-so", {"period": "2025-10"}).content.decode()
    period = re.search(r'<select name="period">(.*?)</select>', html, re.S).group(1)
    assert '<option value="2025-10" selected>Tháng 10/2025</option>' in period
    assert not re.search(r">\d{4}-(\d\d|Q\d|W\d+)<", period)
    assert 'placeholder="2025-10"' not in html
    channel = re.search(r'<select name="channel">(.*?)</select>', html, re.S).group(1)
    assert ">Trực tuyến<" in channel and ">Bưu chính<" in channel
    english = _english(listed).get("/dich-vu-cong/ho-so", {"period": "2025-10"}).content.decode()
    assert '<option value="2025-10" selected>October 2025</option>' in english and ">By post<" in english
    from tinhso.core.i18n import grouped

    assert grouped(200000, False) == "200.000" and grouped(200000, True) == "200,000"


def test_the_catalogue_file_carries_english_names(catalogue, tmp_path):
    path = write_json(tmp_path / "c.json", [
        {"MaTTHC": "X.1", "TenTTHC": "Cấp phép", "TenTTHCTiengAnh": "Issuing a permit", "ThoiHanGiaiQuyet": 5},
        {"code": "X.2", "name": "Không tên tiếng Anh", "ThoiHanGiaiQuyet": 3}])
    catalogue_import.import_catalogue(path)
    assert dict(Procedure.objects.filter(code__startswith="X.").values_list("code", "name_en")) == {
        "X.1": "Issuing a permit", "X.2": ""}


def test_an_agency_reader_filters_by_name_within_their_agency(listed):
    own = staff_client("justice", "view_agency_dossiers", agencies=[AGENCY])
    assert _listed(own.get("/dich-vu-cong/ho-so", {"procedure": "khai sinh"}).content.decode()) == ["HS-KS-NN", "HS-KS"]
    health = staff_client("health", "view_agency_dossiers", agencies=["so-y-te"])
    assert _listed(health.get("/dich-vu-cong/ho-so", {"procedure": "khai sinh"}).content.decode()) == []
