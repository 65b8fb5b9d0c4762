"""Seed the one-year LPR history and the default pricing ceiling.

Source: ../shared/DOMAIN.md (dated policy; the platform team updates it as
data). The last LPR date is marked "verify" there.
"""

from datetime import date
from decimal import Decimal

from django.db import migrations

LPR_HISTORY = [
    ("2019-08-20", "4.25"),
    ("2019-09-20", "4.20"),
    ("2019-11-20", "4.15"),
    ("2020-02-20", "4.05"),
    ("2020-04-20", "3.85"),
    ("2021-12-20", "3.80"),
    ("2022-01-20", "3.70"),
    ("2022-08-22", "3.65"),
    ("2023-06-20", "3.55"),
    ("2023-08-21", "3.45"),
    ("2024-07-22", "3.35"),
    ("2024-10-21", "3.10"),
    ("2025-05-20", "3.00"),
]


def seed(apps, schema_editor):
    lpr = apps.get_model("policy", "LprRate")
    ceiling = apps.get_model("policy", "PricingCeiling")
    for effective, rate in LPR_HISTORY:
        lpr.objects.get_or_create(
            effective_from=date.fromisoformat(effective),
            defaults={"one_year_rate": Decimal(rate)},
        )
    ceiling.objects.get_or_create(
        effective_from=date(2019, 8, 20),
        defaults={
            "hard_ceiling": Decimal("0.24"),
            "lpr_multiple": Decimal("4"),
            "note": "Default: refuse above 24% APR, warn above 4 x one-year LPR.",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
