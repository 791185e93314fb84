"""Where a webhook may be sent: http(s) only, and never into the agency's own network (SSRF guard).

A target is checked when an endpoint is created or changed, by resolving its host, and again before
every attempt: a name that resolved to a public address yesterday may resolve to 127.0.0.1 today (DNS
rebinding). The attempt then connects to the address that was checked (:func:`pinned`), never to a second
resolution of the name, so a rebinding between check and connect cannot slip through. Addresses in
``SASAR_WEBHOOKS_ALLOW_PRIVATE_TARGETS`` are allowed anyway (tests, demos).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

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
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in CGNAT:
        return "a carrier-grade NAT (shared) address"
    if address.is_private or address.is_reserved or not address.is_global:
        return "a private or reserved address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


@dataclass(frozen=True)
class PinnedRequest:
    """A POST aimed at a checked address: the URL names the address, ``Host`` (and TLS SNI and certificate
    checks, through ``sni_hostname``) keep naming the host the partner registered."""

    url: str
    host_header: str
    sni_hostname: str | None


def pinned(url: str, address: str) -> PinnedRequest:
    """``url`` rewritten to connect to ``address`` (one that :func:`check_target` returned)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host_header = parts.netloc.rsplit("@", 1)[-1]
    return PinnedRequest(
        url=urlunsplit(parts._replace(netloc=netloc)),
        host_header=host_header,
        sni_hostname=host if parts.scheme == "https" else None,
    )


def check_target(
    url: str, allow: Sequence[Network], resolve: Resolver = system_resolver, *, field: str = "url"
) -> str:
    """Refuse (422 on ``field``) a URL a webhook may not be sent to; else the address to connect to.

    Every address the name resolves to must pass, so no later choice among them can be unsafe."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeTarget.single(field, "is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget.single(field, "must be an http or https URL")
    host = parts.hostname
    if not host:
        raise UnsafeTarget.single(field, "has no host")
    if parts.username or parts.password:
        raise UnsafeTarget.single(field, "must not carry credentials")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        resolved = resolve(host, port or (443 if parts.scheme == "https" else 80))
        if not resolved:
            raise UnsafeTarget.single(field, f"host {host} does not resolve") from None
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolved]
    for address in addresses:
        reason = refusal(address)
        if reason is not None and not any(address in network for network in allow):
            raise UnsafeTarget.single(field, f"resolves to {address}, {reason}; webhooks go to public hosts")
    return str(addresses[0])
