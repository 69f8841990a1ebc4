"""Harvesting the real InvenioRDM (v14, on loopback) over its OAI-PMH endpoint
(/oai2d): records published into a community of its own, harvested as external
sets, then changed and restricted there and harvested again.

InvenioRDM keeps no deleted records in OAI-PMH (Identify says deletedRecord
"no"; a deleted or restricted record is simply no longer listed), so what left
it is found by a full list."""

from __future__ import annotations

import os
import time
import uuid

import pytest
import requests

from catalogue.harvest import oai, runs
from catalogue.models import HarvestRun, ImageSet
from tests.harvest.conftest import live, search, source_for

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres", "inveniordm")]


def api(path: str, method: str = "GET", body: dict | None = None) -> dict:
    """A call to the local InvenioRDM as the depositor; its JSON answer."""
    response = requests.request(
        method,
        os.environ["INVENIORDM_URL"].rstrip("/") + "/api" + path,
        json=body,
        headers={"Authorization": f"Bearer {os.environ['INVENIORDM_TOKEN']}"},
        timeout=30,
    )
    assert response.status_code in (200, 201, 202), response.text[:500]
    return response.json()


def community() -> dict:
    slug = f"harvest-{uuid.uuid4().hex[:8]}"
    return api(
        "/communities",
        "POST",
        {
            "slug": slug,
            "access": {"visibility": "public", "review_policy": "open"},
            "metadata": {"title": "Plankton imaging (harvest tests)"},
        },
    )


def metadata(title: str) -> dict:
    return {
        "resource_type": {"id": "dataset"},
        "title": title,
        "publication_date": "2024-05-01",
        "publisher": "Flanders Marine Institute",
        "creators": [
            {
                "person_or_org": {
                    "type": "personal",
                    "family_name": "Mortelmans",
                    "given_name": "Jonas",
                    "identifiers": [{"scheme": "orcid", "identifier": "0000-0002-1825-0097"}],
                }
            }
        ],
        "description": "FlowCam images of zooplankton from the Belgian part of the North Sea.",
        "rights": [{"id": "cc-by-4.0"}],
        "subjects": [{"subject": "zooplankton"}, {"subject": "FlowCam"}],
    }


def publish_in(found: dict, title: str) -> dict:
    """A record published into the community (open review: accepted at once)."""
    draft = api("/records", "POST", {"metadata": metadata(title), "files": {"enabled": False}})
    api(
        f"/records/{draft['id']}/draft/review",
        "PUT",
        {"receiver": {"community": found["id"]}, "type": "community-submission"},
    )
    api(
        f"/records/{draft['id']}/draft/actions/submit-review",
        "POST",
        {"payload": {"content": "<p>harvest test</p>", "format": "html"}},
    )
    return api(f"/records/{draft['id']}")


def edit(record_id: str, change) -> dict:
    """Edit a published record (a draft of it, changed, published again)."""
    draft = api(f"/records/{record_id}/draft", "POST")
    change(draft)
    body = {
        "metadata": draft["metadata"],
        "custom_fields": draft.get("custom_fields", {}),
        "access": draft["access"],
        "files": {"enabled": draft["files"]["enabled"]},
    }
    api(f"/records/{record_id}/draft", "PUT", body)
    return api(f"/records/{record_id}/draft/actions/publish", "POST")


def listed(set_spec: str) -> int:
    """How many records the set lists now (0 when none)."""
    scythe = oai.client(os.environ["INVENIORDM_URL"] + "/oai2d")
    pages = oai.pages(scythe, prefix="oai_dc", set_spec=set_spec)
    return sum(len(page.records) for page in pages)


def wait_until_listed(set_spec: str, count: int) -> None:
    """The community's records reach OAI-PMH through InvenioRDM's index."""
    for _ in range(60):
        if listed(set_spec) == count:
            return
        time.sleep(0.5)
    raise AssertionError(f"{set_spec} never listed {count} records")


def test_records_are_harvested_then_changed_and_restricted_at_the_source(backend):
    found = community()
    set_spec = f"community-{found['slug']}"
    records = [publish_in(found, f"Zooplankton of station {n} (harvest)") for n in (1, 2, 3)]
    wait_until_listed(set_spec, 3)
    source = source_for(os.environ["INVENIORDM_URL"] + "/oai2d", name="rdm", set_spec=set_spec)

    run = runs.harvest(source)
    assert run.status == HarvestRun.Status.DONE, run.errors
    assert (run.new, run.skipped) == (3, 0)
    source.refresh_from_db()
    assert source.metadata_prefix == "oai_datacite"
    first = ImageSet.objects.get(harvest_source=source, doi=records[0]["pids"]["doi"]["identifier"])
    assert first.title == "Zooplankton of station 1 (harvest)"
    assert first.licence == "CC-BY-4.0"
    assert first.creators[0]["orcid"] == "0000-0002-1825-0097"
    assert "zooplankton" in first.keywords
    result = search(backend, text="zooplankton harvest", page_size=10)
    assert set(result.ids()) == set(live(source).values_list("pk", flat=True))
    assert result.facet_counts("source") == {"rdm": 3}

    def retitle(draft):
        draft["metadata"]["title"] = "Zooplankton of station 1 (harvest, corrected)"

    def restrict(draft):
        draft["access"]["record"] = "restricted"

    edit(records[0]["id"], retitle)
    edit(records[1]["id"], restrict)
    wait_until_listed(set_spec, 2)

    run = runs.harvest(source)  # incremental: the change, not the restriction
    assert run.status == HarvestRun.Status.DONE, run.errors
    assert not run.full and (run.new, run.updated, run.deleted) == (0, 1, 0)
    first.refresh_from_db()
    assert first.title == "Zooplankton of station 1 (harvest, corrected)"

    run = runs.harvest(source, full=True)  # the whole list: what left it
    assert run.full and (run.new, run.updated, run.deleted) == (0, 0, 1)
    restricted = ImageSet.objects.get(doi=records[1]["pids"]["doi"]["identifier"])
    assert restricted.remote_deleted is not None
    result = search(backend, text="zooplankton harvest", page_size=10)
    assert result.total == 2 and restricted.pk not in result.ids()
