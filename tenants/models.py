"""Tenants (one PostgreSQL schema each) and the domains that reach them."""

from __future__ import annotations

from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class TenantKind(models.TextChoices):
    PLATFORM = "platform", "Platform (public schema)"
    LENDER = "lender", "Lender"
    SPARE = "spare", "Spare schema (pre-migrated, not yet assigned)"


class TenantStatus(models.TextChoices):
    PROVISIONING = "provisioning", "Provisioning"
    READY = "ready", "Ready"
    SUSPENDED = "suspended", "Suspended"
    CLOSED = "closed", "Closed"


# Statuses in which a tenant answers requests. A suspended lender can still
# log in, read and collect; the services refuse new lending.
SERVING_STATUSES = frozenset({TenantStatus.READY, TenantStatus.SUSPENDED})


class Tenant(TenantMixin):
    """A licensed lender, the platform itself, or a spare schema in the pool.

    Spare schemas are rows too, so that ``migrate_schemas`` keeps them in step
    with every deploy; provisioning renames one to the lender's schema.
    """

    kind = models.CharField(max_length=16, choices=TenantKind.choices)
    slug = models.SlugField(max_length=40, unique=True)
    legal_name = models.CharField(max_length=200, blank=True)
    province = models.CharField(max_length=40, blank=True)
    city = models.CharField(max_length=40, blank=True)
    status = models.CharField(
        max_length=16, choices=TenantStatus.choices, default=TenantStatus.PROVISIONING
    )
    status_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    # Schemas are created by tenants.services (spare pool or template clone).
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_serving(self) -> bool:
        return self.status in SERVING_STATUSES


class Domain(DomainMixin):
    """A host name that reaches a tenant, e.g. ``acme.jinqiao.example``."""


class PlatformAuditEntry(models.Model):
    """One look or action by platform staff at a tenant's data.

    Append-only. ``tenant`` is empty for views across all tenants (the
    tenants list, the revenue page); ``actor`` is a copy of the user name so
    the entry survives the user's removal.
    """

    actor_id = models.BigIntegerField(null=True)
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=60)
    tenant = models.ForeignKey(
        Tenant,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="platform_audit_entries",
    )
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "created_at"])]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.tenant_id or '-'}"
