"""A set's files as packages for a repository: zip packages within limits, every
image exactly once and unchanged, a manifest and the DataCite XML."""

from __future__ import annotations

import json
import zipfile

import pytest
from lxml import etree

from curation import packaging
from tests.curation.conftest import ready_set

pytestmark = pytest.mark.django_db


def test_packages_hold_every_image_once_within_the_limits(tmp_path):
    image_set = ready_set(images=5)
    images = {image.sha256: image for image in image_set.images.all()}
    bundle = packaging.build(image_set, tmp_path / "out", max_files=2, max_bytes=10**9)

    names = [built.name for built in bundle.files]
    assert names == ["images-001.zip", "images-002.zip", "images-003.zip", "manifest.json",
                     "datacite.xml"]  # fmt: skip
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
        assert built.size == built.path.stat().st_size and len(built.md5) == 32


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
