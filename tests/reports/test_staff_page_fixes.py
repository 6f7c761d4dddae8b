"""Staff report pages: a rejection's reason and a correction's changes in the page's language, a read-only
leader's landing page and queue, reply templates per reply box, captioned photo groups, and the inbox
notices of a report read once its page is opened."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.utils import timezone

from tests.reports.factories import give_secret, make_report
from tinhso import notify
from tinhso.notify.models import Message
from tinhso.reports import triage
from tinhso.reports.models import Membership, Photo, ReplyTemplate, Report, ReportEvent, Role, Severity, State
from tinhso.reports.permissions import actor_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def page(client, url: str, language: str = "vi") -> str:
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200, url
    return htmllib.unescape(response.content.decode())


def history(text: str) -> str:
    return text[text.index('<ol class="history">'):]


def test_a_rejection_reason_is_named_in_the_page_language_only(client, world):
    report = make_report(world)
    client.force_login(world.users["op"])
    client.post(f"/ioc/phan-anh/{report.code}/thao-tac",
                {"action": "reject", "reason_kind": "out_of_scope", "reason": "Việc của tỉnh bạn"})
    vi, en = history(page(client, f"/ioc/phan-anh/{report.code}")), history(page(client, f"/ioc/phan-anh/{report.code}", "en"))
    assert "Không thuộc phạm vi xử lý: Việc của tỉnh bạn" in re.sub(r"<[^>]+>", "", vi) and "Out of scope" not in vi
    assert "Out of scope: Việc của tỉnh bạn" in re.sub(r"<[^>]+>", "", en) and "Không thuộc phạm vi" not in en
    secret = give_secret(Report.objects.get(pk=report.pk))  # the submitter's page says it too, in their language
    client.logout()
    en = history(page(client, f"/phan-anh/{report.code}?k={secret}", "en"))
    assert "Out of scope: Việc của tỉnh bạn" in re.sub(r"<[^>]+>", "", en) and "Không thuộc phạm vi" not in en
    mail = Message.objects.get(kind="report_rejected", channel="email")  # the e-mail: each half its language
    assert "Lý do: Không thuộc phạm vi xử lý: Việc của tỉnh bạn" in mail.body
    assert "Reason: Out of scope: Việc của tỉnh bạn" in mail.body


def test_rejections_stored_the_old_way_read_in_the_pages_language_and_stay_unchanged(client, world):
    """Before reasons were codes, a rejection's note read "Tin rác / Spam: <text>". History is never
    rewritten: the pages read such a row in their language; the row itself keeps its text."""
    report = make_report(world)
    triage.reject(report, actor_for_user(world.users["op"]), reason="Tin rác / Spam: Quảng cáo bán hàng")
    person = make_report(world)  # a rejection in a person's own words with a slash: shown as written
    triage.reject(person, actor_for_user(world.users["op"]), reason="Sai / nhầm tỉnh")
    stored = ReportEvent.objects.get(report=report, action="reject")
    assert stored.note == "Tin rác / Spam: Quảng cáo bán hàng" and not (stored.data or {}).get("reason")
    client.force_login(world.users["op"])
    vi = re.sub(r"<[^>]+>", "", history(page(client, f"/ioc/phan-anh/{report.code}")))
    en = re.sub(r"<[^>]+>", "", history(page(client, f"/ioc/phan-anh/{report.code}", "en")))
    assert "Tin rác: Quảng cáo bán hàng" in vi and "Spam" not in vi
    assert "Spam: Quảng cáo bán hàng" in en and "Tin rác" not in en
    assert "Sai / nhầm tỉnh" in re.sub(r"<[^>]+>", "", history(page(client, f"/ioc/phan-anh/{person.code}")))
    assert ReportEvent.objects.get(pk=stored.pk).note == stored.note


def test_a_correction_says_what_changed_to_staff_only(client, world):
    world.environment.name_en = "Environment"
    world.environment.save()
    report = make_report(world, public=True, verified_at=timezone.now())
    triage.correct(report, actor_for_user(world.users["op"]), category="environment", severity=Severity.URGENT,
                   note="Người dân chọn nhầm")
    client.force_login(world.users["op"])
    vi = re.sub(r"<[^>]+>", "", history(page(client, f"/ioc/phan-anh/{report.code}")))
    assert "Lĩnh vực: Giao thông → Môi trường" in vi
    assert re.search(r"Mức độ: \S.* → \S", vi)
    en = re.sub(r"<[^>]+>", "", history(page(client, f"/ioc/phan-anh/{report.code}", "en")))
    assert "Category: Traffic → Environment" in en and "Lĩnh vực" not in en
    client.logout()  # the public history keeps nothing of it
    public = history(page(client, f"/phan-anh/{report.code}"))
    assert "Giao thông →" not in public and "Người dân chọn nhầm" not in public


def read_only_leader(world, *, wall: bool = True):
    user = get_user_model().objects.create_user("lead", password="x")
    group = Group.objects.create(name="leaders")
    group.permissions.add(Permission.objects.get(codename="read_scope_reports"))
    if wall:
        group.permissions.add(Permission.objects.get(codename="view_wall"))
    user.groups.add(group)
    Membership.objects.create(user=user, role=Role.LEADER, unit=world.pt)
    return get_user_model().objects.get(pk=user.pk)


def test_a_read_only_leader_lands_on_the_wall_and_nothing_waits_for_them(client, world):
    make_report(world, State.ASSIGNED)
    leader = read_only_leader(world)
    client.force_login(leader)
    assert client.get("/can-bo").url == "/ioc"
    inbox = page(client, "/don-vi/phan-anh")
    assert "Chờ bạn xử lý" not in inbox and "chờ bạn" not in inbox and "Giao cho tôi" not in inbox
    assert "Chờ đơn vị xử lý" in inbox and "chờ đơn vị" in inbox
    assert "Phản ánh cần xử lý" not in inbox
    client.force_login(world.users["h_pt"])  # a handler still lands on (and is waited for in) the unit's queue
    assert client.get("/can-bo").url == "/don-vi/phan-anh"
    assert "Chờ bạn xử lý" in page(client, "/don-vi/phan-anh")


def test_each_reply_box_offers_its_own_templates_titled_in_the_page_language(client, world):
    ReplyTemplate.objects.create(title="Đã tiếp nhận", title_en="Received", text_vi="Đơn vị {unit} đã tiếp nhận {code}.")
    ReplyTemplate.objects.create(title="Ngoài phạm vi", title_en="Out of scope", use=ReplyTemplate.Use.REJECT,
                                 text_vi="Phản ánh {code} không thuộc phạm vi.")
    report = make_report(world)
    client.force_login(world.users["op"])
    vi = page(client, f"/ioc/phan-anh/{report.code}")
    box = vi[vi.index('id="reject-reason-template"'):]
    box = box[:box.index("</select>")]
    assert "Ngoài phạm vi" in box and "Đã tiếp nhận" not in box and "Đơn vị  đã" not in vi
    en = page(client, f"/ioc/phan-anh/{report.code}", "en")
    assert ">Out of scope</option>" in en


def test_citizen_and_result_photos_are_captioned_groups(client, world):
    report = make_report(world, State.RESOLVED, result_text="Đã sửa")
    for kind in ("citizen", "result"):
        Photo.objects.create(report=report, kind=kind, file=ContentFile(b"x", name=f"{kind}.jpg"), mime="image/jpeg",
                             size=1, width=10, height=10, sha256=kind)
    client.force_login(world.users["h_pt"])
    for language, citizen, result in (("vi", "Ảnh người dân gửi", "Ảnh kết quả xử lý"),
                                      ("en", "Photos sent by the citizen", "Photos of the result")):
        text = page(client, f"/don-vi/phan-anh/{report.code}", language)
        captions = re.findall(r"<figcaption[^>]*>([^<]+)</figcaption>", text)
        assert captions == [citizen, result], captions


def test_opening_a_report_marks_its_inbox_notices_read(client, world):
    report = make_report(world, State.ASSIGNED)
    other = make_report(world, State.ASSIGNED)
    user = world.users["h_pt"]
    for code in (report.code, other.code):
        notify.send("report_assigned", subject=f"Giao {code}", body="b", users=[user], ref_app="reports",
                    ref_code=code, ref_url=f"http://127.0.0.1:8000/don-vi/phan-anh/{code}")
    client.force_login(user)
    page(client, f"/don-vi/phan-anh/{report.code}")
    unread = set(Message.objects.filter(user=user, channel="inbox", read_at__isnull=True).values_list("ref_code", flat=True))
    assert unread == {other.code}
