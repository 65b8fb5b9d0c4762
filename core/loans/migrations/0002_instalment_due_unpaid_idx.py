"""Index unpaid instalments by due date: the close finds overdue ones by range."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("loans", "0001_initial")]

    operations = [
        migrations.AddIndex(
            model_name="instalment",
            index=models.Index(
                fields=["due_date"],
                name="instalment_due_unpaid_idx",
                condition=models.Q(paid_off_on__isnull=True),
            ),
        )
    ]
