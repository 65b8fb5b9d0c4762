from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "core.products"
    label = "products"

    def ready(self) -> None:
        from core.products import receivers  # noqa: F401  (connects signals)
