"""Staff of lender alpha, one per role, and a test client on alpha's host."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from frontend.permissions import ROLE_LABELS, roles_sync
from tests.cache import cache_clear_own

PASSWORD = "Console-test-pass-42"
HOST = "alpha.localhost"
_serial = itertools.count(1)


@pytest.fixture
def staff(in_tenant_a):
    """Return a function making a signed-in-able user holding ``role``."""
    roles_sync()
    cache_clear_own()

    def make(role: str):
        assert role in ROLE_LABELS
        user = get_user_model().objects.create_user(
            username=f"{role}{next(_serial)}@alpha.test", password=PASSWORD
        )
        user.groups.set([Group.objects.get(name=role)])
        return user

    return make


@pytest.fixture
def client_as(staff):
    def make(role: str) -> Client:
        client = Client(HTTP_HOST=HOST)
        client.force_login(staff(role))
        return client

    return make


def in_english(client: Client) -> Client:
    """Switch ``client``'s console to English (it speaks Chinese by default)."""
    client.post("/i18n/setlang/", {"language": "en", "next": "/console/"})
    return client
