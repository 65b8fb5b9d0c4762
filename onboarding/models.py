"""Lender applications, their documents and review log (public schema)."""

from __future__ import annotations

import secrets
import uuid
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.borrowers.fields import keyring
from core.pii.masking import mask_phone


def _status_token() -> str:
    return secrets.token_urlsafe(32)


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted, awaiting review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved, workspace being prepared"
    PROVISIONED = "provisioned", "Workspace ready"
    REJECTED = "rejected", "Rejected"


# Applications that still hold their desired sub-domain.
OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.CHANGES_REQUESTED,
    ApplicationStatus.APPROVED,
)
OPEN_SUBDOMAIN_CONSTRAINT = "onboarding_open_application_subdomain_uniq"


class LenderApplication(models.Model):
    """A licensed small-loan company asking to become a tenant."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The applicant's private status URL carries this; never shown to staff
    # lists or logged.
    status_token = models.CharField(max_length=64, unique=True, default=_status_token)

    legal_name = models.CharField(max_length=200)
    uscc = models.CharField(max_length=18)
    licence_number = models.CharField(max_length=60)
    province = models.CharField(max_length=40)
    city = models.CharField(max_length=40)
    registered_capital = models.DecimalField(
        max_digits=16, decimal_places=2, default=Decimal("0")
    )
    contact_name = models.CharField(max_length=100)
    # The contact's mobile is personal data: sealed with the PII keyring,
    # shown masked (the ``mobile`` property reads and writes it in clear).
    mobile_cipher = models.TextField(blank=True)
    mobile_masked = models.CharField(max_length=20, blank=True)
    email = models.EmailField()
    subdomain = models.SlugField(max_length=40)

    status = models.CharField(
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
    )
    decision_reason = models.TextField(blank=True)
    tenant = models.ForeignKey(
        "tenants.Tenant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["subdomain"]),
        ]
        # Two sign-ups racing for one sub-domain: the database keeps one.
        constraints = [
            models.UniqueConstraint(
                fields=["subdomain"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name=OPEN_SUBDOMAIN_CONSTRAINT,
            )
        ]

    def __str__(self) -> str:
        return f"application {self.public_id} {self.status}"

    @property
    def mobile(self) -> str:
        """The contact's mobile in clear (decrypted)."""
        return keyring().decrypt(self.mobile_cipher) if self.mobile_cipher else ""

    @mobile.setter
    def mobile(self, value: str) -> None:
        self.mobile_cipher = keyring().encrypt(value) if value else ""
        self.mobile_masked = mask_phone(value) if value else ""


class DocumentKind(models.TextChoices):
    LICENCE = "licence", "Small-loan licence"
    BUSINESS_REGISTRATION = "business_registration", "Business registration"


class ApplicationDocument(models.Model):
    """An uploaded file, stored under MEDIA_ROOT/onboarding/<public_id>/."""

    application = models.ForeignKey(
        LenderApplication, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    # Relative to MEDIA_ROOT; the web server never serves MEDIA_ROOT.
    path = models.CharField(max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} of {self.application_id}"


class ReviewAction(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    RESUBMITTED = "resubmitted", "Resubmitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    PROVISIONED = "provisioned", "Workspace provisioned"
    INVITATION_SENT = "invitation_sent", "Invitation sent"


class ApplicationReviewEntry(models.Model):
    """Who did what to an application, and when (append-only)."""

    application = models.ForeignKey(
        LenderApplication, on_delete=models.CASCADE, related_name="review_log"
    )
    action = models.CharField(max_length=20, choices=ReviewAction.choices)
    actor_id = models.BigIntegerField(null=True)
    actor = models.CharField(max_length=150)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor}"


class ChecklistItem(models.TextChoices):
    ADD_STAFF = "add_staff", _("Add your staff")
    REVIEW_PRODUCTS = "review_products", _("Review the product templates")
    CREATE_API_KEY = "create_api_key", _("Create an API key")
    CONNECT_DATA_SOURCES = "connect_data_sources", _("Connect data sources")


class FirstDayChecklist(models.Model):
    """A new lender's first-day tasks, keyed by tenant (public schema)."""

    tenant = models.OneToOneField(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="first_day_checklist"
    )
    add_staff_done = models.BooleanField(default=False)
    review_products_done = models.BooleanField(default=False)
    create_api_key_done = models.BooleanField(default=False)
    connect_data_sources_done = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"checklist of {self.tenant_id}"
