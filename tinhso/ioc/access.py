"""Who sees which wall: the ``ioc.view_wall`` permission, limited to the user's unit.

Province-wide staff (IOC operators, provincial leaders and supervisors) see the whole province and
may pick a unit (an unknown one is a 404, on the page and on every API answer); a department
director or commune chairman sees the same wall limited to their own unit. The wall is work, like
the monthly analysis: an administrator holds it only through a working role (tinhso.core.roles). Everyone else gets the public wall (``/ioc/cong-khai``).
"""

from __future__ import annotations

from tinhso.core.errors import UserError

PERMISSION = "ioc.view_wall"


def wall_scope(user, requested_unit: str | None) -> str | None:
    """The unit code the user's wall is limited to (``None`` = whole province); raises 403/404."""
    if user is None or not user.is_authenticated:
        raise UserError("sign_in_required", "Cần đăng nhập.", "Sign in first.", status=401)
    if not user.has_perm(PERMISSION):
        raise UserError("forbidden", "Tài khoản không có quyền xem màn hình điều hành.",
                        "This account may not view the IOC wall.", status=403)
    from tinhso.reports.models import HandlingUnit
    from tinhso.reports.permissions import actor_for_user

    actor = actor_for_user(user)
    if actor.province_wide or user.is_superuser:
        if requested_unit and not HandlingUnit.objects.filter(code=requested_unit).exists():
            raise UserError("unknown_unit", f"Không có đơn vị {requested_unit!r}", f"No unit {requested_unit!r}",
                            field="unit", status=404)
        return requested_unit or None
    own = list(HandlingUnit.objects.filter(pk__in=actor.unit_ids).order_by("code").values_list("code", flat=True))
    if not own:
        raise UserError("no_scope", "Tài khoản chưa được gán đơn vị.", "This account has no unit yet.", status=403)
    if requested_unit and requested_unit not in own:
        raise UserError("unknown_unit", f"Không có đơn vị {requested_unit!r}", f"No unit {requested_unit!r}",
                        field="unit", status=404)
    return requested_unit or own[0]
