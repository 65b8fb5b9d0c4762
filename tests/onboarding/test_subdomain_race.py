"""Sign-ups and approvals racing for one sub-domain: one wins, none 500s."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from django.db import transaction

from core.errors import Conflict, InvalidInput
from onboarding import services, validation
from onboarding.models import ApplicationStatus, LenderApplication
from tenants.models import Tenant, TenantKind, TenantStatus
from tests.onboarding.conftest import PNG, application_fields, application_post, upload

HOST = {"HTTP_HOST": "localhost"}
RACERS = 6


def _check_only_the_form(value, *, exclude_application_id=None):
    """subdomain_check as both racers see it: nobody has inserted yet."""
    return validation.slug_validate(str(value))


@pytest.mark.django_db
def test_the_loser_of_a_signup_race_gets_the_taken_field_error(client, monkeypatch):
    monkeypatch.setattr(validation, "subdomain_check", _check_only_the_form)
    first = client.post("/signup/api/", application_post(), **HOST)

    second = client.post("/signup/api/", application_post(), **HOST)

    assert first.status_code == 201
    assert second.status_code == 422
    body = json.loads(second.content)
    assert body["error"]["fields"] == {"subdomain": "'gamma' is already taken"}
    assert LenderApplication.objects.count() == 1


@pytest.fixture
def committed_signups(django_db_blocker) -> Iterator[None]:
    """Threads need committed rows: remove the race's applications after."""
    with django_db_blocker.unblock():
        yield
        LenderApplication.objects.filter(subdomain="racer").delete()


def test_simultaneous_signups_store_one_open_application(committed_signups):
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = [""] * RACERS

    def sign_up(index: int) -> None:
        from django.db import connection as thread_connection

        uploads = {
            "licence": upload("licence.pdf"),
            "business_registration": upload("registration.png", PNG),
        }
        try:
            barrier.wait()
            services.application_submit(
                raw=application_fields(subdomain="racer"), uploads=uploads
            )
            outcomes[index] = "stored"
        except InvalidInput as error:
            outcomes[index] = error.fields.get("subdomain", "other")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes.count("stored") == 1
    assert set(outcomes) == {"stored", "'racer' is already taken"}
    assert LenderApplication.objects.filter(subdomain="racer").count() == 1


@pytest.fixture
def application(client) -> LenderApplication:
    client.post("/signup/api/", application_post(), **HOST)
    return LenderApplication.objects.get()


@pytest.fixture
def reviewer(django_user_model):
    return django_user_model.objects.create_user(
        username="racer@jinqiao.test", is_staff=True
    )


def _rival_tenant() -> Tenant:
    """The row a concurrent approval of 'gamma' writes."""
    return Tenant(
        kind=TenantKind.LENDER,
        slug="gamma-rival",
        schema_name="t_gamma",
        status=TenantStatus.PROVISIONING,
    )


def _in_own_connection(work) -> threading.Thread:
    def run() -> None:
        from django.db import connection as thread_connection

        try:
            work()
        finally:
            thread_connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def rival_commits_while_we_insert() -> Iterator[None]:
    """Another transaction inserts t_gamma and commits once ours waits on it."""
    inserted, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():
            Tenant.objects.bulk_create([_rival_tenant()])
            inserted.set()
            release.wait(10)

    rival = _in_own_connection(hold)
    assert inserted.wait(10)
    timer = threading.Timer(1.0, release.set)
    timer.start()
    yield
    timer.join()
    rival.join(10)
    cleanup = _in_own_connection(
        lambda: Tenant.objects.filter(slug="gamma-rival").delete()
    )
    cleanup.join(10)


@pytest.mark.django_db
def test_approval_racing_another_for_the_schema_is_refused_not_a_500(
    application, reviewer, rival_commits_while_we_insert
):
    with pytest.raises(Conflict) as refused:
        services.application_approve(application_id=application.pk, user=reviewer)

    assert "'gamma' is taken" in refused.value.message
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


@pytest.mark.django_db
def test_approval_refuses_a_schema_name_taken_by_another_row(application, reviewer):
    Tenant.objects.bulk_create([_rival_tenant()])

    with pytest.raises(Conflict):
        services.application_approve(application_id=application.pk, user=reviewer)

    assert LenderApplication.objects.get(pk=application.pk).status == "submitted"


@pytest.mark.django_db
def test_the_console_shows_a_refused_approval_as_a_message(
    client, application, reviewer
):
    Tenant.objects.bulk_create([_rival_tenant()])
    client.force_login(reviewer)
    url = f"/platform/applications/{application.public_id}/"

    response = client.post(url + "approve/", follow=True, **HOST)

    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["the sub-domain 'gamma' is taken"]
