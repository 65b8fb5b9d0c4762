import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from core.borrowers.models import Borrower
from core.borrowers.selectors import borrower_find_by
from core.borrowers.services import borrower_register, borrower_reveal
from core.pii.crypto import DecryptionFailed, generate_key
from tests.core.borrowers.factories import ID_NUMBER, MOBILE, registration

pytestmark = pytest.mark.django_db


def test_pii_rotate_reencrypts_with_the_newest_key(in_tenant_a, settings):
    borrower = borrower_register(**registration()).borrower
    old_keys = list(settings.PII_ENCRYPTION_KEYS)
    new_key = generate_key()

    with override_settings(PII_ENCRYPTION_KEYS=[new_key, *old_keys]):
        call_command("pii_rotate", schema=connection.schema_name, batch_size=1)

    borrower.refresh_from_db()
    with override_settings(PII_ENCRYPTION_KEYS=[new_key]):
        assert borrower_reveal(borrower_id=borrower.pk, field="mobile", actor="a") == (
            MOBILE
        )
        assert borrower_find_by(id_number=ID_NUMBER) == [borrower]
    with pytest.raises(DecryptionFailed):
        borrower_reveal(borrower_id=borrower.pk, field="id_number", actor="a")


def test_pii_rotate_keeps_every_borrower_readable(in_tenant_a, settings):
    for id_number in ("11010519491231002X", "440306199001010014"):
        borrower_register(**registration(id_number=id_number, bank_card=None))
    new_key = generate_key()

    with override_settings(
        PII_ENCRYPTION_KEYS=[new_key, *settings.PII_ENCRYPTION_KEYS]
    ):
        call_command("pii_rotate", schema=connection.schema_name)

    with override_settings(PII_ENCRYPTION_KEYS=[new_key]):
        for borrower in Borrower.objects.all():
            revealed = borrower_reveal(
                borrower_id=borrower.pk, field="id_number", actor="a"
            )
            assert revealed in ("11010519491231002X", "440306199001010014")
            assert borrower.bank_card_cipher == ""
