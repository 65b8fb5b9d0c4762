"""Index only the borrowers that gave a bank card.

Explicit SQL (the tenant clone replays collected migration SQL; names are
the same in every schema).
"""

from django.db import migrations, models

FORWARD = [
    "DROP INDEX IF EXISTS borrower_card_index",
    "CREATE INDEX borrower_card_index ON borrowers_borrower (bank_card_index) "
    "WHERE NOT (bank_card_index = '')",
]
BACKWARD = [
    "DROP INDEX IF EXISTS borrower_card_index",
    "CREATE INDEX borrower_card_index ON borrowers_borrower (bank_card_index)",
]


class Migration(migrations.Migration):
    dependencies = [
        ("borrowers", "0003_blind_indexes_plain"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(
                    model_name="borrower", name="borrower_card_index"
                ),
                migrations.AddIndex(
                    model_name="borrower",
                    index=models.Index(
                        condition=models.Q(("bank_card_index", ""), _negated=True),
                        fields=["bank_card_index"],
                        name="borrower_card_index",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(sql=FORWARD, reverse_sql=BACKWARD),
            ],
        ),
    ]
