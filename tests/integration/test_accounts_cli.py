"""`quickassist user add|list|remove|passwd` against a running service's store."""

from __future__ import annotations

import httpx

from tests.fixtures.service import LiveService, ServiceFactory
from tests.timeouts import WAIT


def login(service: LiveService, username: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=service.base_url, verify=service.ssl_context, timeout=WAIT) as c:
        return c.post("/api/auth/login", json={"username": username, "password": password})


def test_add_list_passwd_remove_while_the_service_runs(live_service: LiveService) -> None:
    added = live_service.cli(
        "user",
        "add",
        "Grace",
        "--name",
        "Grace Hopper",
        "--organisation",
        "Navy",
        "--admin",
        "--password-stdin",
        input="first password\n",
    )
    assert added.returncode == 0, added.stderr
    assert "grace" in added.stdout
    assert "first password" not in added.stdout

    listing = live_service.cli("user", "list")
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["USERNAME", "NAME", "ORGANISATION", "CONTROL", "ADMIN"]
    grace = next(line for line in lines if line.startswith("grace"))
    assert "Grace Hopper" in grace and "Navy" in grace and grace.rstrip().endswith("yes")
    assert any(line.startswith("ada ") for line in lines)

    assert login(live_service, "grace", "first password").status_code == 200

    with httpx.Client(
        base_url=live_service.base_url, verify=live_service.ssl_context, timeout=WAIT
    ) as session:
        signed_in = session.post(
            "/api/auth/login", json={"username": "grace", "password": "first password"}
        )
        assert signed_in.status_code == 200
        changed = live_service.cli(
            "user", "passwd", "grace", "--password-stdin", input="second password\n"
        )
        assert changed.returncode == 0, changed.stderr
        # The sign-in made with the old password ends with it.
        assert session.get("/api/auth/me").status_code == 401

    assert login(live_service, "grace", "first password").status_code == 401
    assert login(live_service, "grace", "second password").status_code == 200

    removed = live_service.cli("user", "remove", "grace")
    assert removed.returncode == 0, removed.stderr
    assert login(live_service, "grace", "second password").status_code == 401
    assert "grace" not in live_service.cli("user", "list").stdout


def test_mistakes_get_a_sentence_and_exit_status_1(live_service: LiveService) -> None:
    taken = live_service.cli(
        "user",
        "add",
        "ada",
        "--name",
        "Someone",
        "--organisation",
        "X",
        "--password-stdin",
        input="some password\n",
    )
    assert taken.returncode == 1
    assert taken.stderr.strip() == "quickassist: The username ada is already taken."
    unknown = live_service.cli("user", "remove", "nobody")
    assert unknown.returncode == 1
    assert "There is no helper called nobody." in unknown.stderr
    short = live_service.cli("user", "passwd", "ada", "--password-stdin", input="short\n")
    assert short.returncode == 1
    assert "at least 8 characters" in short.stderr
    assert "Traceback" not in taken.stderr + unknown.stderr + short.stderr


def test_add_without_a_terminal_generates_and_prints_a_password(
    live_service: LiveService,
) -> None:
    added = live_service.cli("user", "add", "linus", "--name", "Linus T", "--organisation", "K")
    assert added.returncode == 0, added.stderr
    password = added.stdout.split("Password: ", 1)[1].strip()
    assert len(password) >= 20
    assert login(live_service, "linus", password).status_code == 200


def test_accounts_survive_a_restart(service_factory: ServiceFactory) -> None:
    service = service_factory()
    added = service.cli(
        "user",
        "add",
        "marie",
        "--name",
        "Marie Curie",
        "--organisation",
        "Sorbonne",
        "--password-stdin",
        input="radium and polonium\n",
    )
    assert added.returncode == 0, added.stderr
    service.restart()
    answer = login(service, "marie", "radium and polonium")
    assert answer.status_code == 200
    assert answer.json()["organisation"] == "Sorbonne"
    assert login(service, "ada", service.helper_password).status_code == 200
