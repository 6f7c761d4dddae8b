"""The locator: known points, legacy through the crosswalk, bad input, gaps, outside, batch = single."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import box

from tests.geo.test_boundaries import feature, quiet, write_geojson
from tinhso.core.errors import UserError
from tinhso.geo import boundaries, locator
from tinhso.geo.models import Level, Structure, Succession, Unit

pytestmark = pytest.mark.django_db

R = 6_371_008.8
M_PER_DEG = R * math.pi / 180


@pytest.fixture
def approximate():
    return boundaries.build_approximate(out=quiet)


@pytest.fixture
def squares(tmp_path):
    """Official-quality test boundaries: two adjoining squares with a 0.004° (~440 m) river between."""
    path = write_geojson(tmp_path / "squares.geojson", [
        feature("22945", box(108.08, 10.91, 108.12, 10.95)),  # Phường Phan Thiết
        feature("22933", box(108.124, 10.91, 108.16, 10.95)),  # Phường Hàm Thắng (not its real place)
    ])
    return boundaries.import_boundaries(path, out=quiet)


def test_no_active_boundaries_is_a_clear_error(no_boundaries):
    with pytest.raises(UserError) as caught:
        locator.locate(10.9289, 108.1022)
    assert caught.value.code == "no_boundaries" and caught.value.status == 503


def test_phan_thiet_on_approximate_boundaries(approximate):
    result = locator.locate(10.9289, 108.1022)
    assert result["status"] == "ok"
    assert result["commune"] == {"code": "22945", "name": "Phường Phan Thiết"}
    assert result["province"] == {"code": "68", "name": "Tỉnh Lâm Đồng"}
    assert result["legacy"]["province"] == {"code": "60", "name": "Tỉnh Bình Thuận"}
    assert result["legacy"]["district"]["name"] == "Thành phố Phan Thiết"
    assert result["boundary"] == {"version": approximate.pk, "quality": "approximate"}
    assert set(result) >= {"status", "lat", "lon", "commune", "province", "legacy", "boundary"}
    assert set(result["legacy"]) >= {"commune", "district", "province"}


def test_every_commune_centroid_locates_to_its_own_commune(approximate):
    units = list(Unit.objects.filter(structure=Structure.CURRENT, level=Level.COMMUNE, lat__isnull=False)
                 .values_list("code", "lat", "lon", "province_code"))
    results = locator.locate_many([(lat, lon) for _, lat, lon, _ in units])
    assert [r["commune"]["code"] for r in results] == [u[0] for u in units]
    assert [r["province"]["code"] for r in results] == [u[3] for u in units]


def test_legacy_is_a_predecessor_nearest_to_the_point(approximate):
    """For a commune formed from several old ones, a point at each old centroid gets that old commune."""
    unit = Unit.objects.get(structure=Structure.CURRENT, code="22945")
    olds = [s.old for s in Succession.objects.filter(new=unit, old__level=Level.COMMUNE).select_related("old")]
    assert len(olds) > 1
    checked = 0
    for old in olds:
        result = locator.locate(old.lat, old.lon)
        if result["commune"]["code"] != unit.code:
            continue  # the old centroid lies in a neighbouring new commune's cell
        assert result["legacy"]["commune"]["code"] == old.code
        assert result["legacy"]["method"] == "nearest_centroid"
        assert result["legacy"]["district"]["code"] == old.parent.code
        assert result["legacy"]["province"]["code"] == old.parent.parent.code
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize("lat, lon, code, field", [
    ("abc", "108.1", "invalid_coordinate", "lat"),
    ("10.9", "", "missing_coordinate", "lon"),
    (None, "108.1", "missing_coordinate", "lat"),
    ("10,9289", "108.1022", "invalid_coordinate", "lat"),
    ("nan", "108.1", "invalid_coordinate", "lat"),
    ("10.9", "inf", "invalid_coordinate", "lon"),
    (True, "108.1", "invalid_coordinate", "lat"),
    ("95", "108.1", "coordinates_out_of_range", "lat"),
    ("10.9", "181", "coordinates_out_of_range", "lon"),
    ("-91", "-200", "coordinates_out_of_range", "lat"),
])
def test_bad_input_is_a_400_naming_the_field(approximate, lat, lon, code, field):
    with pytest.raises(UserError) as caught:
        locator.locate(lat, lon)
    assert (caught.value.code, caught.value.field, caught.value.status) == (code, field, 400)
    assert caught.value.message_vi and caught.value.message_en


def test_comma_decimal_gets_a_hint(approximate):
    with pytest.raises(UserError) as caught:
        locator.locate("10,9289", "108,1022")
    assert "dot" in caught.value.message_en


def test_swapped_coordinates_are_named_with_the_commune(approximate):
    with pytest.raises(UserError) as caught:
        locator.locate(108.1022, 10.9289)
    err = caught.value
    assert err.code == "coordinates_swapped" and err.status == 400
    assert err.details["suggested"] == {"lat": 10.9289, "lon": 108.1022}
    assert err.details["commune"]["code"] == "22945" and "Phan Thiết" in err.message_vi


@pytest.mark.parametrize("lat, lon", [(13.7563, 100.5018), (12.0, 111.0), (-33.86, 151.21), (48.85, 2.35)])
def test_outside_vietnam_is_status_outside(approximate, lat, lon):
    result = locator.locate(lat, lon)
    assert result["status"] == "outside"
    assert result["commune"] is None and result["province"] is None and result["legacy"] is None
    assert result["boundary"]["quality"] == "approximate"


def test_out_of_range_but_not_swapped_into_vietnam_stays_out_of_range(approximate):
    with pytest.raises(UserError) as caught:
        locator.locate(100.5018, 13.7563)  # Bangkok swapped: still not in Vietnam
    assert caught.value.code == "coordinates_out_of_range"


def test_gap_within_200_m_takes_the_nearest_commune_measured_in_metres(squares):
    lat0 = 10.93
    cos = math.cos(math.radians(lat0))
    # 150 m east of Phan Thiết's east edge (108.12): in the river, ~290 m from Hàm Thắng.
    east = locator.locate(lat0, 108.12 + 150 / (M_PER_DEG * cos))
    assert east["status"] == "ok" and east["commune"]["code"] == "22945"
    assert east["flags"] == ["nearest_within_200m"] and east["distance_m"] == pytest.approx(150, abs=1)
    # 150 m north of the north edge (10.95): the same metric distance, a different distance in degrees.
    north = locator.locate(10.95 + 150 / M_PER_DEG, 108.10)
    assert north["flags"] == ["nearest_within_200m"] and north["distance_m"] == pytest.approx(150, abs=1)
    # 100 m west of Hàm Thắng's west edge (108.124) is nearer Hàm Thắng.
    west = locator.locate(lat0, 108.124 - 100 / (M_PER_DEG * cos))
    assert west["commune"]["code"] == "22933" and west["distance_m"] == pytest.approx(100, abs=1)
    # 250 m away from every polygon: outside.
    assert locator.locate(10.95 + 250 / M_PER_DEG, 108.10)["status"] == "outside"
    inside = locator.locate(lat0, 108.10)
    assert inside["flags"] == [] and inside["distance_m"] == 0
    assert inside["boundary"] == {"version": squares.pk, "quality": "official"}


def test_a_point_on_a_shared_edge_is_answered_deterministically(tmp_path):
    path = write_geojson(tmp_path / "edge.geojson", [feature("22945", box(108.08, 10.91, 108.12, 10.95)),
                                                     feature("22933", box(108.12, 10.91, 108.16, 10.95))])
    boundaries.import_boundaries(path, out=quiet)
    result = locator.locate(10.93, 108.12)
    assert result["commune"]["code"] == "22933"  # the lower code of the two
    assert "multiple_polygons" in result["flags"]


def test_batch_equals_single_lookups_including_errors(approximate):
    rng = np.random.default_rng(7)
    points = [(float(a), float(b)) for a, b in zip(rng.uniform(8, 24, 300), rng.uniform(101, 112, 300))]
    points += [("x", 1), (108.1022, 10.9289), (95, 10), (13.7563, 100.5018), (10.9289, 108.1022)]
    batch = locator.locate_many(points)
    assert len(batch) == len(points)
    for (lat, lon), got in zip(points, batch):
        try:
            expected = locator.locate(lat, lon)
        except UserError as err:
            assert got["status"] == "error" and got["error"]["code"] == err.code
            assert (got["lat"], got["lon"]) == (lat, lon)
        else:
            assert got == expected
    assert {r["status"] for r in batch} == {"ok", "outside", "error"}


def test_index_is_cached_and_rebuilt_when_the_active_version_changes(approximate, tmp_path):
    first = locator.current_index()
    assert locator.current_index() is first
    path = write_geojson(tmp_path / "one.geojson", [feature("22945", box(108.0, 10.8, 108.2, 11.0))])
    version = boundaries.import_boundaries(path, out=quiet)
    second = locator.current_index()
    assert second is not first and second.version_id == version.pk and len(second) == 1
    locator.invalidate()  # as another process would see it: only the database says what is active
    assert locator.current_index().version_id == version.pk
