from django.apps import AppConfig


class ApiKeysConfig(AppConfig):
    name = "apiv1.keys"
    label = "apikeys"
