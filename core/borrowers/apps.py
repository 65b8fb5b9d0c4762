from django.apps import AppConfig


class BorrowersConfig(AppConfig):
    name = "core.borrowers"
    label = "borrowers"
