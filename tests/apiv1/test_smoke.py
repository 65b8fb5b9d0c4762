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
