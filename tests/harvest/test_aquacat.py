"""Harvesting a second, live AquaCat (tests/harvest/aquacat_remote.py: gunicorn on a
database of its own) through its REST API, image by image; then changed there
(a set edited, an image removed, a set deleted, a set restricted) and harvested
again."""

from __future__ import annotations

import io
import json
import os
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from catalogue import access
from catalogue.access import SYSTEM, Action
from catalogue.harvest import runs, services, tokens
from catalogue.models import HarvestRun, HarvestSource, Image, ImageSet
from tests.harvest.aquacat_remote import RemoteAquaCat
from tests.harvest.conftest import live, search

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres")]

# Noctiluca scintillans is in the bundled taxa (AphiaID 109921); Calanus finmarchicus
# is not, so it stays the source's word.
BLOOM = {
    "title": "Noctiluca bloom off Ostend",
    "doi": "10.5281/aquacat.1001",
    "images": [
        {
            "name": "bloom-1.png",
            "latitude": 51.25,
            "longitude": 2.9,
            "depth": 3.0,
            "captured_at": "2023-05-02T10:00:00+00:00",
            "labels": ["Noctiluca scintillans"],
        },
        {
            "name": "bloom-2.png",
            "latitude": 51.26,
            "longitude": 2.91,
            "depth": 12.0,
            "captured_at": "2023-05-02T10:05:00+00:00",
            "labels": ["Calanus finmarchicus"],
        },
        {"name": "bloom-3.png", "latitude": 51.27, "longitude": 2.92, "depth": 25.0},
    ],
}
HARBOUR = {
    "title": "Harbour survey",
    "images": [
        {"name": "harbour-1.png", "latitude": 51.5, "longitude": 3.2, "depth": 5.0},
        {"name": "harbour-2.png", "latitude": 51.6, "longitude": 3.3, "depth": 6.0},
    ],
}
CLOSED = {"title": "Closed survey", "access": "restricted", "images": [{"name": "c.png"}]}


@pytest.fixture(scope="module")
def remote():
    peer = RemoteAquaCat(f"aquacat_harvest_peer_{os.getpid()}")
    try:
        yield peer.create().start()
    finally:
        peer.drop()


def harvest(source, **options) -> HarvestRun:
    source.refresh_from_db()
    run = runs.harvest(source, **options)
    assert run.status == "done", run.errors
    return run


def images_of(source, title: str) -> dict[str, Image]:
    image_set = live(source).get(title__startswith=title.split(",")[0])
    return {image.file_name: image for image in image_set.images.all()}


def test_a_second_aquacat_is_harvested_image_by_image_then_again(remote, backend):
    made = remote.do("seed", {"sets": [BLOOM, HARBOUR, CLOSED]})
    source = services.add_source(actor=SYSTEM, name="peer", kind="aquacat", base_url=remote.url)

    run = harvest(source)
    assert (run.new, run.updated, run.deleted, run.images, run.errors) == (2, 0, 0, 5, [])
    bloom = live(source).get(remote_identifier=made[BLOOM["title"]]["uuid"])
    assert bloom.doi == "10.5281/aquacat.1001"
    assert bloom.remote_landing_page == f"{remote.url}/sets/{bloom.remote_identifier}/"
    assert {"Noctiluca scintillans"} <= {t["scientific_name"] for t in bloom.taxa}
    assert "Calanus finmarchicus" in bloom.keywords  # unmatched: the source's word
    images = images_of(source, BLOOM["title"])
    first = images["bloom-1.png"]
    assert (first.latitude, first.longitude, first.depth) == (51.25, 2.9, 3.0)
    assert first.storage_key == "" and first.thumbnail_small == ""  # nothing copied
    remote_id = first.remote["id"]
    assert first.remote["thumbnail_small"] == f"{remote.url}/files/images/{remote_id}/small"
    assert first.remote["file"] == f"{remote.url}/files/images/{remote_id}/original"
    assert first.remote["landing_page"].endswith(f"#image-{remote_id}")
    assert first.remote["labels"] == [{"name": "Noctiluca scintillans", "aphia_id": 109921}]
    assert images["bloom-2.png"].remote["labels"] == [
        {"name": "Calanus finmarchicus", "aphia_id": None}
    ]

    # Searchable as images: taxon, place, depth, source; read-only; never served as ours.
    result = search(backend, kind="image", taxon=["Noctiluca scintillans"])
    assert result.ids() == [first.pk]
    in_box = search(backend, kind="image", bbox=(2.85, 51.2, 2.95, 51.3), page_size=20)
    assert sorted(in_box.ids()) == sorted(image.pk for image in images.values())
    deep = search(backend, kind="image", depth_min=10, depth_max=30, source=["peer"])
    assert sorted(deep.ids()) == sorted(images[n].pk for n in ("bloom-2.png", "bloom-3.png"))
    assert search(backend, kind="image", page_size=1).facet_counts("source") == {"peer": 5}
    assert not access.permitted(SYSTEM, Action.ANNOTATE, bloom)
    client = Client()
    listed = client.get(f"/api/v1/images/?image_set={bloom.pk}").json()["results"]
    row = next(r for r in listed if r["file_name"] == "bloom-1.png")
    assert row["thumbnail_small_url"] == first.remote["thumbnail_small"]
    assert row["file_url"] == first.remote["file"]
    assert client.get(f"/files/images/{first.pk}/small").status_code == 404

    # Nothing changed there: nothing read again.
    again = harvest(source)
    assert (again.new, again.updated, again.deleted, again.images) == (0, 0, 0, 0)

    # Changed there: a set edited and one of its images removed, a set deleted.
    bloom_uuid, harbour_uuid = made[BLOOM["title"]]["uuid"], made[HARBOUR["title"]]["uuid"]
    remote.do("drop_image", {"uuid": bloom_uuid, "name": "bloom-3.png"})
    remote.do("change", {"uuid": bloom_uuid, "fields": {"title": "Noctiluca bloom, corrected"}})
    remote.do("delete", {"uuid": harbour_uuid})
    run = harvest(source)
    assert (run.new, run.updated, run.deleted, run.errors) == (0, 1, 1, [])
    bloom.refresh_from_db()
    assert bloom.title == "Noctiluca bloom, corrected"
    assert set(images_of(source, bloom.title)) == {"bloom-1.png", "bloom-2.png"}
    assert ImageSet.objects.get(remote_identifier=harbour_uuid).remote_deleted is not None
    result = search(backend, kind="image", page_size=20)
    assert result.total == 2
    assert {hit.document["file_name"] for hit in result.hits} == {"bloom-1.png", "bloom-2.png"}

    # Restricted there: it leaves search here, images too.
    remote.do("change", {"uuid": bloom_uuid, "fields": {"access": "restricted"}})
    run = harvest(source)
    assert run.deleted == 1
    assert search(backend, kind="image").total == 0
    assert search(backend, source=["peer"]).total == 0


def test_a_source_that_is_down_keeps_its_images_searchable(remote, backend):
    remote.do("seed", {"sets": [{**HARBOUR, "title": "Harbour survey 2"}]})
    source = services.add_source(actor=SYSTEM, name="peer2", kind="aquacat", base_url=remote.url)
    harvest(source)
    held = search(backend, kind="image", source=["peer2"]).total
    assert held >= 2
    source.base_url = "http://127.0.0.1:9/"  # nothing listens there
    source.save()
    failed = runs.harvest(source)
    assert failed.status == "failed" and failed.errors[0]["identifier"] == ""
    assert search(backend, kind="image", source=["peer2"]).total == held


def test_the_command_harvests_a_research_infrastructure_of_an_aquacat(remote):
    remote.do(
        "seed",
        {
            "sets": [
                {**HARBOUR, "title": "EMBRC harbour", "research_infrastructure": "EMBRC"},
                {**HARBOUR, "title": "Other harbour"},
            ]
        },
    )
    out = io.StringIO()
    call_command("harvest", "add", "embrc", "--aquacat", remote.url, "--set", "EMBRC", stdout=out)
    assert json.loads(out.getvalue())["kind"] == "aquacat"
    out = io.StringIO()
    call_command("harvest", "run", "embrc", stdout=out, stderr=io.StringIO())
    report = json.loads(out.getvalue())
    assert (report["status"], report["new"], report["images"]) == ("done", 1, 2)
    source = HarvestSource.objects.get(name="embrc")
    assert [s.title for s in live(source)] == ["EMBRC harbour"]


def test_a_sets_label_facet_counts_its_external_images_labels(remote, backend):
    """An external set's labels are its images' (validated at the source): the set
    search's label facet and filter count them, as the image search's do."""
    infrastructure = f"RI-{uuid.uuid4().hex[:8]}"  # this test's set alone on the peer
    bloom_there = {
        **BLOOM,
        "title": "Labelled bloom",
        "doi": "",
        "research_infrastructure": infrastructure,
    }
    made = remote.do("seed", {"sets": [bloom_there]})
    source = services.add_source(
        actor=SYSTEM, name="labelled", kind="aquacat", base_url=remote.url, set_spec=infrastructure
    )
    harvest(source)
    bloom = live(source).get(remote_identifier=made["Labelled bloom"]["uuid"])

    sets = search(backend, kind="set", source=["labelled"])
    assert sets.ids() == [bloom.pk]
    assert sets.facet_counts("label") == {"Calanus finmarchicus": 1, "Noctiluca scintillans": 1}
    assert sets.hits[0].document["labels"] == ["Calanus finmarchicus", "Noctiluca scintillans"]
    by_label = search(backend, kind="set", label=["Calanus finmarchicus"], source=["labelled"])
    assert by_label.ids() == [bloom.pk]
    images = search(backend, kind="image", source=["labelled"], page_size=20)
    assert images.facet_counts("label") == {"Calanus finmarchicus": 1, "Noctiluca scintillans": 1}


def test_a_token_is_sent_but_shows_nothing_the_peer_hides_from_everyone(remote, monkeypatch):
    """The peer's token (read from the environment, never stored) is sent as a Bearer
    token; the restricted set its staff user may read there is not taken here."""
    infrastructure = f"RI-{uuid.uuid4().hex[:8]}"
    there = {"research_infrastructure": infrastructure}
    remote.do(
        "seed",
        {"sets": [{**HARBOUR, **there, "title": "Token harbour"}, {**CLOSED, **there}]},
    )
    reader = f"reader-{infrastructure}"
    secret = remote.do("token", {"user": reader})["secret"]
    source = services.add_source(
        actor=SYSTEM,
        name="with-token",
        kind="aquacat",
        base_url=remote.url,
        set_spec=infrastructure,
    )
    assert tokens.variable(source) == "AQUACAT_HARVEST_TOKEN_WITH_TOKEN"
    monkeypatch.setenv(tokens.variable(source), secret)

    run = harvest(source)
    assert remote.do("token_used", {"user": reader})["last_used"] is not None
    assert [(s.title, s.access) for s in live(source)] == [("Token harbour", "open")]
    assert run.new == 1 and run.images == 2
    staff = Client()
    staff.force_login(get_user_model().objects.create_user("harvest-staff", is_staff=True))
    page = staff.get("/harvest/with-token/").content.decode()
    assert "AQUACAT_HARVEST_TOKEN_WITH_TOKEN" in page and secret not in page
    assert secret not in json.dumps(runs.report(run))

    # A token the peer refuses fails the run, naming the answer, never the secret.
    monkeypatch.setenv(tokens.variable(source), "acat_not-a-token")
    failed = runs.harvest(source)
    assert failed.status == "failed"
    assert "401" in failed.errors[-1]["reason"]
    assert "acat_not-a-token" not in json.dumps(runs.report(failed))
    assert [s.title for s in live(source)] == ["Token harbour"]  # the last harvest stays
