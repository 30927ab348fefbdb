"""Shared fixtures: each lives in tests/fixtures/ and is registered here."""

pytest_plugins: list[str] = [
    "tests.fixtures.xvfb",
    "tests.fixtures.service",
    "tests.fixtures.postgres",
    "tests.fixtures.redis",
    "tests.fixtures.nginx",
    "tests.fixtures.session_clients",
    "tests.fixtures.inprocess_service",
    "tests.fixtures.qt",
    "tests.fixtures.rogue_relay",
    "tests.fixtures.browser",
]
