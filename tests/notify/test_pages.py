"""The staff inbox page (permission, unread first, mark read, preference), the header counter and
the admin outbox (read-only, "no mail server configured", retry now)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from tinhso import notify
from tinhso.notify.models import Message, Mode, Preference

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    user = get_user_model().objects.create_user("canbo", password="pw-canbo-1", email="canbo@example.org")
    group = Group.objects.create(name="some-staff")
    group.permissions.add(Permission.objects.get(content_type__app_label="notify", codename="use_inbox"))
    user.groups.add(group)
    return user


def test_inbox_needs_the_permission_not_is_staff(client):
    plain = get_user_model().objects.create_user("plain", password="pw", is_staff=True)
    assert client.get("/hop-thu").status_code == 302  # sign in first
    client.force_login(plain)
    response = client.get("/hop-thu")
    assert response.status_code == 403
    assert 'id="inbox-link"' not in response.content.decode()


def test_inbox_lists_unread_first_and_marks_read(client, staff):
    notify.send("k", subject="Cũ đã đọc", body="b", users=[staff])
    notify.send("k", subject="Mới chưa đọc", body="Nội dung mới", users=[staff], ref_code="PA-AAAAA-BBBBB",
                ref_url="/don-vi/phan-anh/PA-AAAAA-BBBBB")
    Message.objects.filter(subject="Cũ đã đọc", channel="inbox").update(read_at="2026-01-01T00:00:00Z")
    notify.send("k", subject="Của người khác", body="b", users=[get_user_model().objects.create_user("other")])
    client.force_login(staff)
    html = client.get("/hop-thu").content.decode()
    assert html.index("Mới chưa đọc") < html.index("Cũ đã đọc")
    assert "Của người khác" not in html
    assert re.search(r'id="inbox-link"[^>]*>[^<]*<span class="inbox-count unread"[^>]*>1</span>', html)
    assert 'href="/don-vi/phan-anh/PA-AAAAA-BBBBB"' in html
    unread = Message.objects.get(subject="Mới chưa đọc", channel="inbox")
    response = client.post("/hop-thu", {"action": "read", "id": str(unread.pk)})
    assert response.status_code == 302
    unread.refresh_from_db()
    assert unread.read_at is not None
    html = client.get("/phan-anh").content.decode()  # the counter is in every page's header
    assert re.search(r'<span class="inbox-count"[^>]*>0</span>', html)


def test_ids_that_name_no_message_are_ignored_not_a_500(client, staff):
    """A POST probe found this: 40 digits overflowed the query (a 500); "²" passes str.isdigit but not int."""
    notify.send("k", subject="Thư", body="b", users=[staff])
    mine = Message.objects.get(subject="Thư", channel="inbox")
    client.force_login(staff)
    for bad in ("9" * 40, "²", "١٢", "-1", ""):
        response = client.post("/hop-thu", {"action": "read", "id": [bad, str(mine.pk)]})
        assert response.status_code == 302, bad
    mine.refresh_from_db()
    assert mine.read_at is not None  # the id that names a message still counts


def test_read_all_and_preference(client, staff):
    notify.send("k", subject="a", body="b", users=[staff])
    notify.send("k", subject="c", body="d", users=[staff])
    client.force_login(staff)
    client.post("/hop-thu", {"action": "read_all"})
    assert not Message.objects.filter(channel="inbox", read_at__isnull=True).exists()
    assert 'value="both" checked' in client.get("/hop-thu").content.decode()  # the default
    client.post("/hop-thu", {"action": "preference", "mode": "inbox"})
    assert Preference.objects.get(user=staff).mode == Mode.INBOX
    assert 'value="inbox" checked' in client.get("/hop-thu").content.decode()
    rows = notify.send("k", subject="e", body="f", users=[staff])
    assert [m.channel for m in rows] == ["inbox"]
    client.post("/hop-thu", {"action": "preference", "mode": "sms"})
    assert Preference.objects.get(user=staff).mode == Mode.INBOX


def test_admin_outbox_shows_unconfigured_mail_and_retries(client, settings):
    settings.NOTIFY_EMAIL_URL = ""
    admin = get_user_model().objects.create_superuser("root", password="pw", email="root@example.org")
    notify.send("k", subject="Chờ máy chủ thư", body="b", emails=["a@example.org"])
    failed = notify.send("k", subject="Thất bại", body="b", emails=["b@example.org"])[0]
    Message.objects.filter(pk=failed.pk).update(state="failed", attempts=6)
    client.force_login(admin)
    html = client.get("/admin/notify/message/").content.decode()
    # Each label in the admin's language only (not "Chờ gửi / Pending").
    assert "Chưa cấu hình máy chủ thư" in html and "Chờ máy chủ thư" in html and "Chờ gửi" in html
    assert "no mail server configured" not in html and "Pending" not in html and " / " not in html.split("<tbody")[1]
    client.cookies["django_language"] = "en"
    html = client.get("/admin/notify/message/").content.decode()
    assert "no mail server configured" in html and "Pending" in html and "Chờ gửi" not in html
    client.cookies["django_language"] = "vi"
    assert client.get(f"/admin/notify/message/{failed.pk}/change/").status_code == 200
    assert client.get("/admin/notify/message/add/").status_code == 403
    response = client.post("/admin/notify/message/", {"action": "retry_now", "_selected_action": [failed.pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.state == "pending" and failed.attempts == 0


def test_retry_action_needs_its_permission(client):
    viewer = get_user_model().objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_message"))
    failed = notify.send("k", subject="x", body="b", emails=["b@example.org"])[0]
    Message.objects.filter(pk=failed.pk).update(state="failed")
    client.force_login(viewer)
    html = client.get("/admin/notify/message/").content.decode()
    assert "retry_now" not in html
    client.post("/admin/notify/message/", {"action": "retry_now", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert failed.state == "failed"


def test_inbox_in_english(client, staff, settings):
    notify.send("k", subject="s", body="b", users=[staff])
    client.force_login(staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/hop-thu").content.decode()
    assert "Notification inbox" in html and "1 unread notification." in html and "E-mail and inbox" in html
