"""Fixtures for the reports tests: boundaries (session), a small province set-up, actors, photos."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from tinhso.reports.models import Category, HandlingUnit, Membership, Role, RoutingRule, Severity, UnitKind


@pytest.fixture(scope="session")
def boundaries_ready(django_db_setup, django_db_blocker):
    """Approximate boundaries from the registry (kept for the whole session, like the registry)."""
    with django_db_blocker.unblock():
        from tinhso.geo import boundaries

        boundaries.ensure_active(out=lambda *a, **k: None)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache(request, django_db_blocker):
    """Each test that uses the database starts without cached public answers or rate-limit counters
    from another test.

    The cache is a database table: this autouse fixture runs before a test's ``db`` fixture, so it
    unblocks database access itself. Tests without the database (pure functions) are left alone."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "django_db_reset_sequences"} & set(request.fixturenames))
    if not uses_db:
        yield
        return
    from django.core.cache import cache

    with django_db_blocker.unblock():
        cache.clear()
    yield
    with django_db_blocker.unblock():
        cache.clear()


def commune(name: str, province: str = "68"):
    from tinhso.geo.models import Unit

    return Unit.objects.get(structure="current", level="commune", province_code=province, name=name)


@pytest.fixture
def world(db, boundaries_ready, settings):
    """Categories, two ward committees, a department, routing rules, staff users (password ``x-<name>``)."""
    from django.contrib.auth import get_user_model

    # The default PBKDF2 hasher costs ~0.3 s per user; tests only need a working password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    phan_thiet = commune("Phường Phan Thiết")
    other = commune("Phường Mũi Né")
    traffic = Category.objects.create(code="traffic", name_vi="Giao thông", name_en="Traffic")
    environment = Category.objects.create(code="environment", name_vi="Môi trường", name_en="Environment",
                                          auto_forward=True)
    health = Category.objects.create(code="health", name_vi="Y tế", name_en="Health",
                                     default_severity=Severity.URGENT)
    pt = HandlingUnit.objects.create(code="ubnd-phan-thiet", name="UBND Phường Phan Thiết",
                                     kind=UnitKind.COMMUNE_COMMITTEE, commune=phan_thiet)
    mn = HandlingUnit.objects.create(code="ubnd-mui-ne", name="UBND Phường Mũi Né",
                                     kind=UnitKind.COMMUNE_COMMITTEE, commune=other)
    syt = HandlingUnit.objects.create(code="so-y-te", name="Sở Y tế", kind=UnitKind.DEPARTMENT)
    RoutingRule.objects.create(order=10, name="health → Sở Y tế", category=health, target=syt)
    User = get_user_model()
    users = {}
    for name, role, unit in [("op", Role.OPERATOR, None), ("h_pt", Role.HANDLER, pt), ("h_mn", Role.HANDLER, mn),
                             ("h_syt", Role.HANDLER, syt), ("sup_pt", Role.SUPERVISOR, pt)]:
        user = User.objects.create_user(name, password="x-" + name, email=f"{name}@example.org")
        Membership.objects.create(user=user, role=role, unit=unit)
        users[name] = user

    class World:
        pass

    w = World()
    w.phan_thiet, w.mui_ne = phan_thiet, other
    w.traffic, w.environment, w.health = traffic, environment, health
    w.pt, w.mn, w.syt = pt, mn, syt
    w.users = users
    return w


def actor(user):
    from tinhso.reports.permissions import actor_for_user

    return actor_for_user(user)


def jpeg_with_exif(width=64, height=48) -> bytes:
    """A JPEG carrying EXIF GPS and camera model tags."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "SecretPhone 12"  # Model
    exif[0x010F] = "ACME"  # Make
    gps = {1: "N", 2: (10.0, 55.0, 30.0), 3: "E", 4: (108.0, 6.0, 0.0)}
    exif[0x8825] = gps
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 255, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def local(*args) -> dt.datetime:
    from tinhso.core.workcalendar import VIETNAM_TZ

    return dt.datetime(*args, tzinfo=VIETNAM_TZ)
