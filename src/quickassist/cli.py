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


#: The part (pip extra) each command needs; every command not named here is the service's.
PART_OF_COMMAND = {"share": "sharer"}


def missing_part_sentence(command: str, module: str) -> str:
    """What to tell a person who ran a part of quickassist whose extra is not installed."""
    part = PART_OF_COMMAND.get(command, "service")
    return (
        f"quickassist {command} needs the {part} part, which is not installed here (the Python "
        f"module {module!r} is missing). Install it with: pipx install 'quickassist[{part}]' "
        f"(or, inside a virtual environment: pip install 'quickassist[{part}]')."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if not missing or missing == "quickassist":
            raise  # our own module missing is a broken install, not a missing extra
        print(missing_part_sentence(args.command, missing), file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
