"""Business date and daily close runs of one lender (tenant schema)."""

from __future__ import annotations

from django.db import models


class BusinessDate(models.Model):
    """The lender's current business date: one row, id 1.

    The close of date D accrues D's interest and moves ``current`` to D + 1.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    current = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="business_date_single_row", condition=models.Q(id=1)
            )
        ]

    def __str__(self) -> str:
        return f"business date {self.current}"


class CloseRun(models.Model):
    """The close of one business date; committed with everything it posted."""

    class Status(models.TextChoices):
        DONE = "done"
        FAILED = "failed"

    business_date = models.DateField(unique=True)
    status = models.CharField(max_length=8, choices=Status.choices)
    loans_accrued = models.PositiveIntegerField(default=0)
    interest_accrued = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    penalty_accrued = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    provision_change = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    timings = models.JSONField(default=dict, blank=True)  # step -> seconds
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-business_date"]

    def __str__(self) -> str:
        return f"close {self.business_date} {self.status}"


class ProvisionRate(models.Model):
    """Provision as a share of principal outstanding, per tier, from a date."""

    effective_from = models.DateField()
    classification = models.CharField(max_length=16)
    rate = models.DecimalField(max_digits=5, decimal_places=4)

    class Meta:
        ordering = ["classification", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["classification", "effective_from"],
                name="provision_rate_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.classification} {self.rate} from {self.effective_from}"
