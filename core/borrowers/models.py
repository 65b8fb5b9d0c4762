"""Borrowers and their consents (tenant schema).

ID numbers (or USCCs), mobiles and bank cards are stored only as Fernet
tokens (``*_cipher``), a keyed hash to find them again (``*_index``) and a
masked copy for screens and logs (``*_masked``). See ADR 0004.
"""

from __future__ import annotations

from datetime import date

from django.db import models


class BorrowerKind(models.TextChoices):
    INDIVIDUAL = "individual"
    BUSINESS = "business"


class Borrower(models.Model):
    kind = models.CharField(max_length=12, choices=BorrowerKind.choices)
    name = models.CharField(max_length=200)
    # Resident ID number for an individual, USCC for a business.
    id_number_cipher = models.TextField()
    # The keyed hashes are found by equality only: plain btree indexes, not
    # the extra pattern (LIKE) index Django adds for db_index/unique text.
    id_number_index = models.CharField(max_length=64)
    id_number_masked = models.CharField(max_length=32)
    mobile_cipher = models.TextField()
    mobile_index = models.CharField(max_length=64)
    mobile_masked = models.CharField(max_length=16)
    bank_card_cipher = models.TextField(blank=True)
    bank_card_index = models.CharField(max_length=64, blank=True)
    bank_card_masked = models.CharField(max_length=32, blank=True)
    province = models.CharField(max_length=40, blank=True)
    city = models.CharField(max_length=60, blank=True)
    address = models.CharField(max_length=300, blank=True)
    monthly_income = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    employer = models.CharField(max_length=200, blank=True)
    employment_years = models.PositiveSmallIntegerField(null=True, blank=True)
    # The birth date from the ID number, sealed: in clear it would rebuild
    # the number with the masked copy (first 6 + last 4). Read it through
    # ``birth_date`` or ``age_on``.
    birth_date_cipher = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["mobile_index"], name="borrower_mobile_index"),
            # Most borrowers give no card: those ('') are left out of the
            # index (nothing to find, nothing to maintain); queries for a card
            # say ``<> ''`` where the planner cannot see the value.
            models.Index(
                fields=["bank_card_index"],
                name="borrower_card_index",
                condition=~models.Q(bank_card_index=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(monthly_income__gte=0)
                | models.Q(monthly_income__isnull=True),
                name="borrower_income_not_negative",
            ),
            models.UniqueConstraint(
                fields=["id_number_index"], name="borrower_id_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"borrower {self.pk} {self.id_number_masked}"

    @property
    def birth_date(self) -> date | None:
        """Return the decrypted birth date (None for a business).

        Decrypted once per instance and cipher: a decision reads it for the
        age several times, and a borrower just registered need not open
        what it sealed a moment ago.
        """
        from core.borrowers.fields import keyring

        cipher = self.birth_date_cipher
        if not cipher:
            return None
        known = self.__dict__.get("_birth_date_opened")
        if known is not None and known[0] == cipher:
            return known[1]
        value = date.fromisoformat(keyring().decrypt(cipher))
        self.__dict__["_birth_date_opened"] = (cipher, value)
        return value

    @birth_date.setter
    def birth_date(self, value: date | None) -> None:
        from core.borrowers.fields import keyring

        self.birth_date_cipher = keyring().encrypt(value.isoformat()) if value else ""
        if value:
            self.__dict__["_birth_date_opened"] = (self.birth_date_cipher, value)

    def age_on(self, on: date) -> int | None:
        """Return the borrower's age in whole years on ``on``, if known."""
        birth = self.birth_date
        if birth is None:
            return None
        had_birthday = (on.month, on.day) >= (birth.month, birth.day)
        return on.year - birth.year - (0 if had_birthday else 1)


class Consent(models.Model):
    """A recorded consent: what for, which wording, when and how given."""

    borrower = models.ForeignKey(
        Borrower, on_delete=models.PROTECT, related_name="consents"
    )
    purpose = models.CharField(max_length=60)  # e.g. 'credit_report'
    text_version = models.CharField(max_length=40)
    granted_at = models.DateTimeField()
    channel = models.CharField(max_length=30)  # e.g. 'app', 'branch'
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["borrower", "purpose", "-granted_at"]

    def __str__(self) -> str:
        return f"consent {self.purpose} v{self.text_version}"
