"""The migration that makes room for one open application per sub-domain."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from onboarding.models import OPEN_SUBDOMAIN_CONSTRAINT, LenderApplication
from tests.onboarding.conftest import application_fields

pytestmark = pytest.mark.django_db

duplicates_migration = importlib.import_module(
    "onboarding.migrations.0002_reject_duplicate_open_subdomains"
)


def _application(status: str) -> LenderApplication:
    fields = application_fields(subdomain="twice", mobile="13800138000")
    return LenderApplication.objects.create(status=status, **fields)


def test_earlier_duplicates_keep_the_approved_or_first_application_open():
    # The data as it could be before the constraint (rolled back after).
    with connection.cursor() as cursor:
        cursor.execute(f'DROP INDEX "{OPEN_SUBDOMAIN_CONSTRAINT}"')
    first = _application("submitted")
    approved = _application("approved")
    later = _application("changes_requested")
    other = LenderApplication.objects.create(
        **application_fields(subdomain="once", mobile="13800138000")
    )

    duplicates_migration.reject_later_duplicates(apps, None)

    statuses = {
        a.pk: a.status
        for a in LenderApplication.objects.filter(
            pk__in=[first.pk, approved.pk, later.pk, other.pk]
        )
    }
    assert statuses == {
        first.pk: "rejected",
        approved.pk: "approved",
        later.pk: "rejected",
        other.pk: "submitted",
    }
    entry = LenderApplication.objects.get(pk=later.pk).review_log.get()
    assert (entry.action, entry.actor) == ("rejected", "system")
    assert "'twice'" in entry.reason
