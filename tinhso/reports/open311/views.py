"""HTTP door of the Open311 endpoint: parse, call :mod:`.resources`, render. No rules here."""

from __future__ import annotations

import functools
import logging
from urllib.parse import urlencode

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from tinhso.core import clientaddr
from tinhso.core.errors import UserError
from tinhso.reports import public_cache
from tinhso.reports.open311 import auth, resources
from tinhso.reports.open311 import params as p
from tinhso.reports.open311.serializers import CONTENT_TYPES, error_response, render

log = logging.getLogger(__name__)
PREFIX = "/open311/v2/"


# What Django reads to build a request's scheme and host (HttpRequest.scheme and get_host()).
_SITE_META = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "HTTP_X_FORWARDED_HOST",
              "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PROTO", "HTTP_FORWARDED")
_SITE_KEPT = 64
_sites: dict[tuple, str] = {}


def _site(request) -> str:
    """``scheme://host`` of the request (for absolute links), as ``build_absolute_uri`` gives it; kept for
    the few host headers a server sees (its host validation cost more than the rest of the 201's
    headers). Only accepted hosts are kept (a refused one raises), at most :data:`_SITE_KEPT`."""
    meta = request.META
    key = tuple(meta.get(name) for name in _SITE_META)
    site = _sites.get(key)
    if site is None:
        site = request.build_absolute_uri("/").rstrip("/")
        if len(_sites) >= _SITE_KEPT:
            _sites.clear()
        _sites[key] = site
    return site


def _lang(request) -> str:
    return getattr(request, "LANGUAGE_CODE", "vi") or "vi"


def _client_ip(request) -> str:
    return clientaddr.client_ip(request)


def endpoint(*methods: str):
    """Allowed methods, per-IP rate limit for reads, and every failure in the spec's error format."""

    def decorate(func):
        @csrf_exempt
        @functools.wraps(func)
        def view(request, fmt: str = "json", **kwargs):
            try:
                if request.method not in methods:
                    raise UserError("method_not_allowed", f"Phương thức {request.method} không được hỗ trợ ở đây.",
                                    f"Method {request.method} is not allowed here (use {', '.join(methods)}).",
                                    status=405)
                if request.method != "POST":
                    auth.check_rate("get", f"ip:{_client_ip(request)}")
                return func(request, fmt, **kwargs)
            except UserError as error:
                headers = {}
                if error.status == 429:
                    headers["Retry-After"] = str((error.details or {}).get("retry_after", 60))
                if error.status == 405:
                    headers["Allow"] = ", ".join(methods)
                return error_response(fmt, [error], headers=headers)
            except Exception:  # a server fault still answers in the client's format, never a traceback
                log.exception("Open311 %s %s failed", request.method, request.path)
                return error_response(fmt, [UserError(
                    "service_error", "Lỗi máy chủ; vui lòng thử lại sau.",
                    "General service error; please retry later.", status=500)])

        return view

    return decorate


@endpoint("GET")
def discovery(request, fmt):
    return render(fmt, "discovery", resources.discovery(request.build_absolute_uri(PREFIX)))


@endpoint("GET")
def services(request, fmt):
    return render(fmt, "services", resources.service_list(_lang(request)))


@endpoint("GET")
def service_definition(request, fmt, service_code):
    return render(fmt, "service_definition", resources.service_definition(service_code))


def _post_arguments(request) -> p.Arguments:
    if request.content_type == "application/json":
        return p.from_json(request.body, request.GET)
    return p.from_querydict(request.GET, request.POST)


@endpoint("GET", "POST")
def requests(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    # Lists are expensive (up to 1,000 requests): a per-client limit, and the rendered page kept
    # briefly in the shared cache under the normalised query (tinhso.reports.public_cache).
    auth.check_rate("list", f"ip:{_client_ip(request)}")
    args = p.from_querydict(request.GET)
    site, lang = _site(request), _lang(request)
    parts = (fmt, site, lang, resources.list_key(args, timezone.now()))

    def compute() -> tuple[bytes, bool]:
        page = resources.query_requests(args, site_url=site, lang=lang)
        return render(fmt, "service_requests", page.requests).content, page.has_more

    body, has_more = public_cache.remember("open311-requests", parts, compute)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    if has_more:
        query = request.GET.copy()
        query["page"] = str(p.request_query(args, timezone.now()).page + 1)
        response["Link"] = f'<{request.build_absolute_uri(request.path)}?{urlencode(query, doseq=True)}>; rel="next"'
    return response


def _create(request, fmt):
    args = _post_arguments(request)
    client = auth.require_client(args.get("api_key") or request.headers.get("X-Api-Key", "").strip())
    auth.check_rate("post", f"key:{client.pk}")
    result = resources.create_request(args, client, idempotency_key=request.META.get("HTTP_IDEMPOTENCY_KEY", ""),
                                      uploads=request.FILES.getlist("media"))
    headers = {"Location": f"{_site(request)}{PREFIX}requests/{result.report.code}.{fmt}"}
    if not result.created:
        headers["Idempotent-Replayed"] = "true"
    return render(fmt, "service_requests", [result.body], status=201, headers=headers)


@endpoint("GET")
def request_detail(request, fmt, service_request_id):
    return render(fmt, "service_requests",
                  resources.get_request(service_request_id, site_url=_site(request), lang=_lang(request)))


@endpoint("GET")
def token(request, fmt, token):
    return render(fmt, "service_requests", resources.token(token))


@endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def unknown(request, fmt, path=""):
    raise UserError("unknown_resource", f"Không có tài nguyên Open311 “{path}”.",
                    f"No Open311 resource {path!r} (formats: .json, .xml).", status=404)
