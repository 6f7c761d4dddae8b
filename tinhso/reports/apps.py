from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "tinhso.reports"
    label = "reports"

    def ready(self) -> None:
        from tinhso.core import roles
        from tinhso.reports import permissions

        # Memberships say which units a user works on; apps below reports ask through core.
        roles.register_scope_provider(permissions.membership_scope)
