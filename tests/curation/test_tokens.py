"""The account page: API tokens made (secret shown once), used, and revoked."""

from __future__ import annotations

import datetime
import re

import pytest
from rest_framework.test import APIClient

from aquacat.models import ApiToken
from catalogue import services
from catalogue.access import SYSTEM
from tests.curation.conftest import client_for

pytestmark = pytest.mark.django_db


def secret_in(text: str) -> str | None:

    found = re.search(r"data-secret>(aqc_[A-Za-z0-9_\-]+)<", text)
    return found.group(1) if found else None


def test_account_needs_sign_in(db):
    assert client_for(None).get("/accounts/").status_code == 302


def test_a_token_is_shown_once_works_and_stops_when_revoked(people):
    draft = services.create_image_set(title="Private draft", owner=people["owner"], actor=SYSTEM)
    client = client_for(people["owner"])
    response = client.post("/accounts/", {"name": "laptop", "scopes": ["read", "write"]})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    secret = secret_in(text)
    assert secret and "shown only this once" in text
    token = ApiToken.objects.get(user=people["owner"], name="laptop")
    assert token.scopes == ["read", "write"]
    assert secret not in client.get("/accounts/").content.decode()  # never again
    assert token.prefix in client.get("/accounts/").content.decode()

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    seen = api.get(f"/api/v1/image-sets/{draft.pk}/")
    assert seen.status_code == 200  # only its owner sees a draft: the token is the owner
    token.refresh_from_db()
    assert token.last_used is not None

    # Revoking takes a POST (a GET does nothing), for this user's own tokens only.
    assert client.get(f"/accounts/tokens/{token.pk}/revoke").status_code == 405
    other = client_for(people["other"]).post(f"/accounts/tokens/{token.pk}/revoke")
    assert other.status_code == 404
    response = client.post(f"/accounts/tokens/{token.pk}/revoke")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked is not None
    assert api.get(f"/api/v1/image-sets/{draft.pk}/").status_code == 401
    page = client.get("/accounts/").content.decode()
    assert "Revoked" in page and "laptop" in page


def test_token_form_errors(people):
    client = client_for(people["owner"])
    client.post("/accounts/", {"name": "ci", "scopes": ["read"]})
    response = client.post("/accounts/", {"name": "ci", "scopes": []})
    assert response.status_code == 200
    text = response.content.decode()
    assert secret_in(text) is None
    assert 'id="id_scopes-error"' in text
    response = client.post("/accounts/", {"name": "ci", "scopes": ["read"]})
    assert "already has a token named" in response.content.decode()
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    response = client.post("/accounts/", {"name": "old", "scopes": ["read"], "expires": yesterday})
    assert "after today" in response.content.decode()
    assert ApiToken.objects.filter(user=people["owner"]).count() == 1


def test_a_token_can_expire(people):
    client = client_for(people["owner"])
    day = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    client.post("/accounts/", {"name": "month", "scopes": ["read"], "expires": day})
    token = ApiToken.objects.get(name="month")
    assert token.expires.date().isoformat() == day


def test_token_names_are_escaped(people):
    client = client_for(people["owner"])
    response = client.post("/accounts/", {"name": "<script>x</script>", "scopes": ["read"]})
    assert "<script>x</script>" not in response.content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in response.content.decode()
