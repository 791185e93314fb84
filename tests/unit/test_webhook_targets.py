"""The SSRF guard: webhook targets must be http(s) and resolve only to public addresses."""

from __future__ import annotations

import pytest

from services.webhooks.exceptions import UnsafeTarget
from services.webhooks.targets import Resolver, check_target, parse_allow_list, pinned


def resolver(*addresses: str) -> Resolver:
    """A stand-in DNS: every host resolves to ``addresses``."""
    return lambda host, port: list(addresses)


def public_resolver(host: str, port: int) -> list[str]:
    return ["36.86.63.182"]  # a public Indonesian address


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.5.5.5", "loopback"),
        ("::1", "loopback"),
        ("169.254.10.1", "link-local"),
        ("fe80::1", "link-local"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("::ffff:127.0.0.1", "loopback"),
    ],
)
def test_each_internal_address_class_is_refused(address: str, reason: str) -> None:
    with pytest.raises(UnsafeTarget) as refused:
        check_target("https://partner.example/hook", [], resolver(address))
    [error] = refused.value.errors
    assert error["field"] == "url" and reason in error["reason"]
    literal = f"[{address}]" if ":" in address else address
    with pytest.raises(UnsafeTarget):
        check_target(f"http://{literal}:8080/hook", [], public_resolver)


def test_a_host_with_one_internal_address_among_public_ones_is_refused() -> None:
    with pytest.raises(UnsafeTarget):
        check_target("https://partner.example/hook", [], resolver("36.86.63.182", "10.0.0.5"))


def test_a_public_host_is_accepted() -> None:
    check_target("https://partner.example/hook", [], public_resolver)
    check_target("http://36.86.63.182:8080/hook", [], public_resolver)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://partner.example/x",
        "file:///etc/passwd",
        "gopher://x",
        "https://",
        "https://u:p@partner.example/",
    ],
)
def test_only_plain_http_and_https_urls(url: str) -> None:
    with pytest.raises(UnsafeTarget):
        check_target(url, [], public_resolver)


def test_an_unresolvable_host_is_refused() -> None:
    with pytest.raises(UnsafeTarget) as refused:
        check_target("https://nowhere.invalid/hook", [], resolver())
    assert "does not resolve" in refused.value.errors[0]["reason"]


def test_the_allow_list_admits_only_its_networks() -> None:
    allow = parse_allow_list("127.0.0.1/32, 10.9.0.0/16")
    check_target("http://127.0.0.1:9000/hook", allow, public_resolver)
    check_target("https://receiver.internal/hook", allow, resolver("10.9.3.4"))
    with pytest.raises(UnsafeTarget):
        check_target("http://127.0.0.2:9000/hook", allow, public_resolver)
    with pytest.raises(UnsafeTarget):
        check_target("https://receiver.internal/hook", allow, resolver("10.8.3.4"))


@pytest.mark.parametrize(
    ("url", "address", "expected_url", "host", "sni"),
    [
        (
            "https://hooks.partner.example/in?x=1",
            "36.86.63.182",
            "https://36.86.63.182/in?x=1",
            "hooks.partner.example",
            "hooks.partner.example",
        ),
        (
            "http://hooks.partner.example:8080/in",
            "36.86.63.182",
            "http://36.86.63.182:8080/in",
            "hooks.partner.example:8080",
            None,
        ),
        (
            "https://v6.partner.example:8443/",
            "2001:db8::7",
            "https://[2001:db8::7]:8443/",
            "v6.partner.example:8443",
            "v6.partner.example",
        ),
    ],
)
def test_an_attempt_is_pinned_to_the_checked_address_keeping_host_and_tls_name(
    url: str, address: str, expected_url: str, host: str, sni: str | None
) -> None:
    target = pinned(url, address)
    assert (target.url, target.host_header, target.sni_hostname) == (expected_url, host, sni)


def test_the_check_returns_an_address_it_checked() -> None:
    assert check_target("https://hooks.partner.example/in", [], public_resolver) == "36.86.63.182"
    assert check_target("http://36.86.63.182/in", [], public_resolver) == "36.86.63.182"
