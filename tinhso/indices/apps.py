from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicesConfig(AppConfig):
    name = "tinhso.indices"
    verbose_name = _("Chỉ số xếp hạng")
    label = "indices"
