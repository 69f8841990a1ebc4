"""The account page in the browser: make an API token, see its secret once, revoke it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from aquacat.models import ApiToken

pytestmark = [pytest.mark.services("browser"), pytest.mark.django_db(transaction=True)]


def test_create_copy_and_revoke_a_token(page, sign_in, people, shoot):
    sign_in(people["curator"])
    page.goto(f"{page.base}/accounts/")
    expect(page.get_by_text("You have no API tokens yet.")).to_be_visible()

    page.get_by_label("Name").fill("laptop upload script")
    page.get_by_label("Write").check()
    page.get_by_role("button", name="Create token").click()

    box = page.locator("#new-token")
    expect(box).to_contain_text("shown only this once")
    secret = page.locator("#token-secret").inner_text().strip()
    assert secret.startswith("aqc_")
    page.get_by_role("button", name="Copy").click()
    expect(box.locator(".copy-status")).not_to_be_empty()
    token = ApiToken.objects.get(user=people["curator"])
    assert token.scopes == ["read", "write"]
    shoot(page, "account-tokens")

    # Shown once: a fresh visit lists the token by its prefix only.
    page.goto(f"{page.base}/accounts/")
    expect(page.locator("#token-secret")).to_have_count(0)
    assert secret not in page.content()
    row = page.locator("tr", has_text="laptop upload script")
    expect(row).to_contain_text(token.prefix)
    expect(row).to_contain_text("Active")

    row.get_by_text("Revoke…").click()
    row.get_by_role("button", name="Revoke “laptop upload script”").click()
    expect(page.get_by_text("no longer works")).to_be_visible()
    expect(page.locator("tr", has_text="laptop upload script")).to_contain_text("Revoked")
    token.refresh_from_db()
    assert token.revoked is not None
    assert page.errors == []
