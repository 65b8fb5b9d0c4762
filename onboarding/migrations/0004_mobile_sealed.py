"""Seal the contact's mobile: a phone number is personal data, kept in
clear until now (and shown whole on the platform's application page)."""

from django.db import migrations, models


def mobiles_seal(apps, schema_editor):
    from core.borrowers.fields import keyring
    from core.pii.masking import mask_phone

    LenderApplication = apps.get_model("onboarding", "LenderApplication")
    rows = LenderApplication.objects.exclude(mobile="")
    if not rows.exists():
        return  # nothing to seal: no key needed
    ring = keyring()
    for application in rows.iterator():
        application.mobile_cipher = ring.encrypt(application.mobile)
        application.mobile_masked = mask_phone(application.mobile)
        application.save(update_fields=["mobile_cipher", "mobile_masked"])


def mobiles_unseal(apps, schema_editor):
    from core.borrowers.fields import keyring

    LenderApplication = apps.get_model("onboarding", "LenderApplication")
    rows = LenderApplication.objects.exclude(mobile_cipher="")
    if not rows.exists():
        return
    ring = keyring()
    for application in rows.iterator():
        application.mobile = ring.decrypt(application.mobile_cipher)
        application.save(update_fields=["mobile"])


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0003_open_application_subdomain_unique"),
    ]

    operations = [
        migrations.AddField(
            model_name="lenderapplication",
            name="mobile_cipher",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="lenderapplication",
            name="mobile_masked",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.RunPython(mobiles_seal, mobiles_unseal),
        migrations.RemoveField(
            model_name="lenderapplication",
            name="mobile",
        ),
    ]
