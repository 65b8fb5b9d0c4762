"""API fixtures: keys of the two session tenants and clients that send them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from apiv1.keys.services import api_key_create, key_cache_clear
from tenants.models import Tenant


class ApiClient:
    """A Django test client that sends a key and JSON, and resets the schema."""

    def __init__(self, secret: str) -> None:
        self.client = Client(HTTP_HOST="testserver")
        self.headers = {"Authorization": f"Bearer {secret}"}

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        kwargs: dict[str, Any] = {"headers": {**self.headers, **headers}}
        if body is not None:
            kwargs["data"] = (
                body if isinstance(body, (str, bytes)) else json.dumps(body)
            )
            kwargs["content_type"] = headers.pop("content_type", "application/json")
        try:
            return getattr(self.client, method.lower())(f"/api/v1{path}", **kwargs)
        finally:
            connection.set_schema_to_public()

    def get(self, path: str, **headers: str) -> Any:
        return self.call("GET", path, **headers)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.call("POST", path, body if body is not None else {}, **headers)

    def patch(self, path: str, body: Any, **headers: str) -> Any:
        return self.call("PATCH", path, body, **headers)

    def delete(self, path: str, **headers: str) -> Any:
        return self.call("DELETE", path, **headers)


@pytest.fixture(autouse=True)
def _fresh_key_cache() -> Iterator[None]:
    key_cache_clear()
    yield
    key_cache_clear()


def _client(tenant: Tenant, scopes: list[str], **kwargs: Any) -> ApiClient:
    issued = api_key_create(
        tenant=tenant, name="test", scopes=scopes, actor="test", **kwargs
    )
    client = ApiClient(issued.secret)
    client.key = issued.key
    return client


@pytest.fixture
def api_a(tenant_a) -> ApiClient:
    return _client(tenant_a, ["read", "write"])


@pytest.fixture
def api_a_pii(tenant_a) -> ApiClient:
    return _client(tenant_a, ["read", "write", "pii"])


@pytest.fixture
def api_b(tenant_b) -> ApiClient:
    return _client(tenant_b, ["read", "write"])


@pytest.fixture
def make_client():
    return _client


@pytest.fixture
def in_tenant(request):
    """Return a context manager that runs code in a tenant, then public."""

    def enter(tenant: Tenant):
        return tenant_context(tenant)

    return enter
