"""Who may see and act on which report.

An :class:`Actor` is whoever causes a change: a signed-in user, the citizen who sent a report
(proved by its secret, see :mod:`tinhso.reports.citizen_secret`), an Open311 client, or the system
(deadline checks, automatic forwarding).

A user's **roles** come from their permissions (the groups of :mod:`tinhso.core.roles`), never
from the staff flag; their **scope** from their active
:class:`~tinhso.reports.models.Membership` rows in those roles:

- IOC operators (``reports.triage_report``, and superusers) see every report of the province;
- a handler sees only reports currently assigned to their unit; any other report is answered
  with **404, not 403**, so a unit cannot even learn that a tracking code exists elsewhere;
- a supervisor sees the reports of the unit they supervise (or all, if province-wide);
- a leader reads, like a supervisor, the reports of their unit (or all, if province-wide) and
  may take no action (every workflow action answers 403).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from tinhso.core import roles as core_roles
from tinhso.core.errors import UserError
from tinhso.reports.models import Membership, Report, Role, UnitKind

CITIZEN = "citizen"
SYSTEM = "system"
OPERATOR = Role.OPERATOR.value
HANDLER = Role.HANDLER.value
SUPERVISOR = Role.SUPERVISOR.value
LEADER = Role.LEADER.value
# Roles that read reports in a scope (the staff pages and API); only the first three act on them.
READER_ROLES = frozenset({OPERATOR, HANDLER, SUPERVISOR, LEADER})

# The permission that makes a user hold each report role (granted by the groups of core.roles).
ROLE_PERMISSIONS = {
    OPERATOR: "reports.triage_report",
    HANDLER: "reports.handle_report",
    SUPERVISOR: "reports.supervise_report",
    LEADER: "reports.read_scope_reports",
}


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
        """Reads reports in a scope (operator, handler, supervisor, leader)."""
        return bool(self.roles & READER_ROLES)

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


def user_roles(user) -> frozenset[str]:
    """The report roles ``user`` holds through their permissions (a superuser holds them all).

    A leader who also handles reports is a handler; ``leader`` alone is the read-only role.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    held = {role for role, perm in ROLE_PERMISSIONS.items() if user.has_perm(perm)}
    if held & {OPERATOR, HANDLER, SUPERVISOR}:
        held.discard(LEADER)
    return frozenset(held)


def actor_for_user(user) -> Actor:
    """The roles (from permissions) and scope (from memberships) of a signed-in user.

    Anonymous users get no staff role. An operator is province-wide (the IOC sees every report);
    the others see the units of their active memberships in a role they hold, or everything
    through a membership without a unit.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return citizen()
    roles = user_roles(user)
    unit_ids: set[int] = set()
    province_wide = user.is_superuser or OPERATOR in roles
    # Only the memberships of roles held: a handler of one unit who is also a leader elsewhere acts,
    # and reads, in their handler's unit only (the leader's scope must not widen what they may change).
    for membership in Membership.objects.filter(user=user, active=True, role__in=roles):
        if membership.unit_id is None:
            province_wide = True
        else:
            unit_ids.add(membership.unit_id)
    return Actor(label=user.get_username(), roles=roles, user=user,
                 unit_ids=frozenset(unit_ids), province_wide=province_wide)


def membership_scope(user, role: str) -> core_roles.Scope:
    """The geo units of ``user``'s active memberships in ``role`` (registered in core.roles).

    A commune People's Committee scopes its commune; no unit, the IOC or a provincial
    department scope the whole province.
    """
    wide, communes = False, set()
    for unit_id, kind, commune_id in (Membership.objects.filter(user=user, role=role, active=True)
                                      .values_list("unit_id", "unit__kind", "unit__commune_id")):
        if unit_id is None or kind != UnitKind.COMMUNE_COMMITTEE:
            wide = True
        elif commune_id is not None:
            communes.add(commune_id)
    return core_roles.Scope(province_wide=wide, unit_ids=frozenset(communes))


def require_staff(actor: Actor) -> None:
    """An actor who reads reports in a scope (operator, handler, supervisor, leader); else 403."""
    if not actor.is_staff_actor:
        raise UserError("not_staff", "Cần đăng nhập bằng tài khoản cán bộ.",
                        "Sign in with a staff account.", status=403)


def require_acting(actor: Actor) -> None:
    """An actor who may act on reports (operator, handler, supervisor): leaders only read (403)."""
    if not actor.roles & {OPERATOR, HANDLER, SUPERVISOR}:
        raise UserError("read_only", "Tài khoản của bạn chỉ được xem, không được thay đổi.",
                        "Your account may read but not change anything.", status=403)


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
