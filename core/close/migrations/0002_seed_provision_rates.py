"""Seed the default provision table (DOMAIN.md; the lender can add dated rows)."""

from datetime import date
from decimal import Decimal

from django.db import migrations

RATES = {
    "normal": "0.0100",  # general provision
    "special_mention": "0.0200",
    "substandard": "0.2500",
    "doubtful": "0.5000",
    "loss": "1.0000",
}


def seed(apps, schema_editor):
    rate_model = apps.get_model("close", "ProvisionRate")
    for classification, rate in RATES.items():
        rate_model.objects.get_or_create(
            classification=classification,
            effective_from=date(2000, 1, 1),
            defaults={"rate": Decimal(rate)},
        )


class Migration(migrations.Migration):
    dependencies = [("close", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
