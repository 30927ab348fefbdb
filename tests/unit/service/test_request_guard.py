"""Same-origin decisions (CSRF and WebSocket upgrades)."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from quickassist.service.request_guard import origin_allowed


def headers(host: str | None, origin: str | None) -> Headers:
    raw = {}
    if host is not None:
        raw["host"] = host
    if origin is not None:
        raw["origin"] = origin
    return Headers(raw)


@pytest.mark.parametrize(
    ("host", "origin", "scheme", "allowed"),
    [
        ("help.example.org", None, "https", True),  # no Origin: not a browser's cross-site call
        ("help.example.org", "https://help.example.org", "https", True),
        ("help.example.org", "https://HELP.example.org/", "https", True),
        ("help.example.org:443", "https://help.example.org", "https", True),
        ("help.example.org", "https://help.example.org:443", "https", True),
        ("127.0.0.1:8443", "https://127.0.0.1:8443", "https", True),
        ("127.0.0.1:8443", "https://127.0.0.1:8444", "https", False),
        ("127.0.0.1:8443", "http://127.0.0.1:8443", "https", False),
        ("help.example.org", "https://evil.example", "https", False),
        ("help.example.org", "https://help.example.org.evil.example", "https", False),
        ("help.example.org", "null", "https", False),
        (None, "https://help.example.org", "https", False),
        ("help.example.org", "https://help.example.org", "wss", True),
    ],
)
def test_origin_matches_our_own_scheme_host_and_port(
    host: str | None, origin: str | None, scheme: str, allowed: bool
) -> None:
    assert origin_allowed(headers(host, origin), scheme, None) is allowed


def test_public_origin_wins_over_the_host_header() -> None:
    behind_proxy = headers("10.0.0.5:8443", "https://help.example.org")
    assert origin_allowed(behind_proxy, "http", "https://help.example.org")
    assert not origin_allowed(behind_proxy, "http", None)
    spoofed = headers("evil.example", "https://evil.example")
    assert not origin_allowed(spoofed, "https", "https://help.example.org")
