"""OIDC_PROVIDERS as settings, and the sign-in page's provider buttons."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from aquacat.signin.providers import socialaccount_providers

ORCID = {
    "name": "ORCID",
    "server_url": "https://orcid.org",
    "client_id": "APP-0000000000000000",
    "secret": "s",
    "scope": ["openid"],
    "orcid_claim": "sub",
}
EGI = {"name": "EGI Check-in", "server_url": "https://aai.egi.eu/auth/realms/egi", "client_id": "c"}


def test_no_providers_is_local_accounts_only():
    assert socialaccount_providers("") == {
        "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": []}
    }


def test_each_provider_becomes_an_app_asked_with_pkce():
    apps = socialaccount_providers(json.dumps({"orcid": ORCID, "egi": EGI}))["openid_connect"][
        "APPS"
    ]

    assert [(a["provider_id"], a["name"], a["client_id"]) for a in apps] == [
        ("orcid", "ORCID", "APP-0000000000000000"),
        ("egi", "EGI Check-in", "c"),
    ]
    assert apps[0]["settings"] == {
        "server_url": "https://orcid.org",
        "oauth_pkce_enabled": True,
        "scope": ["openid"],
        "orcid_claim": "sub",
    }
    assert apps[1]["secret"] == ""


def test_every_problem_is_named_at_once():
    raw = json.dumps(
        {
            "Bad Id": EGI,
            "plain": {"server_url": "http://idp.example.org", "scope": ["email"], "colour": 1},
            "list": [],
        }
    )
    with pytest.raises(ImproperlyConfigured) as refused:
        socialaccount_providers(raw)

    message = str(refused.value)
    for expected in (
        "OIDC_PROVIDERS['Bad Id']: the id must be lower-case",
        "OIDC_PROVIDERS['plain']: client_id is required",
        "OIDC_PROVIDERS['plain']: unknown option 'colour'",
        "OIDC_PROVIDERS['plain']: server_url must be https://",
        "OIDC_PROVIDERS['plain']: scope must be a list of strings that includes 'openid'",
        "OIDC_PROVIDERS['list']: expected an object",
    ):
        assert expected in message


@pytest.mark.parametrize("raw", ["{not json", "[1]"])
def test_not_an_object_is_refused(raw):
    with pytest.raises(ImproperlyConfigured, match="OIDC_PROVIDERS"):
        socialaccount_providers(raw)


def test_the_sign_in_page_has_a_button_per_provider(client, settings, db):
    settings.SOCIALACCOUNT_PROVIDERS = socialaccount_providers(
        json.dumps({"orcid": ORCID, "egi": EGI})
    )

    page = client.get("/accounts/login/?next=/curate/").content.decode()

    assert page.count('<button type="submit" data-provider=') == 2
    assert 'data-provider="orcid">Sign in with ORCID</button>' in page
    assert 'data-provider="egi">Sign in with EGI Check-in</button>' in page
    assert 'action="/accounts/oidc/orcid/login/?process=login&amp;next=%2Fcurate%2F"' in page
    assert 'name="password"' in page, "local accounts stay"


def test_without_providers_the_page_has_the_local_form_only(client, settings, db):
    settings.SOCIALACCOUNT_PROVIDERS = socialaccount_providers("")

    page = client.get("/accounts/login/").content.decode()

    assert "data-provider=" not in page
    assert 'name="password"' in page


def test_a_provider_that_does_not_answer_is_an_error_page(client, settings, db, closed_port):
    down = {"name": "Down", "server_url": f"http://127.0.0.1:{closed_port}", "client_id": "c"}
    settings.SOCIALACCOUNT_PROVIDERS = socialaccount_providers(json.dumps({"down": down}))
    client.raise_request_exception = False

    answer = client.post("/accounts/oidc/down/login/?process=login")

    assert answer.status_code == 502
    assert "Down" in answer.content.decode()
