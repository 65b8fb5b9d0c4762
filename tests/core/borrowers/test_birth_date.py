"""The birth date is sealed: the stored row and the mask cannot rebuild the ID."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from core.borrowers.models import Borrower
from core.borrowers.services import borrower_pii_rotate, borrower_register
from tests.core.borrowers.factories import ID_NUMBER, registration

pytestmark = pytest.mark.django_db


def _raw_values(borrower_id: int) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM borrowers_borrower WHERE id = %s", [borrower_id])
        return [str(value) for value in cursor.fetchone()]


def test_no_stored_column_with_the_mask_rebuilds_the_id_number(in_tenant_a):
    borrower = borrower_register(**registration()).borrower
    masked = borrower.id_number_masked  # 110105********002X

    values = _raw_values(borrower.pk)

    birth = ID_NUMBER[6:14]  # 19491231: the eight digits the mask hides
    for value in values:
        digits = "".join(c for c in value if c.isdigit())
        assert birth not in digits
        assert masked.replace("********", birth) not in value
    assert not any(value == "1949" for value in values)


def test_birth_date_and_age_are_read_through_the_key(in_tenant_a):
    borrower = borrower_register(**registration()).borrower

    stored = Borrower.objects.get(pk=borrower.pk)

    assert stored.birth_date_cipher.startswith("gAAAA")
    assert stored.birth_date == date(1949, 12, 31)
    assert stored.age_on(date(2026, 12, 30)) == 76
    assert stored.age_on(date(2026, 12, 31)) == 77


def test_rotation_re_encrypts_the_birth_date(in_tenant_a):
    borrower = borrower_register(**registration()).borrower
    before = Borrower.objects.get(pk=borrower.pk).birth_date_cipher

    borrower_pii_rotate()

    after = Borrower.objects.get(pk=borrower.pk)
    assert after.birth_date_cipher != before
    assert after.birth_date == date(1949, 12, 31)
