"""Running the service: first-run preparation and uvicorn with our TLS context.

`prepare` makes what a first run needs (certificate, schema, the first administrator);
`serve` runs uvicorn on one port for HTTPS and WSS until SIGINT/SIGTERM, then shuts down
gracefully and returns.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import ssl
import sys
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from fastapi import FastAPI

from .accounts import HelperAccounts, UsernameTaken, generate_password
from .config import ServiceConfig
from .data_dir import make_private
from .database import create_engine, migrate, session_factory
from .errors import ServiceError
from .lifecycle import Lifecycle
from .metrics import Metrics
from .secret_key import write_private_file
from .tls import certificate_fingerprint, ensure_certificate, server_ssl_context

ADMIN_USERNAME = "admin"
ADMIN_DISPLAY_NAME = "Administrator"
ADMIN_PASSWORD_FILE = "admin-password.txt"  # noqa: S105 - a file name, not a password
#: Frames are bounded by max_frame_bytes; the WebSocket message may add a small envelope.
WS_ENVELOPE_BYTES = 64
#: After SIGTERM, connections get this long to finish before their tasks are cancelled.
GRACEFUL_SHUTDOWN_SECONDS = 5


@dataclass(frozen=True)
class Preparation:
    """What `prepare` did: the certificate's fingerprint and where the first admin's password is.

    The password itself never leaves the preparing process: it goes to a 0600 file in the data
    directory (`ADMIN_PASSWORD_FILE`), not to stdout, which under systemd lands in the journal.
    """

    fingerprint: str
    certificate_created: bool
    admin_password_file: Path | None


async def create_first_admin(accounts: HelperAccounts, organisation: str) -> str | None:
    """Create ``admin`` with a random password if there is no helper at all; the password."""
    if await accounts.count() > 0:
        return None
    password = generate_password()
    try:
        await accounts.add(
            ADMIN_USERNAME,
            display_name=ADMIN_DISPLAY_NAME,
            organisation=organisation,
            password=password,
            is_admin=True,
        )
    except UsernameTaken:
        return None  # nodes starting together on one new database: another one made it
    return password


async def prepare_store(config: ServiceConfig) -> str | None:
    """Migrate the schema and create the first admin if needed (the admin's password, if so)."""
    engine = create_engine(config.database_url)
    try:
        await migrate(engine)
        return await create_first_admin(
            HelperAccounts(session_factory(engine)), config.organisation
        )
    finally:
        await engine.dispose()


def prepare_here(config: ServiceConfig) -> Preparation:
    """Everything a first run needs before the server starts, in this process."""
    # Private: it holds the TLS key, the cookie-signing key and the password hashes.
    warning = make_private(config.data_dir).sentence()
    if warning is not None:
        print(f"quickassist: {warning}", file=sys.stderr, flush=True)
    created = ensure_certificate(config.certificate_path, config.private_key_path)
    fingerprint = certificate_fingerprint(config.certificate_path)
    admin_password = asyncio.run(prepare_store(config))
    password_file = None
    if admin_password is not None:
        password_file = config.data_dir / ADMIN_PASSWORD_FILE
        write_private_file(password_file, admin_password + "\n")
    return Preparation(fingerprint, created, password_file)


def prepare(config: ServiceConfig) -> Preparation:
    """`prepare_here` in a short-lived child process where the platform can fork.

    The migration tooling (Alembic, ~10 MB resident) and certificate generation (cryptography)
    then never load into the long-running server. Forking is safe here: it happens before the
    server starts any thread or event loop.
    """
    if not hasattr(os, "fork"):
        return prepare_here(config)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_prepare_in_child, args=(config, sender), daemon=True)
    child.start()
    sender.close()
    try:
        outcome: Preparation | ServiceError = receiver.recv()
    except EOFError:
        outcome = ServiceError("Preparing the data directory failed; see the messages above.")
    finally:
        receiver.close()
        child.join()
    if isinstance(outcome, ServiceError):
        raise outcome
    return outcome


def _prepare_in_child(config: ServiceConfig, sender: Connection) -> None:
    try:
        outcome: Preparation | ServiceError = prepare_here(config)
    except ServiceError as exc:
        outcome = exc  # carried to the parent, which reports it as usual
    sender.send(outcome)
    sender.close()


class _Server(uvicorn.Server):
    """uvicorn's server, running our shut-down hooks before it closes connections.

    uvicorn closes every WebSocket (code 1012) before the ASGI lifespan shutdown; our hooks must
    run first so live sessions can tell both sides why they end ("server_shutdown").
    """

    def __init__(self, config: uvicorn.Config, lifecycle: Lifecycle) -> None:
        super().__init__(config)
        self._lifecycle = lifecycle

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await self._lifecycle.shutdown()
        await super().shutdown(sockets)


def uvicorn_config(app: FastAPI, config: ServiceConfig, context: ssl.SSLContext) -> uvicorn.Config:
    def ssl_context_factory(_config: Any, _default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        return context

    return uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        ssl_context_factory=ssl_context_factory,
        # Media is already compressed and deflate costs ~20x throughput (DESIGN.md, Media).
        ws_per_message_deflate=False,
        # Measured with bench/idle_sessions.py: per idle session, the sans-I/O websockets protocol
        # on uvloop costs 179 KiB of RSS, legacy websockets on asyncio 649 KiB.
        ws="websockets-sansio",
        loop="auto",  # uvloop where installed (the service extra installs it)
        # Twice the frame limit: the relay itself refuses frames over the limit with a plain
        # sentence; only absurd messages are cut short here, before they are buffered whole.
        ws_max_size=2 * config.max_frame_bytes + WS_ENVELOPE_BYTES,
        # The access log writes every client's address: personal data the service promises not
        # to keep (DESIGN.md, Privacy). Errors are still logged, without addresses.
        access_log=False,
        # X-Forwarded-For only from the proxies the operator named: believed from anyone else
        # (even loopback: a local user, a TCP forwarder, an SSRF), it would let every request
        # pick its own address and walk past the per-address limits.
        proxy_headers=bool(config.trusted_proxies),
        forwarded_allow_ips=",".join(config.trusted_proxies),
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        log_level=config.log_level,
        lifespan="on",
    )


class _NoClientAddresses(logging.Filter):
    """Drops uvicorn's per-WebSocket lines ('ADDRESS - "WebSocket PATH" 403'): like the access
    log, they would write every client's address (personal data, DESIGN.md Privacy)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith('%s - "WebSocket'))


class _OneLineRefusedFrames(logging.Filter):
    """uvicorn logs each text frame that is not UTF-8 with a full traceback; a peer can send
    thousands. One line instead, with no traceback, and a count in /metrics."""

    #: uvicorn's message (protocols/websockets/websockets_sansio_impl.py); it closes with 1007.
    INVALID_UTF8 = "Invalid UTF-8 sequence received from client."

    def __init__(self, metrics: Metrics) -> None:
        super().__init__()
        self._metrics = metrics

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == self.INVALID_UTF8:
            self._metrics.frames_refused["invalid_utf8"] += 1
            record.msg = "refused a text frame that is not UTF-8 (connection closed, 1007)"
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
        return True


def _ignore_signal(signum: int, frame: FrameType | None) -> None:
    """Handler in place after uvicorn returns: it re-raises the stop signal, already handled."""


#: glibc's mallopt parameter number for the mmap threshold (malloc.h: M_MMAP_THRESHOLD).
_M_MMAP_THRESHOLD = -3


def fix_malloc_mmap_threshold(threshold: int = 128 * 1024) -> None:
    """Keep glibc's mmap threshold fixed (it otherwise grows after large frees).

    Every TLS connection allocates a 256 KiB read buffer and touches only its first pages. With
    the threshold fixed, each buffer is mapped on its own and untouched pages never become
    resident: bench/idle_sessions.py measured 179 -> 127 KiB of RSS per idle session.
    Elsewhere than glibc this does nothing.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, threshold)
    except (OSError, AttributeError):
        return


def serve(app: FastAPI, config: ServiceConfig) -> None:
    """Serve ``app`` until SIGINT or SIGTERM, then shut down gracefully and return."""
    context = server_ssl_context(config.certificate_path, config.private_key_path)
    fix_malloc_mmap_threshold()
    server = _Server(uvicorn_config(app, config, context), app.state.lifecycle)
    # After the uvicorn.Config above: creating it (re)configures uvicorn's loggers.
    logging.getLogger("uvicorn.error").addFilter(_NoClientAddresses())
    logging.getLogger("uvicorn.error").addFilter(_OneLineRefusedFrames(app.state.metrics))
    # uvicorn re-raises the signal that stopped it, to the handler that was in place before;
    # with the defaults that would kill the process (SIGTERM) or raise KeyboardInterrupt after a
    # clean shutdown. Installing a no-op first makes a signalled stop an ordinary return (exit 0).
    previous = {sig: signal.signal(sig, _ignore_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
