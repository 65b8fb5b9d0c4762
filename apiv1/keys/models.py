"""API key index (public schema): a key's visible prefix picks its tenant.

Only an HMAC-SHA256 of the secret is stored; the full key is shown once.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Scope(models.TextChoices):
    READ = "read"
    WRITE = "write"
    PII = "pii"


class ApiKey(models.Model):
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, related_name="api_keys"
    )
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    scopes = models.JSONField(default=list)  # values of Scope
    rate_limit_per_minute = models.PositiveIntegerField(default=600)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["tenant", "-created_at"]
        indexes = [
            models.Index(
                fields=["tenant"],
                condition=Q(revoked_at__isnull=True),
                name="apikey_live_by_tenant",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_limit_per_minute__gte=1),
                name="apikey_rate_limit_positive",
            )
        ]

    def __str__(self) -> str:
        return f"key {self.prefix} ({self.name})"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None
