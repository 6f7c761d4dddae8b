"""Who reads which monthly report: the ``analysis.view_monthly_analysis`` permission (operator,
supervisor, planner and leader roles, :mod:`tinhso.core.roles`), limited to the user's units.

Province-wide staff (IOC operators, superusers, and any member without a unit: provincial leaders,
supervisors, planners) read the province's report and every unit's. Everyone else reads only the
reports of the handling units they are members of (``reports.Membership``, any role) — a commune
chairman their committee's, a department director their department's (a department is not
province-wide here, unlike its geographic scope). Another unit's report, or the province's,
answers 404: a unit cannot even learn what is archived elsewhere.
"""

from __future__ import annotations

from tinhso.core.errors import UserError

PERMISSION = "analysis.view_monthly_analysis"
ALL = None


def units_for(user) -> list[str] | None:
    """``None`` = the province and every unit; else the handling unit codes the user may read."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise UserError("sign_in_required", "Cần đăng nhập.", "Sign in first.", status=401)
    if not user.has_perm(PERMISSION):
        raise UserError("forbidden", "Tài khoản không có quyền xem báo cáo phân tích.",
                        "This account may not read the monthly analysis.", status=403)
    if user.is_superuser or user.has_perm("reports.triage_report"):
        return ALL
    from tinhso.reports.models import Membership

    codes: set[str] = set()
    for unit_id, code in Membership.objects.filter(user=user, active=True).values_list("unit_id", "unit__code"):
        if unit_id is None:
            return ALL
        codes.add(code)
    if not codes:
        raise UserError("no_scope", "Tài khoản chưa được gán đơn vị.", "This account has no unit yet.", status=403)
    return sorted(codes)


def may_read(allowed: list[str] | None, unit_code: str | None) -> bool:
    """``unit_code`` None = the province's report."""
    if allowed is ALL:
        return True
    return unit_code is not None and unit_code in allowed


def not_found(month: str, unit: str | None) -> UserError:
    what = f"{month}/{unit}" if unit else month
    return UserError("analysis_not_found", f"Không có báo cáo phân tích {what}.",
                     f"No monthly analysis {what}.", status=404)
