from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "core.products"
    label = "products"
