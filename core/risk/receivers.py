"""Give every newly provisioned lender the starter rule sets."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from core.risk.services import ruleset_templates_install
from tenants.services import tenant_provisioned


@receiver(tenant_provisioned, dispatch_uid="risk_ruleset_templates_install")
def ruleset_templates_install_on_provision(
    sender: Any, tenant: Any, **kwargs: Any
) -> None:
    """Install the rule-set templates; runs in the new tenant's schema."""
    ruleset_templates_install()
