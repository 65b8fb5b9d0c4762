"""WebhookDelivery.replay: a manual replay is logged as one, not as the next
attempt of the retry chain."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("apiv1", "0005_loan_overdue_episode_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookdelivery",
            name="replay",
            field=models.BooleanField(db_default=False, default=False),
        ),
    ]
