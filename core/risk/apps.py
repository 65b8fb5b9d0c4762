from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "core.risk"
    label = "risk"

    def ready(self) -> None:
        from core.risk import receivers  # noqa: F401  (connects signals)
