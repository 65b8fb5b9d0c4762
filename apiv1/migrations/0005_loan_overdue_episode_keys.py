"""Re-key the open overdue episodes' loan.overdue events by Loan.overdue_since.

The close keyed an episode by ``day - dpd`` (the missed due date minus one,
so ``overdue_since - 2`` as loans.0005 fills it); events are now keyed by
the loan's stored ``overdue_since``. Without this a
loan overdue at the upgrade would get a second loan.overdue event.
"""

from django.db import migrations

REKEY = """
UPDATE apiv1_outboxevent e
SET dedupe_key = 'loan.overdue:' || l.id || ':' || l.overdue_since::text
FROM loans_loan l
WHERE l.status = 'overdue' AND l.overdue_since IS NOT NULL
  AND e.dedupe_key = 'loan.overdue:' || l.id || ':' || (l.overdue_since - 2)::text
  AND NOT EXISTS (
      SELECT 1 FROM apiv1_outboxevent n
      WHERE n.dedupe_key = 'loan.overdue:' || l.id || ':' || l.overdue_since::text
  )
"""


class Migration(migrations.Migration):
    dependencies = [
        ("apiv1", "0004_batch_items_sealed"),
        ("loans", "0005_loan_overdue_since"),
    ]

    operations = [migrations.RunSQL(sql=REKEY, reverse_sql=migrations.RunSQL.noop)]
