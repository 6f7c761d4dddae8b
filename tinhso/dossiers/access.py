"""Who may see which dossiers.

- The **indicators** (counts, rates, group points, ranks) are public: the province publishes its 766
  scores and each agency's, and the aggregates carry nothing about a person.
- The **dossier lists** (the records behind a number, their CSV, and the due-soon list) are for staff:
  the store keeps no applicant's name or identity number (the sync shape's applicant fields are not
  imported, see :mod:`tinhso.dossiers.records`), but it keeps dossier codes, the procedure, dates and
  the handling officer (``NguoiXuLy``), which identify a person's case to whoever knows them.
  ``dossiers.view_all_dossiers`` sees every agency; ``dossiers.view_agency_dossiers`` sees only the
  agencies the account is a member of (:class:`~tinhso.dossiers.models.AgencyMember`: a department's or
  a commune People's Committee's staff) and the People's Committees of the communes its role works in
  (:func:`tinhso.core.roles.geo_scope`; province-wide scope sees every agency, unless the account is a
  member of an agency: a department's staff work province-wide but see their own department's dossiers). Roles
  (:mod:`tinhso.core.roles`): operator → all; handler, supervisor, leader → their agencies. Superusers
  see everything.
"""

from __future__ import annotations

from tinhso.core import roles
from tinhso.core.errors import UserError
from tinhso.dossiers.models import Agency, AgencyKind, AgencyMember

ALL = None
SCOPED_ROLES = (roles.HANDLER, roles.SUPERVISOR, roles.LEADER)


def agencies_for(user) -> list[str] | None:
    """``None`` = every agency; else the codes the user may see (never empty: no access raises)."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise UserError("not_authenticated", "Cần đăng nhập bằng tài khoản cán bộ.", "Sign in with a staff account.",
                        status=401)
    if user.is_superuser or user.has_perm("dossiers.view_all_dossiers"):
        return ALL
    if user.has_perm("dossiers.view_agency_dossiers"):
        codes = set(AgencyMember.objects.filter(user=user).values_list("agency__code", flat=True))
        units: set[int] = set()
        for role in SCOPED_ROLES:  # a commune official: their commune's People's Committee
            scope = roles.geo_scope(user, role)
            if scope.province_wide and not codes:
                # province-wide without an agency (a provincial leader); a department's staff are
                # province-wide on the map but see only their own agency's dossiers
                return ALL
            units |= scope.unit_ids
        codes |= set(Agency.objects.filter(kind=AgencyKind.COMMUNE, unit_id__in=units).values_list("code", flat=True))
        if codes:
            return sorted(codes)
    raise UserError("forbidden", "Tài khoản không có quyền xem hồ sơ TTHC.",
                    "This account may not see dossier records.", status=403)


def restrict(filters: dict, allowed: list[str] | None) -> dict:
    """``filters`` narrowed to the agencies the user may see; asking for another agency is refused (403)."""
    filters = dict(filters)
    if allowed is ALL:
        return filters
    asked = filters.get("agency")
    if asked:
        if asked not in allowed:
            agency = Agency.objects.filter(code=asked).first()  # named, not by its code
            vi, en = (agency.name, agency.name_en or agency.name) if agency else (f"“{asked}”", f"“{asked}”")
            raise UserError("forbidden_agency", f"Tài khoản của bạn không có quyền xem hồ sơ của {vi}.",
                            f"{en}: your account may not see its dossiers.", field="agency", status=403)
        return filters
    filters["agency"] = list(allowed)
    return filters
