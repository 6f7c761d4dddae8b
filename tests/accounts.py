"""Accounts in a role for tests: the role's group (from tinhso.core.roles) and, for the scoped
roles, a membership of ``unit`` (None = province-wide) — as an administrator would set them up."""

from __future__ import annotations


def role_user(username: str, role: str, unit=None, *, password: str | None = None):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from tinhso.core.roles import ADMINISTRATOR
    from tinhso.reports.models import Membership

    user = get_user_model().objects.create_user(username, password=password or f"x-{username}",
                                                email=f"{username}@example.org")
    if role == ADMINISTRATOR:
        user.groups.add(Group.objects.get(name=role))
    else:
        Membership.objects.create(user=user, role=role, unit=unit)  # adds the role's group
    return user
