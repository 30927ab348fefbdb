"""`quickassist share`: the sharer app's command line.

Only the standard library is imported here, so `quickassist --help` works with any install;
the client, Qt and capture are imported when the command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DEFAULT_SERVER_URL = "https://localhost:8443"


def add_share_command(subparsers: Any) -> None:
    """Register `share` on the `quickassist` parser's sub-commands."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "share",
        help="share your screen with a helper who gave you a code",
        description=(
            "Share your screen with a helper: type the code they gave you, see who is asking, "
            "and allow or decline. Nothing is shared before you allow, and you can pause, take "
            "back control or end at any time."
        ),
    )
    parser.add_argument(
        "server_url",
        nargs="?",
        default=DEFAULT_SERVER_URL,
        metavar="SERVER_URL",
        help=f"the service's address (default: {DEFAULT_SERVER_URL})",
    )
    trust = parser.add_mutually_exclusive_group()
    trust.add_argument(
        "--fingerprint",
        metavar="SHA256:..",
        help="trust the service's self-signed certificate with this SHA-256 fingerprint",
    )
    trust.add_argument(
        "--ca-file",
        metavar="PATH",
        type=Path,
        help="trust certificates issued by the CA certificate(s) in this PEM file",
    )
    parser.add_argument("--code", metavar="CODE", help="the code from your helper (prefilled)")
    parser.add_argument(
        "--no-gui", action="store_true", help="use the terminal instead of a window"
    )
    parser.add_argument(
        "--monitor", metavar="N", type=int, help="share monitor number N (default: the primary)"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="log what happens to standard error (never to disk)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the sharer app; returns the process exit status."""
    _configure_logging(verbose=args.verbose)
    from .errors import SharerError

    try:
        return _run(args)
    except SharerError as exc:
        print(f"quickassist: {exc.message}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    import asyncio

    from .client import SessionClient
    from .media_ports import default_media
    from .tls_trust import TrustSettings, parse_fingerprint

    trust = TrustSettings(
        fingerprint=parse_fingerprint(args.fingerprint) if args.fingerprint else None,
        ca_file=args.ca_file,
    )
    client = SessionClient(args.server_url, trust=trust)
    media = default_media(monitor_id=args.monitor)
    if not args.no_gui and gui_available():
        with _scratch_dirs():
            from .ui.qt_app import run_qt

            return run_qt(client, media=media, code=args.code)
    from .ui.terminal import TerminalSharer

    sharer = TerminalSharer(client, media=media, code=args.code)
    return asyncio.run(sharer.run())


def gui_available() -> bool:
    """Whether a window can be shown: a display on Linux, always elsewhere, and Qt installed."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM") == "offscreen"
    ):
        return False
    try:
        # QtWidgets, not just the package: a missing system library (libEGL, libxkbcommon)
        # shows up here as an ImportError, and the terminal is then the better choice.
        import PySide6.QtWidgets  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def _scratch_dirs() -> Iterator[Path]:
    """Point Qt's cache and config files at a private temp dir that is removed on exit.

    The sharer leaves no traces by default (DESIGN.md): Qt would otherwise create a font and
    shader cache under ~/.cache.
    """
    keys = ("XDG_CACHE_HOME", "XDG_CONFIG_HOME")
    saved = {key: os.environ.get(key) for key in keys}
    scratch = Path(tempfile.mkdtemp(prefix="quickassist-"))
    os.environ["XDG_CACHE_HOME"] = str(scratch / "cache")
    os.environ["XDG_CONFIG_HOME"] = str(scratch / "config")
    try:
        yield scratch
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(scratch, ignore_errors=True)


def _configure_logging(*, verbose: bool) -> None:
    # Standard error only, never a file; quiet unless asked.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("quickassist")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.ERROR)
    root.propagate = False
