"""Seal a batch's items: they carry borrowers' ID numbers, phone numbers and
names in clear. A waiting batch keeps them as one token sealed with the PII
keyring; a decided one keeps none (its borrowers hold their own sealed
copies)."""

import json

from django.db import migrations, models


def items_seal(apps, schema_editor):
    from core.borrowers.fields import keyring

    ApplicationBatch = apps.get_model("apiv1", "ApplicationBatch")
    waiting = ApplicationBatch.objects.filter(status="pending")
    if not waiting.exists():
        return  # a new schema, or nothing waiting: no key needed
    ring = keyring()
    for batch in waiting.iterator():
        batch.items_sealed = ring.encrypt(json.dumps(batch.items, ensure_ascii=False))
        batch.save(update_fields=["items_sealed"])


def items_unseal(apps, schema_editor):
    from core.borrowers.fields import keyring

    ApplicationBatch = apps.get_model("apiv1", "ApplicationBatch")
    waiting = ApplicationBatch.objects.exclude(items_sealed="")
    if not waiting.exists():
        return
    ring = keyring()
    for batch in waiting.iterator():
        batch.items = json.loads(ring.decrypt(batch.items_sealed))
        batch.save(update_fields=["items"])


class Migration(migrations.Migration):
    dependencies = [
        ("apiv1", "0003_outbox_dedupe_plain_unique"),
    ]

    operations = [
        migrations.AddField(
            model_name="applicationbatch",
            name="items_sealed",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(items_seal, items_unseal),
        migrations.RemoveField(
            model_name="applicationbatch",
            name="items",
        ),
    ]
