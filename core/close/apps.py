from django.apps import AppConfig


class CloseConfig(AppConfig):
    name = "core.close"
    label = "close"
