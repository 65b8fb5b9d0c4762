"""Which webhook URLs a lender may register: public HTTPS hosts only.

A webhook is a request our worker makes on a tenant's behalf, so an
address inside our network (loopback, private ranges, link-local cloud
metadata) would let a tenant probe it and read the answer's status in the
delivery log. Development machines may allow them with
``WEBHOOK_ALLOW_PRIVATE_URLS``.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from core.errors import InvalidInput

LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")
MAX_URL_LENGTH = 500


def webhook_url_check(url: object, *, allow_private: bool) -> str:
    """Return ``url`` if deliveries may go there; raise InvalidInput otherwise."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise InvalidInput.for_field(
            "url", f"an URL of at most {MAX_URL_LENGTH} characters"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput.for_field("url", "is not a valid URL") from None
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in ("https", "http") or not host or " " in url:
        raise InvalidInput.for_field("url", "must be an absolute https:// URL")
    if parts.username or parts.password:
        raise InvalidInput.for_field("url", "must not carry a user name or password")
    if allow_private:
        return url
    if parts.scheme != "https":
        raise InvalidInput.for_field("url", "must use https")
    if port is not None and not 1 <= port <= 65535:
        raise InvalidInput.for_field("url", "has an invalid port")
    if not host_is_public(host):
        raise InvalidInput.for_field(
            "url", "must be a public host, not a loopback, private or local address"
        )
    return url


def host_is_public(host: str) -> bool:
    """Say whether ``host`` (a name or an IP literal) may be called."""
    if host == "localhost" or host.endswith(LOCAL_SUFFIXES) or "." not in host:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return address.is_global
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True  # a public-looking name; its address is not resolved here
    return address.is_global
