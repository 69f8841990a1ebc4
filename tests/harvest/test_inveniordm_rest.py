"""Harvesting the real InvenioRDM (v14, on loopback) over its REST search: a
community's records with Zenodo's dwc:/ac: fields and their files (listed by link,
not copied), then changed and restricted there and harvested again."""

from __future__ import annotations

import os
import time

import pytest
import requests

from catalogue.access import SYSTEM
from catalogue.harvest import runs, services
from catalogue.models import HarvestRun, ImageSet
from tests.harvest.conftest import live, search
from tests.harvest.test_inveniordm_oai import api, community, edit, metadata

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres", "inveniordm")]

CUSTOM = {
    # Noctiluca scintillans is in the bundled taxa; Calanus finmarchicus is not, so it
    # stays the source's word (a keyword), unmatched.
    "dwc:scientificName": ["Noctiluca scintillans", "Calanus finmarchicus"],
    "dwc:scientificNameID": [
        "urn:lsid:marinespecies.org:taxname:109921",
        "urn:lsid:marinespecies.org:taxname:104464",
    ],
    "dwc:eventDate": ["2021-04-01"],
    "dwc:decimalLatitude": [51.4],
    "dwc:decimalLongitude": [2.9],
    "ac:captureDevice": ["FlowCam VS-IV"],
}


def upload(record_id: str, key: str, content: bytes) -> None:
    api(f"/records/{record_id}/draft/files", "POST", [{"key": key}])
    response = requests.put(
        f"{os.environ['INVENIORDM_URL']}/api/records/{record_id}/draft/files/{key}/content",
        data=content,
        headers={
            "Authorization": f"Bearer {os.environ['INVENIORDM_TOKEN']}",
            "Content-Type": "application/octet-stream",
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text[:300]
    api(f"/records/{record_id}/draft/files/{key}/commit", "POST")


def publish_with_file(found: dict, title: str) -> dict:
    draft = api(
        "/records",
        "POST",
        {"metadata": metadata(title), "custom_fields": CUSTOM, "files": {"enabled": True}},
    )
    upload(draft["id"], "frames.zip", b"PK\x05\x06" + b"\x00" * 18)
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


def wait_until_found(found: dict, count: int) -> None:
    url = f"{os.environ['INVENIORDM_URL']}/api/communities/{found['id']}/records"
    for _ in range(60):
        total = requests.get(url, timeout=30).json()["hits"]["total"]
        if total == count:
            return
        time.sleep(0.5)
    raise AssertionError(f"the community never held {count} records")


def test_a_community_is_harvested_with_its_domain_fields_and_files(backend):
    found = community()
    records = [publish_with_file(found, f"Copepods of station {n} (rest)") for n in (1, 2)]
    wait_until_found(found, 2)
    source = services.add_source(
        actor=SYSTEM,
        name="rdm-rest",
        kind="invenio",
        base_url=os.environ["INVENIORDM_URL"],
        community=found["slug"],
    )

    run = runs.harvest(source)
    assert run.status == HarvestRun.Status.DONE, run.errors
    assert (run.new, run.skipped) == (2, 0)
    first = ImageSet.objects.get(remote_identifier=records[0]["id"])
    assert first.doi == records[0]["pids"]["doi"]["identifier"].lower()
    assert first.remote_landing_page == records[0]["links"]["self_html"]
    assert [t["aphia_id"] for t in first.taxa] == [109921]
    assert "Calanus finmarchicus" in first.keywords
    assert first.instrument == "FlowCam VS-IV"
    assert (first.west, first.south) == (2.9, 51.4)
    assert first.time_start.date().isoformat() == "2021-04-01"
    assert [f["key"] for f in first.remote_files] == ["frames.zip"]
    assert first.remote_files[0]["url"].endswith("/files/frames.zip/content")
    result = search(backend, taxon=["Noctiluca scintillans"])
    assert set(result.ids()) == set(live(source).values_list("pk", flat=True))
    assert result.facet_counts("source") == {"rdm-rest": 2}

    def retitle(draft):
        draft["metadata"]["title"] = "Copepods of station 1 (rest, corrected)"

    def restrict(draft):
        draft["access"]["record"] = "restricted"

    edit(records[0]["id"], retitle)
    edit(records[1]["id"], restrict)
    wait_until_found(found, 1)

    run = runs.harvest(source)
    assert not run.full and (run.new, run.updated, run.deleted) == (0, 1, 0)
    run = runs.harvest(source, full=True)
    assert run.full and (run.new, run.updated, run.deleted) == (0, 0, 1)
    first.refresh_from_db()
    assert first.title == "Copepods of station 1 (rest, corrected)"
    assert search(backend, taxon=["Noctiluca scintillans"]).ids() == [first.pk]
