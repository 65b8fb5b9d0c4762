"""Behaviour of the keyring: encryption, rotation and blind indexes."""

from __future__ import annotations

import base64
import types

import pytest

from core.pii.crypto import (
    DecryptionFailed,
    Keyring,
    KeyringConfigurationError,
    generate_key,
)

ID_NUMBER = "11010519491231002X"


@pytest.fixture
def old_key() -> str:
    return generate_key()


@pytest.fixture
def new_key() -> str:
    return generate_key()


@pytest.fixture
def index_key() -> str:
    return generate_key()


def test_encrypted_value_decrypts_to_the_original(old_key, index_key) -> None:
    keyring = Keyring([old_key], index_key)

    token = keyring.encrypt(ID_NUMBER)

    assert ID_NUMBER not in token
    assert keyring.decrypt(token) == ID_NUMBER


def test_encrypting_twice_gives_different_tokens(old_key, index_key) -> None:
    keyring = Keyring([old_key], index_key)

    assert keyring.encrypt(ID_NUMBER) != keyring.encrypt(ID_NUMBER)


def test_token_from_old_key_still_decrypts_after_rotation(
    old_key, new_key, index_key
) -> None:
    token = Keyring([old_key], index_key).encrypt("张三")

    rotated_keyring = Keyring([new_key, old_key], index_key)

    assert rotated_keyring.decrypt(token) == "张三"


def test_rotate_re_encrypts_with_the_newest_key(old_key, new_key, index_key) -> None:
    token = Keyring([old_key], index_key).encrypt(ID_NUMBER)

    rotated = Keyring([new_key, old_key], index_key).rotate(token)

    assert Keyring([new_key], index_key).decrypt(rotated) == ID_NUMBER
    with pytest.raises(DecryptionFailed):
        Keyring([old_key], index_key).decrypt(rotated)


def test_token_from_a_dropped_key_fails_clearly(old_key, new_key, index_key) -> None:
    token = Keyring([old_key], index_key).encrypt(ID_NUMBER)

    with pytest.raises(DecryptionFailed, match="any configured key"):
        Keyring([new_key], index_key).decrypt(token)


def test_tampered_token_fails_clearly(old_key, index_key) -> None:
    keyring = Keyring([old_key], index_key)
    token = keyring.encrypt(ID_NUMBER)
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]

    with pytest.raises(DecryptionFailed):
        keyring.decrypt(tampered)


def test_blind_index_is_stable_for_the_same_value(old_key, new_key, index_key) -> None:
    first = Keyring([old_key], index_key).blind_index("id_number", ID_NUMBER)
    second = Keyring([new_key], index_key).blind_index("id_number", ID_NUMBER)

    assert first == second
    assert len(first) == 64
    assert ID_NUMBER not in first


def test_blind_index_depends_on_the_key(old_key, index_key) -> None:
    other_index_key = generate_key()

    ours = Keyring([old_key], index_key).blind_index("mobile", "13812345678")
    theirs = Keyring([old_key], other_index_key).blind_index("mobile", "13812345678")

    assert ours != theirs


def test_blind_index_differs_by_kind(old_key, index_key) -> None:
    keyring = Keyring([old_key], index_key)

    assert keyring.blind_index("mobile", "13812345678") != keyring.blind_index(
        "bank_card", "13812345678"
    )


def test_blind_index_refuses_a_malformed_kind(old_key, index_key) -> None:
    with pytest.raises(ValueError, match="kind"):
        Keyring([old_key], index_key).blind_index("Mobile:", "13812345678")


def test_keyring_is_built_from_a_settings_object(old_key, new_key, index_key) -> None:
    settings = types.SimpleNamespace(
        PII_ENCRYPTION_KEYS=[new_key, old_key], PII_BLIND_INDEX_KEY=index_key
    )

    keyring = Keyring.from_settings(settings)

    assert keyring.decrypt(keyring.encrypt("x")) == "x"


def test_missing_setting_is_named(index_key) -> None:
    settings = types.SimpleNamespace(PII_BLIND_INDEX_KEY=index_key)

    with pytest.raises(KeyringConfigurationError) as caught:
        Keyring.from_settings(settings)

    assert caught.value.setting == "PII_ENCRYPTION_KEYS"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "bad_key",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"too short").decode(),
        "",
    ],
)
def test_malformed_encryption_key_is_refused_naming_the_setting(
    bad_key, index_key
) -> None:
    with pytest.raises(KeyringConfigurationError, match=r"^PII_ENCRYPTION_KEYS: "):
        Keyring([bad_key], index_key)


def test_a_single_key_string_instead_of_a_list_is_refused(old_key, index_key) -> None:
    with pytest.raises(KeyringConfigurationError, match="non-empty list"):
        Keyring(old_key, index_key)  # type: ignore[arg-type]


def test_malformed_blind_index_key_is_refused_naming_the_setting(old_key) -> None:
    with pytest.raises(KeyringConfigurationError, match=r"^PII_BLIND_INDEX_KEY: "):
        Keyring([old_key], "short")


def test_blind_index_key_must_differ_from_encryption_keys(old_key) -> None:
    with pytest.raises(KeyringConfigurationError, match="must differ"):
        Keyring([old_key], old_key)


def test_repr_reveals_no_key(old_key, index_key) -> None:
    keyring = Keyring([old_key], index_key)

    assert old_key not in repr(keyring)
    assert index_key not in repr(keyring)
