"""`quickassist share` and `quickassist install-desktop`: the sharer app's command line.

Only the standard library is imported here, so `quickassist --help` works with any install;
the client, Qt and capture are imported when the command runs. The one-file sharer app runs
the same commands through `run_bundle`, without the service's half of `quickassist`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .preset import SharerPreset
    from .tls_trust import TrustSettings

DEFAULT_SERVER_URL = "https://localhost:8443"
SHARE_DESCRIPTION = (
    "Share your screen with a helper: type the code they gave you, see who is asking, "
    "and allow or decline. Nothing is shared before you allow, and you can pause, take "
    "back control or end at any time. With no address, the service this app was set up for "
    "is used (the sharer app handed out by a service knows it; see --remember)."
)
INSTALL_DESKTOP_DESCRIPTION = (
    "Add the sharer app to your desktop's app menu (a desktop entry and an icon under "
    "~/.local/share), so it starts from the menu, a search or a keyboard shortcut."
)


def add_share_command(subparsers: Any) -> None:
    """Register the sharer's commands, `share` and `install-desktop`, on `quickassist`'s."""
    configure_share(
        subparsers.add_parser(
            "share",
            help="share your screen with a helper who gave you a code",
            description=SHARE_DESCRIPTION,
        )
    )
    configure_install_desktop(
        subparsers.add_parser(
            "install-desktop",
            help="add the sharer app to the desktop's app menu",
            description=INSTALL_DESKTOP_DESCRIPTION,
        )
    )


def configure_share(parser: argparse.ArgumentParser) -> None:
    """The options of `share` (also the one-file app's own options)."""
    parser.add_argument(
        "server_url",
        nargs="?",
        metavar="SERVER_URL",
        help="the service's address (default: the one this app was set up for, "
        f"else {DEFAULT_SERVER_URL})",
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
        "--allow-org",
        metavar="DOMAIN",
        action="append",
        default=[],
        help="managed computers: accept only helpers whose organisation the service verified "
        "for this domain (e.g. contoso.com); repeat for several. Others are refused before "
        "anything is asked",
    )
    parser.add_argument(
        "--no-gui", action="store_true", help="use the terminal instead of a window"
    )
    parser.add_argument(
        "--monitor", metavar="N", type=int, help="share monitor number N (default: the primary)"
    )
    parser.add_argument(
        "--remember",
        action="store_true",
        help="save the address and fingerprint given, so that next time `quickassist share` "
        "alone is enough (in ~/.config/quickassist/sharer.json)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="log what happens to standard error (never to disk)"
    )
    parser.set_defaults(run=run)


def configure_install_desktop(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(run=run_install_desktop)


def run_bundle(argv: Sequence[str]) -> int:
    """The one-file sharer app: `share`'s options, or `install-desktop`."""
    parser = argparse.ArgumentParser(prog="quickassist-sharer")
    if argv[:1] == ["install-desktop"]:
        parser.description = INSTALL_DESKTOP_DESCRIPTION
        configure_install_desktop(parser)
        argv = argv[1:]
    else:
        parser.description = SHARE_DESCRIPTION
        configure_share(parser)
    args = parser.parse_args(argv)
    try:
        result: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    return result


def run_install_desktop(args: argparse.Namespace) -> int:
    """Write the desktop entry and icon; print where."""
    from .desktop_entry import DesktopEntryError, install_desktop_entry

    try:
        written = install_desktop_entry()
    except DesktopEntryError as exc:
        print(f"quickassist: {exc.message}", file=sys.stderr)
        return 1
    for path in written:
        print(f"Wrote {path}")
    print("The sharer app is in your app menu as 'quickassist sharer'.")
    return 0


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
    from .preset import find_preset

    server_url, trust = resolve_service(args, find_preset())
    if args.remember:
        _remember(server_url, trust)
    client = SessionClient(server_url, trust=trust, allowed_domains=tuple(args.allow_org))
    media = default_media(monitor_id=args.monitor)
    if not args.no_gui and gui_available():
        with _scratch_dirs():
            from .ui.qt_app import run_qt

            return run_qt(client, media=media, code=args.code)
    from .ui.terminal import TerminalSharer

    sharer = TerminalSharer(client, media=media, code=args.code)
    return asyncio.run(sharer.run())


def resolve_service(
    args: argparse.Namespace, preset: SharerPreset | None
) -> tuple[str, TrustSettings]:
    """The service to join and how to trust it: what was typed, else the preset, else localhost.

    The preset's pin applies only to the preset's own service, and only when no other trust
    (`--fingerprint`, `--ca-file`) was given.
    """
    from .tls_trust import TrustSettings, parse_fingerprint

    server_url: str = args.server_url or (preset.service_url if preset else DEFAULT_SERVER_URL)
    fingerprint: str | None = args.fingerprint
    if (
        fingerprint is None
        and args.ca_file is None
        and preset is not None
        and server_url.rstrip("/") == preset.service_url.rstrip("/")
    ):
        fingerprint = preset.fingerprint
    trust = TrustSettings(
        fingerprint=parse_fingerprint(fingerprint) if fingerprint else None,
        ca_file=args.ca_file,
    )
    return server_url, trust


def _remember(server_url: str, trust: TrustSettings) -> None:
    from ..protocol.errors import MessageError
    from .errors import SharerError
    from .preset import SharerPreset, remember
    from .tls_trust import format_fingerprint

    pin = format_fingerprint(trust.fingerprint) if trust.fingerprint else None
    try:
        preset = SharerPreset(service_url=server_url.rstrip("/"), fingerprint=pin)
    except MessageError as exc:
        raise SharerError(exc.message) from exc
    try:
        path = remember(preset)
    except OSError as exc:
        raise SharerError(f"The settings cannot be saved: {exc}.") from exc
    print(f"Saved {server_url} in {path}: next time, `quickassist share` alone is enough.")


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
