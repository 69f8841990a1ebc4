"""A set's files as packages for a repository: zip packages within limits, every
image exactly once and unchanged, a manifest, the iFDO, the DataCite XML and the
RO-Crate metadata, each read back by its own reader."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import zipfile

import pytest
from ifdo import iFDO
from lxml import etree
from rocrate.rocrate import ROCrate

from catalogue.ingest.sidecars import parse_ifdo
from catalogue.models import Image
from curation import packaging
from curation.packaging import zipping
from tests.curation.conftest import ready_set

pytestmark = pytest.mark.django_db


def test_packages_hold_every_image_once_within_the_limits(tmp_path):
    image_set = ready_set(images=5)
    images = {image.sha256: image for image in image_set.images.all()}
    bundle = packaging.build(image_set, tmp_path / "out", max_files=2, max_bytes=10**9)

    names = [built.name for built in bundle.files]
    assert names == ["images-001.zip", "images-002.zip", "images-003.zip", "manifest.json",
                     "ifdo.json", "datacite.xml", "ro-crate-metadata.json"]  # fmt: skip
    seen: list[str] = []
    for package in bundle.packages:
        with zipfile.ZipFile(package.path) as archive:
            infos = archive.infolist()
            assert 1 <= len(infos) <= 2
            assert {info.compress_type for info in infos} == {zipfile.ZIP_STORED}
        for path, sha256, size in packaging.zip_entries(package.path):
            assert sha256 in images and images[sha256].size == size
            assert path == images[sha256].file_name
            seen.append(sha256)
    assert sorted(seen) == sorted(images)  # each image exactly once

    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["image_set"] == str(image_set.uuid)
    listed = {entry["sha256"]: entry for entry in manifest["images"]}
    assert set(listed) == set(images) and len(manifest["images"]) == 5
    for sha256, entry in listed.items():
        image = images[sha256]
        assert entry["size"] == image.size and entry["package"] in names
        assert entry["url"].endswith(f"/files/images/{image.pk}/original")
        assert entry["url"].startswith("http")
    root = etree.fromstring((tmp_path / "out" / "datacite.xml").read_bytes())
    assert root.tag.endswith("resource")
    for built in bundle.files:
        assert built.size == built.path.stat().st_size
        data = built.path.read_bytes()
        assert built.md5 == hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_the_ifdo_and_the_ro_crate_describe_what_lies_beside_them(tmp_path):
    image_set = ready_set(images=3, description="FlowCam images.", keywords=["diatoms"])
    folder = tmp_path / "out"
    bundle = packaging.build(image_set, folder, max_files=2, max_bytes=10**9)

    # The iFDO as our own sidecar reader takes it: the set, one item per image,
    # named as the image is named inside its package.
    ifdo = parse_ifdo((folder / "ifdo.json").read_bytes(), name="ifdo.json")
    assert ifdo.format == "ifdo" and ifdo.set_metadata.fields["title"] == image_set.title
    inside = {entry.path for entry in bundle.entries}
    assert set(ifdo.images) == inside and len(inside) == 3

    # The RO-Crate metadata, read back by the rocrate package from the folder.
    crate = ROCrate(folder)
    assert crate.name == image_set.title
    files = {entity.id: entity for entity in crate.data_entities}
    assert set(files) == {built.name for built in bundle.files} - {"ro-crate-metadata.json"}
    for built in bundle.files[:-1]:
        entity = files[built.name]
        assert entity["contentSize"] == str(built.size)
    assert files["images-001.zip"]["encodingFormat"] == "application/zip"
    assert "2 images" in files["images-001.zip"]["description"]
    assert files["manifest.json"]["encodingFormat"] == "application/json"
    graph = json.loads((folder / "ro-crate-metadata.json").read_text())["@graph"]
    root = next(entity for entity in graph if entity["@id"] == "./")
    assert root["license"] == {"@id": "https://spdx.org/licenses/CC-BY-4.0.html"}
    assert "diatoms" in root["keywords"]


def test_images_of_one_name_stay_apart_in_the_packages_and_the_ifdo(tmp_path):
    """Two images of one name in different packages, and a name that climbs out
    of its folder: every image its own path and its own iFDO item of that name."""
    image_set = ready_set(images=4)
    first, second, third, _fourth = image_set.images.order_by("file_name", "pk")
    Image.objects.filter(pk=second.pk).update(file_name=first.file_name)
    Image.objects.filter(pk=third.pk).update(file_name="../../up/there.jpg")
    folder = tmp_path / "out"
    bundle = packaging.build(image_set, folder, max_files=1, max_bytes=10**9)

    paths = {entry.image_id: entry.path for entry in bundle.entries}
    assert len(set(paths.values())) == 4
    stem, suffix = first.file_name.rsplit(".", 1)
    assert paths[first.pk] == first.file_name
    assert paths[second.pk] == f"{stem}-{second.pk}.{suffix}"
    assert paths[third.pk] == "up/there.jpg"
    document = json.loads((folder / "ifdo.json").read_text())
    iFDO.from_dict(document)  # the iFDO community's own models take it
    assert set(document["image-set-items"]) == set(paths.values())
    ifdo = parse_ifdo((folder / "ifdo.json").read_bytes(), name="ifdo.json")
    assert set(ifdo.images) == set(paths.values())


def test_large_entries_are_streamed_and_read_back(tmp_path, monkeypatch):
    """Entries over one chunk are streamed rather than read whole; the zips read back."""
    image_set = ready_set(images=3)
    images = {image.sha256: image.size for image in image_set.images.all()}
    monkeypatch.setattr(zipping, "CHUNK", 1024)  # every image is larger than a chunk
    bundle = packaging.build(image_set, tmp_path, max_files=2, max_bytes=10**9)
    seen = {}
    for package in bundle.packages:
        with zipfile.ZipFile(package.path) as archive:
            assert archive.testzip() is None
        seen.update({sha: size for _, sha, size in packaging.zip_entries(package.path)})
    assert seen == images


def test_the_md5_is_taken_while_the_file_is_read_for_an_upload(tmp_path):
    image_set = ready_set(images=2)
    bundle = packaging.build(image_set, tmp_path, max_files=10, max_bytes=10**9)
    package = bundle.packages[0]
    expected = hashlib.md5(package.path.read_bytes(), usedforsecurity=False).hexdigest()
    with package.open() as body:
        assert len(body) == package.size
        sent = b""
        while chunk := body.read(1000):
            sent += chunk
        assert len(body) == 0
    assert sent == package.path.read_bytes()
    assert package.known_md5 == expected == package.md5


def test_the_byte_limit_splits_packages_and_the_output_is_repeatable(tmp_path):
    image_set = ready_set(images=4)
    sizes = sorted(image.size for image in image_set.images.all())
    limit = sizes[-1] + sizes[0]  # at most two of the smallest fit together
    first = packaging.build(image_set, tmp_path / "a", max_files=100, max_bytes=limit)
    for package in first.packages:
        entries = list(packaging.zip_entries(package.path))
        assert len(entries) == 1 or sum(size for _, _, size in entries) <= limit
    assert len(first.packages) >= 2
    assert sum(len(list(packaging.zip_entries(p.path))) for p in first.packages) == 4
    again = packaging.build(image_set, tmp_path / "b", max_files=100, max_bytes=limit)
    assert [(f.name, f.md5) for f in again.files] == [(f.name, f.md5) for f in first.files]


def test_an_image_larger_than_the_limit_gets_a_package_of_its_own(tmp_path):
    image_set = ready_set(images=3)
    bundle = packaging.build(image_set, tmp_path, max_files=10, max_bytes=1)
    assert len(bundle.packages) == 3


def test_limits_must_be_positive():
    image_set = ready_set(images=1)
    with pytest.raises(ValueError):
        packaging.plan(image_set, max_files=0, max_bytes=10)


def package_bytes(bundle: packaging.Bundle) -> list[tuple[str, bytes]]:
    return [(package.name, package.path.read_bytes()) for package in bundle.packages]


def assert_sound(bundle: packaging.Bundle, images: dict[str, int]) -> None:
    """Every package reads back whole (zipfile, and unzip where installed) with every
    image unchanged."""
    seen = {}
    for package in bundle.packages:
        with zipfile.ZipFile(package.path) as archive:
            assert archive.testzip() is None
        if shutil.which("unzip"):
            subprocess.run(["unzip", "-tqq", str(package.path)], check=True)
        seen.update({sha: size for _, sha, size in packaging.zip_entries(package.path)})
    assert seen == images


@pytest.mark.parametrize("whole", [packaging.WHOLE, 1024], ids=["whole", "streamed"])
@pytest.mark.parametrize("local", [True, False], ids=["sendfile", "copied"])
def test_a_stored_crc_or_none_gives_the_same_packages(tmp_path, monkeypatch, whole, local):
    """The CRC-32 stored at ingest is what a package needs; an image without one (as
    ingested before) has it computed, with the same bytes as a result, whether the
    file is read whole and queued, or streamed: copied by the kernel or read in
    chunks (other storages)."""
    image_set = ready_set(images=5)
    images = {image.sha256: image.size for image in image_set.images.all()}
    assert image_set.images.filter(crc32__isnull=True).count() == 0
    monkeypatch.setattr(zipping, "WHOLE", whole)
    monkeypatch.setattr(zipping, "CHUNK", 1024)
    if not local:
        monkeypatch.setattr(zipping, "sendable", lambda source: False)
    known = packaging.build(image_set, tmp_path / "known", max_files=3, max_bytes=10**9)
    assert_sound(known, images)

    some = image_set.images.order_by("pk").values_list("pk", flat=True)[:3]
    Image.objects.filter(pk__in=list(some)).update(crc32=None)
    mixed = packaging.build(image_set, tmp_path / "mixed", max_files=3, max_bytes=10**9)
    assert package_bytes(mixed) == package_bytes(known)
    image_set.images.update(crc32=None)
    computed = packaging.build(image_set, tmp_path / "computed", max_files=3, max_bytes=10**9)
    assert package_bytes(computed) == package_bytes(known)


def test_without_sendfile_the_bytes_are_copied(tmp_path, monkeypatch):
    """A system whose sendfile cannot write to a file: the same package, copied."""
    image_set = ready_set(images=3)
    monkeypatch.setattr(zipping, "WHOLE", 1024)  # every image streamed
    first = packaging.build(image_set, tmp_path / "a", max_files=10, max_bytes=10**9)

    def refuse(*args):
        raise OSError(errno.EINVAL, "not to a file")

    monkeypatch.setattr(os, "sendfile", refuse)
    again = packaging.build(image_set, tmp_path / "b", max_files=10, max_bytes=10**9)
    assert package_bytes(again) == package_bytes(first)


def test_a_wrong_stored_crc_is_reported_by_zip_readers(tmp_path):
    """The stored CRC-32 is not checked while packaging (that would cost what storing
    it saves): one that is wrong is caught by every reader of the package."""
    image_set = ready_set(images=3)
    wrong = image_set.images.order_by("file_name").first()
    assert wrong is not None and wrong.crc32 is not None
    Image.objects.filter(pk=wrong.pk).update(crc32=wrong.crc32 ^ 1)
    bundle = packaging.build(image_set, tmp_path, max_files=10, max_bytes=10**9)
    with zipfile.ZipFile(bundle.packages[0].path) as archive:
        assert archive.testzip() == wrong.file_name
    if shutil.which("unzip"):
        tested = subprocess.run(["unzip", "-tqq", str(bundle.packages[0].path)], check=False)
        assert tested.returncode != 0


@pytest.mark.parametrize("whole", [packaging.WHOLE, 1024], ids=["whole", "streamed"])
@pytest.mark.parametrize("local", [True, False], ids=["sendfile", "copied"])
@pytest.mark.parametrize("change", [1, -1], ids=["larger", "smaller"])
def test_a_file_of_another_size_than_the_catalogue_says_is_refused(
    tmp_path, monkeypatch, whole, local, change
):
    image_set = ready_set(images=2)
    monkeypatch.setattr(zipping, "WHOLE", whole)
    if not local:
        monkeypatch.setattr(zipping, "sendable", lambda source: False)
    image = image_set.images.first()
    assert image is not None
    Image.objects.filter(pk=image.pk).update(size=image.size + change)
    with pytest.raises(ValueError, match="the catalogue says"):
        packaging.build(image_set, tmp_path, max_files=10, max_bytes=10**9)


@pytest.mark.parametrize("limit", ["ZIP_LIMIT", "ZIP_MAX_ENTRIES"])
def test_packages_beyond_a_plain_zip_are_written_with_zip64(tmp_path, monkeypatch, limit):
    """A package of 4 GB or more, or of more than 65,535 entries (limits lowered
    here), is written by zipfile, and reads back whole."""
    image_set = ready_set(images=3)
    images = {image.sha256: image.size for image in image_set.images.all()}
    plain = packaging.build(image_set, tmp_path / "plain", max_files=10, max_bytes=10**9)
    written = []
    write_zip64 = packaging.write_zip64
    monkeypatch.setattr(
        zipping,
        "write_zip64",
        lambda package, *args: written.append(package.name) or write_zip64(package, *args),
    )
    monkeypatch.setattr(zipping, limit, 1)
    large = packaging.build(image_set, tmp_path / "large", max_files=10, max_bytes=10**9)
    assert written == ["images-001.zip"]
    assert_sound(large, images)
    # Entries this small need no zip64 records: zipfile writes what our writer does.
    assert package_bytes(large) == package_bytes(plain)


def test_an_entry_of_2_gib_or_more_is_written_with_zip64(tmp_path, monkeypatch):
    image_set = ready_set(images=2)
    images = {image.sha256: image.size for image in image_set.images.all()}
    monkeypatch.setattr(zipping, "ZIP64_FROM", 1)  # every image that large, here
    bundle = packaging.build(image_set, tmp_path, max_files=10, max_bytes=10**9)
    assert_sound(bundle, images)
    with zipfile.ZipFile(bundle.packages[0].path) as archive:
        assert all(info.extract_version >= zipfile.ZIP64_VERSION for info in archive.infolist())
