"""Hosts reach the right schema; unready tenants get a clear refusal."""

from __future__ import annotations

import pytest

from tenants import services
from tenants.models import TenantStatus
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db


def test_lender_admin_signs_in_on_the_lenders_host(client, tenant_a):
    response = client.post(
        "/accounts/login/",
        {"username": "alpha@alpha.test", "password": ADMIN_PASSWORD},
        HTTP_HOST="alpha.localhost",
    )
    assert response.status_code == 302

    home = client.get("/", HTTP_HOST="alpha.localhost", follow=True)
    assert home.redirect_chain[-1][0] == "/console/"
    assert home.status_code == 200
    assert "Alpha 小额贷款有限公司" in home.content.decode()


def test_another_lenders_admin_cannot_sign_in(client, tenant_a, tenant_b):
    response = client.post(
        "/accounts/login/",
        {"username": "beta@beta.test", "password": ADMIN_PASSWORD},
        HTTP_HOST="alpha.localhost",
    )
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/", HTTP_HOST="alpha.localhost").status_code == 302


def test_unknown_subdomain_is_a_404_not_a_traceback(client):
    response = client.get("/", HTTP_HOST="nobody.localhost")
    assert response.status_code == 404
    assert "unknown_lender" in response.content.decode()


def test_tenant_still_provisioning_gets_a_page_and_a_json_503(client, db):
    services.tenant_create(slug="gamma", legal_name="Gamma 小贷")

    page = client.get("/", HTTP_HOST="gamma.localhost")
    api = client.get("/api/v1/products", HTTP_HOST="gamma.localhost")

    assert page.status_code == 503
    assert "<html" in page.content.decode()
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "tenant_provisioning"
    assert api["Retry-After"] == "30"


def test_refusals_are_not_logged_as_server_errors(client, db, caplog):
    services.tenant_create(slug="iota", legal_name="Iota 小贷")

    with caplog.at_level("INFO"):
        client.get("/", HTTP_HOST="iota.localhost")

    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert any("tenant_provisioning" in r.getMessage() for r in caplog.records)


def test_closed_tenant_is_refused(client, tenant_a):
    tenant_a.status = TenantStatus.CLOSED
    tenant_a.save()
    assert client.get("/", HTTP_HOST="alpha.localhost").status_code == 503


@pytest.mark.parametrize("host", ["localhost", "alpha.localhost", "nobody.localhost"])
def test_health_endpoints_answer_on_every_host(client, host):
    assert client.get("/healthz", HTTP_HOST=host).json() == {"status": "ok"}
    ready = client.get("/readyz", HTTP_HOST=host)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_request_id_is_echoed(client, tenant_a):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-ID"] == "abc123"


def test_platform_console_lists_lenders_for_platform_staff_only(
    client, django_user_model, tenant_a
):
    assert client.get("/", HTTP_HOST="localhost").status_code == 302
    staff = django_user_model.objects.create_user(
        "ops@jinqiao.test", password="x", is_staff=True
    )
    client.force_login(staff)
    response = client.get("/", HTTP_HOST="localhost")
    assert response.status_code == 200
    assert "alpha" in response.content.decode()
