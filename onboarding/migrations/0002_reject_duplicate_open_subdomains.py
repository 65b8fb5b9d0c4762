"""Reject later duplicates of an open application's sub-domain.

Before the constraint of 0003, two sign-ups racing for one sub-domain could
both be stored. Each such group keeps its approved or earliest application
open; the later ones are rejected with a reason the applicant sees on the
status page, so 0003 can add the constraint (in its own transaction: an
index cannot be built while trigger events are pending).
"""

from django.db import migrations
from django.db.models import Count

OPEN = ("submitted", "changes_requested", "approved")
REASON = (
    "another application took the sub-domain '{subdomain}' first; "
    "please apply again with a different sub-domain"
)


def reject_later_duplicates(apps, schema_editor):
    application_model = apps.get_model("onboarding", "LenderApplication")
    entry_model = apps.get_model("onboarding", "ApplicationReviewEntry")
    open_apps = application_model.objects.filter(status__in=OPEN)
    taken = (
        open_apps.order_by()  # the model's ordering would split the groups
        .values("subdomain")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("subdomain", flat=True)
    )
    for subdomain in list(taken):
        # An approved one holds the tenant; otherwise the earliest wins.
        same = open_apps.filter(subdomain=subdomain).order_by("created_at", "id")
        keep = same.filter(status="approved").first() or same.first()
        reason = REASON.format(subdomain=subdomain)
        for application in same.exclude(pk=keep.pk):
            application.status = "rejected"
            application.decision_reason = reason
            application.save(update_fields=["status", "decision_reason"])
            entry_model.objects.create(
                application=application,
                action="rejected",
                actor="system",
                reason=reason,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0001_initial"),
        ("tenants", "0002_platformauditentry"),
    ]

    operations = [
        migrations.RunPython(reject_later_duplicates, migrations.RunPython.noop),
    ]
