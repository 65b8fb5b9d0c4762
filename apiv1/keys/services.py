"""Create, rotate, revoke and check API keys.

A key reads ``jq_live_<prefix>_<secret>``. The prefix is stored in clear to
find the key (and its tenant) in one indexed query; the secret is stored
only as an HMAC-SHA256 under ``SECRET_KEY``. Checked keys are cached per
process for a few seconds, so a request costs no key or domain query.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apiv1.keys.models import ApiKey, Scope
from core.errors import DomainError, InvalidInput, NotFound
from tenants.models import Tenant, TenantKind

logger = logging.getLogger(__name__)

KEY_PREFIX = "jq_live_"
CACHE_SECONDS = 5.0
LAST_USED_EVERY = timedelta(minutes=1)

_keys: dict[str, tuple[float, ApiKey | None]] = {}


class KeyInvalid(DomainError):
    code = "unauthenticated"
    status = 401


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: ApiKey
    secret: str  # the full key; shown once, never stored


def key_cache_clear() -> None:
    _keys.clear()


def _secret_hash(secret: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), secret.encode(), hashlib.sha256
    ).hexdigest()


def _scopes_clean(scopes: Iterable[str]) -> list[str]:
    cleaned = sorted({s.strip() for s in scopes if s and s.strip()})
    unknown = [s for s in cleaned if s not in Scope.values]
    if not cleaned or unknown:
        raise InvalidInput.for_field("scopes", f"choose from {', '.join(Scope.values)}")
    return cleaned


def _issue(
    tenant: Tenant, name: str, scopes: list[str], actor: str, rate_limit: int
) -> IssuedKey:
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        tenant=tenant,
        prefix=prefix,
        secret_hash=_secret_hash(secret),
        name=name,
        scopes=scopes,
        created_by=actor,
        rate_limit_per_minute=rate_limit,
    )
    return IssuedKey(key=key, secret=f"{KEY_PREFIX}{prefix}_{secret}")


def api_key_create(
    *,
    tenant: Tenant,
    name: str,
    scopes: Iterable[str],
    actor: str,
    rate_limit_per_minute: int = 600,
) -> IssuedKey:
    """Issue a key for a lender; the returned secret is shown once.

    Raises InvalidInput naming ``name``, ``scopes`` or ``tenant``.
    """
    if tenant.kind != TenantKind.LENDER:
        raise InvalidInput.for_field("tenant", "only a lender can hold API keys")
    if not name or not name.strip() or len(name.strip()) > 100:
        raise InvalidInput.for_field("name", "1 to 100 characters")
    if rate_limit_per_minute < 1:
        raise InvalidInput.for_field("rate_limit_per_minute", "must be at least 1")
    issued = _issue(
        tenant, name.strip(), _scopes_clean(scopes), actor, rate_limit_per_minute
    )
    logger.info(
        "api key created",
        extra={"tenant": tenant.schema_name, "key_prefix": issued.key.prefix},
    )
    return issued


def api_key_rotate(*, key_id: int, actor: str) -> IssuedKey:
    """Issue a replacement with the same name and scopes; revoke the old key.

    Raises NotFound for an unknown or already revoked key.
    """
    with transaction.atomic():
        old = ApiKey.objects.select_for_update().filter(pk=key_id).first()
        if old is None or not old.is_live:
            raise NotFound(f"live api key {key_id} does not exist")
        issued = _issue(
            old.tenant, old.name, list(old.scopes), actor, old.rate_limit_per_minute
        )
        old.revoked_at = timezone.now()
        old.replaced_by = issued.key
        old.save(update_fields=["revoked_at", "replaced_by"])
    _keys.pop(old.prefix, None)
    return issued


def api_key_revoke(*, key_id: int, actor: str) -> ApiKey:
    """Revoke a key; other processes stop accepting it within CACHE_SECONDS."""
    key = ApiKey.objects.filter(pk=key_id).first()
    if key is None:
        raise NotFound(f"api key {key_id} does not exist")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        logger.info("api key revoked by %s", actor, extra={"key_prefix": key.prefix})
    _keys.pop(key.prefix, None)
    return key


def _key_by_prefix(prefix: str) -> ApiKey | None:
    now = time.monotonic()
    cached = _keys.get(prefix)
    if cached and cached[0] > now:
        return cached[1]
    key = ApiKey.objects.select_related("tenant").filter(prefix=prefix).first()
    _keys[prefix] = (now + CACHE_SECONDS, key)
    return key


def _split(raw: str) -> tuple[str, str]:
    if not raw.startswith(KEY_PREFIX):
        raise KeyInvalid("malformed API key")
    prefix, _, secret = raw[len(KEY_PREFIX) :].partition("_")
    if not prefix or not secret:
        raise KeyInvalid("malformed API key")
    return prefix, secret


def api_key_check(raw: str) -> ApiKey:
    """Return the live key matching ``raw``; raise KeyInvalid (401)."""
    prefix, secret = _split(raw)
    key = _key_by_prefix(prefix)
    if key is None or not hmac.compare_digest(key.secret_hash, _secret_hash(secret)):
        raise KeyInvalid("unknown API key")
    if key.revoked_at is not None:
        raise KeyInvalid("this API key has been revoked")
    _last_used_touch(key)
    return key


def _last_used_touch(key: ApiKey) -> None:
    """Record use at most once a minute per process: a write costs."""
    now = timezone.now()
    if key.last_used_at and now - key.last_used_at < LAST_USED_EVERY:
        return
    key.last_used_at = now
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
