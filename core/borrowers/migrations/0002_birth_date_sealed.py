"""Seal the birth date: in clear it rebuilds the ID number with its mask."""

from django.db import migrations, models


def birth_dates_seal(apps, schema_editor):
    from core.borrowers.fields import keyring

    Borrower = apps.get_model("borrowers", "Borrower")
    rows = Borrower.objects.filter(birth_date__isnull=False).only("birth_date")
    if not rows.exists():
        return  # a new schema: no key needed
    ring = keyring()
    for borrower in rows.iterator():
        borrower.birth_date_cipher = ring.encrypt(borrower.birth_date.isoformat())
        borrower.save(update_fields=["birth_date_cipher"])


def birth_dates_unseal(apps, schema_editor):
    import datetime

    from core.borrowers.fields import keyring

    Borrower = apps.get_model("borrowers", "Borrower")
    rows = Borrower.objects.exclude(birth_date_cipher="")
    if not rows.exists():
        return
    ring = keyring()
    for borrower in rows.iterator():
        plain = ring.decrypt(borrower.birth_date_cipher)
        borrower.birth_date = datetime.date.fromisoformat(plain)
        borrower.save(update_fields=["birth_date"])


class Migration(migrations.Migration):
    dependencies = [
        ("borrowers", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="borrower",
            name="birth_date_cipher",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(birth_dates_seal, birth_dates_unseal),
        migrations.RemoveField(
            model_name="borrower",
            name="birth_date",
        ),
    ]
