"""A 150-image set published to the real InvenioRDM (`scripts/services up`): its
images in two or more zip packages, the manifest complete and true to the stored
files, the remote's checksums equal to ours, the DOI on our set, the record's
metadata; then a new version with one image more, under the same concept DOI.
No mocks: every call goes over HTTP to the server."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
import requests
from django.core.files.storage import default_storage
from PIL import Image as PILImage
from PIL import ImageDraw

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.formats.common import landing_url
from catalogue.models import ImageSet
from curation import packaging
from curation.services.deposits import publish, run_deposit
from tests.curation.conftest import ready_set

pytestmark = [pytest.mark.django_db, pytest.mark.services("inveniordm")]

IMAGES = 150
PER_PACKAGE = 60


@pytest.fixture
def rdm(settings):
    """The target "rdm" on the local InvenioRDM; call it with options to change them."""

    def configure(**options):
        settings.PUBLISH_TARGETS = {
            "rdm": {
                "kind": "invenio",
                "url": os.environ["INVENIORDM_URL"],
                "token": os.environ["INVENIORDM_TOKEN"],
                **options,
            }
        }

    configure()
    return configure


def make_jpegs(folder: Path, count: int, first: int = 0) -> list[Path]:
    """`count` small JPEGs, each different (a gradient and its number drawn on it)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(first, first + count):
        image = PILImage.new("RGB", (96, 72), (number % 256, (number * 7) % 256, 90))
        draw = ImageDraw.Draw(image)
        draw.rectangle((4, 4, 4 + number % 80, 20), fill=(250, 250, 240))
        draw.text((8, 40), f"plankton {number}", fill=(10, 20, 30))
        path = folder / f"frame-{number:04d}.jpg"
        image.save(path, "JPEG", quality=90)
        paths.append(path)
    return paths


def remote(path: str) -> requests.Response:
    response = requests.get(
        os.environ["INVENIORDM_URL"].rstrip("/") + "/api" + path,
        headers={"Authorization": f"Bearer {os.environ['INVENIORDM_TOKEN']}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text[:500]
    return response


def stored_sha256(image) -> str:
    digest = hashlib.sha256()
    with default_storage.open(image.storage_key, "rb") as stored:
        while chunk := stored.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_record(record_id: str, image_set: ImageSet, tmp_path: Path) -> dict:
    """The record's files against the stored images and against a bundle built here;
    returns the manifest."""
    entries = {e["key"]: e for e in remote(f"/records/{record_id}/files").json()["entries"]}
    ours = packaging.build(
        image_set, tmp_path / f"ours-{record_id}", max_files=PER_PACKAGE, max_bytes=10**9
    )
    assert set(entries) == {built.name for built in ours.files}
    assert len(ours.packages) >= 2
    contents = {}
    for built in ours.files:
        data = remote(f"/records/{record_id}/files/{built.name}/content").content
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        # What it says it holds, it sends.
        assert entries[built.name]["checksum"] == f"md5:{md5}"
        assert entries[built.name]["size"] == len(data)
        if built.name.endswith(".zip") or built.name == packaging.MANIFEST:
            # The same bytes as built here (the metadata files now carry the DOI).
            assert (md5, len(data)) == (built.md5, built.size)
        contents[built.name] = data

    manifest = json.loads(contents["manifest.json"])
    images = {image.pk: image for image in image_set.images.all()}
    listed = manifest["images"]
    assert len(listed) == len(images)
    assert {entry["url"].rsplit("/", 2)[-2] for entry in listed} == {str(pk) for pk in images}
    by_package: dict[str, dict[str, str]] = {}
    for entry in listed:
        pk = int(entry["url"].rsplit("/", 2)[-2])
        image = images[pk]
        assert entry["sha256"] == image.sha256 == stored_sha256(image)
        assert entry["size"] == image.size
        assert entry["url"].startswith("http")
        by_package.setdefault(entry["package"], {})[entry["path"]] = entry["sha256"]
    assert len(by_package) == len(ours.packages)
    for name, expected in by_package.items():
        with zipfile.ZipFile(io.BytesIO(contents[name])) as archive:
            inside = {
                info.filename: hashlib.sha256(archive.read(info)).hexdigest()
                for info in archive.infolist()
            }
        assert inside == expected  # every image once, in the package the manifest names

    crate = json.loads(contents["ro-crate-metadata.json"])
    described = {entity["@id"] for entity in crate["@graph"]}
    assert {built.name for built in ours.files} - {"ro-crate-metadata.json"} <= described
    ifdo = json.loads(contents["ifdo.json"])
    assert len(ifdo["image-set-items"]) == len(images)
    return manifest


def test_a_large_set_is_published_in_packages_with_a_complete_manifest(people, rdm, tmp_path):
    rdm(max_files=PER_PACKAGE)
    image_set = ready_set(
        people, images=0, description="Frames of a plankton imager.", keywords=["plankton"]
    )
    make_jpegs(tmp_path / "frames", IMAGES)
    batch = services.ingest(image_set, [tmp_path / "frames"], actor=SYSTEM)
    assert batch.added == IMAGES and not batch.rejected

    deposit = run_deposit(publish(image_set, actor=people["owner"], target="rdm").pk)
    assert deposit.state == "published", (deposit.error, deposit.errors)
    image_set.refresh_from_db()
    assert image_set.state == "published"
    assert image_set.doi.startswith("10.5072/") and image_set.doi == deposit.doi
    packages = -(-IMAGES // PER_PACKAGE)
    assert deposit.files_done == deposit.files_total == packages + len(packaging.METADATA_FILES)

    record = remote(f"/records/{deposit.remote_id}").json()
    assert record["is_published"]
    assert record["pids"]["doi"]["identifier"] == image_set.doi
    assert record["parent"]["pids"]["doi"]["identifier"] == image_set.concept_doi
    metadata = record["metadata"]
    assert metadata["title"] == image_set.title
    assert metadata["version"] == image_set.version
    assert metadata["rights"][0]["id"] == "cc-by-4.0"
    assert {"scheme": "urn", "identifier": f"urn:uuid:{image_set.uuid}"} in metadata["identifiers"]
    assert landing_url(image_set) in {r["identifier"] for r in metadata["related_identifiers"]}
    check_record(deposit.remote_id, image_set, tmp_path)

    # The next version: one image more, a new DOI under the same concept DOI.
    draft = services.new_version(image_set, actor=people["owner"])
    added = services.ingest(draft, make_jpegs(tmp_path / "more", 1, first=IMAGES), actor=SYSTEM)
    assert added.added == 1
    second = run_deposit(publish(draft, actor=people["owner"], target="rdm").pk)
    assert second.state == "published", (second.error, second.errors)
    draft.refresh_from_db()
    assert draft.doi.startswith("10.5072/") and draft.doi != image_set.doi
    assert draft.concept_doi == image_set.concept_doi
    record = remote(f"/records/{second.remote_id}").json()
    assert record["versions"]["index"] == 2
    assert record["parent"]["pids"]["doi"]["identifier"] == image_set.concept_doi
    manifest = check_record(second.remote_id, draft, tmp_path)
    assert len(manifest["images"]) == IMAGES + 1
    assert manifest["image_set"] == str(draft.uuid)
