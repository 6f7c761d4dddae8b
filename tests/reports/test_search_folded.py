"""Diacritic- and case-insensitive search on SQLite and PostgreSQL (tinhso.core.search).

Each query below differs from the stored text by case and/or diacritics; icontains (the old
code) finds none of the non-ASCII ones on SQLite and none of the diacritic-free ones anywhere.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.reports.conftest import actor
from tests.reports.factories import make_report
from tinhso.core.search import FOLD_FROM, FOLD_TO, Fold, folded_filter
from tinhso.core.text import fold
from tinhso.reports import queries
from tinhso.reports.models import Category, Report, State

pytestmark = pytest.mark.django_db

QUERIES = ["ổ gà", "Ổ GÀ", "O GA", "o ga", "ổ  GÀ"]


def test_fold_table_matches_python_fold():
    assert len(FOLD_FROM) == len(FOLD_TO)
    for src, dst in zip(FOLD_FROM, FOLD_TO, strict=True):
        assert fold(src) == dst
    for ch in "ĐđẮắẶặỔổỮữỴỵÀàƠơƯư":
        assert ch in FOLD_FROM


def test_fold_expression_in_the_database(db):
    Category.objects.create(code="road", name_vi="ĐƯỜNG Ổ GÀ Phường Phan Thiết")
    value = Category.objects.annotate(k=Fold("name_vi")).get(code="road").k
    assert value == "duong o ga phuong phan thiet"


@pytest.mark.parametrize("q", ["phan thiet", "PHAN THIẾT", "Phan Thiết", "đường", "DUONG"])
def test_folded_filter_on_a_plain_column(db, q):
    Category.objects.create(code="road", name_vi="Đường phường Phan Thiết")
    Category.objects.create(code="other", name_vi="Khác")
    assert list(folded_filter(Category.objects.all(), q, ["name_vi"], stored=()).values_list("code", flat=True)) \
        == ["road"]


@pytest.fixture
def pothole(world):
    from django.utils import timezone

    return make_report(world, State.VERIFIED, description="Ổ gà sâu trước chợ", public=True,
                       verified_at=timezone.now())


def test_report_keeps_its_folded_search_text(pothole):
    assert Report.objects.get(pk=pothole.pk).search_text == " o ga sau truoc cho "
    pothole.description = "Đèn ĐƯỜNG tắt"
    pothole.save(update_fields=["description"])
    assert Report.objects.get(pk=pothole.pk).search_text == " den duong tat "


@pytest.mark.parametrize("q", QUERIES)
def test_operator_queue_search(world, pothole, q):
    make_report(world, State.VERIFIED, description="Đèn đường hỏng")
    found = queries.operator_queue(actor(world.users["op"]), q=q)
    assert [r.pk for r in found] == [pothole.pk]


@pytest.mark.parametrize("q", ["giao thong", "GIAO THÔNG", "Giao Thông"])
def test_category_name_is_matched_without_diacritics(world, pothole, q):
    make_report(world, State.VERIFIED, category=world.health, description="Trạm y tế đóng cửa")
    found = queries.operator_queue(actor(world.users["op"]), q=q)
    assert [r.pk for r in found] == [pothole.pk]


def test_words_may_match_different_fields(world, pothole):
    """"ổ gà phan thiết": the description holds the first words, the commune the others."""
    found = queries.operator_queue(actor(world.users["op"]), q="O GA PHAN THIET")
    assert [r.pk for r in found] == [pothole.pk]
    assert not queries.operator_queue(actor(world.users["op"]), q="o ga mui ne").exists()


@pytest.mark.parametrize("q", QUERIES)
def test_public_list_and_open311_q(client, world, pothole, q):
    make_report(world, State.VERIFIED, description="Đèn đường hỏng", public=True, verified_at=pothole.verified_at)
    assert [r.pk for r in queries.public_reports(q=q)] == [pothole.pk]
    response = client.get("/open311/v2/requests.json", {"q": q})
    assert response.status_code == 200
    assert [row["service_request_id"] for row in response.json()] == [pothole.code]


@pytest.mark.parametrize("q", ["ổ gà", "O GA"])
def test_staff_queue_page(client, world, pothole, q):
    client.force_login(world.users["op"])
    page = client.get("/ioc/phan-anh", {"q": q}).content.decode()
    assert pothole.code in page


@pytest.mark.parametrize(("url", "q", "expect"), [
    ("/admin/reports/report/", "O GA", None),  # None: the report's code
    ("/admin/reports/category/", "GIAO THONG", "Giao thông"),
    ("/admin/reports/handlingunit/", "ubnd phuong mui ne", "UBND Phường Mũi Né"),
    ("/admin/geo/unit/", "PHAN THIẾT", "Phan Thiết"),
])
def test_admin_search_is_folded(client, world, pothole, url, q, expect):
    root = get_user_model().objects.create_superuser("root", password="pw", email="root@example.org")
    client.force_login(root)
    response = client.get(url, {"q": q})
    assert response.status_code == 200
    page = response.content.decode()
    assert (expect or pothole.code) in page
    assert "0 kết quả" not in page and "0 results" not in page


# --- Ð/ð (U+00D0/U+00F0), typed for Đ/đ in legacy encodings, and decomposed (NFD) text ------------

def test_eth_folds_like_d_stroke():
    assert fold("Ðà Lạt") == fold("ðà lạt") == fold("Đà Lạt") == "da lat"
    assert "Ð" in FOLD_FROM and "ð" in FOLD_FROM


def test_eth_finds_reports_and_units(world):
    from django.utils import timezone

    from tinhso.geo import registry

    report = make_report(world, State.VERIFIED, description="Cây đổ trên đường vào Đà Lạt", public=True,
                         verified_at=timezone.now())
    found = folded_filter(Report.objects.all(), "Ðà Lạt", ["search_text"], stored=("search_text",))
    assert list(found.values_list("pk", flat=True)) == [report.pk]
    names = [u.name for u in registry.search("Xuân Hương - Ðà Lạt", limit=10)]
    assert "Phường Xuân Hương - Đà Lạt" in names


def test_fold_expression_drops_the_marks_of_decomposed_text(db):
    import unicodedata

    name = "Phường Phan Thiết Đà Lạt"
    Category.objects.create(code="nfd", name_vi=unicodedata.normalize("NFD", name))
    assert Category.objects.annotate(k=Fold("name_vi")).get(code="nfd").k == fold(name) == "phuong phan thiet da lat"
    assert list(folded_filter(Category.objects.all(), "phan thiết", ["name_vi"], stored=())
                .values_list("code", flat=True)) == ["nfd"]


def test_the_migrations_refold_stored_keys_that_held_eth(world):
    import importlib

    from django.apps import apps

    from tinhso.geo.models import Unit

    report = make_report(world, State.VERIFIED, description="Ðà Lạt")
    Report.objects.filter(pk=report.pk).update(search_text="ða lat")  # as the old fold stored it
    unit = Unit.objects.filter(name__contains="Đà Lạt").first()
    Unit.objects.filter(pk=unit.pk).update(name_ascii=unit.name_ascii.replace("da lat", "ða lat"))
    for module in ("tinhso.reports.migrations.0017_fold_eth_as_d", "tinhso.geo.migrations.0004_fold_eth_as_d",
                   "tinhso.opendata.migrations.0005_fold_eth_as_d"):
        importlib.import_module(module).refold(apps, None)
    assert Report.objects.get(pk=report.pk).search_text == fold("Ðà Lạt") == "da lat"
    assert Unit.objects.get(pk=unit.pk).name_ascii == fold(unit.name)
