"""An import error is said once, in the reader's language (issue 12): the page used to print the
Vietnamese and the English message one under the other, and the first row error both in the
message and in the table. No internal code ([import_invalid]) is shown (audit 3)."""

from __future__ import annotations

import io as stdio

import pytest
from django.test import Client

from tests.accounts import role_user
from tests.indicators.test_io import PLAN, _csv, demo  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

BAD_ROW = "2023,fibre-coverage,,,seed-000-bt-cau-truc-cds,,,,legacy:60,abc"


def _post(client: Client):
    upload = stdio.BytesIO(_csv(BAD_ROW))
    upload.name = "bad.csv"
    return client.post(f"/ke-hoach/{PLAN}/nhap", {"file": upload})


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_import_errors_once_in_the_chosen_language_without_a_code(demo, lang):  # noqa: F811
    client = Client()
    client.force_login(role_user("planner", "planner"))
    client.cookies["django_language"] = lang
    response = _post(client)
    assert response.status_code == 400
    page = response.content.decode()
    assert "import_invalid" not in page
    assert page.count("Row 2") + page.count("Dòng 2") == 0  # the row is in the table, not repeated above
    assert page.count("<td>2</td>") == 1
    if lang == "en":
        assert "The file has 1 error; nothing was imported." in page and "Tệp có" not in page
    else:
        assert "Tệp có 1 lỗi; không nhập dòng nào." in page and "The file has" not in page
