"""A lender provisioned before the spend screen gets its capabilities on
migrate, without running roles_sync."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission

from frontend.permissions import roles_sync

pytestmark = pytest.mark.django_db

grant = importlib.import_module(
    "core.reporting.migrations.0002_spend_capabilities"
).capabilities_grant


def test_existing_roles_get_the_spend_capabilities(in_tenant_a):
    roles_sync()
    Permission.objects.filter(codename__contains="_spend").delete()

    grant(apps, None)

    def held(role: str) -> set[str]:
        return set(
            Group.objects.get(name=role).permissions.values_list("codename", flat=True)
        )

    assert {"console_view_spend", "console_record_spend"} <= held("finance")
    assert "console_view_spend" in held("read_only")
    assert "console_record_spend" not in held("read_only")
    assert not {"console_view_spend", "console_record_spend"} & held("collector")
    roles_sync()
    assert Permission.objects.filter(codename="console_record_spend").count() == 1
