from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IocConfig(AppConfig):
    name = "tinhso.ioc"
    label = "ioc"
    verbose_name = _("Màn hình điều hành")

    def ready(self) -> None:
        from tinhso.ioc import aggregates

        aggregates.connect()
