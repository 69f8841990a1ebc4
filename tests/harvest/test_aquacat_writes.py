"""What an AquaCat harvest does with rows it cannot take: an image row is refused
with every problem named; a set the database refuses (two images with one sha256)
is skipped by name while the other sets of its transaction stand."""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid5

import pytest

from catalogue.access import SYSTEM
from catalogue.harvest import aquacat_mapping, aquacat_run, services
from catalogue.harvest.mapping import Invalid
from catalogue.models import HarvestRun, ImageSet

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres")]

PEER = "http://127.0.0.1:9"


def image_row(number: int, sha: str | None = None) -> dict:
    return {
        "id": number,
        "file_name": f"{number}.png",
        "sha256": sha or f"{number:064x}",
        "size": 10,
        "media_type": "image/png",
        "width": 4,
        "height": 3,
        "frames": 1,
        "latitude": 51.0,
        "longitude": 3.0,
        "depth": 5.0,
        "captured_at": "2024-01-01T00:00:00Z",
        "thumbnail_small_url": f"{PEER}/files/images/{number}/small",
    }


def test_an_image_row_is_refused_with_every_problem_named():
    row = {**image_row(1), "sha256": "nope", "latitude": 91.0, "width": -1}
    with pytest.raises(Invalid) as refused:
        aquacat_mapping.image_fields(row, [], f"{PEER}/sets/x/")
    reason = str(refused.value)
    assert "sha256 'nope' is not 64 hex digits" in reason
    assert "width -1 is not a whole number" in reason
    assert "latitude 91 is outside -90..90" in reason


def test_an_image_row_linking_anywhere_but_http_is_refused():
    row = {
        **image_row(1),
        "file_url": "javascript:alert(document.cookie)",
        "thumbnail_small_url": "data:image/svg+xml,<svg onload=alert(1)>",
        "thumbnail_medium_url": "https:///no-host",
    }
    with pytest.raises(Invalid) as refused:
        aquacat_mapping.image_fields(row, [], f"{PEER}/sets/x/")
    reason = str(refused.value)
    assert "file_url 'javascript:alert(document.cookie)' is not an http(s) URL" in reason
    assert "thumbnail_small_url 'data:image/svg+xml" in reason
    assert "thumbnail_medium_url 'https:///no-host' is not an http(s) URL" in reason
    fields = aquacat_mapping.image_fields(image_row(2), [], f"{PEER}/sets/x/")
    assert fields["remote"]["thumbnail_small"] == f"{PEER}/files/images/2/small"


def test_a_set_without_a_uuid_is_refused():
    with pytest.raises(Invalid, match="uuid 'set-1' is not a UUID"):
        aquacat_mapping.mapped_set({"uuid": "set-1", "title": "A set"}, PEER)


def found(title: str, rows: list[dict]) -> aquacat_run.Found:
    identifier = str(uuid5(NAMESPACE_URL, title))
    detail = {"uuid": identifier, "title": title, "access": "open", "doi": ""}
    mapped = aquacat_mapping.mapped_set(detail, PEER)
    images = [aquacat_mapping.image_fields(row, [], mapped.landing_page) for row in rows]
    return aquacat_run.Found(identifier, None, mapped, images)


def test_a_set_the_database_refuses_is_skipped_and_the_others_stand():
    source = services.add_source(actor=SYSTEM, name="peer", kind="aquacat", base_url=PEER)
    run = HarvestRun.objects.create(source=source)
    twice = "f" * 64
    chunk = [
        found("good", [image_row(1), image_row(2)]),
        found("bad", [image_row(3, twice), image_row(4, twice)]),
        found("also good", [image_row(5)]),
    ]
    batch = services.Batch.of(source, [f.identifier for f in chunk])
    aquacat_run.write_chunk(run, source, chunk, batch)
    assert (run.new, run.images, run.skipped) == (2, 3, 1)
    assert run.errors[0]["identifier"] == str(uuid5(NAMESPACE_URL, "bad"))
    assert "refused by the database" in run.errors[0]["reason"]
    stored = {s.title: s.images.count() for s in ImageSet.objects.filter(harvest_source=source)}
    assert stored == {"good": 2, "also good": 1}
