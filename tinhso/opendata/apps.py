from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    name = "tinhso.opendata"
    label = "opendata"
    verbose_name = _("Dữ liệu mở")

    def ready(self) -> None:
        # Generated datasets refreshed on their own schedule by the worker `tinhso serve` starts
        # (tinhso.opendata.schedule: cheap and idempotent when nothing is due).
        from tinhso.notify import periodic
        from tinhso.opendata import schedule

        periodic.register("opendata-refresh", schedule.refresh_due, every=schedule.CHECK_EVERY)
