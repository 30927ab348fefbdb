"""The OpenID providers helpers may sign in with: settings read from one TOML file.

``QUICKASSIST_OIDC_PROVIDERS_FILE`` (or ``--oidc-providers``) names the file; each provider is
one ``[[provider]]`` table (docs/deploy.md has Entra ID, Microsoft account, Google and Keycloak
examples)::

    [[provider]]
    id = "contoso"                       # in URLs: /api/auth/oidc/contoso/login
    label = "Contoso"                    # on the button: "Sign in with Contoso"
    issuer = "https://login.microsoftonline.com/TENANT/v2.0"
    client_id = "..."
    client_secret_env = "CONTOSO_OIDC_SECRET"   # or client_secret = "..." (file kept 0600)
    scopes = ["openid", "email", "profile"]
    organisation = "Contoso"             # the organisation of the helpers it signs in
    allowed_email_domains = ["contoso.com"]     # optional: only these (verified) addresses
    allowed_tenant_ids = ["..."]         # optional: the "tid" claim must be one of these
    allowed_groups = ["helpdesk"]        # optional: the groups claim must hold one of these
    groups_claim = "groups"
    verified_domain = "contoso.com"      # optional: what the sharer is told is verified

A provider restricted by email domain vouches for the helper's email domain; one restricted by
tenant vouches for ``verified_domain``. An unrestricted one (a consumer Microsoft or Google
account) vouches for nothing: the sharer is told the organisation is not verified.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError
from .organisations import InvalidDomain, normalise_domain

PROVIDER_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
DEFAULT_SCOPES = ("openid", "email", "profile")


@dataclass(frozen=True, kw_only=True)
class OidcProvider:
    """One OpenID provider, as configured."""

    id: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    organisation: str
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    allowed_email_domains: tuple[str, ...] = ()
    allowed_tenant_ids: tuple[str, ...] = ()
    allowed_groups: tuple[str, ...] = ()
    groups_claim: str = "groups"
    tenant_claim: str = "tid"
    verified_domain: str = ""

    def vouched_domain(self, email_domain: str) -> str:
        """The domain this provider vouches for a helper with ``email_domain`` ("" for none)."""
        if self.allowed_email_domains and email_domain in self.allowed_email_domains:
            return email_domain
        if self.verified_domain and (self.allowed_tenant_ids or self.allowed_email_domains):
            return self.verified_domain
        return ""


def load_providers(
    path: Path | None, environ: Mapping[str, str] | None = None
) -> list[OidcProvider]:
    """The providers in ``path`` (none if unset); raises ConfigError with the reason."""
    if path is None:
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"The OpenID providers file {path} cannot be read.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The OpenID providers file {path} is not valid TOML: {exc}") from exc
    tables = data.get("provider", [])
    if not isinstance(tables, list):
        raise ConfigError(f"{path}: write each provider as a [[provider]] table.")
    providers = [_provider(table, os.environ if environ is None else environ) for table in tables]
    ids = [p.id for p in providers]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{path}: two providers have the same id.")
    return providers


def _provider(table: Any, environ: Mapping[str, str]) -> OidcProvider:
    if not isinstance(table, dict):
        raise ConfigError("Each [[provider]] must be a table.")
    name = str(table.get("id", ""))
    if not PROVIDER_ID_PATTERN.fullmatch(name):
        raise ConfigError(
            f"A provider id is 1 to 32 lower-case letters, digits or dashes: {name!r}."
        )
    where = f"Provider {name}"
    secret = table.get("client_secret")
    if secret is None and "client_secret_env" in table:
        secret = environ.get(str(table["client_secret_env"]))
        if not secret:
            raise ConfigError(f"{where}: the variable {table['client_secret_env']} is not set.")
    issuer = str(table.get("issuer", "")).rstrip("/")
    _check_issuer(where, issuer)
    client_id = str(table.get("client_id", ""))
    if not client_id or not secret:
        raise ConfigError(
            f"{where}: client_id and client_secret (or client_secret_env) are needed."
        )
    try:
        domains = tuple(
            normalise_domain(d) for d in _strings(where, table, "allowed_email_domains")
        )
        verified = (
            normalise_domain(table["verified_domain"]) if table.get("verified_domain") else ""
        )
    except InvalidDomain as exc:
        raise ConfigError(f"{where}: {exc.message}") from exc
    scopes = _strings(where, table, "scopes") or DEFAULT_SCOPES
    if "openid" not in scopes:
        raise ConfigError(f"{where}: the scopes must include openid.")
    return OidcProvider(
        id=name,
        label=str(table.get("label") or name),
        issuer=issuer,
        client_id=client_id,
        client_secret=str(secret),
        organisation=str(table.get("organisation") or table.get("label") or name),
        scopes=scopes,
        allowed_email_domains=domains,
        allowed_tenant_ids=_strings(where, table, "allowed_tenant_ids"),
        allowed_groups=_strings(where, table, "allowed_groups"),
        groups_claim=str(table.get("groups_claim", "groups")),
        tenant_claim=str(table.get("tenant_claim", "tid")),
        verified_domain=verified,
    )


def _strings(where: str, table: dict[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: {key} is a list of strings.")
    return tuple(value)


def _check_issuer(where: str, issuer: str) -> None:
    """HTTPS only, except plain HTTP to this machine (a provider for development and tests)."""
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname:
        try:
            if ip_address(parts.hostname).is_loopback:
                return
        except ValueError:
            if parts.hostname == "localhost":
                return
    raise ConfigError(f"{where}: the issuer must be an https:// URL, not {issuer!r}.")
