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


def file_answer(*media_types: str) -> dict:
    """``openapi_extra`` of a view that answers 200 with its own HttpResponse (a file, CSV, GeoJSON)."""
    body = {"schema": {"type": "string", "format": "binary"}}
    return {"responses": {200: {"description": "OK", "content": dict.fromkeys(media_types, body)}}}
