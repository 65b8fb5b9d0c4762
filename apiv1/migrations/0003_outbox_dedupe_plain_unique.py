"""dedupe_key: keep its unique constraint (renamed), drop the LIKE index.

Explicit SQL (names are the same in every schema): the tenant clone replays
collected migration SQL, and Django's own AlterField would look the old
names up in whichever schema it collects in.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("apiv1", "0002_api_usage_day"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="outboxevent",
                    name="dedupe_key",
                    field=models.CharField(max_length=200),
                ),
                migrations.AddConstraint(
                    model_name="outboxevent",
                    constraint=models.UniqueConstraint(
                        fields=("dedupe_key",), name="outbox_dedupe_unique"
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=[
                        "ALTER TABLE apiv1_outboxevent RENAME CONSTRAINT "
                        "apiv1_outboxevent_dedupe_key_key TO outbox_dedupe_unique",
                        "DROP INDEX IF EXISTS apiv1_outboxevent_dedupe_key_d8387a2e_like",
                    ],
                    reverse_sql=[
                        "ALTER TABLE apiv1_outboxevent RENAME CONSTRAINT "
                        "outbox_dedupe_unique TO apiv1_outboxevent_dedupe_key_key",
                        "CREATE INDEX apiv1_outboxevent_dedupe_key_d8387a2e_like "
                        "ON apiv1_outboxevent (dedupe_key varchar_pattern_ops)",
                    ],
                ),
            ],
        ),
    ]
