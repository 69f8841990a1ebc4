"""API tokens: hashed at rest, scoped, expiring, revocable; and the management command."""

import datetime
import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from aquacat import tokens
from aquacat.models import ApiToken
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

NEW_SET = {"title": "Token-made set", "licence": "CC-BY-4.0"}


def test_only_the_hash_is_stored(make_token):
    token, secret = make_token()
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    values = [str(v) for v in ApiToken.objects.filter(pk=token.pk).values().get().values()]
    assert all(secret not in v for v in values)
    assert secret.startswith(stored.prefix) and len(stored.prefix) < 16


def test_scopes_are_enforced(make_token, catalogue):
    _, read_only = make_token(scopes=("read",))
    client = bearer(read_only)
    assert client.get("/api/v1/image-sets/").status_code == 200
    # The owner's token sees the owner's drafts.
    assert client.get(f"/api/v1/image-sets/{catalogue['draft'].pk}/").status_code == 200
    refused = client.post("/api/v1/image-sets/", NEW_SET, format="json")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    patch = client.patch(f"/api/v1/image-sets/{catalogue['draft'].pk}/", {"title": "x"})
    assert patch.status_code == 403

    _, writer = make_token(scopes=("read", "write"))
    created = bearer(writer).post("/api/v1/image-sets/", NEW_SET, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["owner"] == "owner"

    _, write_only = make_token(scopes=("write",))
    assert bearer(write_only).get("/api/v1/image-sets/").status_code == 403


@pytest.mark.parametrize("state", ["expired", "revoked", "unknown", "malformed"])
def test_bad_tokens_are_401_problems(make_token, people, state):
    if state == "expired":
        _, secret = make_token(expires=timezone.now() - datetime.timedelta(seconds=1))
    elif state == "revoked":
        token, secret = make_token()
        tokens.revoke_token(token)
    else:
        secret = "aqc_nope" if state == "unknown" else "two words"
    response = bearer(secret).get("/api/v1/image-sets/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["title"] == "Unauthorized" and body["detail"]


def test_anonymous_write_is_401(db):

    response = APIClient().post("/api/v1/image-sets/", NEW_SET, format="json")
    assert response.status_code == 401
    assert response.json()["instance"] == "/api/v1/image-sets/"


def test_management_command(people):
    out, err = StringIO(), StringIO()
    call_command(
        "api_token", "create", "--user", "owner", "--name", "cli", "--scope", "read",
        "--days", "3", stdout=out, stderr=err,
    )  # fmt: skip
    secret = out.getvalue().strip()
    token = tokens.find_token(secret)
    assert token.name == "cli" and token.scopes == ["read"] and token.expires
    assert "shown once" in err.getvalue()
    listing = StringIO()
    call_command("api_token", "list", stdout=listing)
    assert "cli" in listing.getvalue() and secret not in listing.getvalue()
    call_command("api_token", "revoke", str(token.pk), stdout=StringIO())
    assert bearer(secret).get("/api/v1/image-sets/").status_code == 401
