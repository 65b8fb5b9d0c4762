from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from core.audit.models import AuditEntry
from core.borrowers import services
from core.borrowers.models import Borrower, Consent
from core.borrowers.selectors import borrower_find_by
from core.borrowers.services import borrower_register, borrower_reveal, borrower_update
from core.errors import InvalidInput
from tests.core.borrowers.factories import (
    BANK_CARD,
    ID_NUMBER,
    MOBILE,
    OTHER_ID_NUMBER,
    USCC,
    registration,
)

pytestmark = pytest.mark.django_db


def _raw_row(borrower_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM borrowers_borrower WHERE id = %s", [borrower_id])
        return " ".join(str(value) for value in cursor.fetchone())


def test_registration_stores_no_plain_id_mobile_or_card(in_tenant_a):
    borrower = borrower_register(**registration()).borrower

    raw = _raw_row(borrower.pk)

    for plain in (ID_NUMBER, MOBILE, BANK_CARD, "19491231002"):
        assert plain not in raw
    assert borrower.id_number_cipher.startswith("gAAAA")  # a Fernet token


def test_screens_get_masked_values(in_tenant_a):
    borrower = borrower_register(**registration()).borrower

    assert borrower.id_number_masked == "110105********002X"
    assert borrower.mobile_masked == "138****5678"
    assert borrower.bank_card_masked == "622202*********0128"


def test_birth_date_is_derived_from_the_id_number(in_tenant_a):
    borrower = borrower_register(**registration()).borrower

    assert borrower.birth_date == date(1949, 12, 31)


def test_business_registers_with_its_uscc(in_tenant_a):
    borrower = borrower_register(
        **registration(kind="business", name="某某农机合作社", id_number=USCC)
    ).borrower

    assert borrower.id_number_masked == "911100********341L"
    assert borrower.birth_date is None


def test_consents_are_recorded_with_purpose_version_and_channel(in_tenant_a):
    borrower = borrower_register(**registration()).borrower

    consent = Consent.objects.get(borrower=borrower)
    assert consent.purpose == "personal_information"
    assert consent.text_version == "2026.1"
    assert consent.channel == "app"
    assert consent.withdrawn_at is None


def test_same_id_number_is_recognised_as_a_repeat_applicant(in_tenant_a):
    first = borrower_register(**registration())

    again = borrower_register(
        **registration(id_number=" 110105 1949 1231 002x ", mobile="13900001111")
    )

    assert first.repeat_applicant is False
    assert again.repeat_applicant is True
    assert again.borrower.pk == first.borrower.pk
    assert Borrower.objects.count() == 1
    assert Consent.objects.filter(borrower=first.borrower).count() == 2
    assert AuditEntry.objects.filter(action="borrower.repeat_applicant").exists()


def test_lost_registration_race_returns_the_existing_borrower(in_tenant_a, monkeypatch):
    first = borrower_register(**registration()).borrower
    # As if the other request committed between our check and our insert.
    monkeypatch.setattr(services, "_borrower_by_index", lambda index: None)

    again = borrower_register(**registration())

    assert again.repeat_applicant is True
    assert again.borrower.pk == first.pk
    assert Borrower.objects.count() == 1


def test_borrower_is_found_through_the_blind_index(in_tenant_a):
    borrower = borrower_register(**registration()).borrower
    other = borrower_register(
        **registration(id_number=OTHER_ID_NUMBER, bank_card=None)
    ).borrower

    assert borrower_find_by(id_number="11010519491231002x") == [borrower]
    assert borrower_find_by(mobile="+86 138-1234-5678") == [borrower, other]
    assert borrower_find_by(bank_card=BANK_CARD) == [borrower]
    assert borrower_find_by(id_number=USCC) == []


def test_borrower_made_in_one_tenant_is_invisible_in_another(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        borrower_register(**registration())

    with tenant_context(tenant_b):
        assert borrower_find_by(id_number=ID_NUMBER) == []
        registered = borrower_register(**registration())

    assert registered.repeat_applicant is False


def test_reveal_decrypts_and_audits_the_field_not_the_value(in_tenant_a):
    borrower = borrower_register(**registration()).borrower

    plain = borrower_reveal(borrower_id=borrower.pk, field="mobile", actor="risk-wu")

    assert plain == MOBILE
    entry = AuditEntry.objects.get(action="borrower.revealed")
    assert entry.data == {"field": "mobile"}
    assert MOBILE not in str(entry.data)


def test_update_reseals_a_new_mobile(in_tenant_a):
    borrower = borrower_register(**registration()).borrower

    updated = borrower_update(
        borrower_id=borrower.pk,
        actor="officer-li",
        changes={"mobile": "13900001111", "monthly_income": Decimal("9000.00")},
    )

    assert updated.mobile_masked == "139****1111"
    assert borrower_find_by(mobile="13900001111") == [updated]
    assert borrower_find_by(mobile=MOBILE) == []


def test_update_cannot_change_the_id_number(in_tenant_a):
    borrower = borrower_register(**registration()).borrower

    with pytest.raises(InvalidInput) as refused:
        borrower_update(
            borrower_id=borrower.pk,
            actor="officer-li",
            changes={"id_number": OTHER_ID_NUMBER},
        )

    assert "id_number" in refused.value.fields


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "company"}, "kind"),
        ({"name": "  "}, "name"),
        ({"id_number": "110105194912310021"}, "id_number"),
        ({"id_number": "11010519491331002X"}, "id_number"),
        ({"kind": "business", "id_number": "91110000600037341A"}, "id_number"),
        ({"mobile": "010-12345678"}, "mobile"),
        ({"mobile": "1231234567"}, "mobile"),
        ({"bank_card": "6222021234567890127"}, "bank_card"),
        ({"monthly_income": Decimal("-1.00")}, "monthly_income"),
        ({"monthly_income": 8000.5}, "monthly_income"),
        ({"employment_years": -2}, "employment_years"),
        ({"consents": []}, "consents"),
        (
            {"consents": [{"purpose": "credit_report", "channel": "app"}]},
            "consents[0].text_version",
        ),
    ],
)
def test_invalid_registration_value_is_refused_naming_the_field(
    in_tenant_a, overrides, field
):
    with pytest.raises(InvalidInput) as refused:
        borrower_register(**registration(**overrides))

    assert field in refused.value.fields
    assert Borrower.objects.count() == 0
    assert Consent.objects.count() == 0


def test_someone_else_using_a_registered_id_number_is_refused(in_tenant_a):
    first = borrower_register(**registration()).borrower

    with pytest.raises(InvalidInput) as refused:
        borrower_register(**registration(name="李雷", mobile="13011112222"))

    assert "does not match" in refused.value.fields["name"]
    assert Borrower.objects.count() == 1
    assert Consent.objects.filter(borrower=first).count() == 1
