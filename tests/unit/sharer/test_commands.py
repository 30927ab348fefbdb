"""`quickassist share`'s options, and where it decides between window and terminal."""

from __future__ import annotations

import argparse

import pytest

from quickassist.protocol.sharer_preset import SharerPreset
from quickassist.sharer.commands import (
    DEFAULT_SERVER_URL,
    add_share_command,
    gui_available,
    resolve_service,
)
from quickassist.sharer.tls_trust import parse_fingerprint

PIN = "SHA256:" + ":".join(["AB"] * 32)
PRESET = SharerPreset(service_url="https://help.example:8443", fingerprint=PIN)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="quickassist")
    add_share_command(parser.add_subparsers(dest="command"))
    return parser.parse_args(["share", *argv])


def test_defaults() -> None:
    args = parse()
    assert args.server_url is None and resolve_service(args, None)[0] == DEFAULT_SERVER_URL
    assert DEFAULT_SERVER_URL == "https://localhost:8443"
    assert args.fingerprint is None and args.ca_file is None and args.code is None
    assert not args.no_gui and not args.verbose and args.monitor is None and not args.remember


def test_no_address_means_the_preset_with_its_pin() -> None:
    url, trust = resolve_service(parse(), PRESET)
    assert url == "https://help.example:8443"
    assert trust.fingerprint == parse_fingerprint(PIN) and trust.ca_file is None
    # The same service typed by hand (a trailing slash too) keeps the pin.
    assert resolve_service(parse("https://help.example:8443/"), PRESET)[1].fingerprint


def test_the_preset_pin_never_goes_to_another_service_or_over_other_trust() -> None:
    other_url, other = resolve_service(parse("https://elsewhere.example"), PRESET)
    assert other_url == "https://elsewhere.example" and other.fingerprint is None
    pinned = "SHA256:" + ":".join(["CD"] * 32)
    assert resolve_service(parse("--fingerprint", pinned), PRESET)[1].fingerprint == (
        parse_fingerprint(pinned)
    )
    ca = resolve_service(parse("--ca-file", "ca.pem"), PRESET)[1]
    assert ca.fingerprint is None and str(ca.ca_file) == "ca.pem"


def test_every_option() -> None:
    args = parse(
        "https://help.example:443",
        "--fingerprint",
        "SHA256:AB",
        "--code",
        "abc-234",
        "--no-gui",
        "--monitor",
        "2",
        "--verbose",
    )
    assert args.server_url == "https://help.example:443"
    assert args.fingerprint == "SHA256:AB"
    assert (args.code, args.no_gui, args.monitor, args.verbose) == ("abc-234", True, 2, True)


def test_pin_and_ca_file_exclude_each_other() -> None:
    with pytest.raises(SystemExit) as caught:
        parse("--fingerprint", "SHA256:AB", "--ca-file", "ca.pem")
    assert caught.value.code == 2


def test_no_display_means_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert not gui_available()
    monkeypatch.setenv("DISPLAY", ":99")
    assert gui_available()
