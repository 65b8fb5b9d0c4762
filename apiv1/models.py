"""Tenant-schema models of the API: webhooks, outbox, idempotency, batches."""

from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    """One Idempotency-Key seen on a POST, with the response it produced.

    Inserted (committed) before the work starts, so a concurrent duplicate
    meets the unique key and is answered 409 instead of doing the work.
    """

    class Status(models.TextChoices):
        IN_FLIGHT = "in_flight"
        DONE = "done"

    key = models.CharField(max_length=200, unique=True)
    fingerprint = models.CharField(max_length=64)
    key_prefix = models.CharField(max_length=16)
    status = models.CharField(max_length=10, choices=Status.choices)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"idempotency {self.key} {self.status}"


class WebhookEndpoint(models.Model):
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=80)
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"endpoint {self.pk} {self.url}"


class OutboxEvent(models.Model):
    """An event written in the same transaction as the change it reports."""

    type = models.CharField(max_length=60)
    payload = models.JSONField()
    dedupe_key = models.CharField(max_length=200)  # unique: no LIKE index needed
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["dispatched_at", "id"])]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="outbox_dedupe_unique")
        ]

    def __str__(self) -> str:
        return f"event {self.pk} {self.type}"


class WebhookDelivery(models.Model):
    """One attempt to deliver an event to an endpoint (the delivery log)."""

    event = models.ForeignKey(
        OutboxEvent, on_delete=models.CASCADE, related_name="deliveries"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The regular chain numbers its attempts 1, 2, ...; a manual replay
    # (replay=True) numbers replays of the event to the endpoint on their
    # own and schedules nothing after it.
    attempt = models.PositiveSmallIntegerField()
    replay = models.BooleanField(default=False, db_default=False)
    status_code = models.PositiveSmallIntegerField(null=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    succeeded = models.BooleanField(default=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["event", "endpoint"])]

    def __str__(self) -> str:
        kind = "replay" if self.replay else "attempt"
        return f"delivery {self.event_id}->{self.endpoint_id} {kind} #{self.attempt}"


class ApplicationBatch(models.Model):
    """Up to 500 applications decided by a Celery task.

    The items carry borrowers' personal data in clear, so they are kept as
    one token sealed with the PII keyring (``items_sealed``) while the batch
    waits, and emptied once it is decided: the borrowers it registered hold
    their own sealed copies, and the results only ids and outcomes.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        DONE = "done"

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    items_sealed = models.TextField(blank=True)
    results = models.JSONField(default=list)
    total = models.PositiveIntegerField()
    decided = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"batch {self.pk} {self.decided}/{self.total}"


class ApiUsageDay(models.Model):
    """Requests the lender's keys made on one day, and how many failed.

    Counted by ``apiv1.metering`` after each authenticated API call; the
    platform console reads the month's totals, never the requests.
    """

    day = models.DateField(unique=True)
    requests = models.PositiveIntegerField(default=0)
    client_errors = models.PositiveIntegerField(default=0)  # 4xx
    server_errors = models.PositiveIntegerField(default=0)  # 5xx

    def __str__(self) -> str:
        return f"api usage {self.day}: {self.requests}"
