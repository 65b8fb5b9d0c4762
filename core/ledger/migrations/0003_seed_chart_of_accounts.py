"""Seed the chart of accounts in every tenant schema."""

from django.db import migrations

CHART = [
    ("1001", "Cash at bank", "asset"),
    ("1101", "Loan principal receivable", "asset"),
    ("1102", "Interest receivable", "asset"),
    ("1103", "Fee receivable", "asset"),
    ("1104", "Penalty interest receivable", "asset"),
    ("1190", "Loan-loss provision", "contra_asset"),
    ("2101", "Borrower credit balances", "liability"),
    ("4001", "Interest income", "income"),
    ("4002", "Fee income", "income"),
    ("4003", "Penalty interest income", "income"),
    ("4004", "Recoveries of written-off loans", "income"),
    ("5001", "Write-off expense", "expense"),
    ("5002", "Loan-loss provision expense", "expense"),
]


def seed(apps, schema_editor):
    account_model = apps.get_model("ledger", "Account")
    for code, name, kind in CHART:
        account_model.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind}
        )


def unseed(apps, schema_editor):
    apps.get_model("ledger", "Account").objects.filter(
        code__in=[code for code, _, _ in CHART]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_balance_trigger")]

    operations = [migrations.RunPython(seed, unseed)]
