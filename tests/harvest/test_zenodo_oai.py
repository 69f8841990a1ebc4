"""Harvesting a Zenodo community over OAI-PMH, from a fake that keeps Zenodo's
documented limits (tests/zenodo_oai_fake.py): pages of 50, tokens that expire
after two minutes (422), 30 requests a minute (429 with Retry-After)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx2
import pytest
from django.db.models import F

from catalogue import services as catalogue_services
from catalogue.access import SYSTEM
from catalogue.errors import Immutable
from catalogue.harvest import oai, runs
from catalogue.models import HarvestRun, ImageSet, SearchOutbox
from catalogue.search.maintenance import reconcile
from tests.harvest.conftest import harvest, live, search, source_for, zenodo_records
from tests.zenodo_oai_fake import FakeRecord, datacite_record

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres")]


def list_calls(fake) -> list[str]:
    return [call for call in fake.calls if "verb=ListRecords" in call]


def later(fake, seconds: int = 5) -> datetime:
    """A datestamp after the fake's present (a change made after a harvest)."""
    return datetime.fromtimestamp(int(fake.now()) + seconds, UTC)


def test_a_community_becomes_searchable_read_only_sets(zenodo, backend):
    zenodo_records(zenodo, 120)
    zenodo_records(zenodo, 3, first=500, sets=["user-other"])
    source = source_for(zenodo.url)

    run = harvest(source)

    assert run.status == HarvestRun.Status.DONE, run.errors
    assert (run.new, run.updated, run.deleted, run.skipped) == (120, 0, 0, 0)
    assert len(list_calls(zenodo)) == 3  # 50 + 50 + 20, two resumption tokens
    source.refresh_from_db()
    assert source.metadata_prefix == "oai_datacite"
    found = ImageSet.objects.get(harvest_source=source, remote_identifier="oai:zenodo.org:7")
    assert found.title == "Plankton images 7"
    assert found.doi == "10.5281/zenodo.7"
    assert found.remote_landing_page == "https://zenodo.org/records/7"
    assert found.licence == "CC-BY-4.0"
    assert found.creators == [{"name": "Mortelmans, Jonas", "orcid": "0000-0002-1825-0097"}]
    assert found.state == "published" and found.owner is None

    result = search(backend, text="plankton", page_size=5)
    assert result.total == 120
    assert result.facet_counts("source") == {"zenodo": 120}
    assert search(backend, source=["zenodo"], page_size=1).total == 120
    assert search(backend, source=["local"], page_size=1).total == 0


def test_an_external_set_refuses_every_edit(zenodo):
    zenodo_records(zenodo, 1)
    harvest(source_for(zenodo.url))
    external = ImageSet.objects.get()
    with pytest.raises(Immutable, match="harvested here: it is read-only"):
        catalogue_services.update_image_set(external, actor=SYSTEM, title="Changed")
    with pytest.raises(Immutable, match="read-only"):
        catalogue_services.delete_image_set(external, actor=SYSTEM)
    external.refresh_from_db()
    assert external.title == "Plankton images 1"


def test_the_next_harvest_asks_from_the_last_response_date(zenodo, backend):
    zenodo.deleted_record = "persistent"  # deletions come as headers
    zenodo_records(zenodo, 10)
    source = source_for(zenodo.url)
    harvest(source)
    source.refresh_from_db()
    first_response = source.last_datestamp
    assert first_response is not None

    changed = zenodo.records["oai:zenodo.org:5"]
    changed.datestamp = later(zenodo)
    changed.metadata = datacite_record(5, title="Plankton images 5, corrected")
    zenodo.records["oai:zenodo.org:7"] = FakeRecord(
        "oai:zenodo.org:7", later(zenodo), ["user-plankton"], deleted=True
    )
    for number in (11, 12):
        zenodo.add(
            FakeRecord(
                f"oai:zenodo.org:{number}",
                later(zenodo),
                ["user-plankton"],
                metadata=datacite_record(number, title=f"Plankton images {number}"),
            )
        )
    run = harvest(source)

    assert (run.new, run.updated, run.deleted, run.skipped) == (2, 1, 1, 0)
    assert run.from_datestamp == first_response
    stamp = first_response.strftime("%Y-%m-%dT%H%%3A%M%%3A%SZ")
    assert f"from={stamp}" in list_calls(zenodo)[-1]
    assert live(source).count() == 11
    buried = ImageSet.objects.get(remote_identifier="oai:zenodo.org:7")
    assert buried.remote_deleted is not None  # kept as a tombstone
    result = search(backend, text="plankton", page_size=50)
    assert result.total == 11
    assert buried.pk not in result.ids()
    titles = {hit.document["title"] for hit in result.hits}
    assert "Plankton images 5, corrected" in titles


def test_a_provider_without_deleted_records_is_listed_whole_to_find_deletions(zenodo, backend):
    zenodo_records(zenodo, 5)
    source = source_for(zenodo.url)
    first = harvest(source)
    assert first.full and first.new == 5
    del zenodo.records["oai:zenodo.org:2"]  # deleted or restricted: no longer listed

    incremental = harvest(source)
    assert not incremental.full and incremental.deleted == 0
    assert search(backend, text="plankton").total == 5

    whole = runs.harvest(source, full=True, scythe=oai.client(zenodo.url))
    assert whole.full and whole.deleted == 1 and whole.from_datestamp is None
    assert search(backend, text="plankton").total == 4

    # A week after the last full list, the scheduled run lists the source whole.
    del zenodo.records["oai:zenodo.org:3"]
    full_runs = HarvestRun.objects.filter(source=source, full=True)
    full_runs.update(finished=F("finished") - timedelta(days=8))
    scheduled = harvest(source)
    assert scheduled.full and scheduled.deleted == 1
    assert search(backend, text="plankton").total == 3


def test_a_record_restricted_at_its_source_leaves_search(zenodo, backend):
    zenodo_records(zenodo, 2)
    source = source_for(zenodo.url)
    harvest(source)
    closed = zenodo.records["oai:zenodo.org:2"]
    closed.datestamp = later(zenodo)
    closed.metadata = closed.metadata.replace(
        "info:eu-repo/semantics/openAccess", "info:eu-repo/semantics/restrictedAccess"
    )
    run = harvest(source)
    assert run.deleted == 1
    assert search(backend, text="plankton").total == 1


def test_an_expired_token_restarts_the_list_without_duplicates(zenodo):
    zenodo_records(zenodo, 120)
    source = source_for(zenodo.url)

    def two_minutes_pass_before_the_second_page(number):
        if number == 2:
            zenodo.advance(121)

    zenodo.before_list = two_minutes_pass_before_the_second_page
    run = oai_run(source)

    assert run.status == HarvestRun.Status.DONE, run.errors
    assert run.restarts == 1
    assert (run.new, run.skipped) == (120, 0)
    assert ImageSet.objects.filter(harvest_source=source).count() == 120
    # The first page, the refused token (422), then the whole list again.
    assert len(list_calls(zenodo)) == 2 + 3


def test_a_token_the_provider_forgot_restarts_the_list(zenodo):
    zenodo_records(zenodo, 60)
    source = source_for(zenodo.url)
    zenodo.before_list = lambda number: zenodo.tokens.clear()
    run = oai_run(source)
    # Every token is forgotten: the list restarts until the limit, then the run fails
    # with the reason, keeping what it took.
    assert run.status == HarvestRun.Status.FAILED
    assert "resumption token refused" in run.errors[-1]["reason"]
    assert ImageSet.objects.filter(harvest_source=source).count() == 50

    zenodo.before_list = None
    run = oai_run(source)
    assert run.status == HarvestRun.Status.DONE
    assert (run.new, run.restarts) == (10, 0)  # the first 50 were taken already


def oai_run(source, **options):
    source.refresh_from_db()
    scythe = oai.client(source.base_url, default_retry_after=1)
    return runs.harvest(source, scythe=scythe, **options)


def test_429_and_503_are_retried_after_retry_after(zenodo):
    zenodo_records(zenodo, 3)
    zenodo.fail_next(503, retry_after="1")
    # A full minute of requests: the next is answered 429 with the seconds left.
    now = zenodo.now()
    zenodo.window = [now - 59.5] * 30
    run = harvest(source_for(zenodo.url))
    assert run.status == HarvestRun.Status.DONE, run.errors
    assert run.new == 3
    formats = [call for call in zenodo.calls if "ListMetadataFormats" in call]
    assert len(formats) == 3  # 429, 503, then the answer


def test_retry_after_is_read_in_seconds_or_as_a_date():
    client = oai.client("http://127.0.0.1:9/oai2d", default_retry_after=10)
    in_seconds = httpx2.Response(429, headers={"Retry-After": "7"})
    assert client._get_retry_after(in_seconds) == 7
    soon = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    as_date = client._get_retry_after(httpx2.Response(503, headers={"Retry-After": soon}))
    assert 25 <= as_date <= 30
    assert client._get_retry_after(httpx2.Response(503)) == 10
    never = httpx2.Response(429, headers={"Retry-After": "86400"})
    assert client._get_retry_after(never) == oai.MAX_RETRY_AFTER


def test_malformed_and_invalid_records_are_skipped_with_their_reasons(zenodo):
    zenodo_records(zenodo, 6)
    zenodo.records["oai:zenodo.org:2"].metadata = datacite_record(2, title="Broken").replace(
        "</title>", "</titl>"
    )
    zenodo.records["oai:zenodo.org:3"].metadata = datacite_record(3, title="")
    zenodo.records["oai:zenodo.org:4"].metadata = datacite_record(
        4,
        title="Too far north",
        extra="<geoLocations><geoLocation><geoLocationBox>"
        "<westBoundLongitude>2</westBoundLongitude><eastBoundLongitude>3</eastBoundLongitude>"
        "<southBoundLatitude>51</southBoundLatitude><northBoundLatitude>95</northBoundLatitude>"
        "</geoLocationBox></geoLocation></geoLocations>",
    )
    run = harvest(source_for(zenodo.url))

    assert run.status == HarvestRun.Status.DONE
    assert (run.new, run.skipped) == (3, 3)
    reasons = {error["identifier"]: error["reason"] for error in run.errors}
    assert reasons["oai:zenodo.org:2"].startswith("malformed XML")
    assert reasons["oai:zenodo.org:3"] == "the record has no title"
    assert "north" in reasons["oai:zenodo.org:4"]


def test_a_source_that_is_down_leaves_the_previous_harvest_searchable(zenodo, backend):
    zenodo_records(zenodo, 4)
    source = source_for(zenodo.url)
    harvest(source)
    source.refresh_from_db()
    datestamp = source.last_datestamp

    zenodo.fail_next(500)
    run = harvest(source)
    assert run.status == HarvestRun.Status.FAILED
    assert len(run.errors) == 1 and run.errors[0]["identifier"] == ""
    assert "HTTP 500" in run.errors[0]["reason"]

    zenodo.stop()
    run = harvest(source, max_retries=0)
    assert run.status == HarvestRun.Status.FAILED
    source.refresh_from_db()
    assert source.last_datestamp == datestamp
    assert search(backend, text="plankton").total == 4


def test_one_doi_is_one_entry_and_a_local_record_wins(zenodo, backend, people):
    zenodo.deleted_record = "persistent"
    zenodo_records(zenodo, 3)
    first = source_for(zenodo.url, name="zenodo")
    mirror = source_for(zenodo.url, name="mirror")
    harvest(first)
    harvest(mirror)
    result = search(backend, text="plankton")
    assert result.total == 3
    assert result.facet_counts("source") == {"zenodo": 3}  # the first harvested copy

    catalogue_services.create_image_set(
        actor=SYSTEM, owner=people["owner"], title="A draft", doi="10.5281/zenodo.1"
    )
    assert search(backend, text="plankton").facet_counts("source") == {"zenodo": 3}

    local = catalogue_services.create_image_set(
        actor=SYSTEM,
        owner=people["owner"],
        title="Plankton images 2 (our own)",
        doi="10.5281/ZENODO.2",
        state="published",
    )
    result = search(backend, text="plankton")
    assert result.total == 3
    assert result.facet_counts("source") == {"zenodo": 2, "local": 1}
    assert local.pk in result.ids()

    # The first copy gone at its source: the mirror's copy takes its place.
    zenodo.records["oai:zenodo.org:3"] = FakeRecord(
        "oai:zenodo.org:3", later(zenodo), ["user-plankton"], deleted=True
    )
    harvest(first)
    result = search(backend, text="plankton")
    assert result.facet_counts("source") == {"zenodo": 1, "mirror": 1, "local": 1}
    assert result.total == 3


def test_an_incremental_harvest_meets_a_boundary_record_once(zenodo):
    zenodo_records(zenodo, 2)
    source = source_for(zenodo.url)
    harvest(source)
    source.refresh_from_db()
    zenodo.records["oai:zenodo.org:1"].datestamp = source.last_datestamp + timedelta(0)
    run = harvest(source)
    assert (run.new, run.updated) == (0, 1)
    run = harvest(source)
    assert (run.new, run.updated) == (0, 0)  # same datestamp: nothing changed


def test_reconcile_keeps_tombstones_and_shadowed_copies_out(zenodo, backend, people):
    zenodo.deleted_record = "persistent"
    zenodo_records(zenodo, 3)
    source = source_for(zenodo.url)
    harvest(source)
    search(backend, text="plankton")  # indexed
    catalogue_services.create_image_set(
        actor=SYSTEM, owner=people["owner"], title="Ours", doi="10.5281/zenodo.1", state="published"
    )
    zenodo.records["oai:zenodo.org:2"] = FakeRecord(
        "oai:zenodo.org:2", later(zenodo), ["user-plankton"], deleted=True
    )
    harvest(source)
    SearchOutbox.objects.all().delete()  # the indexing task never ran

    repaired = reconcile(backend, "set")
    assert repaired["deleted"] == 2  # the buried record and the copy of our DOI
    assert search(backend, text="plankton").ids() == [
        ImageSet.objects.get(remote_identifier="oai:zenodo.org:3").pk
    ]
    assert reconcile(backend, "set")["repaired"] == 0  # nothing left to repair
