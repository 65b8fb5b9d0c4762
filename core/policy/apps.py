from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "core.policy"
    label = "policy"
    verbose_name = "Platform policy"
