"""Public sign-up: what is accepted, and what is refused with which field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection

from onboarding.documents import MAX_DOCUMENT_BYTES
from onboarding.models import ApplicationStatus, LenderApplication
from tests.onboarding.conftest import PDF, application_post, upload

pytestmark = pytest.mark.django_db

API = "/signup/api/"


def post_api(client, **overrides):
    return client.post(API, application_post(**overrides), HTTP_HOST="localhost")


def refused_fields(response) -> dict[str, str]:
    body = json.loads(response.content)
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]["fields"]


def test_a_complete_application_is_stored_with_its_documents(client, media_root):
    response = post_api(client)

    assert response.status_code == 201
    application = LenderApplication.objects.get()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.mobile == "13800138000"
    assert application.mobile_masked == "138****8000"
    assert application.email == "ops@example.cn"
    assert str(application.registered_capital) == "300000000.00"
    documents = {d.kind: d for d in application.documents.all()}
    assert set(documents) == {"licence", "business_registration"}
    stored = Path(media_root) / documents["licence"].path
    assert stored.read_bytes() == PDF
    assert stored.parent == Path(media_root) / "onboarding" / str(application.public_id)
    assert documents["business_registration"].content_type == "image/png"
    assert application.review_log.get().action == "submitted"


def test_the_contacts_mobile_is_stored_sealed(client):
    post_api(client)
    application = LenderApplication.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a::text FROM onboarding_lenderapplication a WHERE id = %s",
            [application.pk],
        )
        row = cursor.fetchone()[0]

    assert "13800138000" not in row
    assert application.mobile_cipher.startswith("gAAAA")  # a Fernet token


def test_stored_documents_are_not_reachable_by_url(client):
    post_api(client)
    document = LenderApplication.objects.get().documents.first()

    response = client.get(f"/media/{document.path}", HTTP_HOST="localhost")

    assert response.status_code == 404


def test_a_bad_uscc_is_refused_naming_the_field(client):
    response = post_api(client, uscc="91440300MA5F00001B")

    assert response.status_code == 422
    assert "check character" in refused_fields(response)["uscc"]
    assert not LenderApplication.objects.exists()


def test_every_refused_field_is_named_at_once(client):
    response = post_api(client, mobile="12345", email="nope", registered_capital="-1")

    assert set(refused_fields(response)) == {"mobile", "email", "registered_capital"}


def test_a_taken_subdomain_is_refused(client):
    response = post_api(client, subdomain="alpha")

    assert refused_fields(response) == {"subdomain": "'alpha' is already taken"}


def test_a_reserved_subdomain_is_refused(client):
    response = post_api(client, subdomain="www")

    assert refused_fields(response) == {"subdomain": "'www' is reserved"}


def test_a_subdomain_held_by_a_pending_application_is_refused(client):
    post_api(client)

    response = post_api(client)

    assert refused_fields(response)["subdomain"] == "'gamma' is already taken"


def test_an_executable_renamed_pdf_is_refused(client):
    exe = upload("licence.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100)

    response = post_api(client, licence=exe)

    assert refused_fields(response) == {
        "licence": "must be a PDF, PNG or JPEG file (its content is not one of these)"
    }


def test_an_oversized_upload_is_refused(client):
    big = upload("registration.pdf", PDF + b"0" * MAX_DOCUMENT_BYTES)

    response = post_api(client, business_registration=big)

    assert refused_fields(response) == {"business_registration": "must be at most 5 MB"}


def test_a_missing_document_is_refused(client):
    data = application_post()
    del data["licence"]

    response = client.post(API, data, HTTP_HOST="localhost")

    assert "licence" in refused_fields(response)


def test_the_signup_page_shows_each_refusal_next_to_its_field(client):
    response = client.post(
        "/signup/", application_post(uscc="123", subdomain="www"), HTTP_HOST="localhost"
    )

    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["uscc"] == ["must be 18 characters, not 3"]
    assert form.errors["subdomain"] == ["'www' is reserved"]


def test_the_signup_page_sends_the_applicant_to_a_private_status_page(client):
    response = client.post("/signup/", application_post(), HTTP_HOST="localhost")

    application = LenderApplication.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/signup/status/{application.status_token}/"
    assert len(application.status_token) >= 40
    page = client.get(response["Location"], HTTP_HOST="localhost")
    assert page.status_code == 200
    assert "gamma" in page.content.decode()


def test_a_wrong_status_token_finds_nothing(client):
    post_api(client)

    response = client.get("/signup/status/not-the-token/", HTTP_HOST="localhost")

    assert response.status_code == 404
