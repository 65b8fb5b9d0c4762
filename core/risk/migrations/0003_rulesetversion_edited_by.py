from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0002_decision_feature_sources"),
    ]

    operations = [
        migrations.AddField(
            model_name="rulesetversion",
            name="edited_by",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
