from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "tinhso.reports"
    verbose_name = _("Phản ánh hiện trường")
    label = "reports"

    def ready(self) -> None:
        from tinhso.core import roles
        from tinhso.reports import permissions

        # Memberships say which units a user works on; apps below reports ask through core.
        roles.register_scope_provider(permissions.membership_scope)

        from tinhso.reports import notices, workflow

        # Who is told what after each transition (tinhso.notify; see notices.py).
        if notices.on_transition not in workflow.AFTER_TRANSITION:
            workflow.AFTER_TRANSITION.append(notices.on_transition)

        from tinhso.notify import periodic
        from tinhso.reports import sla

        # Near-due / overdue notices and closing stale resolved reports, every few minutes in the
        # background worker `tinhso serve` starts (idempotent: see sla.check_deadlines).
        periodic.register("reports-check-deadlines", sla.check_deadlines, every=sla.CHECK_EVERY_S)
