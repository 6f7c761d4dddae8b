"""Report search matches words, not parts of words (tinhso.core.search's word mode).

The audit: "ổ gà" found 580 of 1,754 reports, "Đốt rác gây khói bụi…" among them, because each
folded word was matched anywhere in the text ("o" is inside "giao", "thong", "cong"…). A word of the
query must now be a whole word of the text; the last one may be the start of a word (typing
"phan thi" finds "Phan Thiết"), after the query's previous word when there is one.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from tests.reports.conftest import actor
from tests.reports.factories import make_report
from tinhso.core.search import SearchKey, folded_filter, search_key, search_words
from tinhso.reports import queries
from tinhso.reports.models import Category, Report, State

pytestmark = pytest.mark.django_db

POTHOLE_QUERIES = ["ổ gà", "o ga", "Ổ GÀ", "O GA", "(ổ gà)", "ổ gà,", "ổ-gà"]


def _public(world, description, *, category=None, commune=None):
    return make_report(world, State.VERIFIED, description=description, public=True, verified_at=timezone.now(),
                       category=category or world.health, commune=commune or world.mui_ne)


@pytest.fixture
def reports(world):
    return {
        "pothole": _public(world, "Đường Trần Hưng Đạo có (ổ gà), rất nguy hiểm", category=world.traffic),
        "burning": _public(world, "Đốt rác gây khói bụi ở khu dân cư", category=world.environment),
        "traffic": _public(world, "Ùn tắc giao thông giờ cao điểm"),
        "light": _public(world, "Đèn đường hỏng gần chợ"),
    }


def _codes(qs, reports):
    names = {r.pk: name for name, r in reports.items()}
    return sorted(names[pk] for pk in qs.values_list("pk", flat=True))


def test_search_key_separates_words_by_punctuation():
    assert search_key("Đường có (ổ gà), rất\tnguy-hiểm…") == " duong co o ga rat nguy hiem "
    assert search_words("«Ổ  GÀ»,") == ["o", "ga"]
    assert search_key("") == "  "


def test_report_search_text_is_its_key(reports):
    assert Report.objects.get(pk=reports["pothole"].pk).search_text == \
        " duong tran hung dao co o ga rat nguy hiem "


@pytest.mark.parametrize("q", POTHOLE_QUERIES)
def test_pothole_words_find_the_pothole_only(world, reports, q):
    assert _codes(queries.public_reports(q=q), reports) == ["pothole"]
    assert _codes(queries.operator_queue(actor(world.users["op"]), q=q), reports) == ["pothole"]


@pytest.mark.parametrize("q", ["ổ gà", "o ga"])
def test_open311_q_finds_words(client, reports, q):
    response = client.get("/open311/v2/requests.json", {"q": q})
    assert [row["service_request_id"] for row in response.json()] == [reports["pothole"].code]


@pytest.mark.parametrize(("q", "expect"), [
    ("o", ["burning", "pothole"]),  # the word "ở"/"ổ", not the "o" of "giao", "thông", "chợ", "đường"
    ("ga", ["burning", "light", "pothole"]),  # one word being typed: "gà", the start of "gây", "gần"
    ("ga khoi", []),  # "ga" is not the last word: a whole word only, and "gây" is not "ga"
    ("giao", ["pothole", "traffic"]),  # the pothole by its category, "Giao thông"
    ("giao th", ["pothole", "traffic"]),  # typing: "th" starts the word after "giao"
    ("giao ong", []),
    ("gi", ["pothole", "traffic"]),
    ("duong gi", []),  # the last word starts a word only after the previous one ("đường giao" nowhere)
    ("hung dao", ["pothole"]),
    ("cho", ["light"]),  # "chợ"
    ("nguy hiem", ["pothole"]),
    ("hiem", ["pothole"]),
    ("iem", []),
])
def test_words_and_word_starts(reports, q, expect):
    assert _codes(queries.public_reports(q=q), reports) == expect


@pytest.mark.parametrize("q", ["phan thi", "Phan Thiết", "PHAN THIET", "phan thiet ward", "phường phan"])
def test_commune_names_by_word_start(world, reports, q):
    """The commune's names follow the same rule (keyed in SQL: a small table)."""
    here = make_report(world, State.VERIFIED, description="Cây đổ", public=True, verified_at=timezone.now(),
                       commune=world.phan_thiet)
    assert list(queries.public_reports(q=q).values_list("pk", flat=True)) == [here.pk]


def test_commune_name_is_not_matched_inside_words(world, reports):
    # "Mũi Né": "ui" and "ne" are inside or at the end of words only
    assert not queries.public_reports(q="ui ne").exists()
    assert _codes(queries.public_reports(q="mui n"), reports) == ["burning", "light", "pothole", "traffic"]


@pytest.mark.parametrize(("q", "expect"), [
    ("moi truong", ["burning"]), ("environment", ["burning"]), ("environ", ["burning"]),
    ("truong", ["burning"]), ("ruong", []), ("y te", ["light", "traffic"]), ("te", ["light", "traffic"]),
])
def test_category_names_by_word(reports, q, expect):
    assert _codes(queries.public_reports(q=q), reports) == expect


def test_words_in_different_fields(world, reports):
    """"o ga traffic": the description holds "ổ gà", the category's English name "Traffic"."""
    assert _codes(queries.public_reports(q="O GA traffic"), reports) == ["pothole"]
    assert _codes(queries.public_reports(q="o ga health"), reports) == []


def test_report_code_prefix_still_works(reports):
    code = reports["pothole"].code
    assert list(queries.public_reports(q=code[:6]).values_list("pk", flat=True)) == \
        list(Report.objects.filter(code__startswith=code[:6]).order_by("-created_at").values_list("pk", flat=True))
    assert list(queries.public_reports(q=code).values_list("pk", flat=True)) == [reports["pothole"].pk]


def test_report_code_in_the_staff_queue(world, reports):
    code = reports["pothole"].code
    assert [r.pk for r in queries.operator_queue(actor(world.users["op"]), q=code.lower())] == [reports["pothole"].pk]


@pytest.mark.parametrize("text", [
    "ĐƯỜNG Ổ GÀ, Phường Phan Thiết (Lâm Đồng)", "  a\t\tb  ", "x—y…z «w» 1.000,5", "Ðà Lạt/Đà Lạt", "",
    "Phường Xuân Hương - Đà Lạt", "naïve café", "50% _giảm_ @home #1",
])
def test_search_key_expression_matches_python(db, text):
    import unicodedata

    Category.objects.create(code="k", name_vi=text, name_en=unicodedata.normalize("NFD", text))
    row = Category.objects.annotate(vi=SearchKey("name_vi"), en=SearchKey("name_en")).get(code="k")
    assert row.vi == row.en == search_key(text)


def test_folded_filter_word_mode_and_admin_substring_mode(db):
    Category.objects.create(code="road", name_vi="Đường giao thông")
    Category.objects.create(code="other", name_vi="Ổ gà")

    def codes(q, **kw):
        return sorted(folded_filter(Category.objects.all(), q, ["name_vi"], stored=(), **kw)
                      .values_list("code", flat=True))

    assert codes("o") == ["other"]
    assert codes("o", word_start=False) == ["other", "road"]  # the admin's rule: anywhere
    assert codes("thong") == codes("giao th") == ["road"]


def test_migration_rekeys_existing_rows(world):
    report = make_report(world, State.VERIFIED, description="Ổ gà (sâu), trước chợ", address="12 Lê Lợi")
    Report.objects.filter(pk=report.pk).update(search_text="o ga (sau), truoc cho 12 le loi")  # the old key
    importlib.import_module("tinhso.reports.migrations.0020_search_text_word_keys").rekey(apps, None)
    assert Report.objects.get(pk=report.pk).search_text == " o ga sau truoc cho 12 le loi "
