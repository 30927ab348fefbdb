"""`quickassist user set`, `user reset-2fa`, `org` and `settings`: the same rules as the console."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pyotp

from quickassist.service.accounts import HelperAccounts
from quickassist.service.config import ServiceConfig
from quickassist.service.database import create_engine, session_factory
from quickassist.service.totp import TwoFactor
from tests.fixtures.service import run_cli


def cli(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli([*args, "--data-dir", str(data_dir)], input=stdin)


def test_roles_full_control_domains_and_settings(tmp_path: Path) -> None:
    added = cli(
        tmp_path,
        "user",
        "add",
        "grace",
        "--name",
        "Grace Hopper",
        "--organisation",
        "Navy",
        "--admin",
        "--password-stdin",
        stdin="a first password\n",
    )
    assert added.returncode == 0, added.stderr
    last = cli(tmp_path, "user", "set", "grace", "--role", "helper")
    assert last.returncode == 1
    assert "only administrator" in last.stderr
    limited = cli(tmp_path, "user", "set", "grace", "--full-control", "no")
    assert limited.stdout.strip() == "grace is now admin, may ask for view only."
    listing = cli(tmp_path, "user", "list").stdout
    assert "view-only" in listing.splitlines()[1]

    verified = cli(tmp_path, "org", "verify", "Navy", "Navy.MIL")
    assert verified.stdout.strip() == "Sharers now see Navy (verified: navy.mil)."
    assert cli(tmp_path, "org", "verify", "Navy", "not a domain").returncode == 1
    assert cli(tmp_path, "org", "list").stdout.strip() == "Navy  navy.mil"
    assert "not verified" in cli(tmp_path, "org", "unverify", "Navy").stdout

    settings = cli(tmp_path, "settings", "local-sign-in", "off")
    assert settings.stdout.splitlines() == ["local-sign-in  off", "admin-2fa  off"]

    config = ServiceConfig(data_dir=tmp_path)

    async def enrol_then_check(enrol: bool) -> bool:
        """Enrol grace (when asked), then whether she is enrolled."""
        engine = create_engine(config.database_url)
        try:
            accounts = HelperAccounts(session_factory(engine))
            grace = await accounts.find("grace")
            if enrol:
                two_factor = TwoFactor(accounts.sessions, clock=lambda: 1_900_000_000.0)
                enrolment = await two_factor.begin(grace.id, grace.username)
                code = pyotp.TOTP(enrolment.secret).at(1_900_000_000)
                await two_factor.confirm(grace.id, code)
            return (await accounts.find("grace")).totp_enabled
        finally:
            await engine.dispose()

    assert asyncio.run(enrol_then_check(True)) is True
    reset = cli(tmp_path, "user", "reset-2fa", "grace")
    assert reset.returncode == 0 and "Two-factor sign-in removed for grace" in reset.stdout
    assert asyncio.run(enrol_then_check(False)) is False
