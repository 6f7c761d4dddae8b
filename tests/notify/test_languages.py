"""The inbox shows each message in the page's language: the half of a bilingual subject and body,
never both; a note quoted in it is never cut, whatever it holds; old rows split only where certain."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.template import Context, Engine

from tinhso import notify
from tinhso.notify import outbox
from tinhso.notify.languages import body_in, subject_in
from tinhso.notify.models import Message

pytestmark = pytest.mark.django_db

NOTE = "Ảnh mờ / ảnh cũ.\n\n---\n\nGửi lại ảnh rõ hơn / chụp ban ngày."
CONTEXT = {"code": "PA-AAAAA-BBBBB", "note": NOTE, "joined_code": "", "track_url": "https://x/phan-anh/PA-AAAAA-BBBBB"}


@pytest.fixture
def staff(db):
    user = get_user_model().objects.create_user("canbo", password="pw-canbo-1")
    group = Group.objects.create(name="some-staff")
    group.permissions.add(Permission.objects.get(content_type__app_label="notify", codename="use_inbox"))
    user.groups.add(group)
    return user


def test_render_is_the_whole_templates_text_and_knows_its_halves():
    text = outbox.render("reports/notify/report_question", CONTEXT)
    engine = Engine(app_dirs=True, autoescape=False)
    whole = engine.get_template("reports/notify/report_question.txt").render(Context(CONTEXT, autoescape=False))
    assert text.body == whole.strip() + "\n"
    assert text.subject == "[PA-AAAAA-BBBBB] Cần bạn bổ sung thông tin / More information is needed"
    halves = outbox.language_halves(text.subject, text.body)
    assert subject_in(text.subject, halves["subject"], "en") == "[PA-AAAAA-BBBBB] More information is needed"
    assert subject_in(text.subject, halves["subject"], "vi") == "[PA-AAAAA-BBBBB] Cần bạn bổ sung thông tin"
    vi, en = body_in(text.body, halves["body"], "vi"), body_in(text.body, halves["body"], "en")
    assert NOTE in vi and NOTE in en  # the note, with its own " / " and "---", whole in each half
    assert vi.startswith("Cơ quan xử lý") and "The unit" not in vi
    assert en.startswith("The unit handling report") and "Cơ quan" not in en


def test_every_bilingual_template_has_halves():
    root = Path(outbox.__file__).resolve().parents[1]
    for path in sorted(root.glob("*/templates/*/notify/*.subject.txt")):
        name = path.relative_to(path.parents[2]).as_posix().removesuffix(".subject.txt")
        _subject, _body, _html, subject_halves, body_halves, _prefix = outbox._templates(name)
        assert subject_halves is not None and body_halves is not None, name


def test_inbox_page_in_english_and_in_vietnamese(client, staff):
    text = outbox.render("reports/notify/report_question", CONTEXT)
    notify.send("report_question", subject=text.subject, body=text.body, users=[staff])
    client.force_login(staff)
    client.cookies["django_language"] = "en"
    html = client.get("/hop-thu").content.decode()
    assert "[PA-AAAAA-BBBBB] More information is needed" in html
    assert "Cần bạn bổ sung" not in html and "Cơ quan xử lý" not in html
    assert "Ảnh mờ / ảnh cũ." in html and "Gửi lại ảnh rõ hơn / chụp ban ngày." in html
    client.cookies["django_language"] = "vi"
    html = client.get("/hop-thu").content.decode()
    assert "[PA-AAAAA-BBBBB] Cần bạn bổ sung thông tin" in html
    assert "More information" not in html and "The unit handling" not in html
    assert "Ảnh mờ / ảnh cũ." in html


def test_rows_stored_before_are_split_only_where_certain(client, staff):
    notify.send("report_assigned", users=[staff], subject="[PA-CCCCC-DDDDD] Phản ánh mới giao cho đơn vị / New report for your unit",
                body="Phản ánh PA-CCCCC-DDDDD đã được giao.\n\n---\n\nReport PA-CCCCC-DDDDD was assigned.\n")
    notify.send("other", users=[staff], subject="Ghi chú / không rõ / ba phần",
                body="Một\n\n---\n\nHai\n\n---\n\nBa\n")
    assert not Message.objects.get(kind="report_assigned").halves
    client.force_login(staff)
    client.cookies["django_language"] = "en"
    html = client.get("/hop-thu").content.decode()
    assert "[PA-CCCCC-DDDDD] New report for your unit" in html and "Phản ánh mới giao" not in html
    assert "Report PA-CCCCC-DDDDD was assigned." in html and "đã được giao" not in html
    assert "Ghi chú / không rõ / ba phần" in html and "Một\n\n---\n\nHai\n\n---\n\nBa" in html  # whole
    client.cookies["django_language"] = "vi"
    html = client.get("/hop-thu").content.decode()
    assert "[PA-CCCCC-DDDDD] Phản ánh mới giao cho đơn vị</h2>" in html and "New report for your unit" not in html
