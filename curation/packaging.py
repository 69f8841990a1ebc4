"""A set's files as a repository takes them: zip packages of its originals, a
manifest and its DataCite XML.

Repositories limit the files of a record (InvenioRDM and Zenodo: 100) and their
sizes, so the originals go into zip packages of at most `max_files` images and
`max_bytes` bytes each (an image larger than `max_bytes` gets a package of its
own). Images are stored, not recompressed (ZIP_STORED), and streamed from
`default_storage` one chunk at a time. `manifest.json` says where each image is
(package, path inside it, sha256, size, its AquaCat URL). The output is the same
bytes every time for the same set (fixed entry order and dates), so a resumed
upload can compare checksums with what the repository already holds.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse

from catalogue.formats import datacite
from catalogue.models import Image, ImageSet

CHUNK = 1024 * 1024
MANIFEST = "manifest.json"
DATACITE = "datacite.xml"
# Zip entries carry this date, so that the same set always gives the same bytes.
ENTRY_DATE = (1980, 1, 1, 0, 0, 0)
ZIP64_FROM = 2**31 - 1


@dataclass
class Entry:
    """One image inside a package."""

    image_id: int
    package: str
    path: str
    sha256: str
    size: int
    url: str


@dataclass
class Package:
    name: str
    images: list[Image] = field(default_factory=list)
    size: int = 0


@dataclass
class BuiltFile:
    """A file to upload: its name, where it lies, its size and md5 (as repositories report)."""

    name: str
    path: Path
    size: int
    md5: str


@dataclass
class Bundle:
    folder: Path
    files: list[BuiltFile]
    entries: list[Entry]

    @property
    def packages(self) -> list[BuiltFile]:
        return [built for built in self.files if built.name.endswith(".zip")]


def image_url(image: Image) -> str:
    path = reverse("catalogue:image-original", kwargs={"pk": image.pk})
    return settings.SITE_URL.rstrip("/") + path


def plan(image_set: ImageSet, *, max_files: int, max_bytes: int) -> list[Package]:
    """The set's images split into packages, in a stable order (file name, then id)."""
    if max_files < 1 or max_bytes < 1:
        raise ValueError("a package holds at least one file and one byte")
    packages: list[Package] = []
    current: Package | None = None
    for image in image_set.images.order_by("file_name", "pk").iterator(chunk_size=1000):
        full = current is not None and (
            len(current.images) >= max_files or current.size + image.size > max_bytes
        )
        if current is None or full:
            current = Package(name="")
            packages.append(current)
        current.images.append(image)
        current.size += image.size
    width = max(3, len(str(len(packages))))
    for number, package in enumerate(packages, 1):
        package.name = f"images-{number:0{width}d}.zip"
    return packages


def entry_path(image: Image, used: set[str]) -> str:
    """The image's path inside its package: its file name, made safe and unique."""
    parts = [
        part
        for part in PurePosixPath(image.file_name.replace("\\", "/")).parts
        if part not in {"", ".", "..", "/"}
    ]
    path = "/".join(parts) or f"image-{image.pk}"
    if path in used:
        stem, dot, suffix = path.rpartition(".")
        path = f"{stem}-{image.pk}.{suffix}" if dot and "/" not in suffix else f"{path}-{image.pk}"
    used.add(path)
    return path


def write_package(package: Package, target: Path) -> list[Entry]:
    entries: list[Entry] = []
    used: set[str] = set()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for image in package.images:
            path = entry_path(image, used)
            info = zipfile.ZipInfo(path, date_time=ENTRY_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = image.size
            info.external_attr = 0o644 << 16
            with (
                default_storage.open(image.storage_key, "rb") as source,
                archive.open(info, "w", force_zip64=image.size >= ZIP64_FROM) as sink,
            ):
                shutil.copyfileobj(source, sink, CHUNK)
            entries.append(
                Entry(image.pk, package.name, path, image.sha256, image.size, image_url(image))
            )
    return entries


def manifest(image_set: ImageSet, entries: list[Entry]) -> dict:
    return {
        "image_set": str(image_set.uuid),
        "title": image_set.title,
        "version": image_set.version,
        "images": [
            {
                "package": entry.package,
                "path": entry.path,
                "sha256": entry.sha256,
                "size": entry.size,
                "url": entry.url,
            }
            for entry in entries
        ],
    }


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def built(name: str, path: Path) -> BuiltFile:
    return BuiltFile(name, path, path.stat().st_size, md5_of(path))


def build(image_set: ImageSet, folder: Path | str, *, max_files: int, max_bytes: int) -> Bundle:
    """Write the set's packages, manifest.json and datacite.xml into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files: list[BuiltFile] = []
    entries: list[Entry] = []
    for package in plan(image_set, max_files=max_files, max_bytes=max_bytes):
        target = folder / package.name
        entries.extend(write_package(package, target))
        files.append(built(package.name, target))
    manifest_path = folder / MANIFEST
    manifest_path.write_text(
        json.dumps(manifest(image_set, entries), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    files.append(built(MANIFEST, manifest_path))
    datacite_path = folder / DATACITE
    datacite_path.write_bytes(datacite.to_xml(image_set))
    files.append(built(DATACITE, datacite_path))
    return Bundle(folder, files, entries)


def zip_entries(path: Path) -> Iterator[tuple[str, str, int]]:
    """(path, sha256, size) of each entry of a package, read back in chunks."""
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            digest = hashlib.sha256()
            with archive.open(info) as entry:
                while chunk := entry.read(CHUNK):
                    digest.update(chunk)
            yield info.filename, digest.hexdigest(), info.file_size
