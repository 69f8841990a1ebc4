"""Originals and thumbnails: who may fetch them, and the headers they come with."""

import datetime

import pytest
from django.utils import timezone

from catalogue import services
from catalogue.access import SYSTEM
from tests.api.conftest import ACCESS as API_ACCESS
from tests.catalogue.conftest import real_jpegs

pytestmark = pytest.mark.django_db

# The API's sets in every access state, and one whose embargo is over.
ACCESS = {
    **API_ACCESS,
    "embargo-over": {
        "state": "published",
        "access": "embargoed",
        "embargo_until": timezone.localdate() - datetime.timedelta(days=1),
    },
}
# Who sees what: the owner, curators and staff see everything.
PUBLIC_KINDS = {"public", "embargo-over"}


@pytest.fixture
def images(people, storage):
    out = {}
    for kind, fields in ACCESS.items():
        image_set = services.create_image_set(
            title=f"{kind} set",
            owner=people["owner"],
            curators=[people["curator"]],
            **{**fields, "state": "draft"},
            actor=SYSTEM,
        )
        services.ingest(image_set, [real_jpegs(1)[0]], actor=SYSTEM)
        if fields.get("state") == "published":
            services.publish_image_set(image_set, actor=SYSTEM)
        out[kind] = image_set.images.get()
    return out


@pytest.mark.parametrize("who", ["anonymous", "owner", "curator", "other", "staff"])
def test_access_matrix_for_files(client, people, images, who):
    if people[who]:
        client.force_login(people[who])
    for kind, image in images.items():
        allowed = who in ("owner", "curator", "staff") or kind in PUBLIC_KINDS
        for variant in ("original", "medium", "small"):
            response = client.get(f"/files/images/{image.pk}/{variant}")
            assert response.status_code == (200 if allowed else 404), (who, kind, variant)
            if allowed:
                body = b"".join(response.streaming_content)
                assert body[:3] == b"\xff\xd8\xff"
                assert response["X-Content-Type-Options"] == "nosniff"
                assert "default-src 'none'" in response["Content-Security-Policy"]
                cache = response["Cache-Control"]
                assert cache.startswith("public" if kind in PUBLIC_KINDS else "private")
    # The original is the very file that was ingested.
    if who == "owner":
        original = client.get(f"/files/images/{images['draft'].pk}/original")
        assert b"".join(original.streaming_content) == real_jpegs(1)[0].read_bytes()
        assert original["Content-Type"] == "image/jpeg"


def test_unknown_variant_and_image_are_404(client, images):
    assert client.get(f"/files/images/{images['public'].pk}/huge").status_code == 404
    assert client.get("/files/images/999999/original").status_code == 404


def test_no_cache_serves_a_file_after_its_set_is_restricted(client, images):
    """Caches keep public files but ask again before each use (no-cache + ETag); the
    question passes the access check, so once the set is restricted a cache gets 404,
    not 304, and cannot serve its copy any more."""
    image = images["public"]
    etags = {}
    for variant in ("original", "medium", "small"):
        url = f"/files/images/{image.pk}/{variant}"
        first = client.get(url)
        assert first["Cache-Control"] == "public, no-cache"
        etag = etags[variant] = first["ETag"]
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304
        assert again["ETag"] == etag and again["Cache-Control"] == "public, no-cache"
        assert not getattr(again, "streaming", False) and again.content == b""
    services.update_image_set(image.image_set, access="restricted", actor=SYSTEM)
    for variant in ("original", "medium", "small"):
        url = f"/files/images/{image.pk}/{variant}"
        assert client.get(url, HTTP_IF_NONE_MATCH=etags[variant]).status_code == 404
        assert client.get(url).status_code == 404
