"""Celery beat tasks for billing; each is safe to run twice."""

from __future__ import annotations

from django.utils import timezone

from billing.dunning import dunning_run
from billing.usage import usage_meter_all
from config.celery import app


@app.task
def dunning_daily() -> dict[str, str]:
    """Run the day's dunning for every subscription."""
    return dunning_run(today=timezone.localdate())


@app.task
def usage_meter() -> int:
    """Record each tenant's active-loan count into this month's peak."""
    return usage_meter_all(today=timezone.localdate())
