"""Embargo ends: the scheduled task opens the set through the services, so its search
documents, its OAI-PMH datestamp and its files follow at once."""

from __future__ import annotations

import datetime
import time

import pytest
from django.test import Client
from django.utils import timezone

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import ImageSet, SearchOutbox
from catalogue.services.embargoes import lift_ended_embargoes
from tests.catalogue.conftest import local_storages, real_jpegs

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db]

TODAY = timezone.localdate()


def published(title: str, **access) -> ImageSet:
    image_set = services.create_image_set(title=title, licence="CC-BY-4.0", actor=SYSTEM, **access)
    services.ingest(image_set, real_jpegs(1), actor=SYSTEM)
    services.publish_image_set(image_set, actor=SYSTEM)
    return ImageSet.objects.get(pk=image_set.pk)


def oai_identifiers(since: datetime.datetime) -> str:
    stamp = since.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    answer = Client().get(
        "/oai", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": stamp}
    )
    return answer.content.decode()


def test_ended_embargoes_are_lifted_through_the_services(settings, tmp_path):
    settings.STORAGES = local_storages(tmp_path / "media")
    settings.SEARCH_URL = ""
    yesterday = TODAY - datetime.timedelta(days=1)
    ended = published("Ended", access="files_embargoed", embargo_until=yesterday)
    whole = published("Whole set ended", access="embargoed", embargo_until=TODAY)
    running = published(
        "Still under embargo",
        access="embargoed",
        embargo_until=TODAY + datetime.timedelta(days=30),
    )
    restricted = published("Restricted", access="restricted")
    image = ended.images.get()
    time.sleep(1.1)  # OAI-PMH datestamps have a one-second granularity
    before = timezone.now()
    SearchOutbox.objects.all().delete()

    lifted = lift_ended_embargoes()

    assert sorted(lifted) == sorted([str(ended.uuid), str(whole.uuid)])
    for image_set, revision in ((ended, ended.revision), (whole, whole.revision)):
        image_set.refresh_from_db()
        assert image_set.access == "open" and image_set.embargo_until is None
        assert image_set.revision > revision and image_set.updated >= before
    # The documents of the sets and of their images are queued for the index.
    queued = set(SearchOutbox.objects.values_list("kind", "object_id"))
    assert ("set", ended.pk) in queued and (SearchOutbox.Kind.SET_IMAGES, ended.pk) in queued
    # Harvesters asking for what changed since find the opened sets.
    listed = oai_identifiers(before)
    assert str(ended.uuid) in listed and str(whole.uuid) in listed
    assert str(running.uuid) not in listed
    # Their files are open, with public caching.
    answer = Client().get(f"/files/images/{image.pk}/original")
    assert answer.status_code == 200 and answer["Cache-Control"] == "public, no-cache"
    # The others are left as they were, and a second run finds nothing.
    for image_set in (running, restricted):
        access, revision = image_set.access, image_set.revision
        image_set.refresh_from_db()
        assert (image_set.access, image_set.revision) == (access, revision)
    assert lift_ended_embargoes() == []
