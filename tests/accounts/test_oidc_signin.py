"""Sign-in through a real OpenID provider on loopback: the authorization code flow
with PKCE, new accounts, linking, and the sign-ins that must fail."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model

from aquacat.models import Profile
from aquacat.signin.identity import creator_entry
from tests.accounts import oidc_client
from tests.accounts.conftest import PROVIDER_ID, provider_settings, signed_in_as

pytestmark = pytest.mark.services("postgres", "oidc")

JOSIAH_ORCID = "0000-0002-1825-0097"  # ORCID's documented example iD (Josiah Carberry)


def accounts_of_provider() -> list[tuple[str, str]]:
    return list(
        SocialAccount.objects.filter(provider=PROVIDER_ID).values_list("uid", "user__username")
    )


def test_first_sign_in_makes_an_account_with_the_orcid_id(provider, browser):
    start = provider.start(browser)
    authorize = parse_qs(urlparse(start.headers["Location"]).query)
    assert authorize["code_challenge_method"] == ["S256"]
    assert authorize["code_challenge"][0]
    assert authorize["client_id"] == [provider.client["client_id"]]

    page = oidc_client.follow(browser, start, provider.live_url)
    callback = provider.back_to_us(browser, oidc_client.submit_login(browser, page, "josiah"))
    landing = provider.finish(browser, callback)

    assert landing.status_code == 200
    assert urlparse(landing.url).path == "/curate/"
    user = get_user_model().objects.get(socialaccount__uid=JOSIAH_ORCID)
    assert signed_in_as(browser, provider.live_url) == user.get_username()
    assert (user.first_name, user.last_name, user.email) == (
        "Josiah",
        "Carberry",
        "josiah.carberry@example.org",
    )
    assert Profile.objects.get(user=user).orcid == JOSIAH_ORCID
    assert creator_entry(user) == {"name": "Carberry, Josiah", "orcid": JOSIAH_ORCID}
    editor = browser.get(f"{provider.live_url}/curate/sets/new", timeout=10)
    assert JOSIAH_ORCID in editor.text

    # The next sign-in finds the same account.
    browser.cookies.clear()
    provider.sign_in(browser, "josiah")
    assert signed_in_as(browser, provider.live_url) == user.get_username()
    assert get_user_model().objects.count() == 1


def test_a_verified_address_links_the_local_account(provider, browser):
    local = get_user_model().objects.create_user(
        "mcosta", email="Marina.Costa@example.org", password="local-password-1"
    )

    provider.sign_in(browser, "marina")

    assert signed_in_as(browser, provider.live_url) == "mcosta"
    assert accounts_of_provider() == [("marina-0001", "mcosta")]
    assert get_user_model().objects.count() == 1
    local.refresh_from_db()
    assert local.check_password("local-password-1"), "the local password still works"
    # Marina's subject is no ORCID iD: nothing recorded.
    assert not Profile.objects.filter(user=local).exclude(orcid=None).exists()


def test_an_orcid_id_links_the_account_that_holds_it(provider, browser):
    holder = get_user_model().objects.create_user("jcarberry", email="jc@uni.example.org")
    Profile.objects.create(user=holder, orcid=JOSIAH_ORCID)

    provider.sign_in(browser, "josiah")

    assert signed_in_as(browser, provider.live_url) == "jcarberry"
    assert accounts_of_provider() == [(JOSIAH_ORCID, "jcarberry")]


def test_an_unverified_address_links_nothing(provider, browser):
    local = get_user_model().objects.create_user(
        "ulind", email="ursula.lind@example.org", password="local-password-2"
    )

    page = provider.sign_in(browser, "ursula")

    assert signed_in_as(browser, provider.live_url) is None
    assert not SocialAccount.objects.filter(user=local).exists()
    # The address is taken: the provider's sign-up form asks for another one.
    assert urlparse(page.url).path == "/accounts/3rdparty/signup/"
    local.refresh_from_db()
    assert local.check_password("local-password-2")


def test_a_wrong_password_signs_nobody_in(provider, browser):
    page = provider.login_page(browser)

    refused = oidc_client.submit_login(browser, page, "josiah", password="not-the-password")

    assert refused.status_code == 200
    assert "Wrong login or password." in refused.text
    assert signed_in_as(browser, provider.live_url) is None
    assert get_user_model().objects.count() == 0


def test_the_user_cancels(provider, browser):
    page = provider.login_page(browser)

    callback = provider.back_to_us(browser, oidc_client.cancel_login(browser, page))
    assert parse_qs(urlparse(callback).query)["error"] == ["access_denied"]
    answer = provider.finish(browser, callback)

    assert "Login Cancelled" in answer.text
    assert signed_in_as(browser, provider.live_url) is None
    assert get_user_model().objects.count() == 0


def test_an_id_token_for_another_application_is_refused(
    provider, browser, settings, issuer, caplog
):
    other = oidc_client.register_client(issuer, "http://127.0.0.1:9/another-app/callback")
    foreign = oidc_client.id_token_for(issuer, other, "josiah")
    swap = oidc_client.SwappingTokenEndpoint(
        oidc_client.discovery(issuer)["token_endpoint"], foreign
    ).start()
    try:
        settings.SOCIALACCOUNT_PROVIDERS = provider_settings(
            PROVIDER_ID,
            issuer,
            provider.client,
            openid_configuration_overrides={"token_endpoint": swap.url},
        )
        answer = provider.sign_in(browser, "josiah")
    finally:
        swap.stop()

    assert swap.swapped.is_set()
    assert "Third-Party Login Failure" in answer.text
    assert "InvalidAudienceError" in caplog.text
    assert signed_in_as(browser, provider.live_url) is None
    assert get_user_model().objects.count() == 0


def test_an_expired_id_token_is_refused(provider, browser, caplog):
    # Our clock runs more than the token's hour (scripts/oidc/provider.mjs) ahead of
    # the provider's when the token arrives, and less than allauth's ten minutes for a
    # sign-in between pressing the button and coming back.
    now = datetime.datetime.now(tz=datetime.UTC)
    with time_machine.travel(now + datetime.timedelta(seconds=3200)):
        start = provider.start(browser)
    page = oidc_client.follow(browser, start, provider.live_url)
    callback = provider.back_to_us(browser, oidc_client.submit_login(browser, page, "josiah"))
    with time_machine.travel(now + datetime.timedelta(seconds=3700)):
        answer = provider.finish(browser, callback)

    assert "Third-Party Login Failure" in answer.text
    assert "ExpiredSignatureError" in caplog.text
    assert signed_in_as(browser, provider.live_url) is None
    assert get_user_model().objects.count() == 0


def test_a_signed_in_local_account_links_a_provider(provider, browser):
    local = get_user_model().objects.create_user(
        "jc", email="someone.else@example.org", password="local-password-3"
    )
    browser.get(f"{provider.live_url}/accounts/login/", timeout=10)
    browser.post(
        f"{provider.live_url}/accounts/login/",
        data={
            "username": "jc",
            "password": "local-password-3",
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        timeout=10,
    )
    account_page = browser.get(f"{provider.live_url}/accounts/", timeout=10).text
    assert 'href="/accounts/3rdparty/" id="sign-in-providers"' in account_page

    start = browser.post(
        f"{provider.live_url}/accounts/oidc/{PROVIDER_ID}/login/?process=connect",
        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=10,
    )
    page = oidc_client.follow(browser, start, provider.live_url)
    callback = provider.back_to_us(browser, oidc_client.submit_login(browser, page, "josiah"))
    provider.finish(browser, callback)

    assert accounts_of_provider() == [(JOSIAH_ORCID, "jc")]
    assert Profile.objects.get(user=local).orcid == JOSIAH_ORCID
    assert signed_in_as(browser, provider.live_url) == "jc"
