"""A new version of a published uploaded dataset: uploaded by a publisher of its organisation, checked
against the published Table Schema (every bad row named, nothing kept), pending until a second person
approves it while the public keeps the current version; on approval its files replace the current ones
in pages, downloads, the CKAN API and DCAT, the dataset keeps its name and identifier, its modified date
and version change, the history records it and the previous version stays downloadable; a returned
version tells its sender."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client

from tests.opendata.conftest import staff
from tests.opendata.test_upload import GOOD, _file, _form
from tinhso.core.errors import UserError
from tinhso.notify.models import Channel, Message
from tinhso.opendata import publishing, storage, upload, versions
from tinhso.opendata.models import Dataset, DatasetEvent, DatasetVersion

NEW = ("co_so,so_giuong,ngay_cap_phep,cong_lap\r\n"
       "Bệnh viện Đa khoa tỉnh,520,15/01/2020,true\r\n"
       "Trung tâm y tế huyện,150,2022-03-01,true\r\n"
       "Trạm y tế xã,10,2023-07-09,false\r\n").encode()
BAD = ("co_so,so_giuong,ngay_cap_phep,cong_lap\r\n"
       "Bệnh viện Đa khoa tỉnh,520,2020-01-15,true\r\n"
       ",nhiều,2022-02-30,maybe\r\n").encode()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def published(portal):
    """A published uploaded dataset, its publisher's client and an approver's client."""
    publisher = staff("pub", "opendata-publisher", org=portal)
    pub = _client(publisher)
    assert pub.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(GOOD)}).status_code == 302
    ds = Dataset.objects.get()
    approver = _client(staff("approver", "opendata-approver"))
    assert approver.post(f"/du-lieu-mo/{ds.name}/duyet").status_code == 302
    ds.refresh_from_db()
    assert ds.state == "published" and ds.version == 1
    return ds, pub, approver


def _send(client, ds, content=NEW, note="Số liệu tháng 11/2026", name="co-so.csv"):
    return client.post(f"/du-lieu-mo/{ds.name}/phien-ban-moi", {"file": _file(content, name), "version_note": note})


def test_a_new_version_waits_for_approval_and_the_public_keeps_the_current_one(published):
    ds, pub, _approver = published
    before = Client().get(f"/du-lieu-mo/{ds.name}/tai-ve/{ds.name}.csv")
    old_csv = b"".join(before.streaming_content)
    assert f'action="/du-lieu-mo/{ds.name}/phien-ban-moi"' in pub.get(f"/du-lieu-mo/{ds.name}").content.decode()
    Message.objects.all().delete()
    response = _send(pub, ds)
    assert response.status_code == 302, response.content.decode()[:3000]
    version = DatasetVersion.objects.get(state="pending")
    assert (version.number, version.rows, version.note) == (2, 3, "Số liệu tháng 11/2026")
    # the approvers are told (not the sender), as for a draft
    told = Message.objects.filter(channel=Channel.INBOX)
    assert [m.kind for m in told] == ["opendata_dataset_submitted"]
    assert told[0].data["version"] == 2 and "Phiên bản mới chờ duyệt" in told[0].subject
    assert "phiên bản 2" in told[0].body and "version 2" in told[0].body
    # the public sees the current version unchanged
    anonymous = Client()
    ds.refresh_from_db()
    assert ds.version == 1
    after = anonymous.get(f"/du-lieu-mo/{ds.name}/tai-ve/{ds.name}.csv")
    assert b"".join(after.streaming_content) == old_csv
    assert anonymous.get(f"/api/3/action/package_show?id={ds.name}").json()["result"]["version"] == "1"
    page = anonymous.get(f"/du-lieu-mo/{ds.name}").content.decode()
    assert "Phiên bản 2 chờ duyệt" not in page and "Trung tâm y tế huyện" not in page
    assert anonymous.get(f"/du-lieu-mo/{ds.name}/phien-ban/2/tai-ve/{ds.name}.csv").status_code == 404
    # the publisher and approvers see it waiting, and may download its file
    assert "Phiên bản 2 chờ duyệt" in pub.get(f"/du-lieu-mo/{ds.name}").content.decode()
    pending_file = pub.get(f"/du-lieu-mo/{ds.name}/phien-ban/2/tai-ve/{ds.name}.csv")
    assert "Trung tâm y tế huyện" in b"".join(pending_file.streaming_content).decode()
    # one version waits at a time
    again = _send(pub, ds)
    assert again.status_code == 409 and "Đã có một phiên bản mới đang chờ duyệt" in again.content.decode()


def test_a_new_version_is_checked_against_the_published_schema_and_nothing_is_kept(published):
    ds, pub, _approver = published
    bad = _send(pub, ds, BAD)
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "Dòng 3, co_so" in page and "Dòng 3, so_giuong" in page and "Dòng 3, ngay_cap_phep" in page
    assert "Dòng 3, cong_lap" in page
    other = _send(pub, ds, b"co_so,giuong\r\nA,1\r\n")
    assert other.status_code == 400 and "khác các cột của phiên bản đang công bố" in other.content.decode()
    missing_note = _send(pub, ds, NEW, note="  ")
    assert missing_note.status_code == 400 and "Cần ghi chú phiên bản" in missing_note.content.decode()
    assert not DatasetVersion.objects.exists()
    assert not (storage.root() / ".versions").exists() or not any((storage.root() / ".versions").rglob("*.csv"))
    with pytest.raises(UserError) as caught:
        upload.validate_version(BAD, "x.csv", ds.table_schema, ds.name)
    assert caught.value.code == "table_invalid"
    assert {(e["row"], e["column"]) for e in caught.value.details} == {
        (3, "co_so"), (3, "so_giuong"), (3, "ngay_cap_phep"), (3, "cong_lap")}
    # the published fields and types, nothing else: a date as dd/mm/yyyy reads as in the first upload
    table = upload.validate_version(NEW, "x.csv", ds.table_schema, ds.name)
    assert table.schema() == ds.table_schema and str(table.rows[0]["ngay_cap_phep"]) == "2020-01-15"


def test_a_header_of_the_first_files_column_titles_is_accepted(published):
    ds, _pub, _approver = published
    schema = {"fields": [{"name": "co_so", "type": "string", "title": "Cơ sở"},
                         {"name": "so_giuong", "type": "integer", "title": "Số giường"}]}
    table = upload.validate_version("Cơ sở,Số giường\r\nA,3\r\n".encode(), "x.csv", schema, "x")
    assert table.rows == [{"co_so": "A", "so_giuong": 3}]
    with pytest.raises(UserError) as caught:
        upload.validate_version("Cơ sở,Số giường\r\nA,ba\r\n".encode(), "x.csv", schema, "x")
    assert caught.value.details[0]["row"] == 2 and caught.value.details[0]["column"] == "so_giuong"


def test_only_the_organisations_publishers_upload_a_new_version(published, portal):
    from tinhso.opendata.models import Organization

    ds, _pub, approver = published
    outsider = _client(staff("outsider", "opendata-publisher", org=Organization.objects.get(name="so-xay-dung")))
    member_without_permission = _client(staff("nobody", org=portal))
    for client in (outsider, member_without_permission, approver):
        assert _send(client, ds).status_code == 403
        assert 'phien-ban-moi"' not in client.get(f"/du-lieu-mo/{ds.name}").content.decode()
    assert Client().post(f"/du-lieu-mo/{ds.name}/phien-ban-moi").status_code == 302  # to sign in
    assert not DatasetVersion.objects.exists()
    publisher = ds.publisher.members.get(username="pub")
    # a dataset that is not published, or that tinhso generates, takes no new version
    publishing.withdraw(ds, approver_user(), "Sai số liệu")
    with pytest.raises(UserError) as caught:
        versions.submit(publisher, Dataset.objects.get(pk=ds.pk), NEW, "x.csv", "x")
    assert caught.value.code == "not_published"


def approver_user():
    from django.contrib.auth.models import User

    return User.objects.get(username="approver")


def test_approval_replaces_the_files_keeps_the_identity_and_keeps_the_previous_version(published):
    ds, pub, approver = published
    old_csv = b"".join(Client().get(f"/du-lieu-mo/{ds.name}/tai-ve/{ds.name}.csv").streaming_content)
    old_modified = ds.metadata_modified
    assert _send(pub, ds).status_code == 302
    # the sender may not approve their own version, even as an approver
    ds.publisher.members.get(username="pub").groups.add(*approver_user().groups.all())
    assert _client(ds.publisher.members.get(username="pub")).post(
        f"/du-lieu-mo/{ds.name}/phien-ban-moi/duyet").status_code == 403
    assert approver.post(f"/du-lieu-mo/{ds.name}/phien-ban-moi/duyet").status_code == 302
    fresh = Dataset.objects.get(pk=ds.pk)
    assert (fresh.id, fresh.name, fresh.state, fresh.version) == (ds.id, ds.name, "published", 2)
    assert fresh.version_notes == "Số liệu tháng 11/2026" and fresh.metadata_modified > old_modified
    assert fresh.issued == ds.issued
    anonymous = Client()
    new_csv = b"".join(anonymous.get(f"/du-lieu-mo/{ds.name}/tai-ve/{ds.name}.csv").streaming_content)
    assert "Trung tâm y tế huyện" in new_csv.decode() and b"2020-01-15" in new_csv
    page = anonymous.get(f"/du-lieu-mo/{ds.name}").content.decode()
    assert "Trung tâm y tế huyện" in page and "Các phiên bản" in page
    # CKAN: same id, version 2, the new files' checksums and modified dates
    package = anonymous.get(f"/api/3/action/package_show?id={ds.name}").json()["result"]
    assert (package["id"], package["version"]) == (str(ds.id), "2")
    csv_resource = next(r for r in package["resources"] if r["format"] == "CSV")
    assert csv_resource["hash"].endswith(hashlib.sha256(new_csv).hexdigest())
    # DCAT: dcat:version and adms:versionNotes, the new modified date
    ttl = anonymous.get("/catalog.ttl").content.decode()
    assert "Số liệu tháng 11/2026" in ttl and "versionNotes" in ttl and 'dcat:version "2"' in ttl
    # the history (append-only) records the version with its note
    events = list(DatasetEvent.objects.filter(dataset=ds, version=2).order_by("at", "id")
                  .values_list("action", "note", "actor_name"))
    assert events == [("v_submitted", "Số liệu tháng 11/2026", "pub"),
                      ("v_published", "Số liệu tháng 11/2026", "approver")]
    assert "Gửi duyệt phiên bản 2" in page and "Công bố phiên bản 2" in page
    # the previous version's files stay downloadable
    old = anonymous.get(f"/du-lieu-mo/{ds.name}/phien-ban/1/tai-ve/{ds.name}.csv")
    assert old.status_code == 200 and b"".join(old.streaming_content) == old_csv
    assert f"/du-lieu-mo/{ds.name}/phien-ban/1/tai-ve/{ds.name}.csv" in page
    assert list(DatasetVersion.objects.order_by("number").values_list("number", "state")) == [
        (1, "previous"), (2, "current")]
    # and a third version keeps both before it
    assert _send(pub, ds, NEW.replace(b"520", b"530"), note="Tháng 12").status_code == 302
    assert approver.post(f"/du-lieu-mo/{ds.name}/phien-ban-moi/duyet").status_code == 302
    assert b"".join(anonymous.get(f"/du-lieu-mo/{ds.name}/phien-ban/1/tai-ve/{ds.name}.csv")
                    .streaming_content) == old_csv
    assert b"520" in b"".join(anonymous.get(f"/du-lieu-mo/{ds.name}/phien-ban/2/tai-ve/{ds.name}.csv")
                              .streaming_content)
    assert b"530" in b"".join(anonymous.get(f"/du-lieu-mo/{ds.name}/tai-ve/{ds.name}.csv").streaming_content)


def test_a_returned_version_tells_its_sender_and_changes_nothing_public(published, django_capture_on_commit_callbacks):
    ds, pub, approver = published
    old_csv = b"".join(Client().get(f"/du-lieu-mo/{ds.name}/tai-ve/{ds.name}.csv").streaming_content)
    assert _send(pub, ds).status_code == 302
    Message.objects.all().delete()
    empty = approver.post(f"/du-lieu-mo/{ds.name}/phien-ban-moi/tra-lai", {"reason": " "})
    assert empty.status_code == 400 and "Cần ghi lý do trả lại." in empty.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert approver.post(f"/du-lieu-mo/{ds.name}/phien-ban-moi/tra-lai",
                             {"reason": "Thiếu xã Đạ Tẻh"}).status_code == 302
    version = DatasetVersion.objects.get()
    assert version.state == "returned"
    assert not storage.version_dir(ds.name, version.id.hex).exists()
    told = Message.objects.get(channel=Channel.INBOX)
    assert (told.user.username, told.kind) == ("pub", "opendata_dataset_version_returned")
    assert "Lý do: Thiếu xã Đạ Tẻh" in told.body and "Reason: Thiếu xã Đạ Tẻh" in told.body
    fresh = Dataset.objects.get(pk=ds.pk)
    assert fresh.version == 1 and fresh.metadata_modified == ds.metadata_modified
    assert b"".join(Client().get(f"/du-lieu-mo/{ds.name}/tai-ve/{ds.name}.csv").streaming_content) == old_csv
    assert "Phiên bản 2 đã bị approver trả lại: Thiếu xã Đạ Tẻh" in pub.get(f"/du-lieu-mo/{ds.name}").content.decode()
    event = DatasetEvent.objects.filter(dataset=ds).order_by("at", "id").last()
    assert (event.action, event.version, event.note) == ("v_returned", 2, "Thiếu xã Đạ Tẻh")
    # a corrected file may be sent again as version 2
    assert _send(pub, ds).status_code == 302
    assert DatasetVersion.objects.get(state="pending").number == 2


def test_the_version_parts_of_the_page_speak_english(published):
    ds, pub, approver = published
    assert _send(pub, ds).status_code == 302
    for client in (pub, approver):
        client.cookies["django_language"] = "en"
    mine = pub.get(f"/du-lieu-mo/{ds.name}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Version 2 waiting for approval" in mine and "Version notes" in mine
    assert "Version 2 sent for approval" in mine
    page = approver.get(f"/du-lieu-mo/{ds.name}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Approve and publish the new version" in page and "Return the new version" in page
    for vietnamese in ("Phiên bản", "phiên bản", "Người gửi", "Trả lại"):
        assert vietnamese not in page.replace("Số liệu tháng 11/2026", "")
    queue = approver.get("/du-lieu-mo/duyet", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "New versions waiting for approval" in queue and "version 2" in queue
    bad = pub.post(f"/du-lieu-mo/{ds.name}/phien-ban-moi", {"version_note": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and "No file chosen." in bad.content.decode()
