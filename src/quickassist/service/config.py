"""The service's settings: one frozen dataclass, read from flags and the environment in one place.

Precedence, highest first: command-line flags, ``QUICKASSIST_*`` environment variables, the
keyword defaults below. Paths that depend on the data directory (certificate, key, database)
are filled in from it when left unset, so ``ServiceConfig(data_dir=tmp)`` is a complete config.

Environment variables (each mirrors a field; rates are written ``COUNT/SECONDS``)::

    QUICKASSIST_HOST, QUICKASSIST_PORT, QUICKASSIST_DATA_DIR, QUICKASSIST_CERT,
    QUICKASSIST_KEY, QUICKASSIST_DATABASE_URL, QUICKASSIST_DOWNLOADS_DIR, QUICKASSIST_PUBLIC_ORIGIN,
    QUICKASSIST_SECRET_KEY, QUICKASSIST_ORGANISATION, QUICKASSIST_OIDC_PROVIDERS_FILE,
    QUICKASSIST_OIDC_CLOCK_SKEW_SECONDS, QUICKASSIST_LOG_LEVEL,
    QUICKASSIST_RETENTION_DAYS, QUICKASSIST_RETENTION_INTERVAL_SECONDS,
    QUICKASSIST_RECONNECT_GRACE_SECONDS, QUICKASSIST_CODE_LIFETIME_SECONDS,
    QUICKASSIST_CONSENT_TIMEOUT_SECONDS, QUICKASSIST_MAX_FRAME_BYTES,
    QUICKASSIST_LOGIN_ATTEMPTS_PER_ADDRESS, QUICKASSIST_JOIN_FAILURES_PER_ADDRESS,
    QUICKASSIST_JOIN_FAILURES_GLOBAL, QUICKASSIST_TRUSTED_PROXIES,
    QUICKASSIST_SESSION_MAX_AGE_SECONDS, QUICKASSIST_LOGIN_FAILURES_BEFORE_DELAY,
    QUICKASSIST_LOGIN_DELAY_MAX_SECONDS, QUICKASSIST_LOGIN_FAILURES_GLOBAL,
    QUICKASSIST_LIVE_SESSIONS_PER_HELPER, QUICKASSIST_CODE_REQUESTS_PER_HELPER,
    QUICKASSIST_METRICS_TOKEN, QUICKASSIST_JOIN_FAILURES_UNDER_ATTACK_PER_NETWORK,
    QUICKASSIST_JOIN_FAILURES_UNDER_ATTACK_GLOBAL, QUICKASSIST_REDIS_URL,
    QUICKASSIST_REDIS_KEY_PREFIX, QUICKASSIST_NODE_NAME,
    QUICKASSIST_RELAY_PATH, QUICKASSIST_NODE_HEARTBEAT_SECONDS, QUICKASSIST_DRAIN_SECONDS

Lists (``QUICKASSIST_TRUSTED_PROXIES``) are comma-separated.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

ENV_PREFIX = "QUICKASSIST_"
DEFAULT_DEV_PORT = 8443


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` events per ``per_seconds`` (a sliding window)."""

    count: int
    per_seconds: float

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """Read ``"5/60"`` (five per sixty seconds)."""
        count_text, sep, seconds_text = text.partition("/")
        try:
            count, seconds = int(count_text), float(seconds_text)
        except ValueError:
            count, seconds = 0, 0.0
        if not sep or count < 1 or seconds <= 0:
            raise ConfigError(f"A rate is written COUNT/SECONDS, such as 5/60, not {text!r}.")
        return cls(count, seconds)

    def __str__(self) -> str:
        return f"{self.count}/{self.per_seconds:g}"


def default_data_dir() -> Path:
    """Where the service keeps its database, certificate and secret key by default."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("quickassist"))


@dataclass(frozen=True, kw_only=True)
class ServiceConfig:
    """Everything `quickassist serve` can be told. Safe defaults for a single host."""

    # Listening
    host: str = "0.0.0.0"  # noqa: S104 - a service is meant to be reached from other machines
    port: int = DEFAULT_DEV_PORT
    #: Origin the browser sees when a reverse proxy sits in front (``https://help.example.org``);
    #: unset means "the Host header of the request", right when clients reach us directly.
    public_origin: str | None = None
    #: Reverse proxies whose ``X-Forwarded-For`` is believed: addresses or networks
    #: (``127.0.0.1``, ``10.1.0.0/16``). None by default: every client is the address it
    #: connects from, so nobody can pick their own address for the per-address limits.
    trusted_proxies: tuple[str, ...] = ()

    # Storage
    data_dir: Path = field(default_factory=default_data_dir)
    cert_file: Path | None = None  # default: data_dir/cert.pem (self-signed, made on first run)
    key_file: Path | None = None  # default: data_dir/key.pem
    #: One-file sharer apps to hand out (scripts/build-sharer); default: data_dir/downloads.
    downloads_dir: Path | None = None
    database_url: str = ""  # default: sqlite+aiosqlite:///data_dir/quickassist.db
    #: Live state (codes, session states, join limits, nodes) shared by many nodes; unset: in
    #: this process's memory, for one node (docs/deploy.md, "Many nodes").
    redis_url: str | None = None
    #: Put before every Redis key: deployments (or test runs) can share one Redis apart.
    redis_key_prefix: str = "qa:"
    #: Key that signs session cookies; default: generated once into data_dir/secret.key.
    secret_key: str | None = None
    #: Organisation given to the first administrator account.
    organisation: str = "quickassist"
    #: The OpenID providers helpers may sign in with (TOML, see service/oidc_providers.py).
    oidc_providers_file: Path | None = None
    #: How far the providers' clocks may differ from ours when ID tokens are checked.
    oidc_clock_skew_seconds: float = 120.0

    # Sessions
    session_max_age_seconds: int = 12 * 3600  # a helper signs in once per working day
    code_lifetime_seconds: int = 600  # docs/protocol.md section 1: codes are valid 10 minutes
    consent_timeout_seconds: int = 300
    reconnect_grace_seconds: int = 30

    # Limits
    max_frame_bytes: int = 4 * 1024 * 1024
    login_attempts_per_address: RateLimit = RateLimit(5, 60)
    #: Failed sign-ins to one account before each further attempt must wait, 1 s doubling with
    #: every failure up to ``login_delay_max_seconds`` (a delay, never a lock-out).
    login_failures_before_delay: int = 5
    login_delay_max_seconds: float = 900.0
    login_failures_global: RateLimit = RateLimit(300, 60)
    #: Sessions one helper may have not yet ended (codes waiting included), and codes they may
    #: ask for: far above one person's work, far below what would fill the service's memory.
    live_sessions_per_helper: int = 10
    code_requests_per_helper: RateLimit = RateLimit(30, 600)
    join_failures_per_address: RateLimit = RateLimit(10, 600)
    # docs/security.md derives the odds of guessing a code from the two global budgets (their
    # sum is the old single budget of 120/60) and an attacker's cost from the other two.
    join_failures_global: RateLimit = RateLimit(90, 60)
    #: Once the global budget is spent, networks (IPv6 /48) with fewer failures than this in
    #: its window may still try, within `join_failures_under_attack_global`: no kill switch.
    join_failures_under_attack_per_network: RateLimit = RateLimit(3, 86400)
    join_failures_under_attack_global: RateLimit = RateLimit(30, 60)

    # Privacy: personal data (helper identity, client addresses) is deleted after this long.
    retention_days: float = 3.0
    retention_interval_seconds: float = 3600.0

    # Many nodes (docs/deploy.md): each session is pinned to the node that holds its relay.
    #: This node's name among the nodes (letters, digits, dashes); default: the host name.
    node_name: str = ""
    #: The path under the public origin where the proxy reaches this node alone, such as
    #: ``/nodes/n1``: the helper and the sharer are told to open the relay there.
    relay_path: str = ""
    #: How often a node says it is alive; it is taken for lost after three missed beats.
    node_heartbeat_seconds: float = 5.0
    #: On SIGTERM with many nodes: how long live sessions may go on before they are ended.
    drain_seconds: float = 0.0

    log_level: str = "info"
    #: Bearer token GET /metrics requires. Unset: /metrics answers only clients on loopback.
    metrics_token: str | None = None

    def __post_init__(self) -> None:
        data_dir = Path(self.data_dir).expanduser()
        object.__setattr__(self, "data_dir", data_dir)
        if self.cert_file is None:
            object.__setattr__(self, "cert_file", data_dir / "cert.pem")
        if self.key_file is None:
            object.__setattr__(self, "key_file", data_dir / "key.pem")
        if not self.database_url:
            url = f"sqlite+aiosqlite:///{data_dir / 'quickassist.db'}"
            object.__setattr__(self, "database_url", url)
        if not self.node_name:
            object.__setattr__(self, "node_name", _default_node_name())
        if not _NODE_NAME.fullmatch(self.node_name):
            raise ConfigError(
                f"A node name is letters, digits and dashes (at most 63), not {self.node_name!r}."
            )
        object.__setattr__(self, "relay_path", self.relay_path.rstrip("/"))
        if self.relay_path and not _RELAY_PATH.fullmatch(self.relay_path):
            raise ConfigError(f"A relay path looks like /nodes/n1, not {self.relay_path!r}.")
        if self.node_heartbeat_seconds <= 0 or self.drain_seconds < 0:
            raise ConfigError("The heartbeat must be positive and the drain time not negative.")
        if self.public_origin is not None:
            object.__setattr__(self, "public_origin", self.public_origin.rstrip("/"))
        if not 0 < self.port < 65536:
            raise ConfigError(f"The port must be between 1 and 65535, not {self.port}.")
        object.__setattr__(self, "trusted_proxies", _networks(self.trusted_proxies))
        if self.login_failures_before_delay < 1 or self.live_sessions_per_helper < 1:
            raise ConfigError("Sign-in failures and live sessions per helper must be at least 1.")

    @property
    def certificate_path(self) -> Path:
        """The certificate file (always set after construction)."""
        assert self.cert_file is not None
        return self.cert_file

    @property
    def downloads_path(self) -> Path:
        """Where the sharer apps to hand out are looked for (service/downloads.py)."""
        return self.downloads_dir or self.data_dir / "downloads"

    @property
    def private_key_path(self) -> Path:
        """The private key file (always set after construction)."""
        assert self.key_file is not None
        return self.key_file

    @property
    def url(self) -> str:
        """The address people should open: the public origin, else this host and port."""
        if self.public_origin:
            return self.public_origin
        host = self.host
        if host in ("0.0.0.0", "::", ""):  # noqa: S104 - describing the bind address, not binding
            host = "localhost"
        elif ":" in host:
            host = f"[{host}]"
        return f"https://{host}" if self.port == 443 else f"https://{host}:{self.port}"

    @classmethod
    def from_sources(
        cls,
        flags: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ServiceConfig:
        """Build the config from flags (field name -> value, None = not given) over the environment.

        This is the only place that reads ``QUICKASSIST_*`` variables.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, (env_name, convert) in _ENVIRONMENT.items():
            raw = env.get(ENV_PREFIX + env_name)
            if raw is not None and raw != "":
                try:
                    values[name] = convert(raw)
                except ValueError as exc:
                    raise ConfigError(
                        f"{ENV_PREFIX}{env_name} has a value that cannot be used: {raw!r}."
                    ) from exc
        for name, value in (flags or {}).items():
            if value is not None:
                values[name] = value
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"Unknown settings: {', '.join(sorted(unknown))}.")
        return cls(**values)


_NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,62}")
_RELAY_PATH = re.compile(r"(/[A-Za-z0-9._~-]+)+")


def _default_node_name() -> str:
    name = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:63].strip("-")
    return name or "node"


def _path(text: str) -> Path:
    return Path(text)


def _comma_list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _networks(values: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    """Addresses or networks, checked and written the way uvicorn's proxy handling reads them."""
    items = _comma_list(values) if isinstance(values, str) else tuple(values)
    checked = []
    for item in items:
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError as exc:
            raise ConfigError(
                f"A trusted proxy is an address or a network such as 10.0.0.0/8, not {item!r}."
            ) from exc
        checked.append(str(network.network_address) if network.num_addresses == 1 else str(network))
    return tuple(checked)


# field name -> (environment variable without prefix, converter)
_ENVIRONMENT: dict[str, tuple[str, Callable[[str], Any]]] = {
    "host": ("HOST", str),
    "port": ("PORT", int),
    "public_origin": ("PUBLIC_ORIGIN", str),
    "trusted_proxies": ("TRUSTED_PROXIES", _comma_list),
    "data_dir": ("DATA_DIR", _path),
    "cert_file": ("CERT", _path),
    "key_file": ("KEY", _path),
    "database_url": ("DATABASE_URL", str),
    "downloads_dir": ("DOWNLOADS_DIR", _path),
    "secret_key": ("SECRET_KEY", str),
    "organisation": ("ORGANISATION", str),
    "oidc_providers_file": ("OIDC_PROVIDERS_FILE", _path),
    "oidc_clock_skew_seconds": ("OIDC_CLOCK_SKEW_SECONDS", float),
    "session_max_age_seconds": ("SESSION_MAX_AGE_SECONDS", int),
    "code_lifetime_seconds": ("CODE_LIFETIME_SECONDS", int),
    "consent_timeout_seconds": ("CONSENT_TIMEOUT_SECONDS", int),
    "reconnect_grace_seconds": ("RECONNECT_GRACE_SECONDS", int),
    "max_frame_bytes": ("MAX_FRAME_BYTES", int),
    "login_attempts_per_address": ("LOGIN_ATTEMPTS_PER_ADDRESS", RateLimit.parse),
    "login_failures_before_delay": ("LOGIN_FAILURES_BEFORE_DELAY", int),
    "login_delay_max_seconds": ("LOGIN_DELAY_MAX_SECONDS", float),
    "login_failures_global": ("LOGIN_FAILURES_GLOBAL", RateLimit.parse),
    "live_sessions_per_helper": ("LIVE_SESSIONS_PER_HELPER", int),
    "code_requests_per_helper": ("CODE_REQUESTS_PER_HELPER", RateLimit.parse),
    "metrics_token": ("METRICS_TOKEN", str),
    "join_failures_per_address": ("JOIN_FAILURES_PER_ADDRESS", RateLimit.parse),
    "join_failures_global": ("JOIN_FAILURES_GLOBAL", RateLimit.parse),
    "join_failures_under_attack_per_network": (
        "JOIN_FAILURES_UNDER_ATTACK_PER_NETWORK",
        RateLimit.parse,
    ),
    "join_failures_under_attack_global": ("JOIN_FAILURES_UNDER_ATTACK_GLOBAL", RateLimit.parse),
    "retention_days": ("RETENTION_DAYS", float),
    "retention_interval_seconds": ("RETENTION_INTERVAL_SECONDS", float),
    "log_level": ("LOG_LEVEL", str),
    "redis_url": ("REDIS_URL", str),
    "redis_key_prefix": ("REDIS_KEY_PREFIX", str),
    "node_name": ("NODE_NAME", str),
    "relay_path": ("RELAY_PATH", str),
    "node_heartbeat_seconds": ("NODE_HEARTBEAT_SECONDS", float),
    "drain_seconds": ("DRAIN_SECONDS", float),
}
