"""A curator's copy of an external set's files (catalogue/services/external_copies.py):
a second, live AquaCat (tests/harvest/aquacat_remote.py) serves the files, a real
worker copies them; files that fail are reported with their image and reason,
nothing of them is stored; the others are served by our file URLs."""

from __future__ import annotations

import os
import time
import uuid

import pytest
import requests
from django.core.files.storage import default_storage
from django.test import Client

from catalogue import access
from catalogue.access import SYSTEM
from catalogue.harvest import runs, services
from catalogue.ingest.storing import storage_prefix
from catalogue.models import Image, ImageSet, IngestBatch
from tests.harvest.aquacat_remote import RemoteAquaCat
from tests.harvest.conftest import live

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.services("postgres", "redis", "s3"),
]

FILES = {
    "ok-1.png": "png",
    "ok-2.png": "png2",
    "page.png": "html",
    "tampered.png": "tampered",
    "oversized.png": "oversized",
    "bomb.png": "bomb",
}
REASONS = {
    "page.png": "an HTML document",
    "tampered.png": "differs from the source's",
    "oversized.png": "more than 100 bytes",
    "bomb.png": "decompression bomb",
}


@pytest.fixture(scope="module")
def remote():
    peer = RemoteAquaCat(f"aquacat_copies_peer_{os.getpid()}", S3_PREFIX=f"peer-{uuid.uuid4().hex}")
    try:
        yield peer.create().start()
    finally:
        peer.drop()


@pytest.fixture
def worker(start_worker, settings):
    """A worker of its own, with a decompression-bomb limit of a million pixels, on the
    queue copies go to (that of upload ingests): the suite's worker must not take them."""
    started = start_worker("copies", INGEST_MAX_PIXELS="1000000")
    settings.UPLOAD_QUEUE = started.queue
    return started


def client_of(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def finished(client: Client, url: str) -> dict:
    """Poll the copy until its worker is done with it."""
    deadline = time.monotonic() + 180
    while True:
        report = client.get(url).json()
        if report["status"] != "running":
            return report
        assert time.monotonic() < deadline, report
        time.sleep(0.3)


def stored_keys(prefix: str) -> list[str]:
    folders, names = default_storage.listdir(prefix)
    found = [prefix + name for name in names]
    for folder in folders:
        found += stored_keys(f"{prefix}{folder}/")
    return found


def test_a_curator_copies_an_external_sets_files_each_checked(remote, worker, people):
    infrastructure = f"RI-{uuid.uuid4().hex[:8]}"
    images = [{"name": name, "file": kind} for name, kind in FILES.items()]
    remote.do(
        "seed",
        {
            "sets": [
                {
                    "title": "Copied survey",
                    "research_infrastructure": infrastructure,
                    "images": images,
                }
            ]
        },
    )
    source = services.add_source(
        actor=SYSTEM, name="copies", kind="aquacat", base_url=remote.url, set_spec=infrastructure
    )
    assert runs.harvest(source).images == len(FILES)
    image_set = live(source).get()
    by_name = {image.file_name: image for image in image_set.images.all()}
    copies_url = f"/api/v1/image-sets/{image_set.pk}/copies/"

    # Refused to anyone but staff and the set's curators, on every path.
    for who in ("anonymous", "other", "owner"):
        assert client_of(people[who]).post(copies_url, {}, "application/json").status_code in (
            401,
            403,
        )
        page = client_of(people[who]).post(f"/harvest/copies/sets/{image_set.uuid}/copy/")
        assert page.status_code in (302, 403)
    assert not IngestBatch.objects.filter(image_set=image_set).exists()
    assert not access.may_copy_external_files(people["curator"], image_set)
    image_set.curators.add(people["curator"])
    assert access.may_copy_external_files(people["curator"], image_set)

    # Images that are not the set's are named, all at once; nothing queued.
    staff = client_of(people["staff"])
    wrong = staff.post(
        copies_url, {"images": [by_name["ok-1.png"].pk, 0, 999_999]}, "application/json"
    )
    assert wrong.status_code == 400
    wrong = staff.post(
        copies_url, {"images": [by_name["ok-1.png"].pk, 999_998, 999_999]}, "application/json"
    )
    assert wrong.status_code == 400 and "999998, 999999" in wrong.content.decode()
    assert not IngestBatch.objects.filter(image_set=image_set).exists()

    page = staff.get("/harvest/copies/").content.decode()
    assert "Copy files here" in page and "Copied survey" in page
    local = ImageSet.objects.create(title="Local survey", state="published")
    refused = staff.post(f"/api/v1/image-sets/{local.pk}/copies/", {}, "application/json")
    assert refused.status_code == 409 and "not an external set" in refused.json()["detail"]

    answer = client_of(people["curator"]).post(copies_url, {}, "application/json")
    assert answer.status_code == 202, answer.content
    for who in ("anonymous", "other"):  # its report too
        assert client_of(people[who]).get(answer["Location"]).status_code in (401, 403)
    report = finished(staff, answer["Location"])
    assert (report["status"], report["total"], report["copied"]) == ("done", 6, 2)
    assert {row["name"] for row in report["copied_images"]} == {"ok-1.png", "ok-2.png"}
    failed = {row["name"]: row for row in report["failed"]}
    assert set(failed) == set(REASONS)
    for name, reason in REASONS.items():
        assert failed[name]["image_id"] == by_name[name].pk
        assert reason in failed[name]["reason"], failed[name]

    # The copies are ours now: served by our file URLs, the same bytes as the source's.
    for name in ("ok-1.png", "ok-2.png"):
        image = Image.objects.get(pk=by_name[name].pk)
        assert image.storage_key.startswith(storage_prefix(image_set))
        served = staff.get(f"/files/images/{image.pk}/original")
        assert served.status_code == 200
        assert (
            b"".join(served.streaming_content)
            == requests.get(image.remote["file"], timeout=30).content
        )
        assert staff.get(f"/files/images/{image.pk}/small").status_code == 200
        row = staff.get(f"/api/v1/images/{image.pk}/").json()
        assert row["file_url"].endswith(f"/files/images/{image.pk}/original")
    # The others stay links; nothing of theirs was stored: two originals, four thumbnails.
    for name in REASONS:
        assert Image.objects.get(pk=by_name[name].pk).storage_key == ""
    assert len(stored_keys(storage_prefix(image_set))) == 6
    page = staff.get("/harvest/copies/").content.decode()
    assert "done: 2 of 6 copied, 4 failed" in page and "decompression bomb" in page

    # The next harvest keeps the copies of files unchanged at the source.
    again = runs.harvest(source, full=True)
    assert again.status == "done" and again.images == 0
    kept = Image.objects.get(pk=by_name["ok-1.png"].pk)
    assert kept.storage_key and kept.remote.get("copied")

    # A file changed at the source: its copy here is dropped (and deleted), the link stays.
    made = remote.do(
        "replace_file", {"uuid": image_set.remote_identifier, "name": "ok-2.png", "file": "png3"}
    )
    assert runs.harvest(source).images == 1
    changed = Image.objects.get(pk=by_name["ok-2.png"].pk)
    assert (changed.sha256, changed.storage_key, changed.thumbnail_small) == (
        made["sha256"],
        "",
        "",
    )
    assert len(stored_keys(storage_prefix(image_set))) == 3
    assert staff.get(f"/files/images/{changed.pk}/original").status_code == 404

    # The peer deleted the set: buried here, its copy deleted, its images links again.
    copied = Image.objects.get(pk=by_name["ok-1.png"].pk)
    assert copied.storage_key and len(stored_keys(storage_prefix(image_set))) == 3
    remote.do("delete", {"uuid": image_set.remote_identifier})
    assert runs.harvest(source).status == "done"
    image_set.refresh_from_db()
    assert image_set.remote_deleted is not None
    copied.refresh_from_db()
    assert (copied.storage_key, copied.thumbnail_small, copied.thumbnail_medium) == ("", "", "")
    assert "copied" not in copied.remote
    assert not stored_keys(storage_prefix(image_set))

    # The source removed: its sets go with it.
    assert services.remove_source(source, actor=SYSTEM) == 1
    assert not ImageSet.objects.filter(pk=image_set.pk).exists()
