"""Drop indexes another index already serves (its leading column) and the
LIKE index of external_ref; its unique constraint is kept (renamed).

Explicit SQL (names are the same in every schema): the tenant clone replays
collected migration SQL, and Django's own AlterField would look the old
names up in whichever schema it collects in.
"""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = [
    "DROP INDEX IF EXISTS risk_application_borrower_id_13ce08e0",
    "ALTER TABLE risk_application RENAME CONSTRAINT "
    "risk_application_external_ref_key TO risk_application_external_ref_unique",
    "DROP INDEX IF EXISTS risk_application_external_ref_6ac816e1_like",
    "DROP INDEX IF EXISTS risk_connectorresult_borrower_id_ad0ebd5d",
    "DROP INDEX IF EXISTS risk_decision_application_id_76736711",
]
BACKWARD = [
    "CREATE INDEX risk_application_borrower_id_13ce08e0 "
    "ON risk_application (borrower_id)",
    "ALTER TABLE risk_application RENAME CONSTRAINT "
    "risk_application_external_ref_unique TO risk_application_external_ref_key",
    "CREATE INDEX risk_application_external_ref_6ac816e1_like "
    "ON risk_application (external_ref varchar_pattern_ops)",
    "CREATE INDEX risk_connectorresult_borrower_id_ad0ebd5d "
    "ON risk_connectorresult (borrower_id)",
    "CREATE INDEX risk_decision_application_id_76736711 "
    "ON risk_decision (application_id)",
]


class Migration(migrations.Migration):
    dependencies = [
        ("borrowers", "0003_blind_indexes_plain"),
        ("products", "0002_productversion_edited_by"),
        ("risk", "0003_rulesetversion_edited_by"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.AlterField(
            model_name='application',
            name='borrower',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='applications', to='borrowers.borrower'),
        ),
        migrations.AlterField(
            model_name='application',
            name='external_ref',
            field=models.CharField(blank=True, max_length=80, null=True),
        ),
        migrations.AlterField(
            model_name='connectorresult',
            name='borrower',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='borrowers.borrower'),
        ),
        migrations.AlterField(
            model_name='decision',
            name='application',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='decisions', to='risk.application'),
        ),
        migrations.AddConstraint(
            model_name='application',
            constraint=models.UniqueConstraint(fields=('external_ref',), name='risk_application_external_ref_unique'),
        ),
            ],
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
        ),
    ]
