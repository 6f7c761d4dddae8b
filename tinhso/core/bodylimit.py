"""How large a request body each door accepts, refused before anything reads it.

Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not count uploaded files, so without this a
multipart POST could be as large as the proxy lets through. Limits (``settings.REQUEST_BODY_LIMITS``):

- ``multipart``: forms with files (a report's photos, an index workbook): 25 MB;
- ``default``: every other body (JSON, form fields, a raw CSV): 2 MB;
- ``paths``: larger limits for named path prefixes (the indices API takes JSON rows up to 40 MB).

A body over the limit (by its ``Content-Length``) gets a 413: JSON for the API
(``{"error": {...}}``, the Open311 error list under ``/open311/``), plain text for pages.
The reverse proxy should refuse earlier still (nginx ``client_max_body_size``, docs/security.md).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse

from tinhso.core.errors import UserError

MB = 1024 * 1024
DEFAULT_LIMITS = {"multipart": 25 * MB, "default": 2 * MB, "paths": {}}


def limit_for(path: str, content_type: str) -> int:
    limits = {**DEFAULT_LIMITS, **getattr(settings, "REQUEST_BODY_LIMITS", {})}
    for prefix, limit in limits["paths"].items():
        if path.startswith(prefix):
            return int(limit)
    if content_type.lower().startswith("multipart/"):
        return int(limits["multipart"])
    return int(limits["default"])


def too_large(size: int, limit: int) -> UserError:
    return UserError("request_too_large",
                     f"Yêu cầu quá lớn: {size / MB:.1f} MB, tối đa {limit / MB:.0f} MB.",
                     f"The request is too large: {size / MB:.1f} MB; at most {limit / MB:.0f} MB.",
                     status=413, details={"size": size, "limit": limit})


def response_for(path: str, error: UserError) -> HttpResponse:
    if path.startswith("/open311/"):
        body = [{"code": error.status, "description": error.message_en}]
        return HttpResponse(json.dumps(body), status=error.status, content_type="application/json")
    if path.startswith("/api/"):
        return HttpResponse(json.dumps({"error": error.as_dict()}, ensure_ascii=False), status=error.status,
                            content_type="application/json; charset=utf-8")
    return HttpResponse(f"{error.message_vi}\n{error.message_en}\n", status=error.status,
                        content_type="text/plain; charset=utf-8")


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length:
            limit = limit_for(request.path, request.META.get("CONTENT_TYPE", ""))
            if length > limit:
                response = response_for(request.path, too_large(length, limit))
                # The body is not read: the connection cannot be reused for another request.
                response["Connection"] = "close"
                return response
        return self.get_response(request)
