from django.apps import AppConfig


class IndicesConfig(AppConfig):
    name = "tinhso.indices"
    label = "indices"
