"""django-csp's middleware, with the site's own policy header built once per process.

django-csp builds the ``Content-Security-Policy`` header anew for every response: it copies the
configured directives (``dataclasses.asdict`` deep-copies them), then sorts and joins them — twice,
once for the enforced policy and once for the report-only one. The result only changes when a view
asks for something else (a per-view policy through django-csp's decorators, or a nonce read from
``request.csp_nonce``) or when the settings change. This site uses neither decorators nor nonces
(every script and style sheet is a static file), so the header is the same string on every response:
building it cost 31 µs per response, this middleware's plain path 4 µs — about 4 % of the CPU of a
minimal POST through the middleware stack (docs/benchmarks.md, "Intake, fourteenth round").

:class:`CSPMiddleware` sets that string, built by django-csp's own ``build_policy`` on first use and
again after a settings change (``setting_changed``, as tests override settings). Any response that
is not the plain case — a per-view policy or exemption on the response, a nonce that was generated,
exclusions by URL prefix in the settings — goes through django-csp's ``process_response`` unchanged.
"""

from __future__ import annotations

import http.client

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as _DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# Attributes django-csp's decorators put on a response: any of them means a per-view policy.
_PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro",
                 "_csp_replace_ro", "_csp_exempt", "_csp_exempt_ro")
_DEBUG_EXEMPT = (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)
_SETTINGS = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")

_cache: dict[str, tuple[str, str] | None] = {}


def _site_headers() -> tuple[str, str] | None:
    """(enforced, report-only) headers of the settings' policies, or None when the settings exclude
    URL prefixes (then every response takes django-csp's own path)."""
    if "headers" not in _cache:
        policies = [getattr(settings, name, None) or {} for name in _SETTINGS]
        if any(policy.get("EXCLUDE_URL_PREFIXES") for policy in policies):
            _cache["headers"] = None
        else:
            _cache["headers"] = (build_policy(), build_policy(report_only=True))
    return _cache["headers"]


@receiver(setting_changed)
def _forget(setting, **kwargs):
    if setting in _SETTINGS:
        _cache.clear()


class CSPMiddleware(_DjangoCSPMiddleware):
    def process_response(self, request, response):
        headers = _site_headers()
        plain = (headers is not None and getattr(request, "_csp_nonce", None) is None
                 and not any(hasattr(response, name) for name in _PER_RESPONSE))
        if not plain:
            return super().process_response(request, response)
        if response.status_code in _DEBUG_EXEMPT and settings.DEBUG:
            return response
        enforced, report_only = headers
        if enforced and HEADER not in response:
            response[HEADER] = enforced
        if report_only and HEADER_REPORT_ONLY not in response:
            response[HEADER_REPORT_ONLY] = report_only
        # As django-csp does: a nonce asked for after the header is written is an error, not a silent gap.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
