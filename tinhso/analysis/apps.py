from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "tinhso.analysis"
    label = "analysis"
    verbose_name = "Monthly analysis / Phân tích hằng tháng"
