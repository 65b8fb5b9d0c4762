"""The blind indexes are found by equality only: keep their btree indexes
(renamed), drop the LIKE (pattern) indexes Django added.

Explicit SQL (names are the same in every schema): the tenant clone replays
collected migration SQL, and Django's own AlterField would look the old
names up in whichever schema it collects in.
"""

from django.db import migrations, models

FORWARD = [
    "ALTER TABLE borrowers_borrower RENAME CONSTRAINT "
    "borrowers_borrower_id_number_index_key TO borrower_id_number_unique",
    "DROP INDEX IF EXISTS borrowers_borrower_id_number_index_f7d5fc27_like",
    "ALTER INDEX borrowers_borrower_mobile_index_3549d6bd RENAME TO borrower_mobile_index",
    "DROP INDEX IF EXISTS borrowers_borrower_mobile_index_3549d6bd_like",
    "ALTER INDEX borrowers_borrower_bank_card_index_0aa14ece "
    "RENAME TO borrower_card_index",
    "DROP INDEX IF EXISTS borrowers_borrower_bank_card_index_0aa14ece_like",
]
BACKWARD = [
    "ALTER TABLE borrowers_borrower RENAME CONSTRAINT "
    "borrower_id_number_unique TO borrowers_borrower_id_number_index_key",
    "CREATE INDEX borrowers_borrower_id_number_index_f7d5fc27_like "
    "ON borrowers_borrower (id_number_index varchar_pattern_ops)",
    "ALTER INDEX borrower_mobile_index RENAME TO borrowers_borrower_mobile_index_3549d6bd",
    "CREATE INDEX borrowers_borrower_mobile_index_3549d6bd_like "
    "ON borrowers_borrower (mobile_index varchar_pattern_ops)",
    "ALTER INDEX borrower_card_index "
    "RENAME TO borrowers_borrower_bank_card_index_0aa14ece",
    "CREATE INDEX borrowers_borrower_bank_card_index_0aa14ece_like "
    "ON borrowers_borrower (bank_card_index varchar_pattern_ops)",
]


class Migration(migrations.Migration):
    dependencies = [
        ("borrowers", "0002_birth_date_sealed"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="borrower",
                    name="bank_card_index",
                    field=models.CharField(blank=True, max_length=64),
                ),
                migrations.AlterField(
                    model_name="borrower",
                    name="id_number_index",
                    field=models.CharField(max_length=64),
                ),
                migrations.AlterField(
                    model_name="borrower",
                    name="mobile_index",
                    field=models.CharField(max_length=64),
                ),
                migrations.AddIndex(
                    model_name="borrower",
                    index=models.Index(
                        fields=["mobile_index"], name="borrower_mobile_index"
                    ),
                ),
                migrations.AddIndex(
                    model_name="borrower",
                    index=models.Index(
                        fields=["bank_card_index"], name="borrower_card_index"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="borrower",
                    constraint=models.UniqueConstraint(
                        fields=("id_number_index",), name="borrower_id_number_unique"
                    ),
                ),
            ],
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
        ),
    ]
