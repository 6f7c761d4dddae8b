"""The approver's other decisions and what the dataset page shows: a short CSV row is refused, a draft is
returned with a reason (and may be submitted again), a published dataset is withdrawn from every public
door, a limit's refusal is one message, the history and chart speak the page's language, the CKAN help
links work and search matches words."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.opendata.conftest import staff
from tests.opendata.test_upload import GOOD, SCHEMA, _file, _form
from tinhso.core.errors import UserError
from tinhso.opendata import publishing, upload
from tinhso.opendata.models import Dataset, DatasetEvent

SHORT = ("co_so,so_giuong,ngay_cap_phep,cong_lap\r\n"
         "Trạm y tế A,12,2020-01-15,true\r\n"
         "Trạm y tế B,3\r\n"
         "Trạm y tế C\r\n"
         "\r\n").encode()


def test_a_row_with_fewer_cells_than_the_header_is_refused_naming_it(db):
    with pytest.raises(UserError) as caught:
        upload.validate(SHORT, "co-so.csv", SCHEMA, "co-so")
    assert caught.value.code == "table_invalid"
    assert [(e["row"], e["column"]) for e in caught.value.details] == [(3, ""), (4, "")]
    assert "thiếu ô: có 2 ô, cần 4" in caught.value.details[0]["reason"]
    # an empty trailing line is not a row
    assert len(upload.validate(GOOD + b"\r\n", "co-so.csv", SCHEMA, "co-so").rows) == 2


def _draft(portal):
    publisher = staff("pub", "opendata-publisher", org=portal)
    client = Client()
    client.force_login(publisher)
    assert client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(GOOD)}).status_code == 302
    return Dataset.objects.get(), client


def test_an_approver_returns_a_draft_with_a_reason_and_it_can_be_sent_again(portal):
    ds, publisher = _draft(portal)
    approver = Client()
    approver.force_login(staff("approver", "opendata-approver"))
    page = approver.get(f"/du-lieu-mo/{ds.name}").content.decode()
    assert f'action="/du-lieu-mo/{ds.name}/tra-lai"' in page and "Trả lại" in page
    # The submitter may not return their own dataset; a reason is required.
    assert publisher.post(f"/du-lieu-mo/{ds.name}/tra-lai", {"reason": "x"}).status_code == 403
    empty = approver.post(f"/du-lieu-mo/{ds.name}/tra-lai", {"reason": "  "})
    assert empty.status_code == 400 and "Cần ghi lý do trả lại." in empty.content.decode()
    ds.refresh_from_db()
    assert ds.state == "draft"
    assert approver.post(f"/du-lieu-mo/{ds.name}/tra-lai", {"reason": "Thiếu cột mã xã"}).status_code == 302
    ds.refresh_from_db()
    assert ds.state == "returned"
    event = DatasetEvent.objects.filter(dataset=ds).order_by("at", "id").last()
    assert (event.action, event.from_state, event.to_state, event.note) == ("returned", "draft", "returned",
                                                                           "Thiếu cột mã xã")
    # nothing public; the publisher sees why on the dataset page, in words
    assert Client().get(f"/du-lieu-mo/{ds.name}").status_code == 404
    assert Client().get("/api/3/action/package_list").json()["result"] == []
    page = publisher.get(f"/du-lieu-mo/{ds.name}").content.decode()
    assert "Trả lại (Chờ duyệt → Bị trả lại), approver — lý do: Thiếu cột mã xã" in page
    assert "Người duyệt đã trả lại bộ dữ liệu này: Thiếu cột mã xã." in page
    # no longer a draft: neither approved nor returned twice
    assert approver.post(f"/du-lieu-mo/{ds.name}/duyet").status_code == 409
    # the publisher sends it again under the same name: a draft again, history kept
    assert publisher.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(GOOD)}).status_code == 302
    ds.refresh_from_db()
    assert ds.state == "draft"
    assert [e.action for e in DatasetEvent.objects.filter(dataset=ds).order_by("at", "id")] == [
        "submitted", "returned", "submitted"]


def test_an_approver_withdraws_a_published_dataset_from_every_public_door(portal):
    ds, publisher = _draft(portal)
    approver = Client()
    approver.force_login(staff("approver", "opendata-approver"))
    assert approver.post(f"/du-lieu-mo/{ds.name}/duyet").status_code == 302
    anonymous = Client()
    assert anonymous.get("/api/3/action/package_list").json()["result"] == [ds.name]
    assert f'action="/du-lieu-mo/{ds.name}/rut-lai"' in approver.get(f"/du-lieu-mo/{ds.name}").content.decode()
    # the publisher (not an approver) cannot withdraw; an approver must say why
    assert publisher.post(f"/du-lieu-mo/{ds.name}/rut-lai", {"reason": "x"}).status_code == 403
    assert approver.post(f"/du-lieu-mo/{ds.name}/rut-lai", {"reason": ""}).status_code == 400
    assert approver.post(f"/du-lieu-mo/{ds.name}/rut-lai", {"reason": "Lộ số điện thoại"}).status_code == 302
    ds.refresh_from_db()
    assert ds.state == "withdrawn"
    assert anonymous.get(f"/du-lieu-mo/{ds.name}").status_code == 404
    assert anonymous.get(f"/du-lieu-mo/{ds.name}/tai-ve/{ds.name}.csv").status_code == 404
    assert ds.name not in anonymous.get("/du-lieu-mo").content.decode()
    assert anonymous.get("/api/3/action/package_list").json()["result"] == []
    assert anonymous.get(f"/api/3/action/package_show?id={ds.name}").status_code == 404
    assert ds.name.encode() not in anonymous.get("/catalog.ttl").content
    assert anonymous.get("/data.json").json()["dataset"] == []
    events = list(DatasetEvent.objects.filter(dataset=ds).order_by("at", "id"))
    assert [e.action for e in events] == ["submitted", "approved", "published", "withdrawn"]
    assert events[-1].note == "Lộ số điện thoại"
    with pytest.raises(UserError) as caught:  # only a published dataset is withdrawn
        publishing.withdraw(ds, approver_user := staff("approver2", "opendata-approver"), "again")
    assert caught.value.status == 409 and approver_user.pk


def test_a_withdrawn_generated_dataset_stays_withdrawn_when_refreshed(portal):
    from tests.opendata.test_ckan_dcat import _small

    ds = _small("bo-rut")
    publishing.withdraw(ds, staff("approver", "opendata-approver"), "Sai số liệu")
    _small("bo-rut")
    ds.refresh_from_db()
    assert ds.state == "withdrawn"
    assert Client().get("/api/3/action/package_list").json()["result"] == []


def test_a_limit_refusal_is_one_message_without_empty_rows(portal, settings):
    settings.TINHSO_FILE_LIMITS = {"table_rows": 2}
    client = Client()
    client.force_login(staff("pub", "opendata-publisher", org=portal))
    response = client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(GOOD)})
    page = response.content.decode()
    assert response.status_code == 413
    alert = re.search(r'role="alert"><p>([^<]+)</p>\s*</div>', page)  # one message, no list of rows
    assert alert and "2" in alert.group(1) and " / " not in alert.group(1)  # in one language
    assert "<li>Dòng" not in page and "Dòng :" not in page


def test_history_chart_and_preview_speak_the_pages_language(portal):
    from tests.opendata.test_ckan_dcat import _small

    publishing.publish_generated(
        {"name": "phan-anh", "title_vi": "Phản ánh", "description_vi": "Mô tả", "theme": "SOCI"},
        publishing.writers.Table("phan-anh", [publishing.writers.Field("month", "yearmonth", "Tháng"),
                                              publishing.writers.Field("received", "integer", "Số phản ánh nhận")],
                                 [{"month": "2025-01", "received": 3}]))
    page = Client().get("/du-lieu-mo/phan-anh").content.decode()
    assert "Biểu đồ: Số phản ánh nhận theo tháng" in page and "<th>Số phản ánh nhận</th>" in page
    assert "Công bố (Đã công bố), hệ thống, 1 dòng" in page
    assert "published" not in page.split("Lịch sử")[1].split("API")[0]
    english = Client()
    english.cookies["django_language"] = "en"
    _small("bo-en")
    page = english.get("/du-lieu-mo/bo-en", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # one language: the schema's (Vietnamese) titles are not put on an English page
    assert "Chart: X by month" in page and "<th>Month</th>" in page
    assert "Published (Published), system, 2 rows" in page


def test_ckan_help_links_answer_and_messages_do_not_repeat(portal):
    client = Client()
    body = client.get("/api/3/action/package_list").json()
    help_url = body["help"].replace("http://testserver", "")
    helped = client.get(help_url).json()
    assert helped["success"] is True and "names of the site's datasets" in helped["result"]
    assert client.get("/api/3/action/help_show?name=nothing").status_code == 404
    error = client.get("/api/3/action/package_search?rows=x").json()["error"]
    assert error["message"] == "Invalid integer / rows: không phải số nguyên" and error["rows"] == ["Invalid integer"]


def test_search_matches_words_and_their_beginnings_not_fragments(portal):
    from tests.opendata.test_ckan_dcat import _small

    crosswalk = _small("chuyen-doi")
    Dataset.objects.filter(pk=crosswalk.pk).update(description_vi="Một phần đơn vị hành chính cũ")
    reports = _small("thong-ke")
    Dataset.objects.filter(pk=reports.pk).update(description_vi="Số phản ánh của người dân")
    publishing.reindex()
    found = Client().get("/api/3/action/package_search", {"q": "phan anh"}).json()["result"]["results"]
    assert [d["name"] for d in found] == ["thong-ke"]
    assert [d["name"] for d in Client().get("/api/3/action/package_search", {"q": "nguo"})
            .json()["result"]["results"]] == ["thong-ke"]  # beginnings of words
    page = Client().get("/du-lieu-mo", {"q": "phản ánh"}).content.decode()
    assert "/du-lieu-mo/thong-ke" in page and "/du-lieu-mo/chuyen-doi" not in page
