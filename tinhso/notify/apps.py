from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "tinhso.notify"
    label = "notify"
    verbose_name = _("Thông báo")
    default_auto_field = "django.db.models.BigAutoField"
