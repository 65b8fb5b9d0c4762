"""Encrypt personal data at rest and find it again through a blind index.

Plain Python: imports no Django. The Django layer builds one
:class:`Keyring` from settings at start-up, for example::

    keyring = Keyring.from_settings(settings)

``PII_ENCRYPTION_KEYS`` lists Fernet keys, newest first: values are
encrypted with the newest and decrypted with any, so a key is rotated by
putting a new one in front, re-encrypting stored tokens with
:meth:`Keyring.rotate`, then dropping the old key. ``PII_BLIND_INDEX_KEY`` is
a separate key for the keyed hash used to look values up.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

ENCRYPTION_KEYS_SETTING = "PII_ENCRYPTION_KEYS"
BLIND_INDEX_KEY_SETTING = "PII_BLIND_INDEX_KEY"

_KIND = re.compile(r"[a-z][a-z0-9_]*")


class KeyringConfigurationError(ValueError):
    """A key setting is missing or malformed; the message names the setting.

    The Django layer re-raises it as ``ImproperlyConfigured``.
    """

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting


class DecryptionFailed(Exception):
    """A token was altered, or was encrypted with a key no longer configured."""


def generate_key() -> str:
    """Return a new random key, usable for encryption or the blind index."""
    return Fernet.generate_key().decode("ascii")


def _decode_key(key: object, setting: str) -> bytes:
    """Return the 32 raw bytes of a url-safe base64 key, or raise."""
    if isinstance(key, str):
        key = key.encode("ascii", errors="replace")
    if not isinstance(key, bytes) or not key.strip():
        raise KeyringConfigurationError(setting, "a key is empty or not text")
    try:
        raw = base64.b64decode(key.strip(), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise KeyringConfigurationError(
            setting, "a key is not url-safe base64; make one with generate_key()"
        ) from None
    if len(raw) != 32:
        raise KeyringConfigurationError(
            setting,
            f"a key decodes to {len(raw)} bytes, not 32; make one with generate_key()",
        )
    return raw


class Keyring:
    """Encryption keys (newest first) and the blind-index key, checked once."""

    def __init__(
        self, encryption_keys: Sequence[str | bytes], blind_index_key: str | bytes
    ) -> None:
        if isinstance(encryption_keys, (str, bytes)) or not encryption_keys:
            raise KeyringConfigurationError(
                ENCRYPTION_KEYS_SETTING, "must be a non-empty list of keys"
            )
        raw_keys = [_decode_key(k, ENCRYPTION_KEYS_SETTING) for k in encryption_keys]
        if len(set(raw_keys)) != len(raw_keys):
            raise KeyringConfigurationError(
                ENCRYPTION_KEYS_SETTING, "lists the same key twice"
            )
        index_key = _decode_key(blind_index_key, BLIND_INDEX_KEY_SETTING)
        if index_key in raw_keys:
            raise KeyringConfigurationError(
                BLIND_INDEX_KEY_SETTING, "must differ from every encryption key"
            )

        self._fernet = MultiFernet(
            [Fernet(base64.urlsafe_b64encode(raw)) for raw in raw_keys]
        )
        self._index_key = index_key

    @classmethod
    def from_settings(cls, settings: object) -> Keyring:
        """Build a keyring from an object with the two PII_* attributes."""
        for name in (ENCRYPTION_KEYS_SETTING, BLIND_INDEX_KEY_SETTING):
            if not getattr(settings, name, None):
                raise KeyringConfigurationError(name, "is not set")
        return cls(
            getattr(settings, ENCRYPTION_KEYS_SETTING),
            getattr(settings, BLIND_INDEX_KEY_SETTING),
        )

    def __repr__(self) -> str:
        return "<Keyring>"

    def encrypt(self, plaintext: str) -> str:
        """Return a token for ``plaintext``, encrypted with the newest key."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Return the plaintext of a token made with any configured key.

        Raises DecryptionFailed if no configured key opens it.
        """
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise DecryptionFailed(
                "token cannot be decrypted with any configured key"
            ) from None

    def rotate(self, token: str) -> str:
        """Return ``token`` re-encrypted with the newest key.

        Raises DecryptionFailed if no configured key opens it.
        """
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise DecryptionFailed(
                "token cannot be decrypted with any configured key"
            ) from None

    def blind_index(self, kind: str, normalised_value: str) -> str:
        """Return the HMAC-SHA256 hex digest of ``kind`` and the value.

        ``kind`` (e.g. ``"id_number"``, ``"mobile"``) is part of the message,
        so equal digit strings of different kinds never share an index. Pass
        the normalised value, or equal values will not match.
        """
        if not _KIND.fullmatch(kind):
            raise ValueError("kind must be lower-case letters, digits and _")
        message = f"{kind}\x1f{normalised_value}".encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()
