"""Idempotency-Key semantics and per-key rate limits."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from apiv1.models import IdempotencyRecord
from core.borrowers.models import Borrower
from tests.apiv1.factories import borrower_body

pytestmark = pytest.mark.django_db

KEY = "Idempotency-Key"


def _borrowers(tenant) -> int:
    with tenant_context(tenant):
        return Borrower.objects.count()


def test_same_key_and_body_returns_the_stored_response(api_a, tenant_a):
    body = borrower_body()
    before = _borrowers(tenant_a)

    first = api_a.post("/borrowers", body, **{KEY: "reg-1"})
    second = api_a.post("/borrowers", body, **{KEY: "reg-1"})

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert _borrowers(tenant_a) == before + 1


def test_a_retry_with_other_whitespace_or_key_order_is_the_same_request(
    api_a, tenant_a
):
    import json

    body = borrower_body()
    before = _borrowers(tenant_a)
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)

    first = api_a.post("/borrowers", json.dumps(body), **{KEY: "reg-ws"})
    second = api_a.post("/borrowers", reordered, **{KEY: "reg-ws"})

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert _borrowers(tenant_a) == before + 1


def test_same_key_with_another_body_is_refused(api_a, tenant_a):
    api_a.post("/borrowers", borrower_body(), **{KEY: "reg-2"})
    before = _borrowers(tenant_a)

    other = api_a.post("/borrowers", borrower_body(), **{KEY: "reg-2"})

    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert _borrowers(tenant_a) == before


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("密钥" * 35, "printable ASCII"),
        ("tab\there", "printable ASCII"),
        ("k" * 201, "at most 200 characters"),
    ],
)
def test_an_idempotency_key_must_be_printable_ascii_of_200_at_most(
    api_a, tenant_a, key, reason
):
    before = _borrowers(tenant_a)

    response = api_a.post("/borrowers", borrower_body(), **{KEY: key})

    assert response.status_code == 422
    assert reason in response.json()["error"]["fields"][KEY]
    assert _borrowers(tenant_a) == before


def test_a_duplicate_while_the_first_is_in_flight_is_409(api_a, tenant_a):
    body = borrower_body()
    from django.test import RequestFactory

    from apiv1.idempotency import request_fingerprint

    request = RequestFactory().post(
        "/api/v1/borrowers", data=body, content_type="application/json"
    )
    with tenant_context(tenant_a):
        IdempotencyRecord.objects.create(
            key="reg-3",
            fingerprint=request_fingerprint(request),
            key_prefix=api_a.key.prefix,
            status="in_flight",
        )
    before = _borrowers(tenant_a)

    response = api_a.post("/borrowers", body, **{KEY: "reg-3"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_flight"
    assert _borrowers(tenant_a) == before


def test_a_failed_request_releases_its_key(api_a, tenant_a):
    bad = api_a.post("/borrowers", borrower_body(id_number="123"), **{KEY: "reg-4"})

    with tenant_context(tenant_a):
        assert not IdempotencyRecord.objects.filter(key="reg-4").exists()
    assert bad.status_code == 422


def test_old_records_are_purged_after_the_retention(tenant_a):
    from datetime import timedelta

    from django.utils import timezone

    from apiv1.idempotency import KEEP_FOR, idempotency_records_purge

    with tenant_context(tenant_a):
        old = IdempotencyRecord.objects.create(
            key="old", fingerprint="x", key_prefix="p", status="done"
        )
        IdempotencyRecord.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - KEEP_FOR - timedelta(minutes=1)
        )
        recent = IdempotencyRecord.objects.create(
            key="recent", fingerprint="x", key_prefix="p", status="done"
        )

        idempotency_records_purge()

        assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()
        assert IdempotencyRecord.objects.filter(pk=recent.pk).exists()
    assert KEEP_FOR.total_seconds() >= 24 * 3600


def test_the_rate_limit_answers_429_with_retry_after(make_client, tenant_a):
    api = make_client(tenant_a, ["read"], rate_limit_per_minute=3)

    statuses = [api.get("/products").status_code for _ in range(4)]
    limited = api.get("/products")

    assert statuses[:3] == [200, 200, 200]
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 61
    assert limited.json()["error"]["code"] == "rate_limited"


def test_the_rate_count_expires_with_its_window_and_reads_through_the_cache(
    tenant_a,
):
    from django.core.cache import cache, caches
    from django.core.cache.backends.redis import RedisCache

    from apiv1.ratelimit import WINDOW_SECONDS, _count

    counter = "apiv1:rl:test-expiry:1"
    cache.delete(counter)
    counts = [_count(counter) for _ in range(3)]

    assert counts == [1, 2, 3]
    assert cache.get(counter) == 3
    backend = caches["default"]
    if isinstance(backend, RedisCache):  # the one-round-trip path
        name = backend.make_and_validate_key(counter)
        ttl = backend._cache.get_client(name).ttl(name)
        assert 0 < ttl <= WINDOW_SECONDS + 5
    cache.delete(counter)


def _spend(key, calls: int) -> list[bool]:
    """Make ``calls`` counted calls for ``key``; True for each let through."""
    from apiv1.errors import RateLimited
    from apiv1.ratelimit import rate_limit_hit

    through = []
    for _ in range(calls):
        try:
            rate_limit_hit(key)
            through.append(True)
        except RateLimited:
            through.append(False)
    return through


def test_a_busy_key_leases_blocks_and_the_processes_never_exceed_its_limit(
    make_client, tenant_a, monkeypatch
):
    """Two processes share a limit of 1,000 (blocks of 5): one takes a call,
    the other spends the rest of the window; the first's unspent lease is
    still good. Exactly 1,000 get through in all, and the shared count
    moved once per block."""
    from django.core.cache import cache

    from apiv1 import ratelimit

    monkeypatch.setattr(ratelimit, "time", _FrozenClock())
    key = make_client(tenant_a, ["read"], rate_limit_per_minute=1000).key
    counter = f"apiv1:rl:{key.prefix}:{_FrozenClock.WINDOW}"
    first, second = {}, {}
    with tenant_context(tenant_a):
        cache.delete(counter)
        monkeypatch.setattr(ratelimit, "_leases", first)
        assert _spend(key, 1) == [True]
        assert cache.get(counter) == 5  # one block leased, 4 calls left here

        monkeypatch.setattr(ratelimit, "_leases", second)
        through = _spend(key, 1000)
        assert cache.get(counter) >= 1000

        monkeypatch.setattr(ratelimit, "_leases", first)
        rest = _spend(key, 5)
        cache.delete(counter)

    assert ratelimit.lease_block(1000) == 5
    assert through.count(True) == 995 and not any(through[995:])
    assert rest == [True] * 4 + [False]


def test_a_limit_under_the_lease_threshold_is_counted_call_by_call(
    make_client, tenant_a, monkeypatch
):
    from django.core.cache import cache

    from apiv1 import ratelimit

    monkeypatch.setattr(ratelimit, "time", _FrozenClock())
    monkeypatch.setattr(ratelimit, "_leases", {})
    key = make_client(tenant_a, ["read"], rate_limit_per_minute=399).key
    counter = f"apiv1:rl:{key.prefix}:{_FrozenClock.WINDOW}"
    with tenant_context(tenant_a):
        cache.delete(counter)
        through = _spend(key, 3)
        assert cache.get(counter) == 3
        cache.delete(counter)

    assert through == [True] * 3
    assert ratelimit.lease_block(399) == 1


class _FrozenClock:
    """time for apiv1.ratelimit: the middle of one window, so that a test
    cannot straddle two."""

    WINDOW = 29_000_000

    @staticmethod
    def time() -> float:
        return _FrozenClock.WINDOW * 60 + 30.0


def test_scopes_are_enforced(make_client, tenant_a):
    reader = make_client(tenant_a, ["read"])

    response = reader.post("/borrowers", borrower_body())

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "scope_missing"


def test_revoked_and_forged_keys_are_401(make_client, tenant_a):
    from apiv1.keys.services import api_key_revoke

    api = make_client(tenant_a, ["read"])
    forged = make_client(tenant_a, ["read"])
    forged.headers["Authorization"] = forged.headers["Authorization"][:-2] + "xx"
    api_key_revoke(key_id=api.key.pk, actor="test")

    assert api.get("/products").status_code == 401
    assert forged.get("/products").status_code == 401


def test_rotation_issues_a_working_key_and_revokes_the_old(make_client, tenant_a):
    from apiv1.keys.services import api_key_rotate
    from tests.apiv1.conftest import ApiClient

    old = make_client(tenant_a, ["read"])

    issued = api_key_rotate(key_id=old.key.pk, actor="test")

    assert ApiClient(issued.secret).get("/products").status_code == 200
    assert old.get("/products").status_code == 401
    assert issued.key.scopes == ["read"]


def test_pii_is_masked_unless_the_key_has_the_pii_scope(api_a, api_a_pii):
    body = borrower_body()
    created = api_a.post("/borrowers", body).json()

    masked = api_a.get(f"/borrowers/{created['id']}").json()
    revealed = api_a_pii.get(f"/borrowers/{created['id']}").json()

    assert masked["masked"] is True
    assert masked["id_number"] != body["id_number"]
    assert "*" in masked["mobile"]
    assert revealed["masked"] is False
    assert revealed["id_number"] == body["id_number"]
    assert revealed["mobile"] == body["mobile"]


def test_a_key_on_another_lenders_host_is_refused(api_a, tenant_b):
    domain = tenant_b.domains.first()
    api_a.client.defaults["HTTP_HOST"] = domain.domain

    assert api_a.get("/products").status_code == 401


def test_the_management_command_prints_the_secret_once(tenant_a, capsys):
    from django.core.management import call_command

    from tests.apiv1.conftest import ApiClient

    call_command(
        "api_key_create", tenant=tenant_a.schema_name, name="cli", scopes="read"
    )

    secret = capsys.readouterr().out.strip()
    assert secret.startswith("jq_live_")
    assert ApiClient(secret).get("/products").status_code == 200


def test_an_unreachable_cache_lets_the_call_through_with_a_warning(
    make_client, tenant_a, settings, caplog, monkeypatch
):
    """Nothing listens on port 1: counting fails, the call is answered."""
    from apiv1 import ratelimit

    monkeypatch.setattr(ratelimit, "_cache_down_until", 0.0)
    api = make_client(tenant_a, ["read"], rate_limit_per_minute=3)
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "config.cache.KeptRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }

    with caplog.at_level("WARNING", logger="apiv1.ratelimit"):
        statuses = [api.get("/products").status_code for _ in range(2)]

    assert statuses == [200, 200]
    assert "rate limit not counted" in caplog.text


def test_a_hanging_cache_is_tried_once_then_left_alone_for_a_while(
    make_client, tenant_a, settings, caplog, monkeypatch
):
    """QA: a cache that accepts connections and never answers cost every
    call its timeout. One call pays it; the next ones pass uncounted
    without trying the cache until CACHE_RETRY_SECONDS have gone by."""
    import socket
    import threading

    from apiv1 import ratelimit

    monkeypatch.setattr(ratelimit, "_cache_down_until", 0.0)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    api = make_client(tenant_a, ["read"], rate_limit_per_minute=3)
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "config.cache.KeptRedisCache",
            "LOCATION": f"redis://127.0.0.1:{listener.getsockname()[1]}/0",
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
        }
    }
    try:
        with caplog.at_level("WARNING", logger="apiv1.ratelimit"):
            statuses = [api.get("/products").status_code for _ in range(4)]
        tried = len(accepted)
    finally:
        listener.close()
        for connection in accepted:
            connection.close()

    assert statuses == [200] * 4
    assert tried == 1
    assert caplog.text.count("rate limit not counted") == 1


def test_threads_leasing_at_once_keep_every_call_they_leased(
    make_client, tenant_a, monkeypatch
):
    """QA: gthread workers' threads each leased a block, and each stored
    its lease over the others': a 2,000 limit let 997 calls through."""
    import threading

    from django.core.cache import cache
    from django.db import connection

    from apiv1 import ratelimit

    monkeypatch.setattr(ratelimit, "time", _FrozenClock())
    monkeypatch.setattr(ratelimit, "_leases", {})
    key = make_client(tenant_a, ["read"], rate_limit_per_minute=1000).key
    counter = f"apiv1:rl:{key.prefix}:{_FrozenClock.WINDOW}"
    together = threading.Barrier(4)
    real_count = ratelimit._count

    def count_together(name: str, by: int = 1) -> int:
        value = real_count(name, by)
        together.wait(timeout=10)  # every thread has leased before any stores
        return value

    monkeypatch.setattr(ratelimit, "_count", count_together)

    def one_call() -> None:
        with tenant_context(tenant_a):
            ratelimit.rate_limit_hit(key)
        connection.close()

    with tenant_context(tenant_a):
        cache.delete(counter)
    threads = [threading.Thread(target=one_call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    monkeypatch.setattr(ratelimit, "_count", real_count)
    with tenant_context(tenant_a):
        assert cache.get(counter) == 20  # four blocks of 5
        rest = _spend(key, 997)
        cache.delete(counter)

    assert rest == [True] * 996 + [False]  # 4 + 996 = the limit, exactly
