"""ServiceConfig: defaults, derived paths, and flags over environment over defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from quickassist.service.config import RateLimit, ServiceConfig
from quickassist.service.errors import ConfigError
from quickassist.service.secret_key import load_or_create_secret_key


def test_defaults_derive_paths_from_the_data_dir(tmp_path: Path) -> None:
    config = ServiceConfig(data_dir=tmp_path)
    assert config.port == 8443
    assert config.host == "0.0.0.0"
    assert config.cert_file == tmp_path / "cert.pem"
    assert config.key_file == tmp_path / "key.pem"
    assert config.database_url == f"sqlite+aiosqlite:///{tmp_path}/quickassist.db"
    assert config.retention_days == 3.0
    assert config.max_frame_bytes == 4 * 1024 * 1024
    assert config.login_attempts_per_address == RateLimit(5, 60)
    assert config.join_failures_per_address == RateLimit(10, 600)
    assert config.join_failures_global == RateLimit(90, 60)
    assert config.join_failures_under_attack_global == RateLimit(30, 60)
    assert config.url == "https://localhost:8443"


def test_environment_overrides_defaults(tmp_path: Path) -> None:
    config = ServiceConfig.from_sources(
        {},
        {
            "QUICKASSIST_DATA_DIR": str(tmp_path),
            "QUICKASSIST_PORT": "9443",
            "QUICKASSIST_HOST": "127.0.0.1",
            "QUICKASSIST_RETENTION_DAYS": "1.5",
            "QUICKASSIST_LOGIN_ATTEMPTS_PER_ADDRESS": "3/30",
            "QUICKASSIST_PUBLIC_ORIGIN": "https://help.example.org/",
            "UNRELATED": "x",
        },
    )
    assert config.data_dir == tmp_path
    assert config.port == 9443
    assert config.retention_days == 1.5
    assert config.login_attempts_per_address == RateLimit(3, 30)
    assert config.public_origin == "https://help.example.org"
    assert config.url == "https://help.example.org"


def test_flags_win_over_environment_and_none_means_not_given(tmp_path: Path) -> None:
    env = {"QUICKASSIST_PORT": "9443", "QUICKASSIST_HOST": "::1", "QUICKASSIST_DATA_DIR": "/x"}
    config = ServiceConfig.from_sources({"port": 7443, "host": None, "data_dir": tmp_path}, env)
    assert config.port == 7443
    assert config.host == "::1"
    assert config.data_dir == tmp_path
    assert config.url == "https://[::1]:7443"


def test_explicit_database_url_and_certificate_are_kept(tmp_path: Path) -> None:
    config = ServiceConfig.from_sources(
        {"cert_file": tmp_path / "real.pem"},
        {
            "QUICKASSIST_DATA_DIR": str(tmp_path),
            "QUICKASSIST_DATABASE_URL": "postgresql+asyncpg://db/qa",
            "QUICKASSIST_KEY": str(tmp_path / "real.key"),
        },
    )
    assert config.database_url == "postgresql+asyncpg://db/qa"
    assert config.cert_file == tmp_path / "real.pem"
    assert config.key_file == tmp_path / "real.key"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("QUICKASSIST_PORT", "eighty"),
        ("QUICKASSIST_PORT", "70000"),
        ("QUICKASSIST_LOGIN_ATTEMPTS_PER_ADDRESS", "5"),
        ("QUICKASSIST_JOIN_FAILURES_GLOBAL", "0/60"),
        ("QUICKASSIST_RETENTION_DAYS", "soon"),
    ],
)
def test_unusable_environment_values_are_config_errors(
    tmp_path: Path, name: str, value: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        ServiceConfig.from_sources({}, {"QUICKASSIST_DATA_DIR": str(tmp_path), name: value})
    assert caught.value.message.endswith(".")


def test_unknown_flag_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        ServiceConfig.from_sources({"colour": "blue", "data_dir": tmp_path}, {})


def test_rate_limit_round_trips_as_text() -> None:
    assert RateLimit.parse("10/600") == RateLimit(10, 600)
    assert str(RateLimit(5, 60)) == "5/60"
    assert RateLimit.parse(str(RateLimit(3, 0.5))) == RateLimit(3, 0.5)


def test_secret_key_from_the_environment_is_used_and_no_file_is_made(tmp_path: Path) -> None:
    config = ServiceConfig.from_sources(
        {"data_dir": tmp_path}, {"QUICKASSIST_SECRET_KEY": "shared-between-nodes"}
    )
    assert load_or_create_secret_key(config.data_dir, config.secret_key) == "shared-between-nodes"
    assert not (tmp_path / "secret.key").exists()
    made = load_or_create_secret_key(tmp_path, None)
    assert len(made) >= 64
    assert load_or_create_secret_key(tmp_path, None) == made
