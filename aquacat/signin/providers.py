"""OpenID Connect providers from the environment, as django-allauth's settings.

`OIDC_PROVIDERS` is a JSON object, one entry per provider; its key is the
provider's id in sign-in addresses (/accounts/oidc/<id>/login/):

    {"orcid": {"name": "ORCID", "server_url": "https://orcid.org",
               "client_id": "APP-…", "secret": "…", "scope": ["openid"],
               "orcid_claim": "sub"},
     "egi": {"name": "EGI Check-in",
             "server_url": "https://aai.egi.eu/auth/realms/egi",
             "client_id": "…", "secret": "…"}}

`server_url` is the issuer (its /.well-known/openid-configuration is read);
`orcid_claim` names the claim that carries the person's ORCID iD (ORCID itself
puts it in `sub`); name it only for a provider that vouches for the iD (ORCID, or
a proxy that took it from an ORCID sign-in), as it links accounts; `scope`
defaults to openid, profile and email; `token_auth_method` is client_secret_post
or client_secret_basic (default: as the provider advertises). An empty or missing
variable: local accounts only.
"""

from __future__ import annotations

import json
import re

from django.core.exceptions import ImproperlyConfigured

PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
REQUIRED = ("server_url", "client_id")
OPTIONAL = ("name", "secret", "scope", "orcid_claim", "token_auth_method")
TOKEN_AUTH_METHODS = ("client_secret_post", "client_secret_basic")


def _problems(provider_id: str, entry: object) -> list[str]:
    where = f"OIDC_PROVIDERS[{provider_id!r}]"
    if not PROVIDER_ID.match(provider_id):
        return [f"{where}: the id must be lower-case letters, digits and hyphens"]
    if not isinstance(entry, dict):
        return [f"{where}: expected an object with server_url and client_id"]
    problems = [f"{where}: {key} is required" for key in REQUIRED if not entry.get(key)]
    problems += [
        f"{where}: unknown option {key!r} (known: {', '.join(REQUIRED + OPTIONAL)})"
        for key in entry
        if key not in REQUIRED + OPTIONAL
    ]
    url = str(entry.get("server_url") or "")
    if url and not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        problems.append(f"{where}: server_url must be https:// (plain http only on loopback)")
    scope = entry.get("scope")
    if scope is not None and not (
        isinstance(scope, list) and "openid" in scope and all(isinstance(s, str) for s in scope)
    ):
        problems.append(f"{where}: scope must be a list of strings that includes 'openid'")
    method = entry.get("token_auth_method")
    if method is not None and method not in TOKEN_AUTH_METHODS:
        problems.append(
            f"{where}: token_auth_method must be one of {', '.join(TOKEN_AUTH_METHODS)}"
        )
    return problems


def _app(provider_id: str, entry: dict) -> dict:
    app_settings = {"server_url": entry["server_url"], "oauth_pkce_enabled": True}
    for key in ("scope", "orcid_claim", "token_auth_method"):
        if entry.get(key):
            app_settings[key] = entry[key]
    return {
        "provider_id": provider_id,
        "name": entry.get("name") or provider_id,
        "client_id": entry["client_id"],
        "secret": entry.get("secret", ""),
        "settings": app_settings,
    }


def socialaccount_providers(raw: str) -> dict:
    """allauth's SOCIALACCOUNT_PROVIDERS for the JSON in `raw`; every problem at once."""
    if not raw.strip():
        entries: object = {}
    else:
        try:
            entries = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ImproperlyConfigured(f"OIDC_PROVIDERS is not JSON: {error}") from error
    if not isinstance(entries, dict):
        raise ImproperlyConfigured("OIDC_PROVIDERS must be a JSON object of id -> provider")
    problems = [problem for key, entry in entries.items() for problem in _problems(key, entry)]
    if problems:
        raise ImproperlyConfigured("; ".join(problems))
    apps = [_app(key, entry) for key, entry in entries.items()]
    return {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": apps}}
