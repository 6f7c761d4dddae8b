"""The home page leads a citizen to every public part of the site, in the page's language."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

PUBLIC_PARTS = ["/phan-anh", "/phan-anh/cong-khai", "/phan-anh/thong-ke", "/phan-anh/tra-cuu", "/dich-vu-cong",
                "/du-lieu-mo", "/ke-hoach", "/chi-so", "/don-vi-hanh-chinh", "/ioc/cong-khai"]


def test_home_links_every_public_part_and_each_link_opens(client):
    page = client.get("/").content.decode()
    for path in PUBLIC_PARTS:
        assert f'href="{path}"' in page, path
        assert client.get(path).status_code == 200, path


def test_home_in_english_has_no_vietnamese_card_text(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    cards = " ".join(re.findall(r'<section class="card">(.*?)</section>', page, re.S))
    assert "Public services" in cards and "Open data" in cards and "open datasets" in cards
    assert "Dịch vụ công" not in cards and "Dữ liệu mở" not in cards and "Thống kê" not in cards
