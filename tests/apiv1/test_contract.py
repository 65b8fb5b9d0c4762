"""The OpenAPI contract: the committed document is the live one and valid,
and schemathesis finds no 5xx and no non-conforming response."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apiv1.api import api
from apiv1.keys.services import api_key_create
from apiv1.management.commands.openapi_export import openapi_text
from config.wsgi import application

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"

schema = schemathesis.openapi.from_dict(json.loads(openapi_text()))


def test_the_committed_document_is_the_live_one():
    assert COMMITTED.read_text(encoding="utf-8") == openapi_text(), (
        "run: python manage.py openapi_export"
    )


def test_the_document_is_valid_openapi():
    validate(json.loads(COMMITTED.read_text(encoding="utf-8")))


def test_every_operation_has_a_summary_and_documented_errors():
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            documented = {str(status) for status in operation["responses"]}
            assert {"401", "404", "422", "429"} <= documented, (
                method,
                path,
            )


@pytest.fixture
def keep_connection():
    """Keep the test's connection open across WSGI requests, as Client does."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def secret(tenant_a, keep_connection) -> str:
    issued = api_key_create(
        tenant=tenant_a,
        name="schemathesis",
        scopes=["read", "write"],
        actor="test",
        rate_limit_per_minute=100_000,
    )
    return issued.secret


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors_and_responses_conform(case, secret):
    case.call_and_validate(
        app=application,
        headers={"Authorization": f"Bearer {secret}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
