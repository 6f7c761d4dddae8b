"""GeoReport v2 bodies: JSON and XML (``xml.etree``), timestamps, and the spec's error format.

The JSON is the spec's "Spark convention" mapping of the XML: a list becomes a repeated child
element named for its container (``services`` → ``service``, ``service_requests`` →
``request``, ``errors`` → ``error`` …), ``null`` an empty element, booleans ``true``/``false``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET

from django.http import HttpResponse

from tinhso.core.errors import UserError

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# Container element → element of each list item (GeoReport v2, Service Discovery and extensions).
LIST_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}
# Characters XML 1.0 cannot carry at all (control characters other than tab, LF, CR).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# Asia/Ho_Chi_Minh has kept UTC+07:00 without daylight saving since 1975; a fixed offset
# converts several times faster than the zoneinfo rules, and a page carries thousands of times.
LOCAL_OFFSET = dt.timezone(dt.timedelta(hours=7))


def timestamp(value: dt.datetime | None) -> str | None:
    """ISO 8601 / W3C with the local offset, e.g. ``2026-03-02T08:15:00+07:00``."""
    if value is None:
        return None
    return value.astimezone(LOCAL_OFFSET).isoformat(timespec="seconds")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return timestamp(value) or ""
    return _XML_ILLEGAL.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list | tuple):
        item_tag = LIST_ITEMS.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, item_tag), child)
    else:
        element.text = _text(value)


def to_xml(root: str, data) -> bytes:
    element = ET.Element(root)
    _fill(element, data)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def _json_default(value):
    if isinstance(value, dt.datetime):
        return timestamp(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, default=_json_default, separators=(",", ":")).encode("utf-8")


def render(fmt: str, root: str, data, *, status: int = 200, headers: dict | None = None) -> HttpResponse:
    """``data`` as JSON, or as XML under the ``root`` element."""
    body = to_xml(root, data) if fmt == "xml" else to_json(data)
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES.get(fmt, CONTENT_TYPES["json"]))
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def describe(error: UserError) -> str:
    """One line naming the parameter, in Vietnamese then English, with the stable error code."""
    where = f"{error.field}: " if error.field else ""
    return f"{where}{error.message_vi} / {error.message_en} [{error.code}]"


def error_response(fmt: str, errors: list[UserError], *, headers: dict | None = None) -> HttpResponse:
    """The spec's error list; the HTTP status is the first error's (they share one in practice)."""
    status = errors[0].status
    body = [{"code": e.status, "description": describe(e)} for e in errors]
    return render(fmt if fmt in FORMATS else "json", "errors", body, status=status, headers=headers)
