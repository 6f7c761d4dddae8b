"""Assignment of a report to a named officer inside its handling unit.

The officer must be an active handler or supervisor of the report's current unit (and still hold
that role's permission). Operators, the unit's supervisors and its handlers may assign (a handler
typically takes a report themselves); a leader may not. Each assignment is one ``assign_officer``
history event (:mod:`tinhso.reports.workflow`) and one notification to the officer
(:mod:`tinhso.reports.notices`). The officer is cleared whenever the report leaves the unit.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from tinhso.core.errors import UserError
from tinhso.reports import workflow
from tinhso.reports.models import Membership, Report, Role
from tinhso.reports.permissions import ROLE_PERMISSIONS

OFFICER_ROLES = (Role.HANDLER, Role.SUPERVISOR)


def officers_of(unit_id: int | None) -> list:
    """Users who may be named for a report of ``unit_id``, by name."""
    if unit_id is None:
        return []
    users, seen = [], set()
    rows = (Membership.objects.filter(unit_id=unit_id, role__in=OFFICER_ROLES, active=True, user__is_active=True)
            .select_related("user").order_by("user__last_name", "user__first_name", "user__username"))
    for m in rows:
        if m.user_id not in seen and m.user.has_perm(ROLE_PERMISSIONS[m.role]):
            seen.add(m.user_id)
            users.append(m.user)
    return users


def officer_label(user) -> str:
    full = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return f"{full} ({user.get_username()})" if full else user.get_username()


def assign_officer(report: Report, actor, *, officer: str, note: str = "", now: dt.datetime | None = None) -> Report:
    """Name ``officer`` (a username) in charge of ``report`` within its unit."""
    workflow.check_rights(report, "assign_officer", actor)
    username = (officer or "").strip()
    if not username:
        raise UserError("officer_required", "Chọn cán bộ xử lý.", "Choose the officer.", field="officer")
    user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    if user is None or user.pk not in {u.pk for u in officers_of(report.handling_unit_id)}:
        raise UserError("not_unit_officer", f"“{username}” không phải cán bộ của đơn vị đang xử lý {report.code}.",
                        f"{username!r} is not an officer of the unit handling {report.code}.", field="officer")
    if report.assigned_officer_id == user.pk:
        raise UserError("already_assigned", f"{report.code} đã được giao cho {officer_label(user)}.",
                        f"{report.code} is already assigned to {officer_label(user)}.", field="officer", status=409)
    workflow.transition(report, "assign_officer", actor, note=note or f"Giao cho {officer_label(user)}.", now=now,
                        changes={"assigned_officer": user},
                        data={"officer": user.get_username(),
                              "previous": report.assigned_officer.get_username() if report.assigned_officer_id
                              else None})
    return report
