from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "core.reporting"
    label = "reporting"
    verbose_name = "Lender reporting inputs"
