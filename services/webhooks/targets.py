"""Where a webhook may be sent: http(s) only, and never into the agency's own network (SSRF guard).

A target is checked when an endpoint is created or changed, by resolving its host, and again before
every attempt: a name that resolved to a public address yesterday may resolve to 127.0.0.1 today (DNS
rebinding). Addresses in ``SASAR_WEBHOOKS_ALLOW_PRIVATE_TARGETS`` are allowed anyway (tests, demos).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from services.common.messages import Message
from services.webhooks.exceptions import UnsafeTarget

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

# Cloud instance metadata services: named on their own so the reason is explicit.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
CGNAT = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598 shared space: carrier-internal, not the internet


def parse_allow_list(value: str) -> list[Network]:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()]


def refusal(address: IPAddress) -> str | None:
    """Why a webhook may not go to ``address`` (``None``: it may)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return refusal(address.ipv4_mapped)
    if address in METADATA_ADDRESSES:
        return Message("address.metadata")
    if address.is_unspecified:
        return Message("address.unspecified")
    if address.is_loopback:
        return Message("address.loopback")
    if address.is_link_local:
        return Message("address.link_local")
    if address.is_multicast:
        return Message("address.multicast")
    if isinstance(address, ipaddress.IPv4Address) and address in CGNAT:
        return Message("address.cgnat")
    if address.is_private or address.is_reserved or not address.is_global:
        return Message("address.private")
    return None


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


def check_target(
    url: str, allow: Sequence[Network], resolve: Resolver = system_resolver, *, field: str = "url"
) -> None:
    """Refuse (422 on ``field``) a URL a webhook may not be sent to."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeTarget.single(field, Message("webhooks.invalid_url")) from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget.single(field, Message("webhooks.http_only"))
    host = parts.hostname
    if not host:
        raise UnsafeTarget.single(field, Message("webhooks.no_host"))
    if parts.username or parts.password:
        raise UnsafeTarget.single(field, Message("webhooks.credentials"))
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        resolved = resolve(host, port or (443 if parts.scheme == "https" else 80))
        if not resolved:
            raise UnsafeTarget.single(field, Message("webhooks.no_resolve", host=host)) from None
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolved]
    for address in addresses:
        reason = refusal(address)
        if reason is not None and not any(address in network for network in allow):
            raise UnsafeTarget.single(
                field, Message("webhooks.private_address", address=address, reason=reason)
            )
