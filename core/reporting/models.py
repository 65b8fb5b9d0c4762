"""Monthly operating spend entered by the lender (tenant schema)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

# NUMERIC(14,2): up to CNY 999,999,999,999.99 a month.
MONEY_DIGITS = 14
CHANNEL_LENGTH = 50


class OperatingSpend(models.Model):
    """Staff cost and acquisition spend of one month, for one channel.

    ``month`` is the first day of the month. A blank ``channel`` is spend
    not attributed to an acquisition channel; the P&L and CAC add every
    channel of the month together.
    """

    month = models.DateField()
    channel = models.CharField(max_length=CHANNEL_LENGTH, blank=True, default="")
    staff_cost = models.DecimalField(
        max_digits=MONEY_DIGITS, decimal_places=2, default=0
    )
    acquisition_spend = models.DecimalField(
        max_digits=MONEY_DIGITS, decimal_places=2, default=0
    )
    note = models.CharField(max_length=300, blank=True)
    entered_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "channel"], name="operating_spend_month_channel"
            ),
            models.CheckConstraint(
                name="operating_spend_month_first_day", condition=Q(month__day=1)
            ),
            models.CheckConstraint(
                name="operating_spend_not_negative",
                condition=Q(staff_cost__gte=0, acquisition_spend__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return f"spend {self.month:%Y-%m} {self.channel or 'all channels'}"
