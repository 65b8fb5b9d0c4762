from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="productversion",
            name="edited_by",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
