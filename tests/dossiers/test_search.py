"""The dossier list's ``q``: whole words (the last one also a word start), case and diacritics ignored, in
DuckDB as in Spark, the catalogue's names on SQLite and PostgreSQL."""

from __future__ import annotations

import unicodedata

import duckdb
import pytest

from tests.dossiers.conftest import write_jsonl
from tests.dossiers.known import dossier
from tinhso.core.errors import UserError
from tinhso.core.search import search_key, word_conditions, words
from tinhso.dossiers import engine, service, textsearch

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


OFFICERS = [
    dossier("HS-C1", 10, "03/10/2025 08:00:00", "10/10/2025 08:00:00", "06/10/2025 10:00:00",
            NguoiXuLy="Hoàng Văn Lan"),
    dossier("HS-C2", 10, "03/10/2025 08:00:00", "10/10/2025 08:00:00", "06/10/2025 10:00:00",
            NguoiXuLy="Nguyễn Văn An"),
    dossier("HS-C3", 10, "03/10/2025 08:00:00", "10/10/2025 08:00:00", "06/10/2025 10:00:00",
            NguoiXuLy=unicodedata.normalize("NFD", "Phạm Thị Bích Ngọc"), MaTTHC="1.001612"),
]


@pytest.mark.parametrize(("q", "expected"), [
    ("an", ["HS-C2"]),  # a word: not inside "Hoàng" or "Lan"
    ("AN", ["HS-C2"]), ("Ân", ["HS-C2"]),
    ("lan", ["HS-C1"]), ("ang", []), ("oang", []),
    ("ngu", ["HS-C2"]),  # the only word: a word start (the user is typing)
    ("van a", ["HS-C2"]),  # the last word starts a word right after the previous one
    ("nguyen a", []),  # … not further away
    ("an van", ["HS-C2"]),  # whole words, in any order
    ("a van", []),  # every word but the last is a whole word: "a" is not one
    ("van", ["HS-C1", "HS-C2"]),
    ("pham thi bich ngoc", ["HS-C3"]), ("BICH NG", ["HS-C3"]),  # stored decomposed (NFD): its marks ignored
    ("001612", ["HS-C3"]), ("1.001612", ["HS-C3"]), ("00161", ["HS-C3"]), ("01612", []),  # the procedure code as words
    ("hs c", ["HS-C1", "HS-C2", "HS-C3"]), ("s c1", []),
    ("tuc thu", ["HS-C1", "HS-C2"]),  # the catalogue's procedure name "Thủ tục thử 1", as words
    ("uc", []),
    ("tu phap", ["HS-C1", "HS-C2", "HS-C3"]), ("justice", ["HS-C1", "HS-C2", "HS-C3"]),  # the agency's names
    ("ap", []), ("so-tu-phap", ["HS-C1", "HS-C2", "HS-C3"]),  # … and its code
    ("tu phap lan", ["HS-C1"]),  # words from the agency's name and the officer's
])
def test_dossier_list_search_matches_words(catalogue, tmp_path, q, expected):
    service.import_file(write_jsonl(tmp_path / "c.jsonl", OFFICERS))
    found = service.list_dossiers({"q": q})
    assert sorted(i["ma_ho_so"] for i in found["items"]) == expected


def test_dossier_list_search_refuses_too_many_words(catalogue):
    with pytest.raises(UserError) as error:
        service.list_dossiers({"q": " ".join(["a"] * (textsearch.MAX_WORDS + 1))})
    assert error.value.field == "q"


TEXTS = ["Nguyễn Văn An", "Hoàng Văn Lan", "HS-2025/000.12-ĐB", "  an,lan  (AN) ", "Ánh-Dương", "Đào", "x.y",
         unicodedata.normalize("NFD", "Phạm Thị Ánh Dương"), "ổ gà sau", "O'Brien Ngô", "a\\b [c] d$e", "ｆｕｌｌ　ｗｉｄｔｈ",
         "Lê – Thị … Hà", "dao", ""]
QUERIES = ["an", "a", "van a", "nguyen", "ng", "hs 2025", "000 12 d", "anh duong", "anh d", "dao", "d", "o ga", "ga s",
           "o brien", "brien ngo", "b c d e", "le thi ha", "thi h", "y", "x y", "lan an", "full w"]


def test_the_expressions_match_as_the_search_keys_do():
    """Every query against every text: the expression in the stored text (DuckDB's RE2) matches when the
    word conditions hold on the text's search key (tinhso.core.search, what reports and open data use)."""
    con = duckdb.connect()
    for q in QUERIES:
        ws = words(q)
        for text in TEXTS:
            key = search_key(text)
            expected = all(_holds(cond, key) for cond in word_conditions(["k"], q))
            got = all(con.execute("SELECT regexp_matches(?, ?)", [text, textsearch.pattern(ws, i)]).fetchone()[0]
                      for i in range(len(ws)))
            assert got == expected, (q, text, key)


def _holds(cond, key: str) -> bool:
    """A word condition of tinhso.core.search (an OR of ``k__contains``) on one search key."""
    return any(_holds(child, key) if hasattr(child, "children") else child[1] in key for child in cond.children)


@pytest.mark.once
@pytest.mark.skipif(engine.spark_available() is not None, reason=f"Spark cannot run here: {engine.spark_available()}")
def test_spark_matches_the_same_words(catalogue, tmp_path):
    service.import_file(write_jsonl(tmp_path / "c.jsonl", OFFICERS))
    try:
        for q in ("an", "van a", "thi bich ng", "1.001612", "tuc thu", "tu phap lan", "ang"):
            duck = service.list_dossiers({"q": q}, engine="duckdb")
            assert service.list_dossiers({"q": q}, engine="spark") == duck, q
    finally:
        engine.stop_spark()
