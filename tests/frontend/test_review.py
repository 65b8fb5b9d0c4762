"""The review screens: claiming, deciding, and the second reviewer."""

from __future__ import annotations

import pytest

from core.risk.models import Application, ApplicationStatus
from tests.core.risk.factories import activate, connectors_off, submit, tiny_ruleset
from tests.frontend.conftest import in_english

pytestmark = pytest.mark.django_db


@pytest.fixture
def rejected_by_rules(in_tenant_a) -> Application:
    """An application the rules reject (R001) sent to review (no income)."""
    connectors_off()
    activate(tiny_ruleset())
    application = submit(sourced={"bureau_score": 500})
    assert application.status == ApplicationStatus.IN_REVIEW
    return application


def _decide(client, pk: int, **data):
    return client.post(f"/console/review/{pk}/", data)


def test_second_reviewer_confirms_an_approval_over_a_reject_in_the_console(
    client_as, rejected_by_rules
):
    pk = rejected_by_rules.pk
    first, second = client_as("reviewer"), client_as("reviewer")
    first.post(f"/console/review/{pk}/claim/")
    response = _decide(
        first, pk, outcome="approve", note="known customer", approved_amount="5000"
    )
    assert response.status_code == 302

    page = second.get(f"/console/review/{pk}/").content.decode()
    assert 'id="awaits-confirmation"' in page and 'id="confirm"' in page
    assert 'id="confirm"' not in first.get(f"/console/review/{pk}/").content.decode()
    queue = in_english(second).get("/console/review/").content.decode()
    assert "Awaits a second reviewer" in queue
    second.post(f"/console/review/{pk}/claim/")
    response = second.post(
        f"/console/review/{pk}/", {"confirm": "1", "outcome": "approve", "note": "ok"}
    )

    assert response.status_code == 302
    rejected_by_rules.refresh_from_db()
    assert rejected_by_rules.status == ApplicationStatus.APPROVED
    assert rejected_by_rules.confirmed_by.startswith("reviewer")
    assert rejected_by_rules.confirmed_by != rejected_by_rules.reviewed_by


def test_second_reviewer_declines_an_override_in_the_console(
    client_as, rejected_by_rules
):
    pk = rejected_by_rules.pk
    first, second = client_as("reviewer"), client_as("reviewer")
    first.post(f"/console/review/{pk}/claim/")
    _decide(first, pk, outcome="approve", note="known customer")

    second.post(
        f"/console/review/{pk}/", {"confirm": "1", "outcome": "reject", "note": "no"}
    )

    rejected_by_rules.refresh_from_db()
    assert rejected_by_rules.status == ApplicationStatus.REJECTED


def test_first_reviewer_cannot_confirm_their_own_override_and_is_told(
    client_as, rejected_by_rules
):
    pk = rejected_by_rules.pk
    first = client_as("reviewer")
    first.post(f"/console/review/{pk}/claim/")
    _decide(first, pk, outcome="approve", note="known customer")

    response = first.post(
        f"/console/review/{pk}/", {"confirm": "1", "outcome": "approve", "note": "x"}
    )

    assert "a second reviewer must confirm" in response.content.decode()
    rejected_by_rules.refresh_from_db()
    assert rejected_by_rules.status == ApplicationStatus.IN_REVIEW


def test_deciding_an_application_another_reviewer_claimed_shows_why(
    client_as, rejected_by_rules
):
    pk = rejected_by_rules.pk
    first, second = client_as("reviewer"), client_as("reviewer")
    first.post(f"/console/review/{pk}/claim/")

    response = _decide(second, pk, outcome="reject", note="no")

    assert response.status_code == 200
    assert "claim the application before deciding it" in response.content.decode()


def test_deciding_an_already_decided_application_shows_why(
    client_as, rejected_by_rules
):
    pk = rejected_by_rules.pk
    first = client_as("reviewer")
    first.post(f"/console/review/{pk}/claim/")
    _decide(first, pk, outcome="reject", note="no")

    response = _decide(first, pk, outcome="reject", note="again")

    assert response.status_code == 200
    assert "not in review" in response.content.decode()
