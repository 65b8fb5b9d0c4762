"""Server-rendered web console for lenders and the platform (no models)."""

from typing import Any

from django.apps import AppConfig


def _roles_create(sender: Any, tenant: Any, **kwargs: Any) -> None:
    """Give a newly provisioned lender its staff roles (in its schema)."""
    from frontend.permissions import roles_sync

    roles_sync()


class FrontendConfig(AppConfig):
    name = "frontend"
    verbose_name = "Web console"

    def ready(self) -> None:
        from frontend import auth  # noqa: F401 - connects the sign-in receivers
        from tenants.services import tenant_provisioned

        tenant_provisioned.connect(_roles_create, dispatch_uid="frontend.roles")
