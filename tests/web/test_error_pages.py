"""Error pages in the site's frame and the reader's language (a bare English "Not Found" left a
citizen who mistyped a report code at a dead end)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.views import defaults

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/khong-co-trang-nay", "/phan-anh/PA-00000-00000"])
def test_not_found_in_vietnamese_with_the_site_around_it(client, path):
    response = client.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="vi">' in html and 'id="site-nav"' in html
    assert "Không tìm thấy trang" in html and path in html
    assert 'href="/phan-anh/tra-cuu"' in html
    assert "Not Found" not in html


def test_not_found_in_english(client):
    response = client.get("/khong-co-trang-nay", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="en">' in html and "Page not found" in html and "Look up a report by its code" in html
    assert "Không tìm thấy" not in html


def test_bad_request_page_is_translated(client):
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="en")
    from django.utils import translation

    with translation.override("en"):
        response = defaults.bad_request(request, Exception("bad"))
    assert response.status_code == 400 and "Bad request" in response.content.decode()


def test_server_error_page_needs_no_context_and_says_both_languages():
    response = defaults.server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Lỗi máy chủ" in html and "Server error" in html
    assert "may not have been saved" in html
