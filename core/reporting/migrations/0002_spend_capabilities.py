"""Give existing lenders' roles the two spend capabilities.

New lenders get them from frontend.permissions.roles_sync at provisioning;
a lender provisioned before this change has its role groups already, and
without this its staff could not open the operating-spend screen until
someone ran ``manage.py roles_sync``. The table is frozen here, as a
migration must be; roles_sync stays the source of truth.
"""

from django.db import migrations

SPEND_CAPABILITIES = {
    "view_spend": ("admin", "finance", "read_only"),
    "record_spend": ("admin", "finance"),
}


def capabilities_grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not Group.objects.exists():
        return  # a spare or template schema: roles_sync runs at provisioning
    content_type, _ = ContentType.objects.get_or_create(app_label="auth", model="group")
    for capability, roles in SPEND_CAPABILITIES.items():
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type,
            codename=f"console_{capability}",
            defaults={"name": f"Console: {capability.replace('_', ' ')}"},
        )
        for group in Group.objects.filter(name__in=roles):
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(capabilities_grant, migrations.RunPython.noop),
    ]
