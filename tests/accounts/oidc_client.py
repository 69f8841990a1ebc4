"""Driving the loopback OpenID provider (scripts/oidc/provider.mjs) as a person with
a browser would, and as a second application would: register a client, sign in on
the provider's page, run a whole authorization code flow with PKCE."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urljoin, urlparse

import requests

from tests.loopback_fake import LoopbackFake

TIMEOUT = 10
# The provider's users (scripts/oidc/accounts.json).
PASSWORDS = {
    "josiah": "josiah-loopback-password",
    "marina": "marina-loopback-password",
    "ursula": "ursula-loopback-password",
}


def discovery(issuer: str) -> dict:
    answer = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
    answer.raise_for_status()
    return answer.json()


def register_client(issuer: str, redirect_uri: str) -> dict:
    """A new client at the provider (OpenID Connect Dynamic Client Registration 1.0)."""
    answer = requests.post(
        discovery(issuer)["registration_endpoint"],
        json={
            "redirect_uris": [redirect_uri],
            "response_types": ["code"],
            "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "client_secret_post",
        },
        timeout=TIMEOUT,
    )
    answer.raise_for_status()
    return answer.json()


def follow(session: requests.Session, response: requests.Response, stop_at: str):
    """Follow redirects by hand; the address that starts with `stop_at` comes back
    unvisited (a str), any other end as the page (a Response)."""
    while response.is_redirect:
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(stop_at):
            return location
        response = session.get(location, allow_redirects=False, timeout=TIMEOUT)
    return response


def submit_login(
    session: requests.Session, page: requests.Response, login: str, password: str | None = None
) -> requests.Response:
    """Post the provider's login form (the password of `login` unless one is given)."""
    assert "/interaction/" in page.url, f"not the provider's login page: {page.url}"
    return session.post(
        page.url.rstrip("/") + "/login",
        data={"login": login, "password": PASSWORDS[login] if password is None else password},
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def cancel_login(session: requests.Session, page: requests.Response) -> requests.Response:
    return session.post(page.url.rstrip("/") + "/abort", allow_redirects=False, timeout=TIMEOUT)


def id_token_for(issuer: str, client: dict, login: str) -> str:
    """A real ID token the provider issues to `client` (another application) for `login`."""
    config = discovery(issuer)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    redirect_uri = client["redirect_uris"][0]
    session = requests.Session()
    start = session.get(
        config["authorization_endpoint"],
        params={
            "client_id": client["client_id"],
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "openid email profile",
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    page = follow(session, start, redirect_uri)
    back = follow(session, submit_login(session, page, login), redirect_uri)
    assert isinstance(back, str), f"the provider did not send {login} back: {back.text[:300]}"
    code = parse_qs(urlparse(back).query)["code"][0]
    tokens = requests.post(
        config["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        },
        timeout=TIMEOUT,
    )
    tokens.raise_for_status()
    return tokens.json()["id_token"]


class SwappingTokenEndpoint(LoopbackFake):
    """The provider's token endpoint seen through a path that puts another ID token in
    its answer (token substitution): each request goes to the real endpoint, and the
    answer comes back with `id_token` replaced."""

    def __init__(self, token_endpoint: str, id_token: str) -> None:
        self.token_endpoint = token_endpoint
        self.id_token = id_token
        self.swapped = threading.Event()
        super().__init__()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {
                    name: self.headers[name]
                    for name in ("Content-Type", "Authorization", "Accept")
                    if self.headers.get(name)
                }
                real = requests.post(
                    outer.token_endpoint, data=body, headers=headers, timeout=TIMEOUT
                )
                answer = real.json()
                if "id_token" in answer:
                    answer["id_token"] = outer.id_token
                    outer.swapped.set()
                payload = json.dumps(answer).encode()
                self.send_response(real.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        return Handler
