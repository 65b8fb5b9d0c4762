"""Give every newly provisioned lender the starter products."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from core.products.templates import product_templates_install
from tenants.services import tenant_provisioned


@receiver(tenant_provisioned, dispatch_uid="products_templates_install")
def templates_install_on_provision(sender: Any, tenant: Any, **kwargs: Any) -> None:
    """Install the templates; runs in the new tenant's schema (see sender)."""
    product_templates_install()
