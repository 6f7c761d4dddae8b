"""tinhso.core.csp: the same headers as django-csp's own middleware, built once; per-view policies,
nonces and settings changes still honoured."""

from __future__ import annotations

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSP
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from tinhso.core import csp as site_csp


def _run(middleware_class, response_factory=lambda request: HttpResponse("ok"), path="/"):
    request = RequestFactory().get(path)
    middleware = middleware_class(lambda r: response_factory(r))
    response = middleware(request)
    return request, response


def _both(**kwargs):
    _, ours = _run(site_csp.CSPMiddleware, **kwargs)
    _, theirs = _run(DjangoCSP, **kwargs)
    return ours, theirs


def test_plain_response_gets_the_same_header_as_django_csp():
    ours, theirs = _both()
    assert ours[HEADER] == theirs[HEADER]
    assert "script-src 'self'" in ours[HEADER]
    assert (HEADER_REPORT_ONLY in ours) == (HEADER_REPORT_ONLY in theirs)


def test_settings_change_is_seen():
    before, _ = _both()
    policy = {"DIRECTIVES": {"default-src": ["'self'"], "img-src": ["'self'", "https://tiles.example.org"]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy,
                           CONTENT_SECURITY_POLICY_REPORT_ONLY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        ours, theirs = _both()
        assert ours[HEADER] == theirs[HEADER]
        assert "https://tiles.example.org" in ours[HEADER]
        assert ours[HEADER_REPORT_ONLY] == theirs[HEADER_REPORT_ONLY] == "default-src 'none'"
    after, _ = _both()
    assert after[HEADER] == before[HEADER]
    assert "tiles.example.org" not in after[HEADER]


def test_per_view_update_and_exemption_follow_django_csp():
    def updated(request):
        response = HttpResponse("ok")
        response._csp_update = {"img-src": ["https://extra.example.org"]}
        return response

    ours, theirs = _both(response_factory=updated)
    assert "https://extra.example.org" in ours[HEADER]
    assert ours[HEADER] == theirs[HEADER]

    def exempt(request):
        response = HttpResponse("ok")
        response._csp_exempt = True
        return response

    ours, theirs = _both(response_factory=exempt)
    assert HEADER not in ours and HEADER not in theirs


def test_a_nonce_read_by_the_view_is_in_the_header():
    seen = {}

    def with_nonce(request):
        seen["nonce"] = str(request.csp_nonce)
        return HttpResponse("ok")

    policy = {"DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", NONCE]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        _, response = _run(site_csp.CSPMiddleware, response_factory=with_nonce)
    assert f"script-src 'self' 'nonce-{seen['nonce']}'" in response[HEADER]


def test_a_nonce_asked_for_after_the_header_is_an_error():
    request, response = _run(site_csp.CSPMiddleware)
    assert HEADER in response
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_existing_header_is_kept():
    def own(request):
        response = HttpResponse("ok")
        response[HEADER] = "default-src 'none'"
        return response

    ours, theirs = _both(response_factory=own)
    assert ours[HEADER] == theirs[HEADER] == "default-src 'none'"


def test_excluded_prefixes_take_django_csps_path():
    policy = {"EXCLUDE_URL_PREFIXES": ["/raw/"], "DIRECTIVES": {"default-src": ["'self'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        _, excluded = _run(site_csp.CSPMiddleware, path="/raw/file")
        _, other = _run(site_csp.CSPMiddleware, path="/page")
    assert HEADER not in excluded
    assert other[HEADER] == "default-src 'self'"


@pytest.mark.django_db
def test_site_pages_carry_the_header(client):
    response = client.get("/")
    directives = dict(d.strip().split(" ", 1) for d in response[HEADER].split(";"))
    assert directives["script-src"] == "'self'" and directives["object-src"] == "'none'"
