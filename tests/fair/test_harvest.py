"""Real harvesters (oaipmh-scythe, pyoai) against the live test server: full and
incremental harvests, and an exact harvest while records change between pages."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from lxml import etree

from catalogue import access, services
from catalogue.access import SYSTEM, public_filter
from catalogue.models import ImageSet
from catalogue.oai.records import oai_identifier
from tests.fair.conftest import change_public_record

pytestmark = pytest.mark.django_db(transaction=True)


def stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_full_and_incremental_harvest_with_scythe(scythe_client, make_set, settings):
    settings.OAI_PAGE_SIZE = 3
    sets = [make_set(title=f"set {i}") for i in range(8)]
    make_set(title="hidden", access="restricted")
    for prefix in ("oai_dc", "oai_datacite", "dcat"):
        records = list(scythe_client.list_records(metadata_prefix=prefix))
        assert sorted(r.header.identifier for r in records) == sorted(
            oai_identifier(s.uuid) for s in sets
        )
    dc = {
        r.header.identifier: r.metadata
        for r in scythe_client.list_records(metadata_prefix="oai_dc")
    }
    assert dc[oai_identifier(sets[0].uuid)]["title"] == ["set 0"]
    # Incremental: what changed since the last harvest, deletions included.
    time.sleep(1.1)
    since = stamp(dt.datetime.now(dt.UTC))
    time.sleep(1.1)
    change_public_record(sets[1])
    services.update_image_set(sets[2], access="restricted", actor=SYSTEM)
    headers = list(scythe_client.list_identifiers(metadata_prefix="oai_dc", from_=since))
    assert {(h.identifier, h.deleted) for h in headers} == {
        (oai_identifier(sets[1].uuid), False),
        (oai_identifier(sets[2].uuid), True),
    }
    until_before = list(scythe_client.list_identifiers(metadata_prefix="oai_dc", until=since))
    assert len(until_before) == 6  # sets[1] and sets[2] changed after `since`
    assert len(scythe_client.responses) > 10


def test_full_and_incremental_harvest_with_pyoai(pyoai_client, make_set, settings):
    settings.OAI_PAGE_SIZE = 2
    sets = [make_set(title=f"pyoai {i}", instrument="IFCB") for i in range(5)]
    identify = pyoai_client.identify()
    assert identify.deletedRecord() == "persistent"
    assert identify.granularity() == "YYYY-MM-DDThh:mm:ssZ"
    records = list(pyoai_client.listRecords(metadataPrefix="oai_dc"))
    assert sorted(h.identifier() for h, _, _ in records) == sorted(
        oai_identifier(s.uuid) for s in sets
    )
    assert {m.getField("title")[0] for _, m, _ in records} == {f"pyoai {i}" for i in range(5)}
    assert [s.setSpec() if hasattr(s, "setSpec") else s[0] for s in pyoai_client.listSets()][
        :1
    ] == ["instrument"]
    formats = [f[0] for f in pyoai_client.listMetadataFormats()]
    assert formats == ["oai_dc", "oai_datacite", "dcat"]
    _header, metadata, _ = pyoai_client.getRecord(
        identifier=oai_identifier(sets[0].uuid), metadataPrefix="oai_dc"
    )
    assert metadata.getField("title") == ["pyoai 0"]
    time.sleep(1.1)
    since = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    time.sleep(1.1)
    change_public_record(sets[3])
    changed = list(pyoai_client.listIdentifiers(metadataPrefix="oai_dc", from_=since))
    assert [h.identifier() for h in changed] == [oai_identifier(sets[3].uuid)]


def test_harvest_is_exact_while_records_change_between_pages(scythe_client, make_set, settings):
    """Small pages; between pages records are added, updated, restricted and deleted.
    Within the harvest no identifier repeats and every record that stayed unchanged
    is delivered; the incremental harvest from its responseDate delivers exactly the
    changes, so the two together give the final state."""

    settings.OAI_PAGE_SIZE = 4
    sets = [make_set(title=f"moving {i}") for i in range(30)]
    touched: set = set()
    seen: list[str] = []
    first_response_date = None
    pages = 0
    iterator = scythe_client.list_identifiers(metadata_prefix="oai_dc")
    for header in iterator:
        seen.append(header.identifier)
        if first_response_date is None:
            root = etree.fromstring(scythe_client.responses[0])
            first_response_date = root.findtext(
                "{http://www.openarchives.org/OAI/2.0/}responseDate"
            )
        if len(seen) % settings.OAI_PAGE_SIZE == 0:
            pages += 1
            # Between pages: one added, one updated, one restricted, one deleted (a draft).
            new = make_set(title=f"new {pages}")
            touched.add(new.uuid)
            target = sets[(pages * 7) % 30]
            change_public_record(target)
            touched.add(target.uuid)
            victim = sets[(pages * 11 + 3) % 30]
            if access.is_public(victim):
                services.update_image_set(victim, access="restricted", actor=SYSTEM)
                touched.add(victim.uuid)
            draft = make_set(title="draft", state="draft")
            services.delete_image_set(draft, actor=SYSTEM)
    assert pages >= 5
    assert len(seen) == len(set(seen)), "an identifier was delivered twice"
    unchanged = {oai_identifier(s.uuid) for s in sets if s.uuid not in touched}
    assert unchanged <= set(seen), "a record that did not change was missed"
    # The next incremental harvest brings every change, once.
    time.sleep(1.1)
    incremental = list(
        scythe_client.list_identifiers(metadata_prefix="oai_dc", from_=first_response_date)
    )
    delta = [h.identifier for h in incremental]
    assert len(delta) == len(set(delta))
    assert {oai_identifier(u) for u in touched} <= set(delta)
    # Together: the final state (live records and tombstones), nothing missing.
    final = {}
    for ident in seen:
        final[ident] = False
    for header in incremental:
        final[header.identifier] = header.deleted

    live = {
        oai_identifier(u)
        for u in ImageSet.objects.filter(public_filter()).values_list("uuid", flat=True)
    }
    assert {i for i, deleted in final.items() if not deleted} == live
