"""The dossier list's ``q``: case and diacritics ignored, in DuckDB as in Spark (translate() table)."""

from __future__ import annotations

import pytest

from tests.dossiers.conftest import write_jsonl
from tests.dossiers.known import dossier
from tinhso.dossiers import service

pytestmark = pytest.mark.django_db

ROWS = [
    dossier("HS-A", 10, "01/10/2025 08:00:00", "08/10/2025 08:00:00", "06/10/2025 10:00:00",
            NguoiXuLy="Nguyễn Thị Đào"),
    dossier("HS-B", 10, "02/10/2025 08:00:00", "09/10/2025 08:00:00", "06/10/2025 10:00:00",
            NguoiXuLy="Trần Văn Bình", MaTTHC="T.2"),
]


@pytest.mark.parametrize(("q", "expected"), [
    ("nguyen thi dao", ["HS-A"]), ("NGUYỄN ĐÀO", ["HS-A"]), ("tran van binh", ["HS-B"]),
    ("hs-b", ["HS-B"]),
    ("THU TUC THU 2 (GIO)", ["HS-B"]),  # the procedure's name, from the catalogue
    ("so tu phap", ["HS-A", "HS-B"]),  # the agency's name
    ("không có", []),
])
def test_dossier_list_search_is_folded(catalogue, tmp_path, q, expected):
    service.import_file(write_jsonl(tmp_path / "k.jsonl", ROWS))
    found = service.list_dossiers({"q": q})
    assert sorted(i["ma_ho_so"] for i in found["items"]) == expected


def test_dossier_list_page_has_the_search_box(catalogue, tmp_path, client, django_user_model):
    from django.contrib.auth.models import Permission

    service.import_file(write_jsonl(tmp_path / "k.jsonl", ROWS))
    user = django_user_model.objects.create_user("staff", password="x")
    user.user_permissions.add(Permission.objects.get(codename="view_all_dossiers"))
    client.force_login(user)
    page = client.get("/dich-vu-cong/ho-so", {"q": "BINH"}).content.decode()
    assert 'name="q"' in page and "HS-B" in page and "HS-A" not in page
