"""Which webhook URLs a lender may register: public HTTPS hosts only.

A webhook is a request our worker makes on a tenant's behalf, so an
address inside our network (loopback, private ranges, link-local cloud
metadata) would let a tenant probe it and read the answer's status in the
delivery log. Development machines may allow them with
``WEBHOOK_ALLOW_PRIVATE_URLS``.
"""

from __future__ import annotations

import ipaddress
import socket
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
    """Say whether ``host`` (a name or an IP literal) may be called.

    IPv4 written the way C's inet_aton reads it (``127.1``, ``0x7f.0.0.1``,
    ``0177.0.0.1``) is an address too, since that is how the connection
    would read it. A name is judged by ``address_is_public`` on what it
    resolves to when a delivery is made.
    """
    literal = _ip_literal(host)
    if literal is not None:
        return address_is_public(literal)
    if host == "localhost" or host.endswith(LOCAL_SUFFIXES) or "." not in host:
        return False
    return True


def address_is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_global and not address.is_multicast


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefx." for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def resolved_public_address(host: str) -> str:
    """Return the address to connect to for ``host`` (at delivery); refuse a
    host that resolves to any non-public address.

    The caller connects to the address returned, never to the name again:
    a name re-pointed after this check (DNS rebinding) cannot send the
    request elsewhere.
    """
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise InvalidInput.for_field("url", f"host does not resolve: {error}") from None
    # An IP family's socket address starts with the address text; typeshed
    # allows an int there for other families.
    addresses = [str(info[4][0]).split("%")[0] for info in infos]
    for text in addresses:
        address = ipaddress.ip_address(text)
        if not address_is_public(address):
            raise InvalidInput.for_field(
                "url", f"resolves to a non-public address {address}"
            )
    if not addresses:
        raise InvalidInput.for_field("url", "host does not resolve")
    return addresses[0]
