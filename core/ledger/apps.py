from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "core.ledger"
    label = "ledger"
