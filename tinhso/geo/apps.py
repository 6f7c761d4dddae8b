from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "tinhso.geo"
    label = "geo"
    verbose_name = _("Địa giới hành chính")
