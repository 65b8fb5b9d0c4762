"""Webhook deliveries queue apart from the work lenders wait for."""

from __future__ import annotations

from config.celery import app


def _queue(task: str) -> str:
    return app.amqp.router.route({}, task)["queue"].name


def test_deliveries_and_decisions_take_different_queues():
    assert _queue("apiv1.tasks.webhook_deliver") == "webhooks"
    assert _queue("apiv1.tasks.outbox_dispatch") == "webhooks"
    assert _queue("apiv1.tasks.application_batch_decide") == "celery"
    assert _queue("tenants.tasks.tenant_provision") == "celery"


def test_a_worker_consumes_both_queues_by_default():
    assert {q.name for q in app.conf.task_queues} == {"celery", "webhooks"}
