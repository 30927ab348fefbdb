"""The key per-address limits count under: IPv6 by /64, IPv4 as is."""

from __future__ import annotations

import pytest

from quickassist.service.client_address import limiter_key


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::1", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("unknown", "unknown"),
    ],
)
def test_limiter_key(address: str, key: str) -> None:
    assert limiter_key(address) == key


def test_one_ipv6_subscriber_is_one_key_and_neighbours_are_not() -> None:
    same = {limiter_key(f"2001:db8:aa:bb:{n:x}::{n:x}") for n in range(1, 500)}
    assert same == {"2001:db8:aa:bb::/64"}
    assert limiter_key("2001:db8:aa:bc::1") != limiter_key("2001:db8:aa:bb::1")
