"""Effective-dated policy the platform team maintains (public schema)."""

from __future__ import annotations

from django.db import models


class LprRate(models.Model):
    """The one-year loan prime rate in force from ``effective_from``."""

    effective_from = models.DateField(unique=True)
    one_year_rate = models.DecimalField(max_digits=6, decimal_places=4)

    class Meta:
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"LPR {self.one_year_rate}% from {self.effective_from}"


class PricingCeiling(models.Model):
    """The annualised-rate ceiling in force from ``effective_from``.

    ``hard_ceiling`` refuses a quote; ``lpr_multiple`` x the LPR in force on
    the contract date is the warning level.
    """

    effective_from = models.DateField(unique=True)
    hard_ceiling = models.DecimalField(max_digits=7, decimal_places=6)
    lpr_multiple = models.DecimalField(max_digits=4, decimal_places=2)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"ceiling {self.hard_ceiling} from {self.effective_from}"
