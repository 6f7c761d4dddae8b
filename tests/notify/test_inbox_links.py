"""The in-app inbox shows links to this site as site-relative paths: a message written when the site
answered at another address (the demo loaded at 127.0.0.1:8000, served on another port) keeps working
links; e-mails keep their absolute URLs; links elsewhere stay whole."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from tinhso import notify
from tinhso.notify import links
from tinhso.notify.models import Message

pytestmark = pytest.mark.django_db

OLD = "http://127.0.0.1:8000"


@pytest.fixture
def staff(db):
    user = get_user_model().objects.create_user("canbo", password="pw-canbo-1", email="canbo@example.org")
    group = Group.objects.create(name="some-staff")
    group.permissions.add(Permission.objects.get(content_type__app_label="notify", codename="use_inbox"))
    user.groups.add(group)
    return user


def test_parts_make_this_sites_links_paths_and_leave_the_rest():
    text = f"Mở phản ánh: {OLD}/don-vi/phan-anh/PA-1.\nXem https://example.org/x và {OLD}1/y"
    assert links.parts(text, {OLD}) == [
        ("Mở phản ánh: ", ""), ("/don-vi/phan-anh/PA-1", "/don-vi/phan-anh/PA-1"),
        (".\nXem https://example.org/x và http://127.0.0.1:80001/y", "")]
    assert links.relative(f"{OLD}/a?b=1", {OLD}) == "/a?b=1"
    assert links.relative("https://example.org/a", {OLD}) == "https://example.org/a"


def test_inbox_links_are_site_relative_and_emails_stay_absolute(client, staff, settings):
    settings.SITE_URL = "http://ioc.example.vn"  # the site now answers elsewhere than when the message was written
    url = f"{OLD}/don-vi/phan-anh/PA-AAAAA-BBBBB"
    notify.send("report_assigned", subject="Giao", body=f"Mở phản ánh: {url}\n\n---\n\nOpen it: {url}",
                users=[staff], emails=["x@example.org"], ref_app="reports", ref_code="PA-AAAAA-BBBBB", ref_url=url)
    client.force_login(staff)
    html = client.get("/hop-thu").content.decode()
    assert OLD not in html
    assert '<a href="/don-vi/phan-anh/PA-AAAAA-BBBBB">PA-AAAAA-BBBBB</a>' in html
    assert '<a href="/don-vi/phan-anh/PA-AAAAA-BBBBB">/don-vi/phan-anh/PA-AAAAA-BBBBB</a>' in html
    assert all(url in m.body for m in Message.objects.filter(channel="email"))
