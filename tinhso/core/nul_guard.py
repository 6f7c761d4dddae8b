"""Refuse requests carrying a NUL character (0x00) before any view sees them.

PostgreSQL text cannot hold NUL: a ``%00`` in a search box, a path or a form field otherwise reaches
the database and fails there as a server error (SQLite would store it). Removing it would alter
what the user sent, so the request is refused with a 400 naming where the character is, in the
error format of the endpoint (the native API's JSON, Open311's error list, plain text for pages).
Form fields (url-encoded and the text parts of multipart bodies) and JSON bodies are checked; files
are not (their bytes are judged by the endpoint that reads them).

Reading the form here is also where a body Django cannot parse fails (a malformed multipart body,
too many fields or files, a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``): that is answered here too, a
400 (413 for the size) in the endpoint's format, instead of Django's HTML error page.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

from tinhso.core.errors import UserError
from tinhso.core.modules import optional_import

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
JSON_TYPES = ("application/json",)


def nul_location(request) -> str | None:
    """``"path"`` or the name of the first query/form field holding a NUL, else ``None``."""
    if NUL in request.path:
        return "path"
    sources = [request.GET]
    if request.method == "POST" and request.content_type in FORM_TYPES:
        sources.append(request.POST)
    for data in sources:
        for name, values in data.lists():
            if NUL in name or any(NUL in value for value in values):
                return name.replace(NUL, "\\x00")
    # In JSON a NUL arrives escaped as backslash-u0000. A text that literally contains those six
    # characters after an escaped backslash is refused too: a false alarm we accept.
    is_json = request.method in ("POST", "PUT", "PATCH") and request.content_type in JSON_TYPES
    if is_json and (b"\\u0000" in request.body or b"\x00" in request.body):
        return "body"
    return None


def nul_error(where: str) -> UserError:
    return UserError("nul_character",
                     f"Dữ liệu gửi lên chứa ký tự NUL (0x00) ở {where}; hãy bỏ ký tự đó rồi gửi lại.",
                     f"The request contains a NUL character (0x00) in {where}; remove it and send again.",
                     field=where, status=400)


UNREADABLE = (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def body_error(exc: Exception) -> UserError:
    """Why Django could not read the request body, as a :class:`UserError`."""
    if isinstance(exc, RequestDataTooBig):
        return UserError("body_too_large", "Nội dung gửi lên quá lớn.", "The request body is too large.",
                         field="body", status=413)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return UserError("too_many_fields", "Nội dung gửi lên có quá nhiều trường hoặc tệp.",
                         "The request body has too many fields or files.", field="body", status=400)
    return UserError("bad_body", f"Không đọc được nội dung gửi lên (multipart/form-data không hợp lệ: {exc}).",
                     f"The request body cannot be read (invalid multipart/form-data: {exc}).", field="body",
                     status=400)


def _response(request, error: UserError) -> HttpResponse:
    path = request.path.replace(NUL, "")
    if path.startswith("/open311/"):
        serializers = optional_import("tinhso.reports.open311.serializers")
        if serializers is not None:
            return serializers.error_response("xml" if path.endswith(".xml") else "json", [error])
    if path.startswith("/api/"):
        return JsonResponse({"error": error.as_dict()}, status=error.status,
                            json_dumps_params={"ensure_ascii": False})
    return HttpResponse(f"{error.message_vi}\n{error.message_en}\n", status=error.status,
                        content_type="text/plain; charset=utf-8")


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            where = nul_location(request)
        except UNREADABLE as exc:
            return _response(request, body_error(exc))
        if where is not None:
            return _response(request, nul_error(where))
        return self.get_response(request)

