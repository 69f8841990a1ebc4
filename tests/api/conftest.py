"""Fixtures for API tests: people in every role, sets in every access state, tokens."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from aquacat import tokens
from catalogue import services
from catalogue.access import SYSTEM
from tests.catalogue.conftest import real_jpegs
from tests.conftest import index_all

ACCESS = {
    "public": {"state": "published", "access": "open"},
    "embargoed": {
        "state": "published",
        "access": "embargoed",
        "embargo_until": timezone.localdate() + datetime.timedelta(days=30),
    },
    "restricted": {"state": "published", "access": "restricted"},
    "draft": {"state": "draft", "access": "open"},
}
PUBLIC = {"public"}
ROLES = ["anonymous", "owner", "other", "curator", "staff"]
PRIVILEGED = {"owner", "curator", "staff"}


def allowed(who: str, kind: str) -> bool:
    return who in PRIVILEGED or kind in PUBLIC


@pytest.fixture(autouse=True)
def api_settings(local_files_database_search):
    return local_files_database_search


@pytest.fixture
def catalogue(people):
    """One set per access state, all owned by `owner` and curated by `curator`, one
    image each, indexed."""
    sets = {}
    for kind, fields in ACCESS.items():
        image_set = services.create_image_set(
            title=f"Plankton {kind} set",
            description=f"FlowCam images, {kind}",
            owner=people["owner"],
            curators=[people["curator"]],
            instrument="FlowCam",
            platform=f"platform-{kind}",
            modality="flow-imaging",
            **{**fields, "state": "draft"},
            actor=SYSTEM,
        )
        services.ingest(image_set, [real_jpegs(1)[0]], actor=SYSTEM)
        if fields.get("state") == "published":
            services.publish_image_set(image_set, actor=SYSTEM)
        sets[kind] = image_set
    index_all()
    return sets


def client_for(who: str, people) -> APIClient:
    client = APIClient()
    if people.get(who):
        client.force_login(people[who])
    return client


@pytest.fixture
def make_token(people):
    def make(who="owner", scopes=("read", "write"), **kwargs):
        token, secret = tokens.create_token(
            user=people[who], name=f"t-{len(kwargs)}-{'-'.join(scopes)}", scopes=scopes, **kwargs
        )
        return token, secret

    return make


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client
