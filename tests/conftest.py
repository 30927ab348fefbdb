"""Shared fixtures: each lives in tests/fixtures/ and is registered here."""

pytest_plugins: list[str] = ["tests.fixtures.xvfb"]
