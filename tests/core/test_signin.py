"""Sign-in throttling on the staff page and the admin: per account (whatever the address) and per
address, with every failure logged for the administrator (never the password)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tinhso.core.history import AppendOnlyError
from tinhso.core.models import FailedSignIn

DOORS = ["/dang-nhap", "/admin/login/"]
PASSWORD = "right-horse-battery"


@pytest.fixture
def staff(db, settings):
    settings.REPORTS_RATE_LIMITS = {"login": 0}  # the per-minute limit is tested elsewhere
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user("canbo", password=PASSWORD)
    user.groups.add(Group.objects.get(name="administrator"))  # both doors: the admin opens by permission
    return user


def attempt(path: str, username: str, password: str, address: str) -> int:
    return Client().post(path, {"username": username, "password": password}, REMOTE_ADDR=address).status_code


def signed_in(code: int) -> bool:
    return code == 302


@pytest.mark.parametrize("path", DOORS)
def test_an_account_locks_after_five_failures_whatever_the_address(staff, path):
    for i in range(5):
        assert attempt(path, "canbo", f"guess-{i}", f"198.51.100.{i}") == 200
    # The right password, from a sixth address, is refused until the window passes.
    assert attempt(path, "canbo", PASSWORD, "198.51.100.99") == 429
    assert attempt(path, "CanBo", PASSWORD, "198.51.100.98") == 429  # the name's case does not help
    # Another account is not affected.
    from django.contrib.auth.models import Group

    other = get_user_model().objects.create_user("khac", password=PASSWORD)
    other.groups.add(Group.objects.get(name="administrator"))  # the admin opens by permission (core.roles)
    assert signed_in(attempt(path, "khac", PASSWORD, "198.51.100.99"))


def test_the_lock_also_holds_through_authenticate(staff):
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    for i in range(5):
        assert attempt("/dang-nhap", "canbo", f"guess-{i}", "198.51.100.1") == 200
    request = RequestFactory().post("/elsewhere", REMOTE_ADDR="198.51.100.2")
    assert authenticate(request, username="canbo", password=PASSWORD) is None


def test_the_lock_window_passes(staff):
    import datetime as dt

    for i in range(5):
        attempt("/dang-nhap", "canbo", f"guess-{i}", "198.51.100.1")
    # Sixteen minutes later (the rows are append-only: move them through the query set).
    FailedSignIn.objects.update(at=FailedSignIn.objects.first().at - dt.timedelta(minutes=16))
    assert signed_in(attempt("/dang-nhap", "canbo", PASSWORD, "198.51.100.1"))


def test_a_successful_sign_in_starts_the_account_count_again(staff):
    for i in range(4):
        attempt("/dang-nhap", "canbo", f"guess-{i}", "198.51.100.1")
    assert signed_in(attempt("/dang-nhap", "canbo", PASSWORD, "198.51.100.1"))
    for i in range(4):
        assert attempt("/dang-nhap", "canbo", f"again-{i}", "198.51.100.1") == 200
    assert signed_in(attempt("/dang-nhap", "canbo", PASSWORD, "198.51.100.1"))


@pytest.mark.parametrize("path", DOORS)
def test_an_address_locks_after_twenty_failures_whatever_the_names(staff, path):
    for i in range(20):
        assert attempt(path, f"user{i}", "guess", "203.0.113.7") == 200
    assert attempt(path, "canbo", PASSWORD, "203.0.113.7") == 429
    assert signed_in(attempt(path, "canbo", PASSWORD, "203.0.113.8"))


def test_failures_are_logged_without_passwords_and_shown_read_only_in_the_admin(staff):
    attempt("/dang-nhap", "canbo", "secret-guess-1", "198.51.100.1")
    attempt("/admin/login/", "ai-do", "secret-guess-2", "198.51.100.2")
    rows = {(r.username, r.address, r.door) for r in FailedSignIn.objects.all()}
    assert rows == {("canbo", "198.51.100.1", "staff"), ("ai-do", "198.51.100.2", "admin")}
    for row in FailedSignIn.objects.values():
        assert not any("secret-guess" in str(value) for value in row.values())
    row = FailedSignIn.objects.first()
    row.username = "edited"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()

    admin = get_user_model().objects.create_superuser("quantri", password=PASSWORD)
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/core/failedsignin/")
    assert page.status_code == 200 and "ai-do" in page.content.decode()
    assert client.get("/admin/core/failedsignin/add/").status_code == 403
    change = client.post(f"/admin/core/failedsignin/{row.pk}/change/", {"username": "x"})
    assert change.status_code in (200, 403) and FailedSignIn.objects.filter(username="x").count() == 0
    assert client.post(f"/admin/core/failedsignin/{row.pk}/delete/", {"post": "yes"}).status_code == 403
