"""Funding accounts: paid-in capital (equity) and borrowings from banks.

A small-loan company lends its own capital and bank money, never public
deposits; cash comes in through these accounts.
"""

from django.db import migrations, models

FUNDING = [
    ("2201", "Borrowings from banks", "liability"),
    ("3001", "Paid-in capital", "equity"),
]


def seed(apps, schema_editor):
    account_model = apps.get_model("ledger", "Account")
    for code, name, kind in FUNDING:
        account_model.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind}
        )


def unseed(apps, schema_editor):
    apps.get_model("ledger", "Account").objects.filter(
        code__in=[code for code, _, _ in FUNDING]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_seed_chart_of_accounts")]

    operations = [
        migrations.AlterField(
            model_name="account",
            name="kind",
            field=models.CharField(
                choices=[
                    ("asset", "Asset"),
                    ("contra_asset", "Contra asset"),
                    ("liability", "Liability"),
                    ("equity", "Equity"),
                    ("income", "Income"),
                    ("expense", "Expense"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(seed, unseed),
    ]
