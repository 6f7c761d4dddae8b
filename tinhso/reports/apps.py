from django.apps import AppConfig
from django.db.models.signals import post_migrate

STAFF_GROUPS = ("reports-operator", "reports-handler", "reports-supervisor")


def grant_inbox(**kwargs) -> None:
    """Staff groups may use the notification inbox (existing groups after an upgrade, too)."""
    from django.contrib.auth.models import Group, Permission

    perm = Permission.objects.filter(content_type__app_label="notify", codename="use_inbox").first()
    if perm is not None:
        for group in Group.objects.filter(name__in=STAFF_GROUPS):
            group.permissions.add(perm)


class ReportsConfig(AppConfig):
    name = "tinhso.reports"
    label = "reports"

    def ready(self) -> None:
        from tinhso.reports import notices, workflow

        if notices.on_transition not in workflow.AFTER_TRANSITION:
            workflow.AFTER_TRANSITION.append(notices.on_transition)
        post_migrate.connect(grant_inbox, sender=self, dispatch_uid="reports-grant-inbox")
