"""Webhook URLs: public HTTPS hosts only, so a tenant cannot probe our network."""

from __future__ import annotations

import pytest

from apiv1.urlguard import webhook_url_check
from core.errors import InvalidInput

REFUSED = [
    "http://hooks.example.com/jq",  # plain http
    "https://169.254.169.254/latest/meta-data",  # cloud metadata
    "https://127.0.0.1:8000/x",
    "https://[::1]/x",
    "https://10.0.0.5/x",
    "https://192.168.1.10/x",
    "https://172.16.0.1/x",
    "https://localhost/x",
    "https://printer.local/x",
    "https://intranet/x",
    "https://user:pw@hooks.example.com/x",
    "https://  not a url",
    "ftp://hooks.example.com/x",
    "https://",
    "https://hooks.example.com:99999/x",
    "https://0.0.0.0/x",
    "https://127.1/h",  # inet_aton shorthands of loopback and private ranges
    "https://0x7f.0.0.1/h",
    "https://0177.0.0.1/h",
    "https://10.1/h",
    "https://192.168.1/h",
    "https://224.0.0.1/h",  # multicast
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_local_and_malformed_urls_are_refused(url):
    with pytest.raises(InvalidInput) as refused:
        webhook_url_check(url, allow_private=False)

    assert "url" in refused.value.fields


@pytest.mark.parametrize(
    "url",
    ["https://hooks.example.com/jq", "https://8.8.8.8/hook", "https://a.b.cn:8443/"],
)
def test_public_https_urls_are_accepted(url):
    assert webhook_url_check(url, allow_private=False) == url


def test_a_developer_may_allow_a_local_receiver():
    url = "http://127.0.0.1:9911/hook"

    assert webhook_url_check(url, allow_private=True) == url


@pytest.mark.django_db
def test_the_api_refuses_an_internal_webhook_url_and_stores_nothing(api_a, tenant_a):
    from django_tenants.utils import tenant_context

    from apiv1.models import WebhookEndpoint

    response = api_a.post(
        "/webhook-endpoints",
        {"url": "https://169.254.169.254/latest", "events": ["loan.disbursed"]},
    )

    assert response.status_code == 422
    assert "url" in response.json()["error"]["fields"]
    with tenant_context(tenant_a):
        assert not WebhookEndpoint.objects.exists()


def test_a_delivery_to_a_name_resolving_to_a_private_address_is_refused():
    import httpx

    from apiv1.webhooks import http_client

    with http_client() as client, pytest.raises(httpx.ConnectError) as refused:
        client.post("https://localhost:9/never", content=b"{}")

    assert "non-public address" in str(refused.value)


def _resolving(monkeypatch, *answers):
    """Make each getaddrinfo call answer the next address (the last repeats)."""
    import socket

    calls = []

    def getaddrinfo(host, port, *args, **kwargs):
        address = answers[min(len(calls), len(answers) - 1)]
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


def _connections(monkeypatch):
    """Record where the delivery connects, and connect nowhere."""
    import httpcore

    made = []

    def connect_tcp(self, host, port, *args, **kwargs):
        made.append((host, port))
        raise httpcore.ConnectError("test: no network")

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect_tcp)
    return made


def test_a_delivery_connects_to_the_address_it_checked(monkeypatch):
    import httpx

    from apiv1.webhooks import http_client

    # A rebinding name: public when checked, loopback on the next lookup.
    lookups = _resolving(monkeypatch, "93.184.216.34", "127.0.0.1")
    made = _connections(monkeypatch)

    with http_client() as client, pytest.raises(httpx.ConnectError):
        client.post("https://hooks.example.com/jq", content=b"{}")

    assert lookups == ["hooks.example.com"]  # resolved once, by the check
    assert made == [("93.184.216.34", 443)]


def test_a_name_with_any_private_address_is_never_connected_to(monkeypatch):
    import httpx

    from apiv1.webhooks import http_client

    _resolving(monkeypatch, "10.0.0.7")
    made = _connections(monkeypatch)

    with http_client() as client, pytest.raises(httpx.ConnectError) as refused:
        client.post("https://hooks.example.com/jq", content=b"{}")

    assert "non-public address 10.0.0.7" in str(refused.value)
    assert made == []
