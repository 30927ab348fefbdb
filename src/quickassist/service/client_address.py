"""Where a request comes from, as the per-address limits count it.

`peer_address` is the address the connection came from (uvicorn replaces it with the
``X-Forwarded-For`` client only for proxies named in ``--trusted-proxy``; by default none).
`limiter_key` folds that address into the key a per-address limit counts under: an IPv4 address
as it is, an IPv6 address by its /64. One IPv6 subscriber (a home line, a cloud VM) is normally
given a whole /64 (RFC 6177, RIPE-690), so counting full addresses would hand one attacker
2^64 fresh budgets; sign-in and join limiting both count by this key.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import HTTPConnection

#: The prefix one IPv6 subscriber is given at the least (RFC 6177, RIPE-690).
IPV6_SUBSCRIBER_PREFIX = 64
UNKNOWN_ADDRESS = "unknown"


def peer_address(connection: HTTPConnection) -> str:
    """The client's address (after uvicorn's trusted-proxy handling), or ``"unknown"``."""
    return connection.client.host if connection.client else UNKNOWN_ADDRESS


def limiter_key(address: str, *, ipv6_prefix: int = IPV6_SUBSCRIBER_PREFIX) -> str:
    """The key per-address limits count ``address`` under (IPv6 by /64, IPv4 as is).

    ``ipv6_prefix`` counts IPv6 by a wider network where a limit needs it (join_guard: /48).

    An IPv4-mapped IPv6 address (``::ffff:192.0.2.1``) counts as its IPv4 address; text that is
    not an address at all (a Unix socket's peer, ``"unknown"``) is its own key.
    """
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("%eth0")
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        network = ipaddress.IPv6Network((parsed, ipv6_prefix), strict=False)
        return str(network)
    return str(parsed)


def client_limiter_key(connection: HTTPConnection) -> str:
    """`limiter_key` of the connection's `peer_address`."""
    return limiter_key(peer_address(connection))
