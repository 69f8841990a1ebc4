"""Sign-in tests against the loopback OpenID provider (`scripts/services up oidc`):
each test registers its own client there, for the live server's callback address."""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass

import pytest
import requests

from aquacat.signin.providers import socialaccount_providers
from tests.accounts import oidc_client

PROVIDER_ID = "loopback"


@dataclass
class Provider:
    issuer: str
    client: dict
    live_url: str

    def start(self, session: requests.Session) -> requests.Response:
        """Open the sign-in page and press the provider's button; the answer is the
        redirect to the provider, not followed."""
        page = session.get(f"{self.live_url}/accounts/login/", timeout=oidc_client.TIMEOUT)
        assert f'data-provider="{PROVIDER_ID}"' in page.text
        return session.post(
            f"{self.live_url}/accounts/oidc/{PROVIDER_ID}/login/?process=login",
            data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
            allow_redirects=False,
            timeout=oidc_client.TIMEOUT,
        )

    def login_page(self, session: requests.Session) -> requests.Response:
        page = oidc_client.follow(session, self.start(session), self.live_url)
        assert isinstance(page, requests.Response)
        return page

    def back_to_us(self, session: requests.Session, response: requests.Response) -> str:
        """The provider's redirect to our callback, not followed."""
        callback = oidc_client.follow(session, response, self.live_url)
        assert isinstance(callback, str), f"no redirect back: {callback.text[:300]}"
        return callback

    def finish(self, session: requests.Session, callback: str) -> requests.Response:
        return session.get(callback, timeout=oidc_client.TIMEOUT)

    def sign_in(self, session: requests.Session, login: str) -> requests.Response:
        page = self.login_page(session)
        callback = self.back_to_us(session, oidc_client.submit_login(session, page, login))
        return self.finish(session, callback)


def provider_settings(provider_id: str, issuer: str, client: dict, **app_settings) -> dict:
    """SOCIALACCOUNT_PROVIDERS as OIDC_PROVIDERS gives it, plus allauth app settings."""
    entry = {
        "name": "Loopback ID",
        "server_url": issuer,
        "client_id": client["client_id"],
        "secret": client["client_secret"],
        "orcid_claim": "sub",  # as at ORCID; its other users' subjects are no ORCID iDs
    }
    providers = socialaccount_providers(json.dumps({provider_id: entry}))
    providers["openid_connect"]["APPS"][0]["settings"].update(app_settings)
    return providers


@pytest.fixture
def issuer() -> str:
    return os.environ["OIDC_TEST_ISSUER"]


@pytest.fixture
def provider(settings, live_server, transactional_db, issuer) -> Provider:
    callback = f"{live_server.url}/accounts/oidc/{PROVIDER_ID}/login/callback/"
    client = oidc_client.register_client(issuer, callback)
    settings.SOCIALACCOUNT_PROVIDERS = provider_settings(PROVIDER_ID, issuer, client)
    return Provider(issuer=issuer, client=client, live_url=live_server.url)


@pytest.fixture
def browser() -> requests.Session:
    with requests.Session() as session:
        yield session


def signed_in_as(session: requests.Session, live_url: str) -> str | None:
    """The username our site shows on the account page, None when not signed in."""
    page = session.get(f"{live_url}/accounts/", allow_redirects=False, timeout=10)
    if page.status_code != 200:
        return None
    found = re.search(r"Signed in as <strong>([^<]+)</strong>", page.text)
    assert found, "the account page names nobody"
    return html.unescape(found.group(1))
