"""A department clerk on a phone (360 px) uploads a CSV and sends it for approval without typing any JSON:
the columns are read from the file, shown for review, and the draft waits for an approver."""

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
             "Organization.objects.get(name='so-y-te').members.add(u); "
             "print(json.dumps({'username': 'e2e-publisher', 'password': pw}))")
DRAFT = ("import os, json, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tinhso.settings'); "
         "django.setup(); from tinhso.opendata.models import Dataset; "
         "ds = Dataset.objects.get(name='giuong-benh-e2e'); "
         "print(json.dumps({'state': ds.state, 'fields': ds.table_schema['fields']}))")
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
