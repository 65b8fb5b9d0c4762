"""One tenant's data, cache entries and tasks never reach another tenant."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django_tenants.utils import tenant_context

from config.celery import app as celery_app
from config.tasks import schema_echo
from core.audit.models import AuditEntry
from core.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_rows_written_in_one_tenant_are_invisible_in_another(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        audit_record(actor="a-admin", action="test.secret", object_id="42")
        assert AuditEntry.objects.filter(action="test.secret").count() == 1

    with tenant_context(tenant_b):
        assert AuditEntry.objects.filter(action="test.secret").count() == 0


def test_tenant_tables_do_not_exist_in_the_public_schema(tenant_a):
    with tenant_context(tenant_a):
        audit_record(actor="a-admin", action="test.secret")

    connection.set_schema_to_public()
    with pytest.raises(ProgrammingError), transaction.atomic():
        AuditEntry.objects.count()


def test_cache_keys_are_prefixed_with_the_tenant(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        cache.set("risk:ruleset", "alpha-rules")
    with tenant_context(tenant_b):
        assert cache.get("risk:ruleset") is None
        cache.set("risk:ruleset", "beta-rules")
    with tenant_context(tenant_a):
        assert cache.get("risk:ruleset") == "alpha-rules"


def test_a_task_queued_in_a_tenant_carries_and_runs_in_its_schema(
    tenant_a, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        celery_app.amqp,
        "send_task_message",
        # What the broker carries: the message headers plus the extra ones.
        lambda producer, name, message, **kwargs: sent.append(
            {**message.headers, **(kwargs.get("headers") or {})}
        ),
    )
    with tenant_context(tenant_a):
        schema_echo.delay()
    assert sent[0]["_schema_name"] == "t_alpha"

    # The worker side: a worker starts in public and runs the message.
    connection.set_schema_to_public()
    result = schema_echo.apply(headers=sent[0])
    assert result.get() == "t_alpha"
    assert connection.schema_name == "public"  # restored after the task
