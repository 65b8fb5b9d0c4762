"""Default plans and add-ons: platform data, editable after deploy."""

from decimal import Decimal

from django.db import migrations

PLANS = [
    ("starter", "Starter 入门版", Decimal("60000.00"), 2000, 5),
    ("standard", "Standard 标准版", Decimal("120000.00"), 10000, 20),
    ("enterprise", "Enterprise 企业版", Decimal("300000.00"), 100000, 100),
]
ADDONS = [
    ("seats-10", "10 extra staff seats", Decimal("10000.00"), 0, 10),
    ("loans-5000", "5,000 extra active loans", Decimal("30000.00"), 5000, 0),
]


def seed(apps, schema_editor):
    if getattr(schema_editor.connection, "schema_name", "public") != "public":
        return
    Plan = apps.get_model("billing", "Plan")
    AddOn = apps.get_model("billing", "AddOn")
    for code, name, fee, loans, seats in PLANS:
        Plan.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "annual_fee": fee,
                "max_active_loans": loans,
                "max_staff_seats": seats,
            },
        )
    for code, name, fee, loans, seats in ADDONS:
        AddOn.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "annual_fee": fee,
                "extra_active_loans": loans,
                "extra_staff_seats": seats,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
