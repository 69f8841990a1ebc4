"""A set over one record's limits, published to a real InvenioRDM (v14, on
loopback) as linked records: parts IsPartOf the main record, which HasPart
each and carries the set's DOI; resumed after a crash without a second record."""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile

import pytest

from catalogue import services
from catalogue.access import SYSTEM
from curation import packaging
from curation.repositories import TransientTargetError
from curation.repositories.invenio_parts import split
from curation.services.deposits import DepositRun, publish, run_deposit
from tests.catalogue.conftest import real_jpegs
from tests.curation.conftest import ready_set
from tests.curation.test_invenio_target import api, content, published, rdm_target, user_records

pytestmark = [pytest.mark.django_db, pytest.mark.services("inveniordm")]


@pytest.fixture
def rdm(settings):
    """One image per package, two files per record: three images make two parts."""
    configure = rdm_target(settings)
    configure(max_files=1, max_files_per_record=2)
    return configure


def related(record: dict) -> set[tuple[str, str]]:
    return {
        (entry["identifier"], entry["relation_type"]["id"])
        for entry in record["metadata"]["related_identifiers"]
    }


def keys(record_id: str) -> list[str]:
    return sorted(entry["key"] for entry in api(f"/records/{record_id}/files")["entries"])


def check_linked(deposit, image_set) -> None:
    """The main record and its two parts, linked both ways, every image once."""
    main = api(f"/records/{deposit.remote_id}")
    assert main["is_published"] and main["pids"]["doi"]["identifier"] == image_set.doi
    assert deposit.doi == image_set.doi == DepositRun(deposit).data("DOI reserved")["doi"]
    listing = json.loads(content(deposit.remote_id, "parts.json"))
    assert listing["doi"] == image_set.doi
    assert [part["files"] for part in listing["parts"]] == [
        ["images-001.zip", "images-002.zip"],
        ["images-003.zip"],
    ]
    assert {(part["doi"], "haspart") for part in listing["parts"]} <= related(main)
    assert "parts.json" in keys(deposit.remote_id) and "manifest.json" in keys(deposit.remote_id)
    assert not [key for key in keys(deposit.remote_id) if key.endswith(".zip")]

    inside = set()
    for number, part in enumerate(listing["parts"], 1):
        found = api("/records", q=f'pids.doi.identifier:"{part["doi"]}"')["hits"]["hits"]
        assert len(found) == 1
        record = found[0]
        assert record["metadata"]["title"] == f"{image_set.title} (part {number} of 2)"
        assert related(record) == {(image_set.doi, "ispartof")}
        assert keys(record["id"]) == part["files"]
        for key in part["files"]:
            with zipfile.ZipFile(io.BytesIO(content(record["id"], key))) as archive:
                inside |= {hashlib.sha256(archive.read(n)).hexdigest() for n in archive.namelist()}
    assert inside == {image.sha256 for image in image_set.images.all()}
    manifest = json.loads(content(deposit.remote_id, "manifest.json"))
    assert {entry["package"] for entry in manifest["images"]} == {
        "images-001.zip",
        "images-002.zip",
        "images-003.zip",
    }


def test_a_set_over_one_records_limits_is_published_as_linked_records(people, rdm):
    before = user_records()
    deposit, image_set = published(people, ready_set(people, images=3))
    assert deposit.state == "published", (deposit.error, deposit.errors)
    check_linked(deposit, image_set)
    assert [step["step"] for step in deposit.steps] == [
        "draft created",
        "DOI reserved",
        "part 1 draft created",
        "part 1 files uploaded",
        "part 1 published",
        "part 2 draft created",
        "part 2 files uploaded",
        "part 2 published",
        "files uploaded",
        "publish requested",
        "published",
    ]
    assert deposit.files_done == deposit.files_total == len(keys(deposit.remote_id)) + 3
    assert user_records() == before + 3


def test_a_crash_between_parts_makes_no_second_record(people, rdm, monkeypatch):
    """The worker dies after making part 2's draft, before recording it: the resumed
    deposit finds that draft by its tag rather than making another."""
    image_set = ready_set(people, images=3)
    before = user_records()
    deposit = publish(image_set, actor=people["owner"], target="rdm")
    real_record = DepositRun.record

    def crash_at_part_2(self, step, *args, **kwargs):
        if step == "part 2 draft created":
            raise TransientTargetError("worker lost")
        return real_record(self, step, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(DepositRun, "record", crash_at_part_2)
        with pytest.raises(TransientTargetError):
            run_deposit(deposit.pk)
    deposit.refresh_from_db()
    assert deposit.step_done("part 1 published") and not deposit.step_done("part 2 draft created")
    time.sleep(1)  # a worker restarts in seconds; the search index shows the draft by then
    deposit = run_deposit(deposit.pk)
    assert deposit.state == "published", (deposit.error, deposit.errors)
    image_set.refresh_from_db()
    check_linked(deposit, image_set)
    assert user_records() == before + 3


def test_a_new_version_of_linked_records_gets_its_own_parts_under_the_same_concept(people, rdm):
    first, first_set = published(people, ready_set(people, images=3))
    assert first.state == "published", (first.error, first.errors)
    draft = services.new_version(first_set, actor=people["owner"])
    services.ingest(draft, real_jpegs(4)[3:], actor=SYSTEM)
    second, second_set = published(people, draft)
    assert second.state == "published", (second.error, second.errors)
    assert second_set.concept_doi == first_set.concept_doi
    assert second_set.doi not in {"", first_set.doi}
    main = api(f"/records/{second.remote_id}")
    assert main["versions"]["index"] == 2
    assert main["pids"]["doi"]["identifier"] == second_set.doi
    listing = json.loads(content(second.remote_id, "parts.json"))
    assert [part["files"] for part in listing["parts"]] == [
        ["images-001.zip", "images-002.zip"],
        ["images-003.zip", "images-004.zip"],
    ]
    first_parts = json.loads(content(first.remote_id, "parts.json"))["parts"]
    assert not {part["doi"] for part in listing["parts"]} & {part["doi"] for part in first_parts}
    for part in listing["parts"]:
        record = api("/records", q=f'pids.doi.identifier:"{part["doi"]}"')["hits"]["hits"][0]
        assert related(record) == {(second_set.doi, "ispartof")}


def test_packages_are_grouped_by_files_and_bytes_per_record(tmp_path):
    def bundle(*sizes: int) -> packaging.Bundle:
        files = [
            packaging.BuiltFile(f"images-{n:03d}.zip", tmp_path, size)
            for n, size in enumerate(sizes, 1)
        ]
        files.append(packaging.BuiltFile("manifest.json", tmp_path, 10))
        return packaging.Bundle(tmp_path, files, [])

    def names(parts) -> list[list[str]]:
        return [[built.name[7:10] for built in part] for part in parts]

    assert split(bundle(100, 100), max_files=3, max_bytes=1000) == []
    assert names(split(bundle(100, 100, 100), max_files=3, max_bytes=1000)) == [
        ["001", "002", "003"]
    ]
    assert names(split(bundle(400, 400, 400, 50), max_files=100, max_bytes=1000)) == [
        ["001", "002"],
        ["003", "004"],
    ]
    # A package over the bytes of a record goes alone (the repository may refuse it).
    assert names(split(bundle(10, 2000, 10), max_files=100, max_bytes=1000)) == [
        ["001"],
        ["002"],
        ["003"],
    ]
