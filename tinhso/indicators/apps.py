from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "tinhso.indicators"
    verbose_name = _("Chỉ tiêu kế hoạch")
    label = "indicators"
