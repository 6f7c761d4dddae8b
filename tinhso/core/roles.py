"""Roles: Django groups with permissions, and the unit scope each role works in.

A role is a Django group whose permissions are this module's :data:`ROLES` table; the groups are
written (idempotently) by ``tinhso init`` and after every ``migrate``, so the table is the single
source of truth: a permission added by hand to one of these groups is removed again at the next
init (put extra rights in a group of your own). What a role may *do* is checked everywhere with
``user.has_perm(...)``, never with ``is_staff``. *Where* it may do it (a unit, or the whole
province) is the user's memberships (``reports.Membership``), read through :func:`geo_scope`.

===============  ===========================================================================
role (group)     may
===============  ===========================================================================
(citizen)        no account: submit, track and rate their own report, read public pages
operator         IOC: triage every report of the province (sees reporters' contact data);
                 edit the report configuration tables and the camera registry in the admin;
                 read the notification outbox; the IOC wall; the monthly analysis
handler          handle the reports assigned to their unit (told of new ones: notification inbox)
supervisor       as handler, and receives the unit's near-due and overdue notices; the unit's IOC wall
                 and monthly analysis
planner          enter and import plan figures for their unit (a commune) or the province;
                 approve figures another planner entered (never their own); the inbox; the
                 monthly analysis of their scope
leader           read everything in their scope, change nothing (province leaders,
                 department directors, commune chairmen); the IOC wall and the monthly
                 analysis of their scope
administrator    the admin: users, groups, memberships, API clients and every table (the
                 only role that edits the first three; "retry now" on the notification
                 outbox); no case work or data entry unless
                 also given a working role
===============  ===========================================================================

Permissions are named ``app_label.codename``; custom ones are declared in the models' ``Meta``
(``reports.Report``, ``indicators.Observation``, :class:`tinhso.core.models.Access`). Core names
them as strings only, so it imports no capability app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

OPERATOR = "operator"
HANDLER = "handler"
SUPERVISOR = "supervisor"
PLANNER = "planner"
LEADER = "leader"
ADMINISTRATOR = "administrator"

USE_ADMIN = "core.use_admin"
INBOX = "notify.use_inbox"  # the notification inbox page /hop-thu and its counter in the header
ALL = "*"
# The permissions of case work and data entry: held through a working role, never by being an
# administrator (an administrator who must also triage is given the operator role as well).
WORK_PERMISSIONS = ("reports.triage_report", "reports.handle_report", "reports.supervise_report",
                    "reports.read_scope_reports", "indicators.import_observations",
                    "indicators.approve_observations",
                    "dossiers.view_all_dossiers", "dossiers.view_agency_dossiers",
                    # open data: given through the groups opendata-publisher / opendata-approver
                    "opendata.publish_dataset", "opendata.approve_dataset",
                    # the monthly analysis (/phan-tich) and the IOC wall (/ioc): read in one's scope
                    # through a working role
                    "analysis.view_monthly_analysis", "ioc.view_wall")
ANALYSIS = "analysis.view_monthly_analysis"

_CONFIG_TABLES = ("category", "handlingunit", "routingrule", "deadlinerule", "calendarexception", "replytemplate")


def _crud(app: str, models: Iterable[str]) -> tuple[str, ...]:
    return tuple(f"{app}.{verb}_{model}" for model in models for verb in ("view", "add", "change", "delete"))


@dataclass(frozen=True)
class RoleDef:
    code: str
    label_vi: str
    label_en: str
    permissions: tuple[str, ...] = field(default_factory=tuple)


ROLES: tuple[RoleDef, ...] = (
    RoleDef(OPERATOR, "Điều hành viên IOC", "IOC operator", (
        USE_ADMIN, "reports.triage_report", "reports.read_scope_reports",
        *_crud("reports", _CONFIG_TABLES),
        # Reports are read-mostly in the admin (only the publication flag is editable there).
        "reports.view_report", "reports.change_report", "reports.view_reportevent",
        # The notification outbox in the admin (read-only; "retry now" is the administrator's) and the inbox.
        "notify.view_message", INBOX,
        "geo.view_unit", "geo.view_succession", "geo.view_registryload", "geo.view_boundaryversion",
        # The IOC wall, its camera registry, the published ranks it shows.
        "ioc.view_wall", *_crud("ioc", ("camera",)), "indices.view_publishedresult",
        "dossiers.view_all_dossiers", ANALYSIS,
    )),
    RoleDef(HANDLER, "Cán bộ xử lý", "Unit handler", ("reports.handle_report", "reports.read_scope_reports", INBOX,
                                                       "dossiers.view_agency_dossiers")),
    RoleDef(SUPERVISOR, "Lãnh đạo giám sát", "Unit supervisor",
            ("reports.handle_report", "reports.supervise_report", "reports.read_scope_reports", INBOX,
             "ioc.view_wall", "dossiers.view_agency_dossiers", ANALYSIS)),
    # Entering and approving figures: a figure counts once a second planner approved it.
    RoleDef(PLANNER, "Cán bộ kế hoạch", "Planner", ("indicators.import_observations",
                                                     "indicators.approve_observations", INBOX, ANALYSIS)),
    RoleDef(LEADER, "Lãnh đạo (chỉ xem)", "Leader (read-only)", ("reports.read_scope_reports", "ioc.view_wall",
                                                                 "dossiers.view_agency_dossiers", ANALYSIS)),
    # Every permission but WORK_PERMISSIONS: users, groups, memberships, API clients, every table.
    RoleDef(ADMINISTRATOR, "Quản trị hệ thống", "Administrator", (ALL,)),
)
BY_CODE: dict[str, RoleDef] = {r.code: r for r in ROLES}
# Groups of earlier versions (one per reports role), folded into the role groups on init.
LEGACY_GROUPS = {"reports-operator": OPERATOR, "reports-handler": HANDLER, "reports-supervisor": SUPERVISOR}


def _create_permissions() -> None:
    """Content types and default permissions of every app (Django writes them per app after
    ``migrate``; the role groups need all of them at once)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    for config in apps.get_app_configs():
        create_contenttypes(config, verbosity=0)
        create_permissions(config, verbosity=0)


def _permissions(names: tuple[str, ...]):
    from django.contrib.auth.models import Permission

    if ALL in names:
        work = {tuple(n.split(".", 1)) for n in WORK_PERMISSIONS}
        return [p for p in Permission.objects.select_related("content_type")
                if (p.content_type.app_label, p.codename) not in work]
    wanted = {tuple(n.split(".", 1)) for n in names}
    found = [p for p in Permission.objects.select_related("content_type")
             if (p.content_type.app_label, p.codename) in wanted]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        raise LookupError(f"roles: unknown permissions {sorted('.'.join(m) for m in missing)}")
    return found


def ensure_groups(out: Callable[[str], object] | None = None) -> None:
    """Create or repair one group per role with exactly the table's permissions. Idempotent."""
    from django.contrib.auth.models import Group
    from django.db import transaction

    with transaction.atomic():
        _create_permissions()
        for old_name, code in LEGACY_GROUPS.items():
            old = Group.objects.filter(name=old_name).first()
            if old is not None:
                new, _ = Group.objects.get_or_create(name=code)
                new.user_set.add(*old.user_set.all())
                old.delete()
        for role in ROLES:
            group, _ = Group.objects.get_or_create(name=role.code)
            group.permissions.set(_permissions(role.permissions))
    if out:
        out(f"Roles / Vai trò: {', '.join(r.code for r in ROLES)} (Django groups with their permissions).")


def on_post_migrate(sender, using="default", **kwargs) -> None:
    """After ``migrate`` (``tinhso init``, the test database): the groups exist before anyone signs in."""
    if sender.label == "core" and using == "default":
        ensure_groups()


def holders(permission: str):
    """The active users who hold ``permission`` (``app_label.codename``), through a group, directly or as
    a superuser (those for whom ``user.has_perm(permission)`` is true): a queryset ordered by pk, for
    telling the people who must act (indicators' approvers, open-data approvers)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    app, codename = permission.split(".", 1)
    held = (Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app)
            | Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app)
            | Q(is_superuser=True))
    return get_user_model().objects.filter(held, is_active=True).distinct().order_by("pk")


# --- scope ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """Where a user acts in a role: the whole province, or some current geo units (communes)."""

    province_wide: bool = False
    unit_ids: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return self.province_wide or bool(self.unit_ids)


# Who knows the users' units: the reports app registers its Membership reader here at start-up,
# so an app below it (indicators) can ask without importing it.
_SCOPE_PROVIDERS: list[Callable[[object, str], Scope]] = []


def register_scope_provider(provider: Callable[[object, str], Scope]) -> None:
    if provider not in _SCOPE_PROVIDERS:
        _SCOPE_PROVIDERS.append(provider)


def geo_scope(user, role: str) -> Scope:
    """The geo units ``user`` works on in ``role``; empty without the role's permissions' group."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(province_wide=True)
    wide, units = False, set()
    for provider in _SCOPE_PROVIDERS:
        scope = provider(user, role)
        wide = wide or scope.province_wide
        units |= scope.unit_ids
    return Scope(province_wide=wide, unit_ids=frozenset(units))
