import pytest

pytestmark = pytest.mark.django_db


def test_products_are_listed_with_their_active_terms(api_a):
    response = api_a.get("/products")

    assert response.status_code == 200, response.content
    codes = [p["code"] for p in response.json()["items"]]
    assert "working-capital" in codes


def test_a_request_without_a_key_is_401_in_the_error_shape(client):
    response = client.get("/api/v1/products")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_the_openapi_document_needs_no_key(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Jinqiao API"


def test_the_docs_page_loads_its_assets_from_our_host(client):
    page = client.get("/api/v1/docs")
    asset = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")

    html = page.content.decode()
    assert page.status_code == 200
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "//unpkg" not in html
    assert asset.status_code == 200
    assert client.get("/api/v1/docs/assets/settings.py").status_code == 404


def test_a_closed_lenders_keys_are_refused(api_a, tenant_a):
    tenant_a.status = "closed"
    tenant_a.save()

    response = api_a.get("/products")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "tenant_closed"


def test_a_suspended_lender_cannot_apply(api_a, tenant_a):
    from tests.apiv1.factories import borrower_body

    tenant_a.status, tenant_a.status_reason = "suspended", "unpaid invoice"
    tenant_a.save()

    response = api_a.post(
        "/applications/instant",
        {
            "borrower": borrower_body(),
            "application": {
                "product_code": "working-capital",
                "amount": "10000.00",
                "term": 6,
            },
        },
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "tenant_suspended"


def test_an_api_call_sets_no_session_or_csrf_cookie(api_a):
    response = api_a.get("/products")

    assert response.status_code == 200
    assert not response.cookies


def test_a_key_sent_under_another_scheme_is_401_and_not_logged(
    client, settings, caplog
):
    settings.DEBUG = True  # ninja logged such a header whole in DEBUG
    secret = "jq_live_abcdef123456_NotARealSecretButShapedLikeOne"

    with caplog.at_level("DEBUG"):
        response = client.get(
            "/api/v1/products", headers={"Authorization": f"Basic {secret}"}
        )

    assert response.status_code == 401
    assert "NotARealSecret" not in caplog.text


def test_a_percent_fee_comes_back_as_a_rate_and_a_fixed_fee_as_money(api_a, tenant_a):
    from django_tenants.utils import tenant_context

    from tests.core.loans.factories import product_version_make

    fees = [
        {"kind": "percent", "amount": "0.003", "when": "per_instalment", "name": "svc"},
        {"kind": "fixed", "amount": "10", "when": "upfront", "name": "setup"},
    ]
    with tenant_context(tenant_a):
        code = product_version_make(fees=fees).product.code

    listed = api_a.get(f"/products/{code}").json()["active_version"]["fees"]

    assert listed == [
        {
            "name": "svc",
            "kind": "percent",
            "when": "per_instalment",
            "amount": None,
            "rate": "0.003000",
        },
        {
            "name": "setup",
            "kind": "fixed",
            "when": "upfront",
            "amount": "10.00",
            "rate": None,
        },
    ]
