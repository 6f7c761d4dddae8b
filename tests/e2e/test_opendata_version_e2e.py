"""A department clerk on a phone (360 px) uploads this month's file as a new version of a published
dataset from its page: a bad file is refused naming the row and column, a good one waits for an
approver while the public keeps the current version."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SHOTS, goto_settled
from tests.e2e.test_opendata_upload_e2e import _no_sideways_scroll, _python, _sign_in

pytestmark = pytest.mark.e2e

NAME = "so-lieu-thang-e2e"
PUBLISHED = ("import os, json, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tinhso.settings'); "
             "django.setup(); from tinhso.core.demo_accounts import ensure_account; "
             "from tinhso.opendata import setup, publishing, upload; setup.init(out=lambda *a, **k: None); "
             "from tinhso.opendata.models import Dataset, Organization; "
             "u, pw = ensure_account('e2e-version-pub', groups=('opendata-publisher',)); "
             "a, _ = ensure_account('e2e-version-approver', groups=('opendata-approver',)); "
             "org = Organization.objects.get(name='so-y-te'); org.members.add(u); "
             "schema = {'fields': [{'name': 'co_so', 'type': 'string', 'title': 'Cơ sở'}, "
             "{'name': 'so_ca', 'type': 'integer', 'title': 'Số ca khám'}, {'name': 'thang', 'type': 'date', "
             "'title': 'Ngày', 'format': '%d/%m/%Y'}]}; "
             f"table = upload.validate('Cơ sở,Số ca khám,Ngày\\r\\nBệnh viện tỉnh,1200,01/10/2026\\r\\n'.encode(), "
             f"'x.csv', schema, '{NAME}', expected_header=['Cơ sở', 'Số ca khám', 'Ngày']); "
             f"ds = Dataset.objects.filter(name='{NAME}').first() or publishing.approve(publishing.submit_upload("
             f"u, org, {{'name': '{NAME}', 'title_vi': 'Số ca khám hằng tháng', 'description_vi': 'Số ca khám', "
             "'theme': 'HEAL', 'frequency': 'MONTHLY', 'contact_email': 'soyte@example.org'}, table), a); "
             "print(json.dumps({'username': 'e2e-version-pub', 'password': pw, 'state': ds.state}))")
STATE = ("import os, json, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tinhso.settings'); "
         "django.setup(); from tinhso.opendata.models import Dataset; "
         f"ds = Dataset.objects.get(name='{NAME}'); "
         "print(json.dumps({'version': ds.version, 'pending': list(ds.versions.filter(state='pending')"
         ".values_list('number', 'rows', 'note'))}))")
BAD = "Cơ sở,Số ca khám,Ngày\r\nBệnh viện tỉnh,nhiều,01/11/2026\r\n".encode()
GOOD = ("Cơ sở,Số ca khám,Ngày\r\nBệnh viện tỉnh,1350,01/11/2026\r\n"
        "Trung tâm y tế Phan Thiết,800,01/11/2026\r\n").encode()


def test_a_clerk_uploads_a_new_version_from_the_dataset_page_at_360px(browser, server):
    user = _python(server, PUBLISHED)
    assert user["state"] == "published"
    ctx = browser.new_context(base_url=server["base"], viewport={"width": 360, "height": 740}, locale="vi-VN")
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    try:
        _sign_in(page, user, f"/du-lieu-mo/{NAME}")
        goto_settled(page, f"/du-lieu-mo/{NAME}")
        page.locator("details.upload-version summary").click()
        page.set_input_files("details.upload-version input[name=file]",
                             {"name": "thang-11.csv", "mimeType": "text/csv", "buffer": BAD})
        page.fill("textarea[name=version_note]", "Số liệu tháng 11/2026")
        _no_sideways_scroll(page)
        page.locator("form.upload-version-form button[type=submit]").click()
        page.wait_for_load_state()
        error = page.inner_text("#version-error")
        assert "Dòng 2, Số ca khám (so_ca): không phải" in error, error
        assert page.locator("details.upload-version").get_attribute("open") is not None
        _no_sideways_scroll(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "opendata-version-error-360.png"), full_page=True)
        assert _python(server, STATE) == {"version": 1, "pending": []}
        page.set_input_files("details.upload-version input[name=file]",
                             {"name": "thang-11.csv", "mimeType": "text/csv", "buffer": GOOD})
        assert page.locator("textarea[name=version_note]").input_value() == "Số liệu tháng 11/2026"
        page.locator("form.upload-version-form button[type=submit]").click()
        page.wait_for_url(f"**/du-lieu-mo/{NAME}")
        assert "Phiên bản 2 chờ duyệt" in page.inner_text("main")
        assert page.locator("details.upload-version").count() == 0  # one version waits at a time
        _no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / "opendata-version-pending-360.png"), full_page=True)
    finally:
        ctx.close()
    assert _python(server, STATE) == {"version": 1, "pending": [[2, 2, "Số liệu tháng 11/2026"]]}
    public = browser.new_context(base_url=server["base"], viewport={"width": 360, "height": 740}, locale="vi-VN")
    try:
        page = public.new_page()
        goto_settled(page, f"/du-lieu-mo/{NAME}")
        text = page.inner_text("main")
        assert "1200" in text and "Trung tâm y tế Phan Thiết" not in text and "chờ duyệt" not in text
    finally:
        public.close()
