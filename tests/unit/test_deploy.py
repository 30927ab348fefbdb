"""The deployment examples in deploy/ are checked, not just read: every Kubernetes document
against the Kubernetes API schemas (kubernetes-validate, offline, strict: an unknown field is an
error), and every command line and QUICKASSIST_* setting in the manifest and the systemd unit
against the real `quickassist` parser and the settings the service reads."""

from __future__ import annotations

import argparse
import copy
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from quickassist.cli import build_parser
from quickassist.service.config import _ENVIRONMENT, ENV_PREFIX
from quickassist.service.tls import ensure_certificate

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
KUBERNETES = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
SYSTEMD = DEPLOY / "systemd"
#: The oldest Kubernetes still maintained when this was written, and the newest the package
#: knows: the example should apply to either.
VERSIONS = ("1.32.0", kubernetes_validate.latest_version())
#: Set by Kubernetes or by the manifest for its own use, not settings of the service.
NOT_SETTINGS = {"POD_NAME"}


def documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in KUBERNETES:
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                found.append(
                    (f"{path.name}:{document['kind']}/{document['metadata']['name']}", document)
                )
    return found


def containers() -> list[dict[str, Any]]:
    found = []
    for _name, document in documents():
        template = document.get("spec", {}).get("template", {})
        found += template.get("spec", {}).get("containers", [])
    return found


def test_there_is_a_manifest_to_check() -> None:
    kinds = {document["kind"] for _name, document in documents()}
    assert {"StatefulSet", "Service", "Ingress", "Secret"} <= kinds
    assert containers()


def test_a_container_that_must_not_run_as_root_names_a_numeric_user() -> None:
    """The kubelet starts a runAsNonRoot container only if it can tell the user is not root: a
    numeric runAsUser other than 0 (an image's USER by name is refused), and the pod's fsGroup
    lets that user write the data volume."""
    for _name, document in documents():
        spec = document.get("spec", {}).get("template", {}).get("spec", {})
        for container in spec.get("containers", []):
            context = container.get("securityContext", {})
            if context.get("runAsNonRoot"):
                assert isinstance(context.get("runAsUser"), int), container["name"]
                assert context["runAsUser"] != 0
                assert spec.get("securityContext", {}).get("fsGroup") == context["runAsGroup"]


def test_the_statefulsets_governing_service_is_there() -> None:
    """Not a schema rule, but Kubernetes expects the Service a StatefulSet names to exist."""
    services = {d["metadata"]["name"]: d for _n, d in documents() if d["kind"] == "Service"}
    for _name, document in documents():
        if document["kind"] == "StatefulSet":
            governing = services[document["spec"]["serviceName"]]
            assert governing["spec"]["clusterIP"] == "None"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("name", "document"), documents(), ids=[n for n, _ in documents()])
def test_every_kubernetes_document_is_valid(
    name: str, document: dict[str, Any], version: str
) -> None:
    kubernetes_validate.validate(document, version, strict=True)


def test_the_validator_would_see_a_mistake() -> None:
    """The check above can fail: a misspelt field and a wrong type are both refused."""
    statefulset = next(d for _n, d in documents() if d["kind"] == "StatefulSet")
    misspelt = copy.deepcopy(statefulset)
    misspelt["spec"]["template"]["spec"]["containers"][0]["arg"] = ["serve"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(misspelt, VERSIONS[-1], strict=True)
    wrong_type = copy.deepcopy(statefulset)
    wrong_type["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong_type, VERSIONS[-1], strict=True)


def exact(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``parser`` and its sub-commands taking whole option names only: an abbreviation
    (``--node`` for ``--node-name``) would parse today and break when an option is added."""
    parser.allow_abbrev = False
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                exact(sub)
    return parser


def parses(argv: list[str]) -> None:
    """``quickassist ARGV`` is a command line the real parser takes (its error, if not)."""
    try:
        exact(build_parser()).parse_args(argv)
    except SystemExit as exc:
        pytest.fail(f"quickassist {shlex.join(argv)} is refused by the parser ({exc})")


def test_the_containers_args_are_options_serve_has() -> None:
    for container in containers():
        args = container["args"]
        assert args[0] == "serve"
        parses(args)


def systemd_commands() -> list[list[str]]:
    unit = (SYSTEMD / "quickassist.service").read_text()
    commands = []
    for line in unit.splitlines():
        key, _, value = line.partition("=")
        if key in ("ExecStart", "ExecStartPre", "ExecStop", "ExecReload"):
            argv = shlex.split(value.lstrip("-+!@:"))
            assert Path(argv[0]).name == "quickassist", line
            commands.append(argv[1:])
    return commands


def test_the_systemd_units_commands_are_ones_quickassist_has() -> None:
    commands = systemd_commands()
    assert [c[0] for c in commands] == ["db", "serve"]
    for argv in commands:
        parses(argv)


def test_the_parser_check_would_see_a_wrong_option() -> None:
    with pytest.raises(pytest.fail.Exception):
        parses(["serve", "--node", "n1"])


def setting_names() -> dict[str, set[str]]:
    """Every QUICKASSIST_* name the examples set, by where it is set."""
    names: dict[str, set[str]] = {}
    for _name, document in documents():
        if document["kind"] == "Secret":
            names.setdefault("Secret", set()).update(document.get("stringData", {}))
    for container in containers():
        names.setdefault("container env", set()).update(e["name"] for e in container["env"])
    for path in SYSTEMD.iterdir():
        text = path.read_text()
        found = set(re.findall(r"^(QUICKASSIST_\w+)=", text, re.MULTILINE))
        found |= set(re.findall(r"^Environment=(QUICKASSIST_\w+)=", text, re.MULTILINE))
        names.setdefault(path.name, set()).update(found)
    return names


def test_every_setting_the_examples_give_is_one_the_service_reads() -> None:
    known = {ENV_PREFIX + env_name for env_name, _convert in _ENVIRONMENT.values()}
    names = setting_names()
    assert names["quickassist.env.example"] and names["container env"]
    for where, given in names.items():
        unknown = given - known - NOT_SETTINGS
        assert not unknown, f"{where} sets {sorted(unknown)}, which quickassist does not read"


NGINX = DEPLOY / "nginx" / "quickassist.conf"
#: Paths in the example that name an operator's files; the check gives them real ones.
NGINX_FILES = (
    "/etc/letsencrypt/live/help.example.org/fullchain.pem",
    "/etc/letsencrypt/live/help.example.org/privkey.pem",
    "/etc/nginx/quickassist-nodes-ca.pem",
)


def nginx_check(site: str, directory: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on `site` in an http {} of its own (as conf.d would hold it)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    ensure_certificate(cert, key)
    for path, replacement in zip(NGINX_FILES, (cert, key, cert), strict=True):
        site = site.replace(path, str(replacement))
    (directory / "site.conf").write_text(site)
    user = "user root;" if os.getuid() == 0 else ""
    (directory / "nginx.conf").write_text(
        f"{user}\npid {directory}/nginx.pid;\nerror_log {directory}/error.log warn;\n"
        f"events {{ }}\nhttp {{ include {directory}/site.conf; }}\n"
    )
    return subprocess.run(
        ["nginx", "-t", "-p", str(directory), "-c", str(directory / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_nginx_example_is_a_configuration_nginx_accepts(tmp_path: Path) -> None:
    text = NGINX.read_text()
    for path in NGINX_FILES:
        assert path in text, f"the example no longer names {path}; update the check"
    result = nginx_check(text, tmp_path)
    assert result.returncode == 0, result.stderr
    # Every node has its own location, its relay path (docs/deploy.md).
    for name in ("n1", "n2", "n3"):
        assert f"location /nodes/{name}/ {{ proxy_pass https://quickassist_{name}/; }}" in text


def test_the_nginx_check_would_see_a_broken_configuration(tmp_path: Path) -> None:
    result = nginx_check(
        NGINX.read_text().replace("upstream quickassist_n2", "upstream x"), tmp_path
    )
    assert result.returncode != 0
    assert "quickassist_n2" in result.stderr
