from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="decision",
            name="feature_sources",
            field=models.JSONField(default=dict),
        ),
    ]
