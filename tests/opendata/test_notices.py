"""The publisher who submitted a dataset is told, with the approver's reason, when a draft is returned,
a published dataset withdrawn or published again: rows in the notification outbox (inbox and e-mail per
the person's preference), written with the decision and rolled back with it; a withdrawn generated
dataset can be published again by an approver, its history kept. The approvers (but the submitter) are
told when a draft waits for them, first sent or sent again; a refused or rolled-back upload tells nobody."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.test import Client

from tests.opendata.conftest import staff
from tests.opendata.test_upload import GOOD, _file, _form
from tinhso.core.errors import UserError
from tinhso.notify import languages
from tinhso.notify.models import Channel, Message, MessageState, Mode, Preference
from tinhso.opendata import publishing
from tinhso.opendata.models import Dataset, DatasetEvent


def _submitted(portal, email="pub@so-y-te.example"):
    publisher = staff("pub", "opendata-publisher", org=portal)
    publisher.email = email
    publisher.save(update_fields=["email"])
    client = Client()
    client.force_login(publisher)
    assert client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(GOOD)}).status_code == 302
    return Dataset.objects.get(), publisher


def _approver_client(username="approver"):
    client = Client()
    user = staff(username, "opendata-approver")
    client.force_login(user)
    return client, user


def test_returning_a_draft_tells_its_publisher_why_in_inbox_and_email(portal):
    ds, publisher = _submitted(portal)
    approver, _user = _approver_client()
    assert not Message.objects.exists()  # submitting tells the publisher nothing
    assert approver.post(f"/du-lieu-mo/{ds.name}/tra-lai", {"reason": "Thiếu cột mã xã"}).status_code == 302
    rows = list(Message.objects.order_by("channel"))
    assert [(m.channel, m.user_id, m.address, m.state) for m in rows] == [
        (Channel.EMAIL, publisher.pk, "pub@so-y-te.example", MessageState.PENDING),
        (Channel.INBOX, publisher.pk, "", MessageState.SENT)]
    message = rows[1]
    assert message.kind == "opendata_dataset_returned"
    assert (message.ref_app, message.ref_code) == ("opendata", ds.name)
    assert message.ref_url.endswith(f"/du-lieu-mo/{ds.name}")
    assert "Thiếu cột mã xã" in message.body and "approver" in message.body
    # Vietnamese first, then English; the inbox shows the reader's half
    vi = languages.body_in(message.body, message.halves.get("body"), "vi")
    en = languages.body_in(message.body, message.halves.get("body"), "en")
    assert "bị approver trả lại" in vi and "Lý do: Thiếu cột mã xã" in vi and "returned" not in vi
    assert "was returned by approver" in en and "Reason: Thiếu cột mã xã" in en and "Lý do" not in en
    assert languages.subject_in(message.subject, message.halves.get("subject"), "en") == \
        f"[{ds.name}] Dataset returned"
    # no webhook row for a message to one person
    assert not Message.objects.filter(channel=Channel.WEBHOOK).exists()


def test_withdrawing_and_republishing_tell_the_publisher_per_their_preference(portal):
    ds, publisher = _submitted(portal)
    Preference.objects.create(user=publisher, mode=Mode.INBOX)
    approver, _user = _approver_client()
    assert approver.post(f"/du-lieu-mo/{ds.name}/duyet").status_code == 302
    assert approver.post(f"/du-lieu-mo/{ds.name}/rut-lai", {"reason": "Lộ số điện thoại"}).status_code == 302
    withdrawn = Message.objects.get()
    assert (withdrawn.channel, withdrawn.user_id, withdrawn.kind) == (Channel.INBOX, publisher.pk,
                                                                       "opendata_dataset_withdrawn")
    assert "Lý do: Lộ số điện thoại" in withdrawn.body and "Reason: Lộ số điện thoại" in withdrawn.body
    # the publisher sees it in their inbox
    inbox = Client()
    inbox.force_login(publisher)
    assert "Lộ số điện thoại" in inbox.get("/hop-thu").content.decode()
    assert approver.post(f"/du-lieu-mo/{ds.name}/cong-bo-lai", {"reason": "Đã xoá cột số điện thoại"}).status_code == 302
    again = Message.objects.exclude(pk=withdrawn.pk).get()
    assert (again.user_id, again.kind) == (publisher.pk, "opendata_dataset_republished")
    assert "Đã xoá cột số điện thoại" in again.body


def test_a_refused_or_rolled_back_decision_tells_nobody(portal):
    ds, _publisher = _submitted(portal)
    approver, user = _approver_client()
    assert approver.post(f"/du-lieu-mo/{ds.name}/tra-lai", {"reason": " "}).status_code == 400
    assert not Message.objects.exists()
    with pytest.raises(RuntimeError), transaction.atomic():
        publishing.reject(ds, user, "Sai")
        raise RuntimeError
    ds.refresh_from_db()
    assert ds.state == "draft" and not Message.objects.exists()


def test_a_generated_dataset_has_no_submitter_to_tell(portal):
    from tests.opendata.test_ckan_dcat import _small

    ds = _small("bo-sinh")
    publishing.withdraw(ds, staff("approver", "opendata-approver"), "Sai số liệu")
    assert not Message.objects.exists()


def test_a_withdrawn_generated_dataset_is_published_again_by_an_approver(portal):
    from tests.opendata.test_ckan_dcat import _small

    ds = _small("bo-rut")
    issued = ds.issued
    approver, user = _approver_client()
    assert approver.post(f"/du-lieu-mo/{ds.name}/rut-lai", {"reason": "Sai số liệu"}).status_code == 302
    _small("bo-rut")  # refreshed while withdrawn: stays withdrawn
    anonymous = Client()
    assert anonymous.get("/api/3/action/package_list").json()["result"] == []
    page = approver.get(f"/du-lieu-mo/{ds.name}").content.decode()
    assert f'action="/du-lieu-mo/{ds.name}/cong-bo-lai"' in page and "Công bố lại bộ dữ liệu" in page
    # not without a reason, not by a publisher, not by anyone anonymous
    assert approver.post(f"/du-lieu-mo/{ds.name}/cong-bo-lai", {"reason": ""}).status_code == 400
    publisher = Client()
    publisher.force_login(staff("pub", "opendata-publisher", org=portal))
    assert publisher.post(f"/du-lieu-mo/{ds.name}/cong-bo-lai", {"reason": "x"}).status_code == 403
    assert anonymous.post(f"/du-lieu-mo/{ds.name}/cong-bo-lai", {"reason": "x"}).status_code == 302  # to sign in
    ds.refresh_from_db()
    assert ds.state == "withdrawn"
    assert approver.post(f"/du-lieu-mo/{ds.name}/cong-bo-lai", {"reason": "Đã sửa số liệu"}).status_code == 302
    ds.refresh_from_db()
    assert ds.state == "published" and ds.issued == issued
    assert anonymous.get("/api/3/action/package_list").json()["result"] == [ds.name]
    assert anonymous.get(f"/du-lieu-mo/{ds.name}/tai-ve/{ds.name}.csv").status_code == 200
    events = list(DatasetEvent.objects.filter(dataset=ds).order_by("at", "id"))
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("published", "", "published"), ("withdrawn", "published", "withdrawn"),
        ("refreshed", "withdrawn", "withdrawn"), ("republished", "withdrawn", "published")]
    assert events[-1].note == "Đã sửa số liệu" and events[-1].actor_id == user.pk
    # the history says so in words; the next refresh keeps it published
    assert "Công bố lại (Đã rút → Đã công bố), approver — lý do: Đã sửa số liệu" in \
        anonymous.get(f"/du-lieu-mo/{ds.name}").content.decode()
    _small("bo-rut")
    ds.refresh_from_db()
    assert ds.state == "published"
    with pytest.raises(UserError) as caught:  # only a withdrawn dataset is published again
        publishing.republish(ds, user, "again")
    assert caught.value.status == 409


def test_the_submitter_of_an_upload_cannot_republish_it_alone(portal):
    ds, publisher = _submitted(portal)
    _approver, user = _approver_client()
    publishing.approve(ds, user)
    publishing.withdraw(ds, user, "Sai")
    publisher.groups.add(*user.groups.all())
    publisher = type(publisher).objects.get(pk=publisher.pk)
    with pytest.raises(UserError) as caught:
        publishing.republish(ds, publisher, "Tôi sửa rồi")
    assert caught.value.code == "same_person"
    ds.refresh_from_db()
    assert ds.state == "withdrawn"


# --- the approvers are told when a draft waits for them ------------------------------------------


def _approvers():
    """Holders of opendata.approve_dataset in every way, and people who are not to be told."""
    from django.contrib.auth.models import Permission, User

    by_group = staff("duyet-nhom", "opendata-approver")
    by_group.email = "duyet@so-tt.example"
    by_group.save(update_fields=["email"])
    direct = staff("duyet-rieng")  # the permission given to the account itself, no e-mail address
    direct.user_permissions.add(Permission.objects.get(codename="approve_dataset",
                                                       content_type__app_label="opendata"))
    by_mail = staff("duyet-thu", "opendata-approver")
    by_mail.email = "thu@so-tt.example"
    by_mail.save(update_fields=["email"])
    Preference.objects.create(user=by_mail, mode=Mode.EMAIL)
    gone = staff("duyet-nghi", "opendata-approver")
    User.objects.filter(pk=gone.pk).update(is_active=False, email="nghi@so-tt.example")
    staff("nguoi-khac", "opendata-publisher")  # may publish, may not approve
    return by_group, direct, by_mail


def _publisher_who_also_approves(portal):
    publisher = staff("pub", "opendata-publisher", "opendata-approver", org=portal)
    publisher.first_name, publisher.last_name, publisher.email = "Nguyễn Thị", "Lan", "lan@so-y-te.example"
    publisher.save(update_fields=["first_name", "last_name", "email"])
    client = Client()
    client.force_login(publisher)
    return client, publisher


def test_submitting_a_draft_tells_every_approver_but_the_submitter(portal, settings):
    settings.SITE_URL = "https://tinhso.example"
    by_group, direct, by_mail = _approvers()
    client, publisher = _publisher_who_also_approves(portal)
    assert client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(GOOD)}).status_code == 302
    ds = Dataset.objects.get()
    rows = list(Message.objects.order_by("user_id", "channel"))
    assert [(m.user_id, m.channel, m.address, m.state) for m in rows] == [
        (by_group.pk, Channel.EMAIL, "duyet@so-tt.example", MessageState.PENDING),
        (by_group.pk, Channel.INBOX, "", MessageState.SENT),
        (direct.pk, Channel.INBOX, "", MessageState.SENT),
        (by_mail.pk, Channel.EMAIL, "thu@so-tt.example", MessageState.PENDING)]
    assert publisher.pk not in {m.user_id for m in rows}  # the submitter may not approve their own
    for message in rows:
        assert message.kind == "opendata_dataset_submitted"
        assert (message.ref_app, message.ref_code, message.ref_url) == (
            "opendata", ds.name, "https://tinhso.example/du-lieu-mo/duyet")
        assert message.data == {"dataset": ds.name, "state": "draft", "again": False}
    body, halves = rows[0].body, rows[0].halves
    vi = languages.body_in(body, halves.get("body"), "vi")
    en = languages.body_in(body, halves.get("body"), "en")
    assert 'Nguyễn Thị Lan (Sở Y tế) đã gửi duyệt bộ dữ liệu "Cơ sở khám chữa bệnh"' in vi
    assert "Duyệt tại: https://tinhso.example/du-lieu-mo/duyet" in vi and "Approve" not in vi
    assert 'Nguyễn Thị Lan (Department of Health) submitted the dataset "Health facilities" for approval' in en
    assert "Approve at: https://tinhso.example/du-lieu-mo/duyet" in en and "Duyệt tại" not in en
    assert languages.subject_in(rows[0].subject, halves.get("subject"), "vi") == \
        f"[{ds.name}] Bộ dữ liệu chờ duyệt"
    assert languages.subject_in(rows[0].subject, halves.get("subject"), "en") == \
        f"[{ds.name}] Dataset waiting for approval"
    assert not Message.objects.filter(channel=Channel.WEBHOOK).exists()


def test_the_approvers_inbox_shows_the_waiting_draft_in_each_language(portal):
    by_group, _direct, _by_mail = _approvers()
    client, _publisher = _publisher_who_also_approves(portal)
    assert client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(GOOD)}).status_code == 302
    inbox = Client()
    inbox.force_login(by_group)
    html = inbox.get("/hop-thu").content.decode()
    assert "Bộ dữ liệu chờ duyệt" in html and "Nguyễn Thị Lan (Sở Y tế) đã gửi duyệt" in html
    assert 'Duyệt tại: <a href="/du-lieu-mo/duyet">/du-lieu-mo/duyet</a>' in html
    assert "Dataset waiting" not in html
    inbox.cookies["django_language"] = "en"
    html = inbox.get("/hop-thu").content.decode()
    assert "Dataset waiting for approval" in html and "&quot;Health facilities&quot; for approval" in html
    assert "chờ duyệt" not in html
    # the approval page the link leads to lists the draft
    assert "Health facilities" in inbox.get("/du-lieu-mo/duyet").content.decode()


def test_a_returned_draft_sent_again_tells_the_approvers_again(portal):
    by_group, _direct, _by_mail = _approvers()
    client, publisher = _publisher_who_also_approves(portal)
    assert client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(GOOD)}).status_code == 302
    ds = Dataset.objects.get()
    publishing.reject(ds, by_group, "Thiếu cột mã xã")
    Message.objects.all().delete()
    assert client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(GOOD)}).status_code == 302
    ds.refresh_from_db()
    assert ds.state == "draft"
    told = Message.objects.filter(kind="opendata_dataset_submitted")
    assert sorted({m.user_id for m in told}) == sorted(u.pk for u in _approvers_of(publisher))
    message = told.filter(channel=Channel.INBOX, user=by_group).get()
    assert message.data["again"] is True
    assert 'gửi duyệt lại bộ dữ liệu "Cơ sở khám chữa bệnh" sau khi bị trả lại' in message.body
    assert 'submitted the dataset "Health facilities" again after it was returned' in message.body


def _approvers_of(submitter):
    from django.contrib.auth.models import User

    return [u for u in User.objects.filter(is_active=True)
            if u.has_perm("opendata.approve_dataset") and u.pk != submitter.pk]


def test_a_refused_or_rolled_back_upload_tells_no_approver(portal):
    from tests.opendata.test_upload import BAD
    from tinhso.opendata import upload

    _approvers()
    client, publisher = _publisher_who_also_approves(portal)
    # bad rows: refused, nothing written, nobody told
    assert client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(BAD)}).status_code == 400
    assert not Dataset.objects.exists() and not Message.objects.exists()
    # an organisation the publisher does not belong to: refused
    assert client.post("/du-lieu-mo/dang-tai", {**_form(organization="so-xay-dung"),
                                                "file": _file(GOOD)}).status_code == 403
    assert not Dataset.objects.exists() and not Message.objects.exists()
    # a draft whose transaction rolls back after it was submitted: its messages roll back with it
    table = upload.validate(GOOD, "co-so.csv", json.loads(_form()["table_schema"]), "co-so")
    meta = {"name": "co-so", "title_vi": "Cơ sở", "title_en": "Facilities", "description_vi": "x"}
    with pytest.raises(RuntimeError), transaction.atomic():
        publishing.submit_upload(publisher, portal, meta, table)
        assert Message.objects.exists()
        raise RuntimeError
    assert not Dataset.objects.exists() and not Message.objects.exists()
    # the name of a dataset already waiting is refused: the approvers are not told twice
    assert client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(GOOD)}).status_code == 302
    before = Message.objects.count()
    assert before and client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(GOOD)}).status_code == 409
    assert Message.objects.count() == before


def test_with_no_other_approver_nobody_is_told(portal):
    client, _publisher = _publisher_who_also_approves(portal)
    assert client.post("/du-lieu-mo/dang-tai", {**_form(), "file": _file(GOOD)}).status_code == 302
    assert Dataset.objects.get().state == "draft" and not Message.objects.exists()
