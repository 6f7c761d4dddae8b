"""The IOC walls are reachable from the site: the top navigation and the home page lead to the staff
wall (``/ioc``) whoever holds its permission (not a role name), and to the public wall everyone else."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission

pytestmark = pytest.mark.django_db


def _nav(html: str) -> str:
    return re.search(r'<nav id="site-nav".*?</nav>', html, re.S).group(0)


def _hrefs(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


def test_anonymous_visitors_are_led_to_the_public_wall(client):
    html = client.get("/").content.decode()
    assert "/ioc/cong-khai" in _hrefs(_nav(html)) and "/ioc" not in _hrefs(_nav(html))
    assert "/ioc/cong-khai" in _hrefs(html.split("</nav>", 1)[1])  # the home page's own card too
    assert "Màn hình điều hành công khai" in _nav(html)


def test_whoever_holds_the_wall_permission_is_led_to_the_staff_wall(client, django_user_model):
    # Not a role: the bare permission, granted to an account without any membership.
    user = django_user_model.objects.create_user("wall-viewer", password="pw-wall-viewer-1")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="ioc", codename="view_wall"))
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "/ioc" in _hrefs(_nav(html))
    assert "/ioc" in _hrefs(html.split("</nav>", 1)[1])
    client.cookies["django_language"] = "en"
    html = client.get("/").content.decode()
    assert re.search(r'<a href="/ioc">IOC wall</a>', _nav(html))
    assert "Màn hình" not in html


def test_staff_without_the_permission_are_led_to_the_public_wall(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("no-wall", password="pw-no-wall-1"))
    html = client.get("/").content.decode()
    assert "/ioc/cong-khai" in _hrefs(_nav(html)) and "/ioc" not in _hrefs(html)
