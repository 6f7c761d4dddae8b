"""A department clerk on a phone (360 px) uploads a CSV and sends it for approval without typing any JSON:
the columns are read from the file, shown for review, and the draft waits for an approver. An approver
(1920 px) returns it with a reason, and the clerk is told: by e-mail (delivered by the server's
notification worker) and in the inbox."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.e2e.conftest import REPO, SHOTS, goto_settled
from tests.installation import base_env

pytestmark = pytest.mark.e2e

PUBLISHER = ("import os, json, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tinhso.settings'); "
             "django.setup(); from tinhso.core.demo_accounts import ensure_account; "
             "from tinhso.opendata import setup; setup.init(out=lambda *a, **k: None); "
             "from tinhso.opendata.models import Organization; "
             "u, pw = ensure_account('e2e-publisher', groups=('opendata-publisher',)); "
             "u.email = 'e2e-publisher@example.org'; u.save(update_fields=['email']); "
             "Organization.objects.get(name='so-y-te').members.add(u); "
             "print(json.dumps({'username': 'e2e-publisher', 'password': pw}))")
DRAFT = ("import os, json, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tinhso.settings'); "
         "django.setup(); from tinhso.opendata.models import Dataset; "
         "ds = Dataset.objects.get(name='giuong-benh-e2e'); "
         "print(json.dumps({'state': ds.state, 'fields': ds.table_schema['fields']}))")
APPROVER = ("import os, json, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tinhso.settings'); "
            "django.setup(); from tinhso.core.demo_accounts import ensure_account; "
            "u, pw = ensure_account('e2e-od-approver', groups=('opendata-approver',)); "
            "print(json.dumps({'username': 'e2e-od-approver', 'password': pw}))")
CSV = ('Tên cơ sở,Số giường,Tỷ lệ lấp đầy (%),Ngày cấp phép\r\n'
       'Bệnh viện Đa khoa tỉnh,500,"92,5",15/01/2020\r\n'
       'Trạm y tế Mũi Né,12,"70,25",01/06/2021\r\n').encode()


def _python(server, code: str) -> dict:
    env = base_env()
    env.update(TINHSO_VAR_DIR=str(server["log"].parent), TINHSO_DEMO="1", PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, check=True, timeout=300,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), \
        "the page scrolls sideways at 360 px"


def test_a_clerk_uploads_a_csv_and_submits_without_json_at_360px(browser, server):
    user = _python(server, PUBLISHER)
    ctx = browser.new_context(base_url=server["base"], viewport={"width": 360, "height": 740}, locale="vi-VN")
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    try:
        page.goto("/dang-nhap?next=/du-lieu-mo/dang-tai")
        page.fill("#id_username", user["username"])
        page.fill("#id_password", user["password"])
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url("**/du-lieu-mo/dang-tai")
        goto_settled(page, "/du-lieu-mo/dang-tai")
        assert not page.locator("textarea[name=table_schema]").is_visible()  # under "Nâng cao", closed
        page.fill("input[name=title_vi]", "Giường bệnh e2e")
        page.fill("textarea[name=description_vi]", "Số giường bệnh theo cơ sở")
        page.fill("input[name=contact_email]", "soyte@example.org")
        page.set_input_files("input[name=file]", {"name": "giuong-benh.csv", "mimeType": "text/csv", "buffer": CSV})
        _no_sideways_scroll(page)
        page.locator("form.upload-form button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("input[name=staged]").count() == 1, page.content()[:3000]
        assert page.locator("select[name=type_1]").input_value() == "integer"
        assert page.locator("select[name=type_2]").input_value() == "number"
        assert page.locator("select[name=type_3]").input_value() == "date-dmy"
        _no_sideways_scroll(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "opendata-upload-step2-360.png"), full_page=True)
        page.fill("input[name=title_1]", "Số giường bệnh")
        page.check("input[name=required_0]")
        page.locator("form.upload-form button[type=submit]").click()
        page.wait_for_url("**/du-lieu-mo/giuong-benh-e2e")
    finally:
        ctx.close()
    draft = _python(server, DRAFT)
    assert draft["state"] == "draft"
    fields = {f["name"]: f for f in draft["fields"]}
    assert fields["so_giuong"]["title"] == "Số giường bệnh" and fields["so_giuong"]["type"] == "integer"
    assert fields["ngay_cap_phep"]["type"] == "date"
    assert fields["ten_co_so"]["constraints"] == {"required": True}  # marked required: published so
    assert "constraints" not in fields["so_giuong"]


def _sign_in(page, user: dict, next_url: str) -> None:
    page.goto(f"/dang-nhap?next={next_url}")
    page.fill("#id_username", user["username"])
    page.fill("#id_password", user["password"])
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"**{next_url}")


def test_an_approver_returns_the_draft_and_the_clerk_is_told(browser, server):
    if _python(server, DRAFT)["state"] != "draft":
        pytest.fail("needs the draft of the test before (run the whole file)")
    reason = "Thiếu cột mã xã của từng cơ sở"
    approver = _python(server, APPROVER)
    ctx = browser.new_context(base_url=server["base"], viewport={"width": 1920, "height": 1080}, locale="vi-VN")
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    try:
        _sign_in(page, approver, "/du-lieu-mo/giuong-benh-e2e")
        page.fill("textarea[name=reason]", reason)
        page.locator("form[action$='/tra-lai'] button[type=submit]").click()
        page.wait_for_url("**/du-lieu-mo/giuong-benh-e2e")
        assert reason in page.inner_text("main")
    finally:
        ctx.close()
    assert _python(server, DRAFT)["state"] == "returned"
    box = server["mailbox"]
    mail = box.wait_for(lambda m: m["To"] == "e2e-publisher@example.org" and "giuong-benh-e2e" in box.subject(m))
    assert "Bộ dữ liệu bị trả lại / Dataset returned" in box.subject(mail)
    text = box.text(mail)
    assert f"Lý do: {reason}" in text and "e2e-od-approver" in text and "/du-lieu-mo/giuong-benh-e2e" in text
    ctx = browser.new_context(base_url=server["base"], viewport={"width": 360, "height": 740}, locale="vi-VN")
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    try:
        _sign_in(page, _python(server, PUBLISHER), "/hop-thu")
        inbox = page.inner_text("main")
        assert "Bộ dữ liệu bị trả lại" in inbox and reason in inbox and "Dataset returned" not in inbox
        _no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / "opendata-returned-inbox-360.png"), full_page=True)
    finally:
        ctx.close()
