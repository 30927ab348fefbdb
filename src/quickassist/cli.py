"""The `quickassist` command: `serve`, `user ...` and `share`.

Each side registers its own sub-commands from a module that imports only the standard library,
so `quickassist share` works with the sharer's light install and `serve` with the service's.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quickassist",
        description="Self-hostable remote support: a helper views or controls a sharer's screen.",
    )
    parser.add_argument("--version", action="version", version=f"quickassist {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    from .service.commands import add_service_commands
    from .sharer.commands import add_share_command

    add_service_commands(sub)
    add_share_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
