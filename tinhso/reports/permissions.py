"""Who may see and act on which report.

An :class:`Actor` is whoever causes a change: a staff user (with the roles and unit scope of
their :class:`~tinhso.reports.models.Membership` rows), the citizen who sent a report (proved by
its secret, see :mod:`tinhso.reports.citizen_secret`), an Open311 client, or the system
(deadline checks, automatic forwarding).

Scope rules:

- IOC operators (and superusers) see every report of the province;
- a handler sees only reports currently assigned to their unit; any other report is answered
  with **404, not 403**, so a unit cannot even learn that a tracking code exists elsewhere;
- a supervisor sees the reports of the unit they supervise (or all, if province-wide).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from tinhso.core.errors import UserError
from tinhso.reports.models import Membership, Report, Role

CITIZEN = "citizen"
SYSTEM = "system"
OPERATOR = Role.OPERATOR.value
HANDLER = Role.HANDLER.value
SUPERVISOR = Role.SUPERVISOR.value


@dataclass(frozen=True)
class Actor:
    label: str
    roles: frozenset[str]
    user: object | None = None
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    province_wide: bool = False  # operator, superuser or a supervisor without a unit
    # Tracking code of the report whose citizen secret this actor proved (citizen_secret.holder):
    # citizen actions (rate, reopen request, answers) are refused on any other report.
    holds_report: str = ""

    @property
    def is_operator(self) -> bool:
        return OPERATOR in self.roles

    @property
    def is_staff_actor(self) -> bool:
        return bool(self.roles & {OPERATOR, HANDLER, SUPERVISOR})

    def can_see(self, report: Report) -> bool:
        if self.province_wide:
            return True
        return report.handling_unit_id is not None and report.handling_unit_id in self.unit_ids


def citizen(label: str = "citizen") -> Actor:
    return Actor(label=label, roles=frozenset({CITIZEN}))


def system(label: str = "system") -> Actor:
    return Actor(label=label, roles=frozenset({SYSTEM}), province_wide=True)


def api_client(client) -> Actor:
    """An Open311 client application submits on behalf of a citizen."""
    return Actor(label=f"api:{client.name}", roles=frozenset({CITIZEN}))


def actor_for_user(user) -> Actor:
    """The roles and scope of a logged-in user. Anonymous users get no staff role."""
    if user is None or not getattr(user, "is_authenticated", False):
        return citizen()
    roles: set[str] = set()
    unit_ids: set[int] = set()
    province_wide = False
    if user.is_superuser:
        roles.add(OPERATOR)
        province_wide = True
    for membership in Membership.objects.filter(user=user, active=True):
        roles.add(membership.role)
        if membership.unit_id is None:
            province_wide = province_wide or membership.role in (OPERATOR, SUPERVISOR)
        else:
            unit_ids.add(membership.unit_id)
    return Actor(label=user.get_username(), roles=frozenset(roles), user=user,
                 unit_ids=frozenset(unit_ids), province_wide=province_wide)


def require_staff(actor: Actor) -> None:
    if not actor.is_staff_actor:
        raise UserError("not_staff", "Cần đăng nhập bằng tài khoản cán bộ.",
                        "Sign in with a staff account.", status=403)


def require_operator(actor: Actor) -> None:
    if not actor.is_operator:
        raise UserError("not_operator", "Chỉ điều hành viên IOC được làm việc này.",
                        "Only IOC operators may do this.", status=403)


def visible_reports(actor: Actor) -> QuerySet[Report]:
    """Every report the actor may read (staff only)."""
    require_staff(actor)
    reports = Report.objects.all()
    if actor.province_wide:
        return reports
    return reports.filter(handling_unit_id__in=actor.unit_ids)


def get_report_for(actor: Actor, code: str) -> Report:
    """A report by tracking code, or 404 when it does not exist *or* the actor may not see it."""
    report = visible_reports(actor).select_related("category", "handling_unit", "commune").filter(
        code=code.strip().upper()).first()
    if report is None:
        raise not_found(code)
    return report


def not_found(code: str) -> UserError:
    return UserError("report_not_found", f"Không tìm thấy phản ánh {code}.", f"Report {code} not found.",
                     status=404)
