"""The service's sub-commands: ``quickassist serve`` and ``quickassist user ...``.

Only the standard library is imported here at module level: ``quickassist share`` must work with
the sharer's light install, which lacks the service's extras. Each command imports what it needs
when it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from pathlib import Path

    from .accounts import HelperAccounts
    from .config import ServiceConfig
    from .helper_session_store import HelperSessionStore
    from .identity import HelperIdentity


EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def add_service_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``serve`` and ``user`` on the top-level parser's sub-commands."""
    _add_serve(subparsers)
    _add_user(subparsers)
    _add_db(subparsers)


# -- shared options ----------------------------------------------------------------------------


def _add_store_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("storage")
    group.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where the database, certificate and secret key live "
        "(default: the user data directory, e.g. ~/.local/share/quickassist; "
        "env QUICKASSIST_DATA_DIR)",
    )
    group.add_argument(
        "--database-url",
        metavar="URL",
        help="SQLAlchemy async URL of the store (default: sqlite+aiosqlite:///DIR/quickassist.db; "
        "postgresql+asyncpg://... at scale; env QUICKASSIST_DATABASE_URL)",
    )


def _store_flags(args: argparse.Namespace) -> dict[str, Any]:
    return {"data_dir": args.data_dir, "database_url": args.database_url}


def _load_config(flags: dict[str, Any]) -> ServiceConfig:
    from pathlib import Path

    from .config import ServiceConfig

    if flags.get("data_dir") is not None:
        flags["data_dir"] = Path(flags["data_dir"])
    return ServiceConfig.from_sources(flags)


def _guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the service's errors into a sentence on stderr and exit status 1."""

    def guarded(args: argparse.Namespace) -> int:
        from .errors import ServiceError

        try:
            return run(args)
        except ServiceError as exc:
            print(f"quickassist: {exc.message}", file=sys.stderr)
            return EXIT_FAILED

    return guarded


# -- serve -------------------------------------------------------------------------------------


def _add_serve(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the remote assistance service (HTTPS and WSS on one port)",
        description="Run the remote assistance service: the helper console, the rendezvous API "
        "and the relay, over HTTPS and WSS on one port. On first run it makes a self-signed "
        "certificate and an 'admin' account, prints the certificate's fingerprint, and writes "
        "the admin's first password to admin-password.txt in the data directory (0600). Every "
        "option can also be set with a QUICKASSIST_* environment variable; flags win (the "
        "metrics token only by QUICKASSIST_METRICS_TOKEN: a flag would show in `ps`).",
    )
    net = parser.add_argument_group("network")
    net.add_argument(
        "--host", help="address to listen on (default 0.0.0.0: all; env QUICKASSIST_HOST)"
    )
    net.add_argument(
        "--port",
        type=int,
        help="port for HTTPS and WSS (default 8443; 443 in production; env QUICKASSIST_PORT)",
    )
    net.add_argument(
        "--public-origin",
        metavar="URL",
        help="the origin browsers use when a reverse proxy is in front, "
        "e.g. https://help.example.org (env QUICKASSIST_PUBLIC_ORIGIN)",
    )
    net.add_argument(
        "--trusted-proxy",
        metavar="ADDRESS",
        action="append",
        help="a reverse proxy (address or network, e.g. 127.0.0.1 or 10.0.0.0/8) whose "
        "X-Forwarded-For is believed; repeat for several. Default: none, the address a client "
        "connects from counts (env QUICKASSIST_TRUSTED_PROXIES, comma-separated)",
    )
    tls = parser.add_argument_group("TLS")
    tls.add_argument(
        "--cert",
        metavar="FILE",
        help="PEM certificate (chain) to serve instead of the self-signed one "
        "(env QUICKASSIST_CERT; give --key too)",
    )
    tls.add_argument(
        "--key", metavar="FILE", help="PEM private key of --cert (env QUICKASSIST_KEY)"
    )
    _add_store_options(parser)
    nodes = parser.add_argument_group("many nodes (docs/deploy.md, 'Many machines')")
    nodes.add_argument(
        "--redis-url",
        metavar="URL",
        help="Redis shared by the nodes, e.g. redis://10.0.0.5:6379/0 (env QUICKASSIST_REDIS_URL; "
        "prefer it when the URL holds a password, which a flag would show in `ps`)",
    )
    nodes.add_argument(
        "--node-name", help="this node's name (default: the host name; env QUICKASSIST_NODE_NAME)"
    )
    nodes.add_argument(
        "--relay-path",
        metavar="PATH",
        help="where the proxy reaches this node alone, e.g. /nodes/n1 (env QUICKASSIST_RELAY_PATH)",
    )
    nodes.add_argument(
        "--drain-seconds",
        type=float,
        metavar="SECONDS",
        help="on SIGTERM, how long live sessions may go on (default 0; "
        "env QUICKASSIST_DRAIN_SECONDS)",
    )
    parser.add_argument(
        "--downloads-dir",
        metavar="DIR",
        help="where the one-file sharer apps to hand out are (scripts/build-sharer; "
        "default: DATA_DIR/downloads; env QUICKASSIST_DOWNLOADS_DIR)",
    )
    parser.add_argument(
        "--organisation",
        help="organisation of the first 'admin' account, shown to sharers "
        "(default: quickassist; env QUICKASSIST_ORGANISATION)",
    )
    parser.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        help="how much to log to the console (default info; env QUICKASSIST_LOG_LEVEL)",
    )
    parser.set_defaults(run=_guarded(run_serve))


def run_serve(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .errors import ConfigError

    if (args.cert is None) != (args.key is None):
        raise ConfigError("Give --cert and --key together.")
    flags = {
        **_store_flags(args),
        "host": args.host,
        "port": args.port,
        "public_origin": args.public_origin,
        "trusted_proxies": tuple(args.trusted_proxy) if args.trusted_proxy else None,
        "cert_file": Path(args.cert) if args.cert else None,
        "key_file": Path(args.key) if args.key else None,
        "downloads_dir": Path(args.downloads_dir) if args.downloads_dir else None,
        "organisation": args.organisation,
        "log_level": args.log_level,
        "redis_url": args.redis_url,
        "node_name": args.node_name,
        "relay_path": args.relay_path,
        "drain_seconds": args.drain_seconds,
    }
    config = _load_config(flags)

    from .app import create_app
    from .server import prepare, serve

    preparation = prepare(config)
    _print_banner(config, preparation.fingerprint, preparation.admin_password_file, sys.stdout)
    # prepare() brought the schema up to date (in a child process): no migration on start.
    serve(create_app(config, migrate_on_start=False), config)
    print("quickassist stopped.", flush=True)
    return EXIT_OK


def _print_banner(
    config: ServiceConfig, fingerprint: str, admin_password_file: Path | None, out: TextIO
) -> None:
    lines = [
        f"quickassist is serving at {config.url}",
        f"Certificate: {config.certificate_path}",
        f"Certificate fingerprint: {fingerprint}",
    ]
    if admin_password_file is not None:
        # Not the password itself: stdout goes to logs and journals that others can read.
        lines += [
            "",
            "First run: an administrator account was created.",
            "  username: admin",
            f"  password: in {admin_password_file} (readable only by this user)",
            "Sign in, then change it with `quickassist user passwd admin` and delete the file.",
        ]
    print("\n".join(lines), file=out, flush=True)


# -- db ----------------------------------------------------------------------------------------


def _add_db(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "db",
        help="bring the store's schema up to date (for operators who migrate separately)",
        description="Manage the store's schema. `serve` migrates at start too (one node at a "
        "time on PostgreSQL: an advisory lock); run `db upgrade` first to keep schema changes "
        "out of a rolling restart.",
    )
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser(
        "upgrade",
        help="migrate the database to the newest schema",
        description="Migrate the database to the newest schema (a no-op when it is current).",
    )
    upgrade.add_argument(
        "--sql",
        action="store_true",
        help="print the SQL the migration would run instead of running it (for a DBA's review)",
    )
    _add_store_options(upgrade)
    upgrade.set_defaults(run=_guarded(run_db_upgrade))


def run_db_upgrade(args: argparse.Namespace) -> int:
    config = _load_config(_store_flags(args))
    from .database import create_engine, migrate, migration_sql, schema_revision

    if args.sql:
        print(migration_sql(config.database_url), end="")
        return EXIT_OK

    async def run() -> str | None:
        engine = create_engine(config.database_url)
        try:
            await migrate(engine)
            return await schema_revision(engine)
        finally:
            await engine.dispose()

    print(f"The database schema is at revision {asyncio.run(run())}.")
    return EXIT_OK


# -- user --------------------------------------------------------------------------------------


def _add_user(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "user",
        help="manage helper accounts (add, list, remove, passwd, signout, disable, enable)",
        description="Manage the helper accounts stored by the service.",
    )
    users = parser.add_subparsers(dest="user_command", metavar="ACTION", required=True)

    def account_command(
        name: str,
        run: Callable[[argparse.Namespace], int],
        *,
        help: str,
        description: str,
        username_help: str | None = None,
    ) -> argparse.ArgumentParser:
        """``user NAME USERNAME``, running ``run``; its own arguments are added after."""
        command = users.add_parser(name, help=help, description=description)
        command.add_argument("username", help=username_help)
        command.set_defaults(run=_guarded(run))
        return command

    def password_stdin(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )

    add = account_command(
        "add",
        run_user_add,
        help="create a helper account",
        description="Create a helper account. Without --password-stdin you are asked for the "
        "password twice; leave it empty (or run without a terminal) to have one generated "
        "and printed.",
        username_help="sign-in name (case-insensitive)",
    )
    add.add_argument("--name", required=True, help='full name, e.g. "Ada Lovelace"')
    add.add_argument(
        "--organisation", required=True, help="organisation shown to sharers, e.g. Contoso"
    )
    add.add_argument("--admin", action="store_true", help="make the helper an administrator")
    password_stdin(add)

    listing = users.add_parser("list", help="list helper accounts", description="List helpers.")
    listing.set_defaults(run=_guarded(run_user_list))

    account_command(
        "remove",
        run_user_remove,
        help="delete a helper account",
        description="Delete a helper account; their sign-ins stop working at once.",
    )
    passwd = account_command(
        "passwd",
        run_user_passwd,
        help="set a helper's password",
        description="Set a helper's password; their existing sign-ins stop working.",
    )
    password_stdin(passwd)
    account_command(
        "signout",
        run_user_signout,
        help="sign a helper out everywhere",
        description="End every sign-in of a helper, on every browser, at once.",
    )
    account_command(
        "disable",
        run_user_disable,
        help="disable a helper account",
        description="Disable a helper account: they cannot sign in, and are signed out "
        "everywhere at once.",
    )
    account_command(
        "enable",
        run_user_enable,
        help="enable a disabled account",
        description="Let a disabled helper sign in.",
    )
    change = account_command(
        "set",
        run_user_set,
        help="change a helper's role or full-control permission",
        description="Change a helper's role (admin manages helpers and settings) or whether "
        "they may ask for full control (without it the service grants view only). The last "
        "administrator cannot be made a plain helper.",
    )
    change.add_argument("--role", choices=("admin", "helper"), help="the helper's role")
    change.add_argument(
        "--full-control",
        choices=("yes", "no"),
        help="may ask for full control (applies to their next session)",
    )
    account_command(
        "reset-2fa",
        run_user_reset_2fa,
        help="remove a helper's two-factor sign-in (a lost phone)",
        description="Remove a helper's authenticator and recovery codes; they sign in with "
        "their password alone until they set one up again, and are signed out everywhere.",
    )
    for command in users.choices.values():  # last: after each command's own arguments
        _add_store_options(command)

    _add_org(subparsers)
    _add_settings(subparsers)


#: ``quickassist settings NAME on|off``: the names people type -> service_settings names.
SETTING_NAMES = {"local-sign-in": "local_sign_in", "admin-2fa": "admin_two_factor"}


def _add_settings(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "settings",
        help="show or change the settings administrators change while the service runs",
        description="Without arguments, show them. local-sign-in: helpers may sign in with a "
        "password (off: only through the identity providers). admin-2fa: administrators "
        "with a password must use an authenticator app.",
    )
    parser.add_argument("name", nargs="?", choices=sorted(SETTING_NAMES))
    parser.add_argument("value", nargs="?", choices=("on", "off"))
    _add_store_options(parser)
    parser.set_defaults(run=_guarded(run_settings))


def run_settings(args: argparse.Namespace) -> int:
    from .errors import ServiceError

    if (args.name is None) != (args.value is None):
        raise ServiceError(
            "Give a setting and on or off, e.g. `quickassist settings admin-2fa on`."
        )

    async def change(accounts: HelperAccounts) -> int:
        from .service_settings import ServiceSettings, Setting

        settings = ServiceSettings(accounts.sessions)
        if args.name is not None:
            await settings.set(Setting(SETTING_NAMES[args.name]), args.value == "on")
        values = await settings.all()
        for shown, stored in SETTING_NAMES.items():
            print(f"{shown}  {'on' if values[stored] else 'off'}")
        return EXIT_OK

    return _with_accounts(args, change)


def _add_org(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "org",
        help="set the domain the service vouches for, per organisation",
        description="Organisations are named by their helpers' accounts. A verified domain is "
        "shown to sharers: 'Ada L. · Contoso (verified: contoso.com)'; without one the "
        "sharer is told the organisation is not verified.",
    )
    orgs = parser.add_subparsers(dest="org_command", metavar="ACTION", required=True)
    verify = orgs.add_parser(
        "verify", help="set an organisation's verified domain", description="Verify a domain."
    )
    verify.add_argument("name", help="the organisation, as in `user add --organisation`")
    verify.add_argument("domain", help="e.g. contoso.com")
    unverify = orgs.add_parser(
        "unverify", help="clear an organisation's verified domain", description="Clear it."
    )
    unverify.add_argument("name")
    listing = orgs.add_parser("list", help="list organisations", description="List them.")
    for sub, run in (
        (verify, run_org_verify),
        (unverify, run_org_unverify),
        (listing, run_org_list),
    ):
        _add_store_options(sub)
        sub.set_defaults(run=_guarded(run))


def _with_accounts(
    args: argparse.Namespace, action: Callable[[HelperAccounts], Coroutine[Any, Any, int]]
) -> int:
    return _with_store(args, lambda accounts, _sign_ins: action(accounts))


def _with_store(
    args: argparse.Namespace,
    action: Callable[[HelperAccounts, HelperSessionStore], Coroutine[Any, Any, int]],
) -> int:
    """Run ``action`` on the accounts and the helpers' sign-ins of the configured store."""
    config = _load_config(_store_flags(args))

    from .accounts import HelperAccounts
    from .database import create_engine, migrate, session_factory
    from .helper_session_store import SqlHelperSessionStore

    async def run() -> int:
        engine = create_engine(config.database_url)
        try:
            await migrate(engine)
            sessions = session_factory(engine)
            return await action(HelperAccounts(sessions), SqlHelperSessionStore(sessions))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _read_password(args: argparse.Namespace) -> tuple[str, bool]:
    """The new password and whether it was generated (and so must be printed)."""
    from .accounts import generate_password
    from .errors import ServiceError

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ServiceError("No password came on standard input.")
        return password, False
    if sys.stdin.isatty():
        first = getpass.getpass("Password (empty: generate one): ")
        if first:
            if getpass.getpass("Password again: ") != first:
                raise ServiceError("The two passwords differ. Nothing was changed.")
            return first, False
    return generate_password(), True


def run_user_add(args: argparse.Namespace) -> int:
    from .accounts import normalise_username

    normalise_username(args.username)  # a bad name is refused before asking for a password
    password, generated = _read_password(args)

    async def add(accounts: HelperAccounts) -> int:
        helper = await accounts.add(
            args.username,
            display_name=args.name,
            organisation=args.organisation,
            password=password,
            is_admin=args.admin,
        )
        role = "administrator" if helper.is_admin else "helper"
        print(f"Added {role} {helper.username} ({helper.display_name}, {helper.organisation}).")
        if generated:
            print(f"Password: {password}")
        return EXIT_OK

    return _with_accounts(args, add)


def run_user_list(args: argparse.Namespace) -> int:
    async def listing(accounts: HelperAccounts) -> int:
        helpers = await accounts.list()
        if not helpers:
            print("No helper accounts.")
            return EXIT_OK
        rows = [("USERNAME", "NAME", "ORGANISATION", "CONTROL", "ADMIN")] + [
            (
                h.username,
                h.display_name,
                h.organisation,
                "full" if h.full_control else "view-only",
                "yes" if h.is_admin else "",
            )
            for h in helpers
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            print(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
                + "  "
                + row[4]
            )
        return EXIT_OK

    return _with_accounts(args, listing)


def _signing_out(
    args: argparse.Namespace,
    change: Callable[[HelperAccounts], Coroutine[Any, Any, HelperIdentity]],
    said: Callable[[HelperIdentity, int], str],
) -> int:
    """Run an account change that ends every sign-in of the helper it names (on a running
    service their open sessions end too, at its next check: service.sign_in_watch).

    `change` makes the change and gives the helper; `said` is what to print, from the helper
    and how many sign-ins ended."""

    async def run(accounts: HelperAccounts, sign_ins: HelperSessionStore) -> int:
        helper = await change(accounts)
        print(said(helper, await sign_ins.revoke_helper(helper.id)))
        return EXIT_OK

    return _with_store(args, run)


def run_user_remove(args: argparse.Namespace) -> int:
    return _signing_out(
        args,
        lambda accounts: accounts.remove(args.username),
        lambda helper, _ended: f"Removed {helper.username}.",
    )


def run_user_passwd(args: argparse.Namespace) -> int:
    password, generated = _read_password(args)

    def said(helper: HelperIdentity, _ended: int) -> str:
        changed = f"Password changed for {helper.username}; their sign-ins have ended."
        return f"{changed}\nPassword: {password}" if generated else changed

    return _signing_out(args, lambda accounts: accounts.set_password(args.username, password), said)


def run_user_signout(args: argparse.Namespace) -> int:
    return _signing_out(
        args,
        lambda accounts: accounts.find(args.username),
        lambda helper, ended: (
            f"Signed {helper.username} out everywhere ({_sign_ins(ended)} ended)."
        ),
    )


def _set_disabled(args: argparse.Namespace, disabled: bool) -> int:
    if disabled:
        return _signing_out(
            args,
            lambda accounts: accounts.set_disabled(args.username, True),
            lambda helper, ended: f"Disabled {helper.username} ({_sign_ins(ended)} ended).",
        )

    async def enable(accounts: HelperAccounts) -> int:
        helper = await accounts.set_disabled(args.username, False)
        print(f"Enabled {helper.username}.")
        return EXIT_OK

    return _with_accounts(args, enable)


def run_user_disable(args: argparse.Namespace) -> int:
    return _set_disabled(args, True)


def run_user_enable(args: argparse.Namespace) -> int:
    return _set_disabled(args, False)


def run_user_set(args: argparse.Namespace) -> int:
    from .errors import ServiceError

    if args.role is None and args.full_control is None:
        raise ServiceError("Say what to change: --role, --full-control or both.")

    async def change(accounts: HelperAccounts) -> int:
        helper = await accounts.find(args.username)
        if args.role is not None:
            helper = await accounts.set_role(args.username, admin=args.role == "admin")
        if args.full_control is not None:
            allowed = args.full_control == "yes"
            helper = await accounts.set_full_control(args.username, allowed=allowed)
        control = "full control or view only" if helper.full_control else "view only"
        print(f"{helper.username} is now {helper.role.value}, may ask for {control}.")
        return EXIT_OK

    return _with_accounts(args, change)


def _with_organisations(
    args: argparse.Namespace, action: Callable[[Any], Coroutine[Any, Any, int]]
) -> int:
    async def run(accounts: HelperAccounts) -> int:
        from .organisations import Organisations

        return await action(Organisations(accounts.sessions))

    return _with_accounts(args, run)


def run_org_verify(args: argparse.Namespace) -> int:
    async def verify(organisations: Any) -> int:
        from .organisations import VerifiedBy

        domain = await organisations.verify(args.name, args.domain, VerifiedBy.ADMIN)
        print(f"Sharers now see {args.name.strip()} (verified: {domain}).")
        return EXIT_OK

    return _with_organisations(args, verify)


def run_org_unverify(args: argparse.Namespace) -> int:
    async def unverify(organisations: Any) -> int:
        from .organisations import VerifiedBy

        await organisations.verify(args.name, None, VerifiedBy.ADMIN)
        print(f"Sharers are now told {args.name.strip()} is not verified.")
        return EXIT_OK

    return _with_organisations(args, unverify)


def run_org_list(args: argparse.Namespace) -> int:
    async def listing(organisations: Any) -> int:
        known = await organisations.all()
        if not known:
            print("No organisation has a verified domain.")
        for name, domain in known.items():
            print(f"{name}  {domain or '(not verified)'}")
        return EXIT_OK

    return _with_organisations(args, listing)


def run_user_reset_2fa(args: argparse.Namespace) -> int:
    async def reset(accounts: HelperAccounts) -> HelperIdentity:
        import time

        from .totp import TwoFactor

        helper = await accounts.find(args.username)
        await TwoFactor(accounts.sessions, clock=time.time).reset(helper.id)
        return helper

    return _signing_out(
        args,
        reset,
        lambda helper, ended: (
            f"Two-factor sign-in removed for {helper.username} ({_sign_ins(ended)} ended)."
        ),
    )


def _sign_ins(count: int) -> str:
    return "1 sign-in" if count == 1 else f"{count} sign-ins"
