"""Loan.overdue_since: the business date the current overdue episode began.

Loans overdue now take the day after their oldest unpaid due date (the
first day the close finds them late; the start of an episode a partial
payment shortened was not kept, so it is approximate for those). Explicit
SQL: the tenant clone replays collected migration SQL.
"""

from django.db import migrations, models

BACKFILL = """
UPDATE loans_loan l SET overdue_since = (
    SELECT min(i.due_date) + 1 FROM loans_instalment i
    WHERE i.loan_id = l.id AND i.paid_off_on IS NULL
)
WHERE l.status = 'overdue' AND l.dpd > 0
"""


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0004_db_defaults_and_fee_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="loan",
                    name="overdue_since",
                    field=models.DateField(blank=True, null=True),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql="ALTER TABLE loans_loan ADD COLUMN overdue_since date NULL",
                    reverse_sql="ALTER TABLE loans_loan DROP COLUMN overdue_since",
                ),
            ],
        ),
        migrations.RunSQL(sql=BACKFILL, reverse_sql=migrations.RunSQL.noop),
    ]
