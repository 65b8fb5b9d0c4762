"""One open application per sub-domain, enforced by the database."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0002_reject_duplicate_open_subdomains"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="lenderapplication",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("status__in", ("submitted", "changes_requested", "approved"))
                ),
                fields=("subdomain",),
                name="onboarding_open_application_subdomain_uniq",
            ),
        ),
    ]
