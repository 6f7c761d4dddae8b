"""Demo accounts: created by ``tinhso demo`` with passwords generated per installation.

Passwords are random, kept in ``var/demo-accounts.json`` (outside git) so the console can print
them on every run, and never committed. Production creates real accounts with
``createsuperuser`` / the admin instead.
"""

from __future__ import annotations

import json
import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

_STORE = settings.VAR_DIR / "demo-accounts.json"


def demo_url(path: str) -> str:
    """Absolute URL of ``path`` on the server `tinhso demo` is about to start (for console output)."""
    return os.environ.get("TINHSO_DEMO_URL", "http://127.0.0.1:8000").rstrip("/") + path


def _load() -> dict[str, str]:
    return json.loads(_STORE.read_text()) if _STORE.exists() else {}


def ensure_account(username: str, *, groups: tuple[str, ...] = (), full_name: str = "") -> tuple[object, str]:
    """Create (or repair) a demo account in the role ``groups`` and return ``(user, password)``.

    Idempotent. Rights come from the groups' permissions (:mod:`tinhso.core.roles`): no demo
    account is a superuser, and the staff flag is not used by tinhso.
    """
    store = _load()
    password = store.get(username) or secrets.token_urlsafe(9)
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username)
    user.is_superuser = False
    if full_name:
        user.first_name = full_name
    if not user.check_password(password):
        user.set_password(password)
    user.save()
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    if store.get(username) != password:
        store[username] = password
        _STORE.write_text(json.dumps(store, indent=1))
        _STORE.chmod(0o600)
    return user, password
