from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "tinhso.notify"
    label = "notify"
    verbose_name = "Thông báo / Notifications"
    default_auto_field = "django.db.models.BigAutoField"
