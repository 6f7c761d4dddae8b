"""Schemas shared by every router of the native API (/api/v1): the one error body.

Every 4xx answer of the API is ``{"error": UserError.as_dict()}`` (see :mod:`tinhso.core.errors`
and the exception handlers in :mod:`tinhso.api`); routers document the statuses their views can
raise with :func:`errors`, and :mod:`tinhso.api` adds the ones the platform itself produces
(400 invalid input, 404 for a path naming nothing, 401/403 for staff endpoints).
"""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ApiError(Schema):
    """``UserError.as_dict()``: a stable code, the Vietnamese and the English message."""

    code: str
    message: str
    message_en: str
    field: str | None = None
    details: Any = None


class ErrorOut(Schema):
    error: ApiError


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """``response={200: Out, **errors(404, 409)}``: the error statuses a view can answer with."""
    return dict.fromkeys(statuses, ErrorOut)


def file_answer(*media_types: str, json_schema: dict | None = None) -> dict:
    """``openapi_extra`` of a view that answers 200 with its own HttpResponse (a file, CSV, GeoJSON):
    bytes, except JSON media types, which are described by ``json_schema`` (any object by default)."""
    content = {media: {"schema": (json_schema or {"type": "object"}) if media.endswith("json")
                       else {"type": "string", "format": "binary"}} for media in media_types}
    return {"responses": {200: {"description": "OK", "content": content}}}


GEOJSON_POINTS = {
    "type": "object", "required": ["type", "features"],
    "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]}, "features": {"type": "array", "items": {
        "type": "object", "required": ["type", "geometry", "properties"],
        "properties": {"type": {"type": "string", "enum": ["Feature"]}, "properties": {"type": "object"},
                       "geometry": {"type": "object", "required": ["type", "coordinates"], "properties": {
                           "type": {"type": "string", "enum": ["Point"]},
                           "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2,
                                           "maxItems": 2}}}}}}},
}
