"""Throttled sign-in for the staff page (``/dang-nhap``) and the admin's login.

Two counters, both over the last ``SIGNIN_WINDOW_SECONDS`` (15 minutes by default) and both read
from the :class:`~tinhso.core.models.FailedSignIn` log, so every server process sees the same
numbers:

- per account: ``SIGNIN_MAX_FAILURES_PER_ACCOUNT`` (5) failures for one user name, from any
  address, lock that name until the window passes (a successful sign-in before that starts the
  count again);
- per address: ``SIGNIN_MAX_FAILURES_PER_ADDRESS`` (20) failures from one client address, whatever
  names it tried (the address is :func:`tinhso.core.clientaddr.client_ip`).

A locked attempt is refused before the password is checked, by :func:`guard` on the two login
views (a clear 429 message) and again by :class:`ThrottledModelBackend` (any other door that
authenticates with a request). Every failure, refused or not, is logged with the name tried,
the address and the time: never the password. The administrator reads the log in the admin.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from functools import wraps

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import timezone

from tinhso.core.clientaddr import client_ip
from tinhso.core.errors import UserError

log = logging.getLogger("tinhso.signin")

DEFAULTS = {"SIGNIN_WINDOW_SECONDS": 15 * 60, "SIGNIN_MAX_FAILURES_PER_ACCOUNT": 5,
            "SIGNIN_MAX_FAILURES_PER_ADDRESS": 20}


def _setting(name: str) -> int:
    return int(getattr(settings, name, DEFAULTS[name]))


def username_key(username: str) -> str:
    return unicodedata.normalize("NFC", str(username or "")).strip().casefold()[:150]


def _door(request) -> str:
    return "admin" if request is not None and request.path.startswith("/admin") else "staff"


def refusal(request, username: str, *, now: dt.datetime | None = None) -> UserError | None:
    """The 429 error when ``username`` or the request's address is locked, else None."""
    from django.contrib.auth import get_user_model

    from tinhso.core.models import FailedSignIn

    now = now or timezone.now()
    window = _setting("SIGNIN_WINDOW_SECONDS")
    since = now - dt.timedelta(seconds=window)
    minutes = max(1, round(window / 60))
    address = client_ip(request)
    if FailedSignIn.objects.filter(address=address, at__gte=since).count() >= _setting("SIGNIN_MAX_FAILURES_PER_ADDRESS"):
        return UserError("signin_locked_address",
                         f"Quá nhiều lần đăng nhập sai từ địa chỉ này; thử lại sau {minutes} phút.",
                         f"Too many failed sign-ins from this address; try again in {minutes} minutes.",
                         status=429, details={"retry_after": window})
    key = username_key(username)
    if key:
        account_since = since
        user = get_user_model()._default_manager.filter(**{f"{get_user_model().USERNAME_FIELD}__iexact": username}).first()
        if user is not None and user.last_login and user.last_login > since:
            account_since = user.last_login
        if (FailedSignIn.objects.filter(username_key=key, at__gt=account_since).count()
                >= _setting("SIGNIN_MAX_FAILURES_PER_ACCOUNT")):
            return UserError("signin_locked_account",
                             f"Tài khoản này tạm khóa vì đăng nhập sai nhiều lần; thử lại sau {minutes} phút.",
                             f"This account is locked after repeated failed sign-ins; try again in {minutes} minutes.",
                             status=429, details={"retry_after": window})
    return None


def record_failure(request, username: str, *, refused: bool = False) -> None:
    from tinhso.core.models import FailedSignIn

    address = client_ip(request) if request is not None else "unknown"
    name = str(username or "")[:150]
    FailedSignIn.objects.create(username=name, username_key=username_key(name), address=address[:64],
                                door=_door(request), refused=refused)
    log.warning("failed sign-in for %r from %s (%s)%s", name, address, _door(request),
                " [locked]" if refused else "")


@receiver(user_login_failed, dispatch_uid="tinhso.core.signin.log_failure")
def _on_login_failed(sender, credentials, request=None, **kwargs):
    if request is None:
        return  # not a web sign-in (a shell, a management command)
    username = credentials.get("username", "") if isinstance(credentials, dict) else ""
    record_failure(request, username)


class ThrottledModelBackend(ModelBackend):
    """Django's model backend that refuses, without checking the password, a locked account or
    address (the failure is then logged by the ``user_login_failed`` signal)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None:
            name = username if username is not None else kwargs.get(self._username_field(), "")
            if refusal(request, name or "") is not None:
                return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


def guard(view):
    """Wrap a login view: a POST for a locked account or address gets a 429 with the reason (in
    Vietnamese and English) and is logged; anything else goes to the view."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            username = request.POST.get("username", "")
            error = refusal(request, username)
            if error is not None:
                record_failure(request, username, refused=True)  # authenticate() is not called
                response = HttpResponse(f"{error.message_vi}\n{error.message_en}\n", status=429,
                                        content_type="text/plain; charset=utf-8")
                response["Retry-After"] = str(error.details["retry_after"])
                return response
        return view(request, *args, **kwargs)

    return wrapped
