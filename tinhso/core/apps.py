from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tinhso.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from tinhso.core import signin  # noqa: F401  (connects the failed sign-in log)
