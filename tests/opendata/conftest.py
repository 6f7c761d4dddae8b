"""Fixtures for the open-data tests: published files in a temporary folder, publishers and staff."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _opendata_dir(settings, tmp_path):
    settings.OPENDATA_DIR = tmp_path / "opendata"


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def portal(db):
    from tinhso.opendata import setup

    setup.init(out=lambda *a, **k: None)
    from tinhso.opendata.models import Organization

    return Organization.objects.get(name="so-y-te")


def staff(username: str, *groups: str, org=None):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username, password="pw-" + username)
    for g in groups:
        user.groups.add(Group.objects.get(name=g))
    if org is not None:
        org.members.add(user)
    return User.objects.get(pk=user.pk)  # fresh permission cache
