"""Seal personal values for storage: cipher, blind index and masked copy."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from core.pii.crypto import Keyring, KeyringConfigurationError
from core.pii.masking import mask_bank_card, mask_id_number, mask_phone, mask_uscc

# Blind-index kinds: the kind is hashed with the value (ADR 0004).
INDEX_ID_NUMBER = "id_number"
INDEX_USCC = "uscc"
INDEX_MOBILE = "mobile"
INDEX_BANK_CARD = "bank_card"

_MASKS: dict[str, Callable[[str], str]] = {
    INDEX_ID_NUMBER: mask_id_number,
    INDEX_USCC: mask_uscc,
    INDEX_MOBILE: mask_phone,
    INDEX_BANK_CARD: mask_bank_card,
}


@functools.cache
def keyring() -> Keyring:
    """Return the process's keyring, built once from settings."""
    try:
        return Keyring.from_settings(settings)
    except KeyringConfigurationError as error:
        raise ImproperlyConfigured(str(error)) from error


@receiver(setting_changed)
def _keyring_reset(setting: str, **kwargs: Any) -> None:
    if setting.startswith("PII_"):
        keyring.cache_clear()


@dataclass(frozen=True, slots=True)
class Sealed:
    """What is stored for one personal value: never the value itself."""

    cipher: str
    index: str
    masked: str


def seal(kind: str, normalised_value: str) -> Sealed:
    """Encrypt, blind-index and mask an already normalised value."""
    ring = keyring()
    return Sealed(
        cipher=ring.encrypt(normalised_value),
        index=ring.blind_index(kind, normalised_value),
        masked=_MASKS[kind](normalised_value),
    )


def blind_index(kind: str, normalised_value: str) -> str:
    return keyring().blind_index(kind, normalised_value)
