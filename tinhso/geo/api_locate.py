"""``/api/v1/geo/locate``: GPS point(s) → current commune, province and the legacy units behind it.

Thin doors onto :mod:`tinhso.geo.locator`. Coordinates are taken as text and parsed by the locator, so
"abc", "10,9" or an out-of-range value get the locator's own clear 400 (not a generic validation error).
"""

from __future__ import annotations

from typing import Any

from ninja import Field, Router, Schema

from tinhso.core import limits
from tinhso.core.api_schemas import ApiError, errors
from tinhso.core.errors import UserError
from tinhso.geo import boundaries, locator
from tinhso.geo.api_units import UnitRef

router = Router()


class LegacyOut(Schema):
    commune: UnitRef | None
    district: UnitRef | None
    province: UnitRef | None
    candidates: int
    method: str


class BoundaryRef(Schema):
    version: int
    quality: str


class LocateOut(Schema):
    status: str
    lat: float
    lon: float
    commune: UnitRef | None
    province: UnitRef | None
    legacy: LegacyOut | None
    boundary: BoundaryRef
    flags: list[str]
    distance_m: float | None


class LocateItemOut(Schema):
    status: str
    lat: Any
    lon: Any
    commune: UnitRef | None = None
    province: UnitRef | None = None
    legacy: LegacyOut | None = None
    boundary: BoundaryRef | None = None
    flags: list[str] = Field(default_factory=list)
    distance_m: float | None = None
    error: ApiError | None = None


class LocateBatchOut(Schema):
    count: int
    summary: dict[str, int]
    boundary: BoundaryRef
    results: list[LocateItemOut]


class BoundaryVersionOut(Schema):
    version: int
    quality: str
    feature_count: int
    source: str
    sha256: str
    created_at: str
    is_active: bool
    note: str


# 503: no commune boundaries are active yet (a fresh installation before `tinhso geo import-boundaries`).
@router.get("/geo/locate", response={200: LocateOut, **errors(503)}, summary="Locate one GPS point")
def locate_point(request, lat: str | None = None, lon: str | None = None):
    """`status` is `ok` or `outside` (200); bad, out-of-range or swapped coordinates are a 400 error."""
    return locator.locate(lat, lon)


_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {
            "type": "array", "maxItems": locator.MAX_BATCH_POINTS,
            "items": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}},
        }}},
    }
}


@router.post("/geo/locate", response={200: LocateBatchOut, **errors(413, 503)}, summary="Locate a list of GPS points",
             openapi_extra=_BATCH_BODY)
def locate_points(request):
    """Body: a JSON list of `{"lat": .., "lon": ..}` (at most 10,000). Each bad item gets its own
    `status: "error"` with the reason; the others are answered."""
    body = limits.load_json(request.body or b"null", "JSON", field="body")
    if isinstance(body, dict) and isinstance(body.get("points"), list):
        body = body["points"]
    if not isinstance(body, list):
        raise UserError("invalid_body", "Cần một danh sách JSON các điểm {\"lat\": .., \"lon\": ..}",
                        "Expected a JSON list of points {\"lat\": .., \"lon\": ..}", field="body")
    if len(body) > locator.MAX_BATCH_POINTS:
        raise UserError("too_many_points",
                        f"Tối đa {locator.MAX_BATCH_POINTS} điểm mỗi yêu cầu (nhận {len(body)}); dùng "
                        "`tinhso geo locate --csv` cho tệp lớn",
                        f"At most {locator.MAX_BATCH_POINTS} points per request (got {len(body)}); use "
                        "`tinhso geo locate --csv` for large files", field="body", status=413)
    points = [(item.get("lat"), item.get("lon")) if isinstance(item, dict) else (None, None) for item in body]
    results = locator.locate_many(points)
    for item, result in zip(body, results):
        if not isinstance(item, dict):
            result["error"] = {"code": "invalid_item", "message": "Mỗi điểm phải là một đối tượng {lat, lon}",
                               "message_en": "Each point must be an object {lat, lon}"}
            result["lat"] = result["lon"] = None
    summary = {"ok": 0, "outside": 0, "error": 0}
    for result in results:
        summary[result["status"]] += 1
    return {"count": len(results), "summary": summary, "boundary": locator.current_index().boundary,
            "results": results}


@router.get("/geo/boundaries", response=list[BoundaryVersionOut], summary="Boundary versions (newest first)")
def boundary_versions(request):
    return boundaries.list_versions()
