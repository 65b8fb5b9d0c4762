from django.apps import AppConfig


class Apiv1Config(AppConfig):
    """Tenant side of the API: webhooks, outbox, idempotency records."""

    name = "apiv1"
    label = "apiv1"

    def ready(self) -> None:
        from apiv1 import receivers  # noqa: F401 - connects the signals
